"""Probes behind the "what was tried" notes of the quality section in docs/benchmarks.md: quick
numpy models on the validation users of the cold-start split, to learn where the signal is (and
where the targets' ceilings are) before changing the Paddle model.

Usage: python benchmarks/quality_probes.py --from ml-1m.zip [--probe linear|rmse|onboarding|model]
       [--config '{"recent_decay": 0.5}']

- linear: a closed-form linear model trained on exactly the protocol's task (first N ratings of a
  training user -> their later liked movies, N in 0..50), with and without a block for the latest
  five ratings. It showed that recency carries signal the two-tower's mean pools missed, and,
  blended with the two-tower, became the follow-up model the app ranks with (model/followup.py).
- rmse: how low held-out RMSE gets from N seed ratings with offsets alone and with an item-item
  residual kNN (the classic "kNN baseline" predictor): the floor the RMSE target is judged against.
- onboarding: asking the movie the model scores highest among the most popular (adaptive, one
  question at a time) against asking in popularity order, on the onboarding simulation of
  `movierec-tui evaluate` (trains the model first: about 4 minutes).
- model: the two-tower trained on the training users with `--config` (JSON, fields of
  `TrainConfig`) replacing defaults; validation RMSE and Recall@20 at every N, for the two-tower
  alone and blended with the follow-up model at several weights (how `followup_weight` was
  chosen). Each row of the "what was tried" table in docs/benchmarks.md is one such run.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from movierec_tui.data_loader.dataset import Dataset
from movierec_tui.data_loader.parse import load_dataset
from movierec_tui.evaluation.baselines import TrainMatrix
from movierec_tui.evaluation.metrics import paired_interval, rmse
from movierec_tui.evaluation.runner import (
    ONBOARDING_PROPOSALS,
    MethodResult,
    adaptive_onboarding_cases,
    onboarding_cases,
    score_method,
    top_k,
    user_recalls,
)
from movierec_tui.evaluation.split import ColdStartCase, UserSplit, cold_start_cases, split_users
from movierec_tui.model.features import AGE_INDEX
from movierec_tui.onboarding import ADAPTIVE_POOL

SEEDS = (0, 5, 10, 20)
TRAINING_CUTS = (0, 2, 5, 8, 10, 15, 20, 30, 50)
RECENT = 5
FOLLOWUP_WEIGHTS = (0.0, 0.06, 0.08, 0.11, 0.14, 0.18)  # 0: the two-tower alone


def scored(scores: np.ndarray, cases: list[ColdStartCase], train: TrainMatrix, predicted=None) -> MethodResult:
    """The evaluation's own metrics for these scores (Recall@20, and RMSE of `predicted` if given)."""
    ranked = top_k(scores, cases, train.columns, 20, train.movie_ids)
    return score_method("probe", 0, cases, ranked, len(train.movie_ids), predicted)


def per_user_recall(scores: np.ndarray, cases: list[ColdStartCase], train: TrainMatrix) -> np.ndarray:
    return user_recalls(top_k(scores, cases, train.columns, 20, train.movie_ids), cases)


def mean_recall(scores: np.ndarray, cases: list[ColdStartCase], train: TrainMatrix) -> float:
    return scored(scores, cases, train).recall_20


def linear_probe(dataset: Dataset, split: UserSplit, train: TrainMatrix) -> None:
    movies = len(train.movie_ids)

    def features(case: ColdStartCase, recent: bool) -> np.ndarray:
        x = np.zeros(3 * movies + 31, dtype=np.float32)
        columns = train.columns(case.seed_movies)
        if len(columns):
            scale = 1 / np.sqrt(len(columns))
            ratings = case.seed_ratings.astype(np.float32)
            x[columns] = scale
            x[movies + columns] = (ratings - ratings.mean()) * scale
            if recent:
                x[2 * movies + columns[-RECENT:]] = 1 / np.sqrt(len(columns[-RECENT:]))
        user = dataset.users[case.user_id]
        x[3 * movies + (0 if user.gender == "M" else 1)] = 1
        x[3 * movies + 2 + AGE_INDEX[user.age]] = 1
        x[3 * movies + 9 + user.occupation] = 1
        x[-1] = 1
        return x

    examples = [case for n in TRAINING_CUTS for case in cold_start_cases(dataset, split.train, n)]
    targets = np.zeros((len(examples), movies), dtype=np.float32)
    for i, case in enumerate(examples):
        liked = train.columns(np.array(sorted(case.relevant)))
        targets[i, liked] = 1 / np.sqrt(len(liked))
    validation = {n: cold_start_cases(dataset, split.validation, n) for n in SEEDS}
    print(f"linear prefix -> later liked, {len(examples)} training examples; R@20 at N = {SEEDS}")
    for recent in (False, True):
        x = np.stack([features(c, recent) for c in examples])
        gram, cross = (x.T @ x).astype(np.float64), (x.T @ targets).astype(np.float64)
        gram[np.diag_indices_from(gram)] += 100.0
        weights = np.linalg.solve(gram, cross).astype(np.float32)
        recalls = [
            mean_recall(np.stack([features(c, recent) for c in validation[n]]) @ weights, validation[n], train)
            for n in SEEDS
        ]
        label = f"with the latest {RECENT} as a block" if recent else "without recency"
        print(f"  {label:32s}", " ".join(f"{r:.4f}" for r in recalls), flush=True)


def rmse_probe(dataset: Dataset, split: UserSplit, train: TrainMatrix) -> None:
    r = dataset.ratings
    in_train = np.isin(r.user_ids, split.train)
    columns, values = train.columns(r.movie_ids[in_train]), r.ratings[in_train].astype(np.float64)
    users = np.searchsorted(split.train, r.user_ids[in_train])
    movies, people = len(train.movie_ids), len(split.train)
    mean = values.mean()
    movie_bias, user_bias = np.zeros(movies), np.zeros(people)
    for _ in range(10):  # alternating shrunk offsets
        movie_bias = np.bincount(columns, values - mean - user_bias[users], movies) / (
            np.bincount(columns, None, movies) + 25
        )
        user_bias = np.bincount(users, values - mean - movie_bias[columns], people) / (
            np.bincount(users, None, people) + 10
        )
    residual = np.zeros((people, movies))
    residual[users, columns] = values - mean - movie_bias[columns] - user_bias[users]
    rated = (residual != 0).astype(np.float64)
    together = rated.T @ rated
    similarity = (
        (residual.T @ residual)
        / (np.sqrt((residual**2).T @ rated * (rated.T @ residual**2)) + 1e-9)
        * (together / (together + 100))
    )
    np.fill_diagonal(similarity, 0)
    print("held-out RMSE from N seed ratings: offsets only / offsets + item-item residual kNN")
    for n in SEEDS:
        offsets, knn, truth = [], [], []
        for case in cold_start_cases(dataset, split.validation, n):
            seeds, held = train.columns(case.seed_movies), train.columns(case.held_out_movies)
            seed_ratings = case.seed_ratings.astype(np.float64)
            offset = (seed_ratings - mean - movie_bias[seeds]).sum() / (len(seeds) + 5.0)
            base = mean + movie_bias[held] + offset
            correction = 0.0
            if len(seeds):
                weights = similarity[np.ix_(held, seeds)]
                seed_residual = seed_ratings - mean - movie_bias[seeds] - offset
                correction = (weights * seed_residual).sum(1) / (np.abs(weights).sum(1) + 1.0)
            offsets.append(np.clip(base, 1, 5))
            knn.append(np.clip(base + correction, 1, 5))
            truth.append(case.held_out_ratings)
        every = np.concatenate(truth)
        print(f"  N = {n:2d}: {rmse(np.concatenate(offsets), every):.4f} / {rmse(np.concatenate(knn), every):.4f}")


def onboarding_probe(dataset: Dataset, split: UserSplit, train: TrainMatrix) -> None:
    from movierec_tui.evaluation.model_ranker import ModelRanker
    from movierec_tui.model.features import build_movie_features
    from movierec_tui.model.train import train_model

    trained = train_model(dataset, build_movie_features(dataset), user_ids=split.train.tolist())
    ranker = ModelRanker("two-tower", trained, dataset)
    popularity = np.argsort(-train.matrix.sum(axis=0), kind="stable")
    most_popular = train.movie_ids[popularity[:ONBOARDING_PROPOSALS]]
    pool = train.movie_ids[popularity[:ADAPTIVE_POOL]]
    print(f"onboarding simulation (validation users), R@20: popularity order / adaptive from the top {ADAPTIVE_POOL}")
    for n in SEEDS[1:]:
        baseline = onboarding_cases(dataset, split.validation, most_popular, n)
        adaptive = adaptive_onboarding_cases(dataset, split.validation, ranker, pool, n, train.columns)
        popular_recall = per_user_recall(ranker.scores(baseline), baseline, train)
        adaptive_recall = per_user_recall(ranker.scores(adaptive), adaptive, train)
        low, high = paired_interval(adaptive_recall - popular_recall)
        print(f"  N = {n:2d}: {popular_recall.mean():.4f} / {adaptive_recall.mean():.4f}; adaptive minus popularity "
              f"{(adaptive_recall - popular_recall).mean():+.4f}, 95% interval {low:+.4f} .. {high:+.4f}", flush=True)


def model_probe(dataset: Dataset, split: UserSplit, train: TrainMatrix, config: dict) -> None:
    from dataclasses import replace

    from movierec_tui.evaluation.model_ranker import ModelRanker
    from movierec_tui.model.features import build_movie_features
    from movierec_tui.model.followup import CANDIDATES, blend
    from movierec_tui.model.train import TrainConfig, train_model

    trained = train_model(
        dataset, build_movie_features(dataset), replace(TrainConfig(), **config), user_ids=split.train.tolist()
    )
    assert trained.followup is not None
    ranker = ModelRanker("two-tower", trained, dataset, blended=False)
    recalls: dict[float, list[float]] = {weight: [] for weight in FOLLOWUP_WEIGHTS}
    errors, inside = [], []
    for n in SEEDS:
        cases = cold_start_cases(dataset, split.validation, n)
        cosines = ranker.scores(cases)
        errors.append(scored(cosines, cases, train, ranker.predict_ratings(cases, cosines)).rmse)
        followup = np.stack([trained.followup.scores(ranker.profile_rows(case)) for case in cases])
        for weight in FOLLOWUP_WEIGHTS:
            recalls[weight].append(mean_recall(blend(cosines, followup, weight), cases, train))
        match = blend(cosines, followup, trained.train_config.followup_weight)
        best = top_k(match, cases, train.columns, 20, train.movie_ids)
        nearest = top_k(cosines, cases, train.columns, CANDIDATES, train.movie_ids)
        inside.append(np.mean([len(set(b) & set(c)) / 20 for b, c in zip(best, nearest, strict=True)]))
    print(f"two-tower {json.dumps(config)}, {trained.seconds:.0f} s with the follow-up fit; at N = {SEEDS}:")
    print("  RMSE (rating head)", " ".join(f"{e:.3f}" for e in errors))
    for weight, values in recalls.items():
        label = "two-tower alone" if weight == 0 else f"+ follow-up, weight {weight}"
        print(f"  R@20 {label:28s}", " ".join(f"{r:.4f}" for r in values))
    print(f"  share of the top 20 by the match among the cosine's top {CANDIDATES} (what the app re-ranks):",
          " ".join(f"{x:.4f}" for x in inside))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--from", dest="source", type=Path, required=True)
    parser.add_argument("--probe", choices=("linear", "rmse", "onboarding", "model"), action="append")
    parser.add_argument("--config", type=json.loads, default={}, help="TrainConfig fields for --probe model")
    args = parser.parse_args()
    dataset = load_dataset(args.source)
    split = split_users(dataset, seed=42)
    train = TrainMatrix.build(dataset, split.train)
    probes = {
        "linear": linear_probe,
        "rmse": rmse_probe,
        "onboarding": onboarding_probe,
        "model": lambda *data: model_probe(*data, args.config),
    }
    for name in args.probe or ["linear", "rmse", "onboarding"]:
        probes[name](dataset, split, train)


if __name__ == "__main__":
    main()
