"""Two (or more) benchmark commands, alternating round by round in one run: medians and paired ratios.

Usage:
    python benchmarks/alternate.py --rounds 4 \
        --side "Lite 3.2" "PYTHONPATH=/work/old python benchmarks/milvus_search.py --uri /tmp/a.db --json {json}" \
        --side "Lite 2.5" "/venv/bin/python benchmarks/milvus_search.py --uri /tmp/b.db --json {json}"

What it is for: comparing code or libraries that cannot share one process (two versions of a
library, two checkouts) on a busy machine. Each side is a shell command that writes its numbers to
the file `{json}` stands for: `{"records": [{...}]}`, as `benchmarks/milvus_search.py --json` and
`benchmarks/latency.py --json` do. Every round runs every side once, the order rotating per round
(A B, B A, ...), so load that comes and goes hits all sides alike. A record's text fields name it
(catalogue, configuration, stage, ...); its numeric fields are what is compared. Printed per record
and metric: each side's median over the rounds and, for each side after the first, the median and
range over the rounds of its ratio to the first side measured in the same round.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table


def run_side(command: str, out: Path) -> list[dict]:
    out.unlink(missing_ok=True)
    completed = subprocess.run(["bash", "-c", command.replace("{json}", str(out))], stdout=sys.stderr)
    if completed.returncode != 0 or not out.exists():
        sys.exit(f"exit {completed.returncode}, no numbers: {command}")
    return json.loads(out.read_text())["records"]


def split(record: dict, metrics: list[str] | None) -> tuple[tuple[str, ...], dict[str, float]]:
    key = tuple(f"{k}={v}" for k, v in record.items() if isinstance(v, str))
    values = {k: float(v) for k, v in record.items() if isinstance(v, int | float) and not isinstance(v, bool)}
    return key, {k: v for k, v in values.items() if metrics is None or k in metrics}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", nargs=2, action="append", metavar=("NAME", "COMMAND"), required=True)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--metrics", help="comma-separated numeric fields to show (default: all)")
    parser.add_argument("--json", type=Path, help="also write every round's numbers to this file")
    args = parser.parse_args()
    if len(args.side) < 2:
        parser.error("give at least two --side")
    metrics = [m.strip() for m in args.metrics.split(",")] if args.metrics else None
    names = [name for name, _ in args.side]
    rounds: list[dict[str, dict[tuple[str, ...], dict[str, float]]]] = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        for r in range(args.rounds):
            order = args.side[r % len(args.side):] + args.side[: r % len(args.side)]
            measured = {}
            for name, command in order:
                print(f"== round {r + 1}/{args.rounds}: {name}", file=sys.stderr)
                measured[name] = dict(split(rec, metrics) for rec in run_side(command, Path(scratch) / "out.json"))
            rounds.append(measured)
    if args.json:
        args.json.write_text(json.dumps([{name: [[list(k), v] for k, v in m.items()] for name, m in rnd.items()}
                                         for rnd in rounds], indent=1))  # fmt: skip
    base = names[0]
    out = Table(title=f"{args.rounds} rounds, sides alternating, {time.perf_counter() - started:.0f} s in all")
    out.add_column("record")
    out.add_column("metric")
    for name in names:
        out.add_column(f"{name} (median)", justify="right")
    for name in names[1:]:
        out.add_column(f"{name} / {base}: median [range]", justify="right")
    for key, values in rounds[0][base].items():
        for metric in values:
            per_side = {n: [rnd[n].get(key, {}).get(metric, np.nan) for rnd in rounds] for n in names}
            cells = [f"{np.nanmedian(per_side[n]):.3f}" for n in names]
            for n in names[1:]:
                ratios = np.array(per_side[n]) / np.array(per_side[base])
                cells.append(f"{np.nanmedian(ratios):.3f} [{np.nanmin(ratios):.3f}, {np.nanmax(ratios):.3f}]")
            out.add_row(", ".join(v.partition("=")[2] for v in key), metric, *cells)
    Console(width=200).print(out)


if __name__ == "__main__":
    main()
