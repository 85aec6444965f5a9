"""benchmarks/likeness.py end to end on the tiny model of the synthetic dataset: both ways of reading
the model are scored against the co-liked movies, and the search's candidates are counted."""

from __future__ import annotations

import re
import sys

from scripts import load_benchmark


def test_the_benchmark_scores_both_similarities(ready, synthetic, monkeypatch, capsys) -> None:
    script = load_benchmark("likeness")
    monkeypatch.setenv("MOVIEREC_HOME", str(ready.model_dir.parent))
    monkeypatch.setattr(sys, "argv", ["likeness.py", "--from", str(synthetic.path), "--k", "10"])
    script.main()
    out = capsys.readouterr().out
    found = re.findall(r"(plain cosine|likeness) +in common with the co-liked ([\d.]+)", out)
    shares = {name: float(share) for name, share in found}
    assert set(shares) == {"plain cosine", "likeness"} and all(0.0 <= share <= 1.0 for share in shares.values())
    assert re.search(r"likeness - plain: [+-][\d.]+ \(95% [+-][\d.]+\.\.[+-][\d.]+\)", out)
    held = re.search(r"candidates hold ([\d.]+) of a movie's top 10", out)
    assert held is not None and float(held.group(1)) >= 0.9  # a small catalogue: nearly all of it is searched
