"""Probes behind the "what was tried" table of the quality section in docs/benchmarks.md: one model
configuration trained on the training users of one split and measured on its validation users,
under both protocols, against the tuned baselines. Each row of that table is one run of:

    python benchmarks/quality_probes.py --from ml-1m.zip --probe model --config '{"dislike_weight": 1}'

- model: the two-tower trained with `--config` (JSON, fields of `TrainConfig`) replacing defaults;
  Recall@20 at N = 0, 5, 10, 20 under the time-ordered and the random-order protocol, each against
  the best tuned baseline (EASE at N > 0, demographic popularity at N = 0) with the paired 95%
  interval, the RMSE of the rating head, and the dislike measure of `movierec-tui evaluate`.
- steering: one model trained with `--config` (or the exported model of `--model-dir`), its search
  steered away from low-rated movies (model/dislikes.py) with each `--steer 'away,unseen;...'` pair
  in turn: Recall@20 against the first pair's (paired 95% interval) and the dislike measure, both
  protocols. No retraining per pair: the steering is on the query side only.
- knobs: one model (trained with `--config`, or `--model-dir`) scored with each `--knobs` setting of
  its serve-time knobs (`KnobRanker`: the weights of the score's parts, the dislike steering, a step
  of the query toward the liked movies (the mirror of that steering), the
  profile's order, the tower's recency decay): Recall@20 against the best baseline and against the
  first setting (paired 95% intervals), and the dislike measure. No retraining per setting.
- rmse: how low held-out RMSE gets from N seed ratings with offsets alone and with an item-item
  residual kNN (the classic "kNN baseline" predictor): the floor the RMSE target is judged against.

`--cache DIR` keeps the tuned baselines' per-user results between runs (they do not depend on the
model). Validation users only: test users are for `movierec-tui evaluate`.
"""

from __future__ import annotations

import argparse
import json
import pickle
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from movierec_tui.data_loader.dataset import Dataset
from movierec_tui.data_loader.parse import load_dataset
from movierec_tui.evaluation.baselines import DemographicPopular, TrainMatrix
from movierec_tui.evaluation.dislikes import dislike_cases, nearest_neighbours, neighbour_share
from movierec_tui.evaluation.metrics import paired_interval, rmse
from movierec_tui.evaluation.runner import top_k, tune_baselines, user_recalls
from movierec_tui.evaluation.split import PROTOCOLS, UserSplit, cold_start_cases, split_users
from movierec_tui.model.dislikes import DISLIKED_AT_MOST

SEEDS = (0, 5, 10, 20)


def recalls_of(scores: np.ndarray, cases: list, train: TrainMatrix) -> np.ndarray:
    return user_recalls(top_k(scores, cases, train.columns, 20, train.movie_ids), cases)


def dislike_change(ranker, cases: list, train: TrainMatrix, neighbours: np.ndarray) -> np.ndarray:
    """Per user with a low rating: the share of the top 20 that are neighbours of a disliked movie,
    with minus without the low ratings (`movierec-tui evaluate`'s dislike measure)."""
    found = dislike_cases(cases, train, neighbours)
    with_low = top_k(ranker.scores(found.with_dislikes), found.with_dislikes, train.columns, 20, train.movie_ids)
    without = top_k(ranker.scores(found.without_dislikes), found.with_dislikes, train.columns, 20, train.movie_ids)
    return neighbour_share(with_low, found.neighbours) - neighbour_share(without, found.neighbours)


def baseline_recalls(
    dataset: Dataset, split: UserSplit, train: TrainMatrix, split_seed: int, cache: Path | None
) -> dict[tuple[str, int], np.ndarray]:
    """Per (protocol, N), the per-user Recall@20 of the best tuned baseline of that N on the
    validation users: EASE (tuned per protocol) when N > 0, demographic popularity at N = 0."""
    cached = cache / f"baselines-{split_seed}-{dataset.fingerprint}.pkl" if cache else None
    if cached is not None and cached.exists():
        return pickle.loads(cached.read_bytes())
    tuned = tune_baselines(dataset, train, split.validation, SEEDS, split_seed)
    by_group = DemographicPopular(dataset, train)
    found = {}
    for protocol in PROTOCOLS:
        ease, chosen = tuned[f"EASE/{protocol}"]
        print(f"  EASE lambda ({protocol}): {chosen.describe()}", flush=True)
        for n in SEEDS:
            cases = cold_start_cases(dataset, split.validation, n, protocol, split_seed)
            found[(protocol, n)] = recalls_of((ease if n else by_group).scores(cases), cases, train)
    if cached is not None:
        cached.parent.mkdir(parents=True, exist_ok=True)
        cached.write_bytes(pickle.dumps(found))
    return found


def model_probe(dataset: Dataset, split: UserSplit, train: TrainMatrix, config: dict, split_seed: int,
                cache: Path | None) -> None:  # fmt: skip
    from movierec_tui.evaluation.model_ranker import ModelRanker
    from movierec_tui.model.features import build_movie_features
    from movierec_tui.model.train import TrainConfig, train_model

    reference = baseline_recalls(dataset, split, train, split_seed, cache)
    started = time.perf_counter()
    trained = train_model(
        dataset, build_movie_features(dataset), replace(TrainConfig(), **config), user_ids=split.train.tolist()
    )
    ranker = ModelRanker("two-tower", trained, dataset)
    neighbours = nearest_neighbours(train)
    print(f"two-tower {json.dumps(config)}, split {split_seed}, validation users, trained in "
          f"{time.perf_counter() - started:.0f} s; Recall@20 vs the best baseline (paired 95% interval):")  # fmt: skip
    for protocol in PROTOCOLS:
        cells, errors, dislikes = [], [], []
        for n in SEEDS:
            cases = cold_start_cases(dataset, split.validation, n, protocol, split_seed)
            scores = ranker.scores(cases)
            ours = recalls_of(scores, cases, train)
            truth = np.concatenate([c.held_out_ratings for c in cases])
            errors.append(rmse(np.concatenate(ranker.predict_ratings(cases, scores)), truth))
            base = reference[(protocol, n)]
            low, high = paired_interval(ours - base)
            cells.append(f"N={n}: {ours.mean():.4f} vs {base.mean():.4f} {(ours.mean() / base.mean() - 1) * 100:+.1f}% "
                         f"[{low:+.3f},{high:+.3f}]")  # fmt: skip
            if n:
                dislikes.append(f"N={n} {dislike_change(ranker, cases, train, neighbours).mean():+.4f}")
        print(f"  {protocol:13s} " + " | ".join(cells))
        print(f"  {'':13s} RMSE {' '.join(f'{e:.3f}' for e in errors)}; neighbours of dislikes in the top 20, "
              f"with minus without the low ratings: {', '.join(dislikes)}", flush=True)  # fmt: skip


def probe_model(dataset: Dataset, split: UserSplit, config: dict, model_dir: Path | None) -> tuple[object, dict]:
    """(model, its label): the exported model of `model_dir` (a copy of a home's model/, scored as
    the app serves it), else the towers trained on the split's training users with `config`."""
    from movierec_tui.model.features import build_movie_features
    from movierec_tui.model.train import TrainConfig, train_model

    if model_dir is not None:
        from movierec_tui.evaluation.exported import ExportedModel, ensure_linear_seen

        if ensure_linear_seen(model_dir):
            print(f"wrote {model_dir}/movie_linear_seen.npy from the saved user tower", flush=True)
        return ExportedModel(model_dir), {"model": str(model_dir)}
    trained = train_model(
        dataset, build_movie_features(dataset), replace(TrainConfig(), **config), user_ids=split.train.tolist()
    )
    return trained, config


def steering_probe(dataset: Dataset, split: UserSplit, train: TrainMatrix, config: dict, split_seed: int,
                   pairs: list[tuple[float, float]], model_dir: Path | None = None) -> None:  # fmt: skip
    from movierec_tui.evaluation.model_ranker import ModelRanker

    trained, config = probe_model(dataset, split, config, model_dir)
    ranker = ModelRanker("two-tower", trained, dataset)
    neighbours = nearest_neighbours(train)
    default = ranker.steering
    first: dict[tuple[str, int], np.ndarray] = {}
    for away, unseen in pairs:
        ranker.steering = replace(default, away=away, unseen=unseen)
        print(f"steering away {away}, unseen {unseen} ({json.dumps(config)}, split {split_seed}, validation users): "
              "Recall@20, its change vs the first pair [paired 95%]; neighbours of dislikes in the top 20, "
              "with minus without the low ratings [paired 95%]", flush=True)  # fmt: skip
        for protocol in PROTOCOLS:
            cells = []
            for n in SEEDS[1:]:
                cases = cold_start_cases(dataset, split.validation, n, protocol, split_seed)
                ours = recalls_of(ranker.scores(cases), cases, train)
                base = first.setdefault((protocol, n), ours)
                change = dislike_change(ranker, cases, train, neighbours)
                cells.append(f"N={n}: {ours.mean():.4f} {ours.mean() - base.mean():+.4f} "
                             f"[{paired_interval(ours - base)[0]:+.4f},{paired_interval(ours - base)[1]:+.4f}] "
                             f"dislikes {change.mean():+.4f} [{paired_interval(change)[0]:+.4f},"
                             f"{paired_interval(change)[1]:+.4f}]")  # fmt: skip
            print(f"  {protocol:13s} " + " | ".join(cells), flush=True)


KNOBS = ("popularity", "linear", "cosine", "seen", "away", "unseen", "order", "decay", "toward")


class KnobRanker:
    """A trained model's served ranking with its serve-time knobs turned (`--probe knobs`): the
    weights of the three parts of the score (cosine / temperature, popularity logit, linear part),
    the linear part's "seen" term, the dislike steering, a step of the cosine part toward the mean
    vector of the profile's movies rated 4 or more ("toward": the mirror of the steering's `away`,
    an item-to-item pull in the search's own space), the order the profile is given in, and the
    user tower's recency decay (fixed in an exported tower: in-process training only). With no knob
    set it scores exactly as `ModelRanker.scores`, which the probe checks before it reports."""

    def __init__(self, ranker, setting: dict) -> None:
        unknown = sorted(set(setting) - set(KNOBS))
        if unknown:
            raise SystemExit(
                f"--knobs: unknown knob {unknown[0]!r} in {json.dumps(setting)}; knobs: {', '.join(KNOBS)}"
            )
        if "decay" in setting and not hasattr(ranker.trained.user_tower, "recent_decay"):
            raise SystemExit(f"--knobs: 'decay' needs the towers trained here; the exported tower of --model-dir "
                             f"has its decay built in ({json.dumps(setting)})")  # fmt: skip
        self.ranker, self.setting = ranker, setting
        self.steering = replace(ranker.steering, away=setting.get("away", ranker.steering.away),
                                unseen=setting.get("unseen", ranker.steering.unseen))  # fmt: skip

    def given(self, case):
        """The case with its profile in the order the setting feeds it to the tower ("rating": lowest
        rated first, so the recency pool weighs the best-rated most; ties keep the given order)."""
        if self.setting.get("order", "given") == "given":
            return case
        order = np.argsort(case.seed_ratings, kind="stable")
        return replace(case, seed_movies=case.seed_movies[order], seed_ratings=case.seed_ratings[order])

    def scores(self, cases: list) -> np.ndarray:
        knob, ranker, movies = self.setting.get, self.ranker, self.ranker.movies
        tower = ranker.trained.user_tower
        kept_decay = getattr(tower, "recent_decay", None)
        try:
            if "decay" in self.setting:
                tower.recent_decay = knob("decay")
            users, _, _ = ranker.user_vectors([self.given(c) for c in cases])
        finally:
            if kept_decay is not None:
                tower.recent_decay = kept_decay
        linear = ranker._user_linear
        searched = users.copy()
        rows_for, seen_table = ranker.trained.features.rows_for, self.steering.linear_seen
        for i, case in enumerate(cases):
            rows = rows_for(case.seed_movies)
            searched[i], steered = self.steering.steer(users[i], None if linear is None else linear[i], rows,
                                                       case.seed_ratings)  # fmt: skip
            liked = rows[(rows > 0) & (case.seed_ratings >= 4)] - 1
            if knob("toward", 0.0) and len(liked):
                searched[i] += knob("toward") * movies.vectors[liked].mean(axis=0)
            if linear is None:
                continue
            linear[i] = steered
            kept = rows[(rows > 0) & (case.seed_ratings > DISLIKED_AT_MOST)] - 1
            if knob("seen", 1.0) != 1.0 and seen_table is not None and len(kept):
                linear[i] += (knob("seen") - 1.0) * np.asarray(seen_table[kept]).sum(axis=0) / np.sqrt((rows > 0).sum())
        scores = knob("cosine", 1.0) * (searched @ movies.vectors.T) / movies.temperature
        scores += knob("popularity", 1.0) * movies.popularity
        if movies.linear is not None and linear is not None:
            scores += knob("linear", 1.0) * (linear @ movies.linear.T)
        return scores


def knobs_probe(dataset: Dataset, split: UserSplit, train: TrainMatrix, config: dict, split_seed: int,
                settings: list[dict], model_dir: Path | None, cache: Path | None) -> None:  # fmt: skip
    """Each setting of the serve-time knobs on one model: Recall@20 vs the best tuned baseline (as
    `--probe model`) and vs the first setting (paired 95% intervals), and the dislike measure."""
    from movierec_tui.evaluation.model_ranker import ModelRanker

    reference = baseline_recalls(dataset, split, train, split_seed, cache)
    trained, config = probe_model(dataset, split, config, model_dir)
    ranker = ModelRanker("two-tower", trained, dataset)
    check = cold_start_cases(dataset, split.validation, 10, PROTOCOLS[0], split_seed)
    if not np.allclose(KnobRanker(ranker, {}).scores(check), ranker.scores(check), atol=1e-4):
        raise SystemExit("the knob-free KnobRanker does not score as ModelRanker (the served ranking)")
    neighbours = nearest_neighbours(train)
    first: dict[tuple[str, int], np.ndarray] = {}
    print(f"serve-time knobs ({json.dumps(config)}, split {split_seed}, validation users): Recall@20, vs the best "
          "baseline [paired 95%], vs the first setting [paired 95%]; dislike measure (N > 0)", flush=True)  # fmt: skip
    for setting in settings:
        knobbed = KnobRanker(ranker, setting)
        print(f"knobs {json.dumps(setting)}", flush=True)
        for protocol in PROTOCOLS:
            cells = []
            for n in SEEDS:
                cases = cold_start_cases(dataset, split.validation, n, protocol, split_seed)
                ours, base = recalls_of(knobbed.scores(cases), cases, train), reference[(protocol, n)]
                change = ours - first.setdefault((protocol, n), ours)
                (low, high), (change_low, change_high) = paired_interval(ours - base), paired_interval(change)
                dislikes = f" dislikes {dislike_change(knobbed, cases, train, neighbours).mean():+.4f}" if n else ""
                cells.append(f"N={n}: {ours.mean():.4f} {(ours.mean() / base.mean() - 1) * 100:+.1f}% "
                             f"[{low:+.3f},{high:+.3f}] {change.mean():+.4f} [{change_low:+.4f},{change_high:+.4f}]"
                             f"{dislikes}")  # fmt: skip
            print(f"  {protocol:13s} " + " | ".join(cells), flush=True)


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
    print("held-out RMSE from N seed ratings (validation users, both protocols): offsets only / + residual kNN")
    for protocol in PROTOCOLS:
        for n in SEEDS:
            offsets, knn, truth = [], [], []
            for case in cold_start_cases(dataset, split.validation, n, protocol):
                seeds, held = train.columns(case.seed_movies), train.columns(case.held_out_movies)
                seed_ratings = case.seed_ratings.astype(np.float64)
                offset = (seed_ratings - mean - movie_bias[seeds]).sum() / (len(seeds) + 5.0)
                base = mean + movie_bias[held] + offset
                correction = 0.0
                if len(seeds):
                    weights = similarity[np.ix_(held, seeds)]
                    seed_residual = seed_ratings - mean - movie_bias[seeds] - offset
                    correction = (weights * seed_residual).sum(1) / (np.abs(weights).sum(1) + 1.0)
                offsets.append(np.clip(base, 0.5, 5))
                knn.append(np.clip(base + correction, 0.5, 5))
                truth.append(case.held_out_ratings)
            every = np.concatenate(truth)
            print(f"  {protocol:13s} N = {n:2d}: {rmse(np.concatenate(offsets), every):.4f} / "
                  f"{rmse(np.concatenate(knn), every):.4f}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--from", dest="source", type=Path, required=True)
    parser.add_argument("--probe", choices=("model", "steering", "knobs", "rmse"), action="append")
    parser.add_argument("--steer", default="0,0;0.2,1", help="away,unseen pairs for --probe steering")
    parser.add_argument(
        "--knobs",
        type=json.loads,
        default=[{}],
        help=f"--probe knobs: a JSON list of settings, each an object of {', '.join(KNOBS)}",
    )
    parser.add_argument("--config", type=json.loads, default={}, help="TrainConfig fields for --probe model")
    parser.add_argument("--split-seed", type=int, default=42)
    parser.add_argument(
        "--model-dir",
        type=Path,
        help="--probe steering/knobs: score this exported model (a copy of a home's model/; gets "
        "movie_linear_seen.npy if it lacks it) instead of training one",
    )
    parser.add_argument("--cache", type=Path, help="keep the tuned baselines' results here between runs")
    args = parser.parse_args()
    dataset = load_dataset(args.source)
    split = split_users(dataset, seed=args.split_seed)
    train = TrainMatrix.build(dataset, split.train)
    for name in args.probe or ["model"]:
        if name == "model":
            model_probe(dataset, split, train, args.config, args.split_seed, args.cache)
        elif name == "knobs":
            knobs_probe(dataset, split, train, args.config, args.split_seed, args.knobs, args.model_dir, args.cache)
        elif name == "steering":
            pairs = [tuple(float(x) for x in pair.split(",")) for pair in args.steer.split(";")]
            steering_probe(dataset, split, train, args.config, args.split_seed, pairs, args.model_dir)
        else:
            rmse_probe(dataset, split, train)


if __name__ == "__main__":
    main()
