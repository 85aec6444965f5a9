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
from movierec_tui.evaluation.baselines import TrainMatrix
from movierec_tui.evaluation.dislikes import dislike_cases, nearest_neighbours, neighbour_share
from movierec_tui.evaluation.metrics import (
    coverage,
    ndcg_at_k,
    paired_interval,
    popularity_percentiles,
    recall_at_k,
    rmse,
)
from movierec_tui.evaluation.onboarding_sim import (
    ADAPTIVE,
    adaptive_onboarding_cases,
    history_halves,
    onboarding_cases,
)
from movierec_tui.evaluation.report import dial_table, markdown, onboarding_table, rich_tables, write_reports
from movierec_tui.evaluation.runner import BASELINES, OURS, run_evaluation
from movierec_tui.evaluation.split import RANDOM_ORDER, TIME_ORDERED, cold_start_cases, split_users
from movierec_tui.evaluation.tuning import doubling, tune_grid
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


def histories_by_time(dataset) -> dict[int, tuple[list[int], list[float]]]:
    r = dataset.ratings
    found = {}
    for user in np.unique(r.user_ids):
        mine = np.flatnonzero(r.user_ids == user)
        order = mine[np.argsort(r.timestamps[mine], kind="stable")]
        found[int(user)] = (r.movie_ids[order].tolist(), r.ratings[order].astype(float).tolist())
    return found


def test_split_is_disjoint_and_time_ordered_cases_follow_time(tmp_path) -> None:
    dataset = load_dataset(write_synthetic(tmp_path / "ml", n_users=100).path)
    split = split_users(dataset, seed=42)
    assert (len(split.train), len(split.validation), len(split.test)) == (80, 10, 10)
    assert not set(split.train) & set(split.test) and not set(split.validation) & set(split.test)
    assert split_users(dataset, seed=42).test.tolist() == split.test.tolist()
    histories = histories_by_time(dataset)
    cases = cold_start_cases(dataset, split.test, 5, TIME_ORDERED)
    assert cases
    for case in cases:
        movies, ratings = histories[case.user_id]
        assert case.seed_movies.tolist() == movies[:5]
        assert case.held_out_movies.tolist() == movies[5:]
        assert case.seed_ratings.dtype == np.float32 and case.seed_ratings.tolist() == ratings[:5]
        liked = case.held_out_ratings >= 4
        assert case.relevant == set(case.held_out_movies[liked].tolist())


def test_random_order_cases_draw_from_the_whole_history_without_leaking(tmp_path) -> None:
    """The profile is N ratings drawn from anywhere in the history (with their own ratings), every
    other rating is held out, nothing is in both; the draw is fixed by the seed and the user, so
    every method and every call sees the same users and the same profiles."""
    dataset = load_dataset(write_synthetic(tmp_path / "ml", n_users=120).path)
    users = np.array(sorted(dataset.users))
    histories = histories_by_time(dataset)
    cases = cold_start_cases(dataset, users, 6, RANDOM_ORDER, draw_seed=7)
    assert len(cases) > 100
    later_draws = 0
    for case in cases:
        movies, ratings = histories[case.user_id]
        given = dict(zip(movies, ratings, strict=True))
        seeds, held = case.seed_movies.tolist(), case.held_out_movies.tolist()
        assert len(seeds) == 6 and not set(seeds) & set(held)
        assert sorted(seeds + held) == sorted(movies)
        assert held == [m for m in movies if m not in set(seeds)]  # held out oldest first
        assert case.seed_ratings.tolist() == [given[m] for m in seeds]
        assert case.held_out_ratings.tolist() == [given[m] for m in held]
        assert case.relevant == {m for m in held if given[m] >= 4}
        later_draws += any(movies.index(m) >= 6 for m in seeds)
    assert later_draws > 0.8 * len(cases)  # not a time prefix
    again = cold_start_cases(dataset, users, 6, RANDOM_ORDER, draw_seed=7)
    assert [(c.user_id, c.seed_movies.tolist()) for c in again] == [(c.user_id, c.seed_movies.tolist()) for c in cases]
    other = cold_start_cases(dataset, users, 6, RANDOM_ORDER, draw_seed=8)
    assert [c.seed_movies.tolist() for c in other] != [c.seed_movies.tolist() for c in cases]
    # A smaller N is the start of the same draw, on a subset of the same users.
    fewer = {c.user_id: c for c in cold_start_cases(dataset, users, 3, RANDOM_ORDER, draw_seed=7)}
    for case in cases:
        assert fewer[case.user_id].seed_movies.tolist() == case.seed_movies.tolist()[:3]
    with pytest.raises(ValueError, match="unknown protocol"):
        cold_start_cases(dataset, users, 3, "sideways")


def test_the_grid_grows_until_the_chosen_value_is_inside_it() -> None:
    """EASE's lambda peaked beyond the old grid's top (8000): the grid must extend past the edge
    that wins until the winner has a tried neighbour on each side."""
    tried = []

    def score(value: float) -> float:
        tried.append(value)
        return -abs(np.log2(value / 20000.0))  # best at 20000, between 16000 and 32000

    tuned = tune_grid((1000, 2000, 4000, 8000), score, *doubling(1.0))
    assert tuned.value == 16000 and tuned.inside and not tuned.domain_edge
    assert tuned.grid == [1000, 2000, 4000, 8000, 16000, 32000]
    assert len(tried) == len(set(tried))  # nothing scored twice
    assert tuned.describe() == "16000 of 1000, 2000, 4000, 8000, 16000, 32000"
    low = tune_grid((100, 200, 400), lambda v: -v, *doubling(10.0))
    assert low.value == 10 and low.domain_edge and low.grid == [10, 12.5, 25, 50, 100, 200, 400]
    assert low.describe().startswith("10 (the end of its domain)")
    high = tune_grid((50, 100), lambda v: v, *doubling(1.0, 300.0))  # e.g. item-kNN: every neighbour
    assert high.value == 300 and high.domain_edge and high.grid == [50, 100, 200, 300]
    flat = tune_grid((1, 2, 4), lambda v: 0.0, *doubling())
    assert flat.value == 2.0**-12 and not flat.inside  # a flat score walks down MAX_EXTENSIONS steps, then says so
    assert "AT THE GRID'S EDGE" in flat.describe()


def test_popularity_percentiles_rank_items_by_count() -> None:
    assert popularity_percentiles(np.array([5, 50, 1, 20])).tolist() == [50.0, 100.0, 25.0, 75.0]


def test_dislike_cases_drop_the_low_ratings_and_name_their_neighbours(tmp_path) -> None:
    dataset = load_dataset(write_synthetic(tmp_path / "ml", n_users=120).path)
    split = split_users(dataset, seed=42)
    train = TrainMatrix.build(dataset, split.train)
    neighbours = nearest_neighbours(train, 5)
    assert neighbours.shape == (len(train.movie_ids), 5)
    assert not np.any(neighbours == np.arange(len(train.movie_ids))[:, None])  # a movie is not its own neighbour
    cases = cold_start_cases(dataset, split.test, 8, RANDOM_ORDER)
    found = dislike_cases(cases, train, neighbours)
    assert found.with_dislikes  # the synthetic users rate a few foreign movies 1-2
    for full, kept, near in zip(found.with_dislikes, found.without_dislikes, found.neighbours, strict=True):
        low = full.seed_ratings <= 2
        assert kept.seed_movies.tolist() == full.seed_movies[~low].tolist() and np.all(kept.seed_ratings > 2)
        assert kept.held_out_movies.tolist() == full.held_out_movies.tolist()
        expected = set(train.movie_ids[neighbours[train.columns(full.seed_movies[low])].ravel()].tolist())
        assert near == expected - set(full.seed_movies.tolist())
    assert neighbour_share([[1, 2, 3, 4]], [{2, 4, 9}], top=4).tolist() == [0.5]


def test_onboarding_simulation_answers_only_what_the_user_rated(tmp_path) -> None:
    dataset = load_dataset(write_synthetic(tmp_path / "ml", n_users=30).path)
    users = np.array(sorted(dataset.users))[:10]
    proposals = np.array(sorted(dataset.movies), dtype=np.int64)
    histories = histories_by_time(dataset)
    for protocol in (TIME_ORDERED, RANDOM_ORDER):
        halves = list(history_halves(dataset, users, protocol, draw_seed=3))
        for case in onboarding_cases(halves, proposals, 3):
            movies, _ = histories[case.user_id]
            held = case.held_out_movies.tolist()
            answerable = [m for m in movies if m not in set(held)]
            assert len(answerable) == len(movies) // 2
            if protocol == TIME_ORDERED:
                assert answerable == movies[: len(movies) // 2]
            assert set(case.seed_movies.tolist()) <= set(answerable) and len(case.seed_movies) <= 3
            assert case.seed_movies.tolist() == sorted(case.seed_movies.tolist())  # in proposal order
            assert held == [m for m in movies if m in set(held)]  # the same targets whatever is asked


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
    halves = list(history_halves(dataset, users))
    columns_of = lambda m: np.searchsorted(movie_ids, m)  # noqa: E731
    cases = adaptive_onboarding_cases(halves, PrefersHighIds(movie_ids), pool, 3, columns_of)
    static = onboarding_cases(halves, pool, 3)
    assert [c.user_id for c in cases] == [c.user_id for c in static]
    histories = histories_by_time(dataset)
    for case, same_user in zip(cases, static, strict=True):
        assert case.held_out_movies.tolist() == same_user.held_out_movies.tolist()
        movies, ratings = histories[case.user_id]
        answerable = sorted(set(movies[: len(movies) // 2]) & set(pool.tolist()), reverse=True)
        assert case.seed_movies.tolist() == answerable[:3]  # highest match first, skips the unseen
        given = dict(zip(movies, ratings, strict=True))
        assert case.seed_ratings.tolist() == [given[m] for m in answerable[:3]]


def test_paired_interval_brackets_the_mean() -> None:
    differences = np.random.default_rng(0).normal(0.01, 0.1, 600)
    low, high = paired_interval(differences)
    assert low < differences.mean() < high and 0.01 < high - low < 0.025  # about 2 * 1.96 * 0.1 / sqrt(600)
    assert paired_interval(np.full(50, 0.2)) == pytest.approx((0.2, 0.2))


def test_whole_evaluation_on_the_synthetic_data(tmp_path) -> None:
    dataset = load_dataset(write_synthetic(tmp_path / "ml", n_users=400, seed=3).path)
    config = TrainConfig(epochs=30, batch_size=64, learning_rate=5e-3)
    report = run_evaluation(dataset, (0, 5), config, "test", splits=2, novelty_grid=(1.0,))
    assert [s["seed"] for s in report.splits] == [42, 43]
    by = {(r.protocol, r.method, r.n_seed): r for r in report.results}
    assert {r.method for r in report.results} == {*BASELINES, OURS}
    for protocol in (TIME_ORDERED, RANDOM_ORDER):
        for n in (0, 5):
            same = {r.users for r in report.results if (r.protocol, r.n_seed) == (protocol, n)}
            assert same == {by[(protocol, OURS, n)].users} and same != {0}  # every method on the same users
        ours, popular = by[(protocol, OURS, 5)], by[(protocol, "most popular", 5)]
        assert ours.recall_20 > popular.recall_20 + 0.2, (ours, popular)
        assert ours.rmse is not None and ours.rmse < 1.5 and popular.rmse is None
        mean, low, high = ours.versus_best
        assert low <= mean <= high and ours.best_baseline in BASELINES
        assert 0 < popular.popularity_10 <= 100 and popular.popularity_10 > ours.popularity_10
    for split in report.splits:
        assert set(split["tuned"]) == {f"{k}/{p}" for k in ("item-kNN", "EASE") for p in (TIME_ORDERED, RANDOM_ORDER)}
    dislike = {(d.protocol, d.method) for d in report.dislikes}
    assert (RANDOM_ORDER, OURS) in dislike and (RANDOM_ORDER, "EASE") in dislike
    assert {(r.protocol, r.n_seed) for r in report.onboarding} == {(TIME_ORDERED, 5), (RANDOM_ORDER, 5)}
    assert ADAPTIVE in {r.method for r in report.onboarding}
    gain = next(g for g in report.onboarding_gain if g.protocol == RANDOM_ORDER)
    mean, low, high = gain.gain
    assert low <= mean <= high
    dial = {(d.result.protocol, d.novelty): d for d in report.dial}  # N = 5: the largest asked for
    assert set(dial) == {(p, v) for p in (TIME_ORDERED, RANDOM_ORDER) for v in (0.0, 1.0)}
    for protocol in (TIME_ORDERED, RANDOM_ORDER):
        today, turned = dial[(protocol, 0.0)], dial[(protocol, 1.0)]
        assert today.weight == 1.0 and today.versus_zero == (0.0, 0.0, 0.0) and turned.weight < 0
        assert today.result.recall_20 == pytest.approx(by[(protocol, OURS, 5)].recall_20)  # the main table's
        assert turned.result.popularity_10 < today.result.popularity_10
    screen = Console(width=240, record=True)
    for table in rich_tables(report):
        screen.print(table)
    screen.print(onboarding_table(report))
    screen.print(dial_table(report))
    text = screen.export_text()
    assert "time-ordered protocol" in text and "random-order protocol" in text and "Dislikes" in text
    assert "mainstream dial" in text and "mainstream dial" in markdown(report, "x")
    assert f"{mean:+.4f} ({low:+.4f} .. {high:+.4f})" in text
    md, js = write_reports(report, tmp_path / "out", "movierec-tui evaluate --test")
    assert f"| 5 | {OURS} |" in md.read_text() and "vs best baseline" in markdown(report, "x")
    assert json.loads(js.read_text())["results"][0]["method"] == "most popular"
