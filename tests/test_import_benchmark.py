"""benchmarks/import.py end to end on the synthetic catalogue: it generates noisy exports, imports
them and scores the matches (no wrong match; most rows found)."""

from __future__ import annotations

import json
import sys

import pytest
from scripts import load_benchmark


@pytest.fixture(scope="module")
def script():
    return load_benchmark("import")


@pytest.mark.parametrize("fmt", ["letterboxd", "imdb", "csv"])
def test_the_benchmark_scores_a_noisy_export(script, synthetic, monkeypatch, capsys, fmt: str) -> None:
    argv = ["import.py", "--data", str(synthetic.path), "--rows", "400", "--repeat", "1", "--format", fmt, "--json"]
    monkeypatch.setattr(sys, "argv", argv)
    assert script.main() == 0
    [result] = json.loads(capsys.readouterr().out)["results"]
    assert result["rows"] == 400 and result["format"] == fmt
    assert result["matched"] + result["ambiguous"] + result["not_in_catalogue"] == 400
    assert result["wrong"] == 0 and result["precision"] == 1.0
    assert result["recall_with_year"] > 0.9
    assert result["in_catalogue"] < 400  # some rows are of movies held out or invented


def test_the_noise_is_what_it_says(script) -> None:
    import numpy as np

    from movierec_tui.data_loader.dataset import Movie

    movie = Movie(1, "Matrix, The", 1999, ("Sci-Fi",))
    rng = np.random.default_rng(0)
    rows = [script.noisy_row(movie, 1, rng) for _ in range(400)]
    titles = {row.title for row in rows}
    assert {"The Matrix", "Matrix, The", "Matrix", "the matrix", "THE MATRIX"} <= titles
    assert {row.year for row in rows} == {1998, 1999, 2000, None}
