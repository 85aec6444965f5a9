"""Rendering an evaluation: rich tables for the terminal, markdown for docs, JSON for scripts."""

from __future__ import annotations

import json
from pathlib import Path

from rich.table import Table

from movierec_tui.evaluation.onboarding_sim import ADAPTIVE
from movierec_tui.evaluation.runner import BASELINES, EvaluationReport, MethodResult
from movierec_tui.evaluation.split import PROTOCOLS
from movierec_tui.onboarding import ADAPTIVE_POOL

COLUMNS = (
    "N", "method", "users", "Recall@10", "Recall@20", "NDCG@10", "cov@10", "pop%@10", "RMSE",
    "R@20 vs best baseline",
)  # fmt: skip
DISLIKE_COLUMNS = (
    "N", "method", "users", "neighbours in top 20, with the low ratings", "without them",
    "difference (95% interval)", "Recall@20 with / without",
)  # fmt: skip


def interval_text(values: tuple[float, float, float], digits: int = 4) -> str:
    mean, low, high = values
    return f"{mean:+.{digits}f} ({low:+.{digits}f} .. {high:+.{digits}f})"


def _versus(result: MethodResult, best: dict[tuple[str, int], MethodResult]) -> str:
    reference = best.get((result.protocol, result.n_seed))
    if result.method in BASELINES or reference is None or reference.recall_20 <= 0:
        return ""
    text = f"{(result.recall_20 / reference.recall_20 - 1) * 100:+.1f}%"
    if result.versus_best is not None:
        text += f" {interval_text(result.versus_best)} vs {reference.method}"
    return text


def _best_baselines(results: list[MethodResult]) -> dict[tuple[str, int], MethodResult]:
    best: dict[tuple[str, int], MethodResult] = {}
    for r in results:
        key = (r.protocol, r.n_seed)
        if r.method in BASELINES and (key not in best or r.recall_20 > best[key].recall_20):
            best[key] = r
    return best


def _rows(results: list[MethodResult], protocol: str) -> list[tuple[str, ...]]:
    best = _best_baselines(results)
    return [
        (
            str(r.n_seed), r.method, str(r.users), f"{r.recall_10:.4f}", f"{r.recall_20:.4f}", f"{r.ndcg_10:.4f}",
            f"{r.coverage_10:.3f}", f"{r.popularity_10:.1f}", "" if r.rmse is None else f"{r.rmse:.4f}",
            _versus(r, best),
        )
        for r in sorted((r for r in results if r.protocol == protocol), key=lambda r: r.n_seed)
    ]


def _dislike_rows(report: EvaluationReport, protocol: str) -> list[tuple[str, ...]]:
    return [
        (
            str(d.n_seed), d.method, str(d.users), f"{d.share_with:.4f}", f"{d.share_without:.4f}",
            interval_text(d.difference), f"{d.recall_with:.4f} / {d.recall_without:.4f}",
        )
        for d in sorted((d for d in report.dislikes if d.protocol == protocol), key=lambda d: (d.n_seed, d.method))
    ]


DIAL_COLUMNS = (
    "protocol", "N", "novelty", "popularity weight", "users", "Recall@20", "vs novelty 0 (95% interval)", "cov@10",
    "pop%@10",
)  # fmt: skip


def _dial_rows(report: EvaluationReport) -> list[tuple[str, ...]]:
    return [
        (
            d.result.protocol, str(d.result.n_seed), f"{d.novelty:g}", f"{d.weight:+.1f}", str(d.result.users),
            f"{d.result.recall_20:.4f}", interval_text(d.versus_zero), f"{d.result.coverage_10:.3f}",
            f"{d.result.popularity_10:.1f}",
        )
        for d in sorted(report.dial, key=lambda d: (PROTOCOLS.index(d.result.protocol), d.result.n_seed, d.novelty))
    ]


def dial_table(report: EvaluationReport) -> Table:
    table = Table(title="The mainstream dial: the served ranking at each novelty setting")
    for column in DIAL_COLUMNS:
        table.add_column(column, justify="left" if column == "protocol" else "right")
    for row in _dial_rows(report):
        table.add_row(*row)
    return table


def _heading(report: EvaluationReport) -> str:
    seeds = ", ".join(str(s["seed"]) for s in report.splits)
    users = sum(s["users"][report.evaluated_on] for s in report.splits)
    return f"{report.evaluated_on} users of {len(report.splits)} splits (seeds {seeds}; {users} users in all)"


def rich_tables(report: EvaluationReport) -> list[Table]:
    tables = []
    for protocol in PROTOCOLS:
        table = Table(title=f"Cold-start evaluation, {protocol} protocol, {_heading(report)}")
        for column in COLUMNS:
            table.add_column(column, justify="left" if column in ("method", "R@20 vs best baseline") else "right")
        previous = None
        for row in _rows(report.results, protocol):
            if previous is not None and row[0] != previous:
                table.add_section()
            previous = row[0]
            table.add_row(*row)
        tables.append(table)
    if report.dislikes:
        table = Table(title="Dislikes: how much of the top 20 is like the movies rated 2 or lower")
        for column in ("protocol", *DISLIKE_COLUMNS):
            table.add_column(column, justify="left" if column in ("protocol", "method") else "right")
        for protocol in PROTOCOLS:
            for row in _dislike_rows(report, protocol):
                table.add_row(protocol, *row)
        tables.append(table)
    return tables


def onboarding_table(report: EvaluationReport) -> Table:
    table = Table(title="Onboarding: which movies to ask about first (Recall@20 of the answers' ranking)")
    for column in ("protocol", "N", "proposals", "users", "Recall@20", "app minus popularity (95% interval)"):
        table.add_column(column, justify="left" if column in ("proposals", "protocol") else "right")
    gains = {(g.protocol, g.n_seed): g.gain for g in report.onboarding_gain}
    for r in report.onboarding:
        gain = gains.get((r.protocol, r.n_seed)) if r.method == ADAPTIVE else None
        table.add_row(r.protocol, str(r.n_seed), r.method, str(r.users), f"{r.recall_20:.4f}",
                      interval_text(gain) if gain else "")  # fmt: skip
    return table


def markdown(report: EvaluationReport, command: str) -> str:
    lines = [f"Evaluated on {_heading(report)}.", f"Command: `{command}`", ""]
    for split in report.splits:
        tuned = "; ".join(f"{name}: {value}" for name, value in split["tuned"].items())
        lines.append(f"- split {split['seed']} ({split['users']}): tuned on validation users: {tuned}")
    lines.append(f"- seconds: {report.seconds}")
    lines.append(f"- model: `{json.dumps(report.train_config, sort_keys=True)}`")
    for protocol in PROTOCOLS:
        lines += ["", f"**{protocol}**", "", "| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
        lines += ["| " + " | ".join(row) + " |" for row in _rows(report.results, protocol)]
    if report.dislikes:
        columns = ("protocol", *DISLIKE_COLUMNS)
        lines += ["", "Dislikes (neighbours: the 10 movies most co-rated with each movie rated 2 or lower):", ""]
        lines += ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
        for protocol in PROTOCOLS:
            lines += ["| " + " | ".join((protocol, *row)) + " |" for row in _dislike_rows(report, protocol)]
    if report.dial:
        lines += ["", "The mainstream dial (the served ranking at each `novelty`; pop%@10: mean popularity",
                  "percentile of the top 10, 100 = the most rated movie):", ""]
        lines += ["| " + " | ".join(DIAL_COLUMNS) + " |", "|" + "---|" * len(DIAL_COLUMNS)]
        lines += ["| " + " | ".join(row) + " |" for row in _dial_rows(report)]
    lines += [
        "",
        "Onboarding: the app proposes movies in order; a simulated user answers with their real rating",
        "when the movie is in the answerable half of their history (time-ordered: the first half;",
        "random-order: a random half), else skips, until N answers; the other half is held out, the same",
        f"for every strategy. The app's strategy asks, each time, the movie among the {ADAPTIVE_POOL} most rated",
        "that the model matches best with the answers so far.",
        "",
        "| protocol | N | proposals | users | Recall@10 | Recall@20 | NDCG@10 |",
        "|---|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {r.protocol} | {r.n_seed} | {r.method} | {r.users} | {r.recall_10:.4f} | {r.recall_20:.4f} | "
        f"{r.ndcg_10:.4f} |"
        for r in report.onboarding
    ]
    if report.onboarding_gain:
        lines += ["", "The app's onboarding minus popularity order, Recall@20 (paired 95% bootstrap interval, users):"]
        lines += [f"- {g.protocol}, N = {g.n_seed}: {interval_text(g.gain)}" for g in report.onboarding_gain]
    return "\n".join(lines) + "\n"


def write_reports(report: EvaluationReport, directory: Path, command: str) -> tuple[Path, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    md_path, json_path = directory / "evaluation.md", directory / "evaluation.json"
    md_path.write_text(markdown(report, command), encoding="utf-8")
    json_path.write_text(json.dumps(report.to_dict() | {"command": command}, indent=2), encoding="utf-8")
    return md_path, json_path
