"""The follow-up model: its features by hand, a planted "after A comes B" it must learn, the blend's
claimed equivalence, and the engine ranking by the match over Milvus's candidates."""

from __future__ import annotations

import shutil
from dataclasses import replace

import numpy as np
import pytest

from movierec_tui.engine import Recommender
from movierec_tui.model.encoder import ModelMissing
from movierec_tui.model.followup import (
    DEMOGRAPHIC_WIDTH,
    WEIGHTS_FILE,
    FollowUpModel,
    ProfileRows,
    among_candidates,
    blend,
    fit_followup,
    profile_features,
)
from movierec_tui.profile import Profile


def test_profile_features_by_hand() -> None:
    # 4 movies; rows are 1-based, row 0 (unknown) is ignored.
    profile = ProfileRows(gender=1, age=2, occupation=3, rows=np.array([2, 0, 4]), ratings=np.array([5, 1, 3]))
    indices, values = profile_features(profile, num_movies=4)
    got = dict(zip(indices.tolist(), values.tolist(), strict=True))
    scale = 1 / np.sqrt(2)  # two known movies: columns 1 and 3, ratings 5 and 3 (mean 4)
    expected = {
        1: scale, 3: scale,  # seen
        4 + 1: 1 * scale, 4 + 3: -1 * scale,  # rating minus the person's mean
        8 + 1: scale, 8 + 3: scale,  # the latest (both)
        12 + 1: 1.0,  # F
        12 + 2 + 2: 1.0,  # age index 2
        12 + 9 + 3: 1.0,  # occupation 3
        12 + DEMOGRAPHIC_WIDTH - 1: 1.0,  # intercept
    }  # fmt: skip
    assert got.keys() == expected.keys()
    assert all(got[k] == pytest.approx(v, abs=1e-6) for k, v in expected.items())


def test_only_the_latest_five_get_the_recent_block() -> None:
    rows = np.arange(1, 9)  # eight movies, oldest first
    indices, _ = profile_features(ProfileRows(0, 0, 0, rows, np.full(8, 4)), num_movies=10)
    recent = sorted(i - 20 for i in indices if 20 <= i < 30)
    assert recent == [3, 4, 5, 6, 7]  # columns of rows 4..8


def test_a_long_profile_reads_its_latest_fifty_ratings() -> None:
    rows, ratings = np.arange(1, 81), np.tile([1, 5], 40)
    long, latest = ProfileRows(0, 0, 0, rows, ratings), ProfileRows(0, 0, 0, rows[-50:], ratings[-50:])
    for a, b in zip(profile_features(long, 100), profile_features(latest, 100), strict=True):
        assert np.array_equal(a, b)


def test_an_empty_profile_is_demographics_and_intercept() -> None:
    indices, values = profile_features(ProfileRows(0, 1, 4, np.zeros(0, np.int64), np.zeros(0)), num_movies=5)
    assert sorted(indices.tolist()) == [15, 15 + 2 + 1, 15 + 9 + 4, 15 + DEMOGRAPHIC_WIDTH - 1]
    assert values.tolist() == [1.0] * 4


def planted_histories(rng: np.random.Generator, people: int = 300) -> list[ProfileRows]:
    """Everyone rates some of movies 5..19 at random; whoever rates movie 1 first goes on to love
    movie 2, and whoever rates movie 3 first goes on to love movie 4."""
    histories = []
    for person in range(people):
        opener, follower = (1, 2) if person % 2 else (3, 4)
        filler = rng.choice(np.arange(5, 20), size=6, replace=False)
        rows = np.concatenate([[opener], filler[:3], [follower], filler[3:]])
        ratings = np.concatenate([[4], rng.integers(1, 6, size=3), [5], rng.integers(1, 6, size=3)])
        histories.append(ProfileRows(int(rng.integers(0, 2)), int(rng.integers(0, 7)), 0, rows, ratings))
    return histories


def test_the_fit_learns_what_follows_what() -> None:
    model = fit_followup(planted_histories(np.random.default_rng(0)), num_movies=20, ridge=1.0, liked_threshold=4)
    assert model.weights.shape == (3 * 20 + DEMOGRAPHIC_WIDTH, 20)
    after_one = model.scores(ProfileRows(0, 2, 0, np.array([1]), np.array([4])))
    after_three = model.scores(ProfileRows(0, 2, 0, np.array([3]), np.array([4])))
    assert int(np.argmax(after_one)) == 2 - 1 and int(np.argmax(after_three)) == 4 - 1
    assert after_one[1] > after_three[1] + 0.5 and after_three[3] > after_one[3] + 0.5


def test_save_and_load_memory_maps_the_same_weights(tmp_path) -> None:
    model = fit_followup(planted_histories(np.random.default_rng(1), 40), num_movies=20, ridge=1.0, liked_threshold=4)
    model.save(tmp_path)
    loaded = FollowUpModel.load(tmp_path)
    assert isinstance(loaded.weights, np.memmap)
    assert loaded.weights.flags.c_contiguous  # a profile's weight rows are contiguous reads
    profile = ProfileRows(1, 3, 0, np.array([3, 7]), np.array([5, 2]))
    assert np.array_equal(loaded.scores(profile), model.scores(profile))


def test_blend_ranks_as_a_weighted_sum_of_standardised_scores() -> None:
    rng = np.random.default_rng(2)
    cosines, followup = rng.normal(0.2, 0.1, (3, 50)), rng.normal(0, 5, (3, 50))
    assert np.array_equal(blend(cosines, followup, 0.0), cosines)
    weight = 0.11
    mixed = blend(cosines, followup, weight)

    def standardised(x: np.ndarray) -> np.ndarray:
        return (x - x.mean(1, keepdims=True)) / x.std(1, keepdims=True)

    alpha = 1 / (1 + weight)
    reference = alpha * standardised(cosines) + (1 - alpha) * standardised(followup)
    assert np.array_equal(np.argsort(mixed, axis=1), np.argsort(reference, axis=1))
    assert not np.array_equal(np.argsort(mixed, axis=1), np.argsort(cosines, axis=1))


def test_among_candidates_keeps_the_cosines_best_not_excluded() -> None:
    cosines = np.array([[0.9, 0.8, 0.7, 0.6, 0.5]])
    match = np.array([[1.0, 2.0, 3.0, 4.0, 5.0]])
    excluded = np.array([[True, False, False, False, False]])
    kept = among_candidates(match, cosines, excluded, count=2)
    assert kept.tolist() == [[-np.inf, 2.0, 3.0, -np.inf, -np.inf]]  # 0.8 and 0.7: the best not excluded
    assert among_candidates(match, cosines, excluded, count=10)[0, 1:].tolist() == [2.0, 3.0, 4.0, 5.0]


def test_the_engine_serves_the_ranking_the_evaluation_measures(ready, backends, synthetic) -> None:
    """Milvus's candidates re-ranked by the match give what `among_candidates` gives on the whole
    movie table in memory: the app serves the ranking `movierec-tui evaluate` scores."""
    recommender = Recommender(ready, backends)
    rated = {**{m: 5 for m in synthetic.movies_in(1)[:3]}, **{m: 2 for m in synthetic.movies_in(3)[:2]}}
    profile = Profile(gender="F", age=35, occupation=7, ratings=rated)
    results = recommender.recommend(profile, k=10)
    _, cosines, match = recommender.scores(profile)
    movie_ids = recommender.movies.movie_ids
    served = among_candidates(match, cosines, np.isin(movie_ids, list(rated)))
    assert [r.card.movie_id for r in results] == movie_ids[np.argsort(-served, kind="stable")[:10]].tolist()
    rows = recommender.movies.index_of(np.array([r.card.movie_id for r in results]))
    assert [r.score for r in results] == pytest.approx(match[rows].tolist(), abs=1e-5)
    assert not np.allclose(match, cosines)  # the follow-up model does move the scores
    by_cosine = movie_ids[np.argsort(-np.where(np.isin(movie_ids, list(rated)), -np.inf, cosines))[:10]]
    assert [r.card.movie_id for r in results] != by_cosine.tolist()  # and the order


def test_a_model_without_follow_up_weights_asks_for_setup(ready, backends, tmp_path) -> None:
    """A model dir from before the follow-up model (format 2) is refused with a one-line fix."""
    shutil.copytree(ready.model_dir, tmp_path / "model")
    (tmp_path / "model" / WEIGHTS_FILE).unlink()
    with pytest.raises(ModelMissing, match="older version; run `movierec-tui setup` again"):
        Recommender(replace(ready, home=tmp_path), backends)
