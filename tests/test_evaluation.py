"""The quality protocol: metric functions on hand-computed examples, the cold-start split, and the
whole evaluation on the synthetic dataset, where the planted clusters must let the model win."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from rich.console import Console
from synthetic import write_synthetic

from movierec_tui.data_loader.parse import load_dataset
from movierec_tui.evaluation.metrics import coverage, ndcg_at_k, paired_interval, recall_at_k, rmse
from movierec_tui.evaluation.report import markdown, onboarding_table, write_reports
from movierec_tui.evaluation.runner import ADAPTIVE, OURS, adaptive_onboarding_cases, onboarding_cases, run_evaluation
from movierec_tui.evaluation.split import cold_start_cases, split_users
from movierec_tui.model.train import TrainConfig


def test_recall_divides_by_the_smaller_of_k_and_relevant() -> None:
    assert recall_at_k([1, 2, 3, 4], {2, 4, 9}, 2) == 0.5  # 1 hit / min(2, 3)
    assert recall_at_k([1, 2, 3, 4], {2, 4, 9}, 4) == pytest.approx(2 / 3)
    assert recall_at_k([7, 8], {8}, 10) == 1.0
    with pytest.raises(ValueError):
        recall_at_k([1], set(), 10)


def test_ndcg_by_hand() -> None:
    # hits at ranks 1 and 3 of 3 relevant: (1 + 1/log2(4)) / (1 + 1/log2(3) + 1/log2(4))
    expected = (1 + 0.5) / (1 + 1 / math.log2(3) + 0.5)
    assert ndcg_at_k([5, 6, 7], {5, 7, 9}, 3) == pytest.approx(expected)
    assert ndcg_at_k([5, 6, 7], {6}, 3) == pytest.approx(1 / math.log2(3))
    assert ndcg_at_k([1, 2], {1, 2}, 2) == 1.0


def test_coverage_and_rmse_by_hand() -> None:
    assert coverage([[1, 2, 3], [3, 4, 5]], 10, 2) == 0.4  # {1, 2, 3, 4} of 10
    assert rmse(np.array([3.0, 5.0]), np.array([4.0, 4.0])) == 1.0


def test_split_is_disjoint_and_cases_follow_time(tmp_path) -> None:
    dataset = load_dataset(write_synthetic(tmp_path / "ml", n_users=100).path)
    split = split_users(dataset, seed=42)
    assert (len(split.train), len(split.validation), len(split.test)) == (80, 10, 10)
    assert not set(split.train) & set(split.test) and not set(split.validation) & set(split.test)
    assert split_users(dataset, seed=42).test.tolist() == split.test.tolist()
    cases = cold_start_cases(dataset, split.test, 5)
    r = dataset.ratings
    for case in cases:
        mine = r.user_ids == case.user_id
        order = np.argsort(r.timestamps[mine], kind="stable")
        assert case.seed_movies.tolist() == r.movie_ids[mine][order][:5].tolist()
        assert len(case.seed_movies) + len(case.held_out_movies) == mine.sum()
        liked = case.held_out_ratings >= 4
        assert case.relevant == set(case.held_out_movies[liked].tolist())


def test_onboarding_simulation_answers_only_what_the_user_rated(tmp_path) -> None:
    dataset = load_dataset(write_synthetic(tmp_path / "ml", n_users=30).path)
    users = np.array(sorted(dataset.users))[:10]
    proposals = np.array(sorted(dataset.movies), dtype=np.int64)
    r = dataset.ratings
    for case in onboarding_cases(dataset, users, proposals, 3):
        mine = np.flatnonzero(r.user_ids == case.user_id)
        by_time = r.movie_ids[mine][np.argsort(r.timestamps[mine], kind="stable")].tolist()
        first_half, second_half = by_time[: len(by_time) // 2], by_time[len(by_time) // 2 :]
        assert set(case.seed_movies.tolist()) <= set(first_half) and len(case.seed_movies) <= 3
        assert case.seed_movies.tolist() == sorted(case.seed_movies.tolist())  # in proposal order
        assert case.held_out_movies.tolist() == second_half  # the same targets whatever is asked


class PrefersHighIds:
    """A scorer for the simulation: every movie's match is its id (the simulation only needs `match`)."""

    def __init__(self, movie_ids: np.ndarray) -> None:
        self.movie_ids = movie_ids

    def match(self, cases) -> np.ndarray:
        return np.tile(self.movie_ids.astype(float), (len(cases), 1))


def test_adaptive_onboarding_asks_the_best_match_first(tmp_path) -> None:
    dataset = load_dataset(write_synthetic(tmp_path / "ml", n_users=30).path)
    users = np.array(sorted(dataset.users))[:10]
    movie_ids = np.array(sorted(dataset.movies), dtype=np.int64)
    pool = movie_ids[::2]  # every other movie may be asked about
    cases = adaptive_onboarding_cases(
        dataset, users, PrefersHighIds(movie_ids), pool, 3, lambda m: np.searchsorted(movie_ids, m)
    )
    static = onboarding_cases(dataset, users, pool, 3)
    assert [c.user_id for c in cases] == [c.user_id for c in static]
    r = dataset.ratings
    for case, same_user in zip(cases, static, strict=True):
        assert case.held_out_movies.tolist() == same_user.held_out_movies.tolist()
        mine = np.flatnonzero(r.user_ids == case.user_id)
        by_time = r.movie_ids[mine][np.argsort(r.timestamps[mine], kind="stable")].tolist()
        answerable = sorted(set(by_time[: len(by_time) // 2]) & set(pool.tolist()), reverse=True)
        assert case.seed_movies.tolist() == answerable[:3]  # highest match first, skips the unseen
        ratings = dict(zip(r.movie_ids[mine].tolist(), r.ratings[mine].tolist(), strict=True))
        assert case.seed_ratings.tolist() == [ratings[m] for m in answerable[:3]]


def test_paired_interval_brackets_the_mean() -> None:
    differences = np.random.default_rng(0).normal(0.01, 0.1, 600)
    low, high = paired_interval(differences)
    assert low < differences.mean() < high and 0.01 < high - low < 0.025  # about 2 * 1.96 * 0.1 / sqrt(600)
    assert paired_interval(np.full(50, 0.2)) == pytest.approx((0.2, 0.2))


def test_whole_evaluation_on_the_synthetic_data(tmp_path) -> None:
    dataset = load_dataset(write_synthetic(tmp_path / "ml", n_users=400, seed=3).path)
    config = TrainConfig(epochs=60, batch_size=64, learning_rate=5e-3)
    report = run_evaluation(dataset, (0, 5), config, "test")
    by = {(r.method, r.n_seed): r for r in report.results}
    methods = {r.method for r in report.results}
    assert methods == {
        "most popular", "demographic popular", "item-kNN", "EASE", OURS, "two-tower alone (no follow-up)",
        "tutorial objective (5·cos MSE)",
    }
    ours, popular = by[(OURS, 5)], by[("most popular", 5)]
    assert ours.recall_20 > popular.recall_20 + 0.2, (ours, popular)
    assert ours.rmse is not None and ours.rmse < 1.5
    assert by[("most popular", 5)].rmse is None
    assert {r.n_seed for r in report.onboarding} == {5}
    assert ADAPTIVE in {r.method for r in report.onboarding}
    mean, low, high = report.onboarding_gain[5]
    assert low <= mean <= high
    screen = Console(width=200, record=True)
    screen.print(onboarding_table(report))
    assert f"{mean:+.4f} ({low:+.4f} .. {high:+.4f})" in screen.export_text()
    md, js = write_reports(report, tmp_path / "out", "movierec-tui evaluate --test")
    assert f"| 5 | {OURS} |" in md.read_text() and "vs best baseline" in markdown(report, "x")
    assert json.loads(js.read_text())["results"][0]["method"] == "most popular"
