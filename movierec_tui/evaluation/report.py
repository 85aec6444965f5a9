"""Rendering an evaluation: a rich table for the terminal, markdown for docs, JSON for scripts."""

from __future__ import annotations

import json
from pathlib import Path

from rich.table import Table

from movierec_tui.evaluation.runner import ADAPTIVE, EvaluationReport, MethodResult
from movierec_tui.onboarding import ADAPTIVE_POOL

BASELINES = ("most popular", "demographic popular", "item-kNN", "EASE")
COLUMNS = ("N", "method", "users", "Recall@10", "Recall@20", "NDCG@10", "cov@10", "RMSE", "R@20 vs best baseline")


def _rows(results: list[MethodResult]) -> list[tuple[str, ...]]:
    best = {}
    for r in results:
        if r.method in BASELINES:
            best[r.n_seed] = max(best.get(r.n_seed, 0.0), r.recall_20)
    rows = []
    for r in results:
        versus = ""
        if r.method not in BASELINES and best.get(r.n_seed):
            versus = f"{(r.recall_20 / best[r.n_seed] - 1) * 100:+.1f}%"
        rows.append((
            str(r.n_seed), r.method, str(r.users), f"{r.recall_10:.4f}", f"{r.recall_20:.4f}", f"{r.ndcg_10:.4f}",
            f"{r.coverage_10:.3f}", "" if r.rmse is None else f"{r.rmse:.4f}", versus,
        ))
    return rows


def rich_table(report: EvaluationReport) -> Table:
    table = Table(title=f"Cold-start evaluation on {report.evaluated_on} users")
    for column in COLUMNS:
        table.add_column(column, justify="left" if column == "method" else "right")
    previous = None
    for row in _rows(report.results):
        if previous is not None and row[0] != previous:
            table.add_section()
        previous = row[0]
        table.add_row(*row)
    return table


def markdown(report: EvaluationReport, command: str) -> str:
    lines = [
        f"Evaluated on {report.evaluated_on} users; split {report.users} (seed 42).",
        f"Tuned on validation users: {report.tuned}. Seconds: {report.seconds}.",
        f"Command: `{command}`",
        "",
        "| " + " | ".join(COLUMNS) + " |",
        "|" + "---|" * len(COLUMNS),
    ]
    lines += ["| " + " | ".join(row) + " |" for row in _rows(report.results)]
    lines += [
        "",
        "Onboarding: the app proposes movies in order; a simulated user answers with their real rating",
        "when the movie is in the first half of their history, else skips, until N answers; the second",
        "half is held out, the same for every strategy; the model ranks. The app's strategy asks, each",
        f"time, the movie among the {ADAPTIVE_POOL} most rated that the model matches best with the answers so far.",
        "",
        "| N | proposals | users | Recall@10 | Recall@20 | NDCG@10 |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {r.n_seed} | {r.method} | {r.users} | {r.recall_10:.4f} | {r.recall_20:.4f} | {r.ndcg_10:.4f} |"
        for r in report.onboarding
    ]
    if report.onboarding_gain:
        heading = "The app's onboarding minus popularity order, Recall@20 (paired 95% bootstrap interval, users):"
        lines += ["", heading]
        lines += [f"- N = {n}: {gain_text(gain)}" for n, gain in report.onboarding_gain.items()]
    return "\n".join(lines) + "\n"


def gain_text(gain: tuple[float, float, float]) -> str:
    mean, low, high = gain
    return f"{mean:+.4f} ({low:+.4f} .. {high:+.4f})"


def onboarding_table(report: EvaluationReport) -> Table:
    table = Table(title="Onboarding: which movies to ask about first (Recall@20 of the answers' ranking)")
    for column in ("N", "proposals", "users", "Recall@20", "app minus popularity (95% interval)"):
        table.add_column(column, justify="left" if column == "proposals" else "right")
    for r in report.onboarding:
        gain = report.onboarding_gain.get(r.n_seed) if r.method == ADAPTIVE else None
        table.add_row(str(r.n_seed), r.method, str(r.users), f"{r.recall_20:.4f}", gain_text(gain) if gain else "")
    return table


def write_reports(report: EvaluationReport, directory: Path, command: str) -> tuple[Path, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    md_path, json_path = directory / "evaluation.md", directory / "evaluation.json"
    md_path.write_text(markdown(report, command), encoding="utf-8")
    json_path.write_text(json.dumps(report.to_dict() | {"command": command}, indent=2), encoding="utf-8")
    return md_path, json_path
