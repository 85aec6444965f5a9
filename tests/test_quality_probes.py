"""benchmarks/quality_probes.py's knob probe on a tiny synthetic model: with no knob turned it scores
exactly as the evaluation's ModelRanker (the served ranking), and each knob changes only its part."""

from __future__ import annotations

import numpy as np
import pytest
from scripts import load_benchmark
from synthetic import write_synthetic

from movierec_tui.data_loader.parse import load_dataset
from movierec_tui.evaluation.model_ranker import ModelRanker
from movierec_tui.evaluation.split import RANDOM_ORDER, cold_start_cases, split_users
from movierec_tui.model.features import build_movie_features
from movierec_tui.model.train import TrainConfig, train_model


@pytest.fixture(scope="module")
def ranked(tmp_path_factory):
    dataset = load_dataset(write_synthetic(tmp_path_factory.mktemp("ml") / "ml", n_users=80, seed=5).path)
    split = split_users(dataset, seed=42)
    trained = train_model(dataset, build_movie_features(dataset), TrainConfig(epochs=2, batch_size=32),
                          user_ids=split.train.tolist())  # fmt: skip
    cases = cold_start_cases(dataset, np.concatenate([split.validation, split.test]), 6, RANDOM_ORDER, 42)
    assert any((c.seed_ratings <= 2).any() for c in cases)  # the steering has something to steer
    return load_benchmark("quality_probes"), ModelRanker("two-tower", trained, dataset), cases


def test_no_knob_scores_as_the_served_ranking(ranked) -> None:
    probes, ranker, cases = ranked
    assert np.allclose(probes.KnobRanker(ranker, {}).scores(cases), ranker.scores(cases), atol=1e-5)


def test_each_weight_scales_only_its_part(ranked) -> None:
    probes, ranker, cases = ranked
    today = probes.KnobRanker(ranker, {}).scores(cases)
    popular = probes.KnobRanker(ranker, {"popularity": 3.0}).scores(cases)
    assert np.allclose(popular - today, 2.0 * ranker.movies.popularity, atol=1e-4)
    no_linear = probes.KnobRanker(ranker, {"linear": 0.0}).scores(cases)
    doubled = probes.KnobRanker(ranker, {"linear": 2.0}).scores(cases)
    assert np.allclose(doubled - today, today - no_linear, atol=1e-4) and not np.allclose(doubled, today)
    # the profile's order reaches the tower (its recency pool), not the movies it excludes
    assert not np.allclose(probes.KnobRanker(ranker, {"order": "rating", "decay": 0.3}).scores(cases), today)
    assert ranker.trained.user_tower.recent_decay == TrainConfig().recent_decay  # put back after scoring


def test_toward_moves_only_the_cosine_part_toward_the_liked_movies(ranked) -> None:
    """"toward" adds t x the mean vector of the profile's movies rated >= 4 to the searched vector:
    the scores change by exactly that vector's cosines / temperature, and not for a profile without
    such a movie."""
    probes, ranker, cases = ranked
    today = probes.KnobRanker(ranker, {}).scores(cases)
    pulled = probes.KnobRanker(ranker, {"toward": 0.5}).scores(cases)
    movies, rows_for = ranker.movies, ranker.trained.features.rows_for
    for i, case in enumerate(cases):
        rows = rows_for(case.seed_movies)
        liked = rows[(rows > 0) & (case.seed_ratings >= 4)] - 1
        pull = movies.vectors[liked].mean(axis=0) if len(liked) else np.zeros(movies.vectors.shape[1])
        assert np.allclose(pulled[i] - today[i], 0.5 * (movies.vectors @ pull) / movies.temperature, atol=1e-4)
    assert any((c.seed_ratings >= 4).any() for c in cases) and not np.allclose(pulled, today)


def test_an_unknown_knob_is_one_line(ranked) -> None:
    probes, ranker, _ = ranked
    with pytest.raises(SystemExit, match="unknown knob 'populariy'"):
        probes.KnobRanker(ranker, {"populariy": 2})
