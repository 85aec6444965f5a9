"""benchmarks/scale.py on a tiny size: the generator's catalogue is what it claims, in the shapes it
fitted, and the script runs end to end (generate-only: no training in a unit test)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scripts import load_benchmark
from synthetic import write_synthetic

from movierec_tui.data_loader.export import write_latest
from movierec_tui.data_loader.parse import load_dataset

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "scale.py"


@pytest.fixture(scope="module")
def scale():
    return load_benchmark("scale")


def test_the_generated_catalogue_has_the_sizes_and_shapes_it_claims(scale, tmp_path) -> None:
    source = write_synthetic(tmp_path / "ml", n_users=120).path
    shapes = scale.fit_shapes(source)
    movies, ratings, links = scale.generate(shapes, 0.2, seed=1)
    counts = scale.counts_for(0.2)
    assert len(movies) == counts["movies"] == 777 and len(links) == len(movies)
    assert len(np.unique(ratings.user_ids)) == counts["users"]
    assert 0.9 * counts["ratings"] <= len(ratings) <= counts["ratings"]
    per_user = np.bincount(ratings.user_ids)[1:]
    assert per_user.min() >= 20 and per_user.max() <= counts["movies"] // 3
    halves = ratings.ratings * 2
    assert np.array_equal(halves, np.rint(halves)) and ratings.ratings.min() >= 0.5 and ratings.ratings.max() <= 5
    popularity = np.sort(np.bincount(ratings.movie_ids))[::-1]
    assert popularity[: len(popularity) // 10].sum() > 0.3 * len(ratings)  # a long tail, as in MovieLens
    loaded = load_dataset(write_latest(tmp_path / "out", movies, ratings, links))  # pairs unique, lines valid
    assert len(loaded.ratings) == len(ratings) and loaded.movies == movies
    assert scale.counts_for(32) == {"movies": 87_585, "users": 193_280, "ratings": 32_000_000}


def test_the_script_runs_and_resumes(tmp_path) -> None:
    source = write_synthetic(tmp_path / "ml", n_users=60).path
    env = {**os.environ, "PYTHONPATH": str(SCRIPT.parent.parent)}
    command = [sys.executable, str(SCRIPT), "--sizes", "0.02,0.05", "--out", str(tmp_path / "out"),
               "--source", str(source), "--generate-only"]  # fmt: skip
    first = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr
    assert "0.05x" in first.stdout and "parse peak GB" in first.stdout
    rows = json.loads((tmp_path / "out" / "scale.json").read_text())
    assert [r["size"] for r in rows] == [0.02, 0.05] and all(r["parse_s"] > 0 for r in rows)
    marker = tmp_path / "out" / "data-0.05x" / "ratings.csv"
    stamp = marker.stat().st_mtime_ns
    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0 and marker.stat().st_mtime_ns == stamp  # the dataset is reused
