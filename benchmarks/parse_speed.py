"""Parse time of a dataset: the pandas data layer against the hand-written parser it replaced,
alternating in one run.

Usage: python benchmarks/parse_speed.py [--from ml-1m.zip] [--rounds 7] [--old-rev fb07e2c]

The old parser is taken from git (`data_loader/parse.py` at --old-rev, the last commit that had it)
and imported beside the new one; both return a Dataset (the old one with int8 ratings). Each round
times the old and the new parser once, in alternating order; prints the medians, their ratio and
the paired differences' 95% interval (bootstrap).
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from movierec_tui.data_loader.parse import load_dataset

REPO = Path(__file__).resolve().parent.parent


def old_parser(rev: str):
    source = subprocess.run(
        ["git", "-C", str(REPO), "show", f"{rev}:movierec_tui/data_loader/parse.py"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    path = Path(tempfile.mkdtemp()) / "old_parse.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("old_parse", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["old_parse"] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module.load_dataset


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="source", type=Path, default=Path("/work/shared/data/ml-1m.zip"))
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--old-rev", default="fb07e2c")
    args = parser.parse_args()
    old_load = old_parser(args.old_rev)
    old_load(args.source), load_dataset(args.source)  # warm: imports, page cache
    old_times, new_times = [], []
    for round_ in range(args.rounds):
        order = [(old_load, old_times), (load_dataset, new_times)]
        for load, times in order if round_ % 2 == 0 else reversed(order):
            started = time.perf_counter()
            load(args.source)
            times.append(time.perf_counter() - started)
    old, new = np.array(old_times), np.array(new_times)
    differences = new - old
    rng = np.random.default_rng(0)
    means = [rng.choice(differences, len(differences)).mean() for _ in range(2000)]
    low, high = np.percentile(means, [2.5, 97.5])
    print(f"{args.source}: {args.rounds} rounds, alternating")
    print(f"  old parser  median {np.median(old):.2f} s  (runs: {', '.join(f'{t:.2f}' for t in old)})")
    print(f"  pandas      median {np.median(new):.2f} s  (runs: {', '.join(f'{t:.2f}' for t in new)})")
    print(f"  ratio new/old {np.median(new) / np.median(old):.2f}; new - old {differences.mean():+.2f} s "
          f"(95% interval {low:+.2f} .. {high:+.2f})")  # fmt: skip


if __name__ == "__main__":
    main()
