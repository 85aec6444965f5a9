"""The quality protocol end to end (docs/benchmarks.md, "Recommendation quality").

For each of K user splits: tune the baselines on the split's validation users (each over a grid
that grows until the chosen value is inside it, per protocol), train the model on its training
users, and rank every movie not in the profile for each held-out user from N of their ratings,
under both protocols (time-ordered, random-order). Every method scores the identical cases. The
per-user results of all splits are pooled: the tables give means over them, and "ours minus the
best baseline" a paired 95% interval over those users. Dislikes and onboarding are measured on
the same splits.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace

import numpy as np

from movierec_tui.data_loader.dataset import Dataset
from movierec_tui.evaluation.baselines import EASE, DemographicPopular, ItemKNN, MostPopular, TrainMatrix
from movierec_tui.evaluation.dislikes import dislike_cases, nearest_neighbours, neighbour_share
from movierec_tui.evaluation.metrics import ndcg_at_k, paired_interval, popularity_percentiles, recall_at_k, rmse
from movierec_tui.evaluation.onboarding_sim import (
    ADAPTIVE,
    DIVERSE,
    ONBOARDING_PROPOSALS,
    POPULAR,
    adaptive_onboarding_cases,
    history_halves,
    onboarding_cases,
)
from movierec_tui.evaluation.split import PROTOCOLS, SPLIT_SEEDS, ColdStartCase, cold_start_cases, split_users
from movierec_tui.evaluation.tuning import Tuned, doubling, tune_grid
from movierec_tui.model.dial import popularity_weight
from movierec_tui.onboarding import ADAPTIVE_POOL, diverse_popular

EASE_LAMBDAS = (2000.0, 4000.0, 8000.0, 16000.0, 32000.0)
KNN_NEIGHBOURS = (50.0, 100.0, 200.0, 400.0, 800.0)
OURS = "two-tower (ours)"  # the ranking the app serves
TUTORIAL = "tutorial objective (5·cos MSE)"
BASELINES = ("most popular", "demographic popular", "item-kNN", "EASE")
DIAL_SEEDS = (10, 20)  # the N the mainstream dial's table is measured at (`novelty_grid`)

Progress = Callable[[str, float, float | None], None]


@dataclass
class MethodResult:
    method: str
    protocol: str
    n_seed: int
    users: int
    recall_10: float
    recall_20: float
    ndcg_10: float
    coverage_10: float  # share of the catalogue in anyone's top 10 (mean over splits)
    popularity_10: float  # mean popularity percentile of the top 10 (100 = the most rated movie)
    rmse: float | None = None
    # Recall@20 minus the best baseline's: mean, 95% interval low, high (paired, users of all splits)
    versus_best: tuple[float, float, float] | None = None
    best_baseline: str = ""


@dataclass
class DislikeResult:
    method: str
    protocol: str
    n_seed: int
    users: int  # held-out users whose profile has a low rating
    share_with: float  # share of the top 20 that are neighbours of a disliked movie, with the low ratings
    share_without: float  # the same profiles without them
    difference: tuple[float, float, float]  # with minus without: mean and paired 95% interval
    recall_with: float  # Recall@20 of the same profiles, with and without the low ratings
    recall_without: float


@dataclass
class OnboardingGain:
    protocol: str
    n_seed: int
    gain: tuple[float, float, float]  # the app's strategy minus popularity order, Recall@20: mean, low, high


@dataclass
class DialResult:
    """The served ranking at one setting of the mainstream dial (model/dial.py), pooled over splits."""

    novelty: float
    weight: float  # the popularity logit's weight at that setting (mean over the splits' models)
    result: MethodResult
    # Recall@20 minus the same users' at novelty 0: mean, 95% interval low, high (paired)
    versus_zero: tuple[float, float, float] = (0.0, 0.0, 0.0)


@dataclass
class EvaluationReport:
    results: list[MethodResult]
    onboarding: list[MethodResult]
    onboarding_gain: list[OnboardingGain]
    dislikes: list[DislikeResult]
    splits: list[dict]  # per split: seed, users per part, tuned values
    seconds: dict[str, float] = field(default_factory=dict)
    evaluated_on: str = "test"
    train_config: dict = field(default_factory=dict)  # the model's TrainConfig, to reproduce the run
    dial: list[DialResult] = field(default_factory=list)  # the served ranking at each mainstream-dial setting

    def to_dict(self) -> dict:
        return asdict(self)


def top_k(scores: np.ndarray, cases: Sequence[ColdStartCase], columns_of: Callable[[np.ndarray], np.ndarray], k: int,
          movie_ids: np.ndarray) -> list[list[int]]:
    """The k best unseen movie ids per case (the seed movies are never recommended back)."""
    scores = scores.copy()
    for i, case in enumerate(cases):
        scores[i, columns_of(case.seed_movies)] = -np.inf
    best = np.argpartition(-scores, k, axis=1)[:, :k]
    order = np.take_along_axis(scores, best, axis=1).argsort(axis=1)[:, ::-1]
    return [movie_ids[row].tolist() for row in np.take_along_axis(best, order, axis=1)]


def user_recalls(ranked: list[list[int]], cases: Sequence[ColdStartCase], k: int = 20) -> np.ndarray:
    """Recall@k of each case: averaged for the tables, paired between methods for intervals."""
    return np.array([recall_at_k(r, case.relevant, k) for r, case in zip(ranked, cases, strict=True)])


@dataclass
class Scored:
    """One method's per-user results on one set of cases, kept so that splits can be pooled."""

    recall_10: np.ndarray
    recall_20: np.ndarray
    ndcg_10: np.ndarray
    coverage_10: float
    popularity_10: np.ndarray  # per user, the mean percentile of their top 10
    predicted: np.ndarray | None = None
    actual: np.ndarray | None = None

    @classmethod
    def of(cls, ranked: list[list[int]], cases: Sequence[ColdStartCase], train: TrainMatrix,
           percentiles: np.ndarray, predicted: list[np.ndarray] | None = None) -> Scored:
        top_10 = [r[:10] for r in ranked]
        return cls(
            recall_10=user_recalls(ranked, cases, 10),
            recall_20=user_recalls(ranked, cases, 20),
            ndcg_10=np.array([ndcg_at_k(r, case.relevant, 10) for r, case in zip(ranked, cases, strict=True)]),
            coverage_10=len({m for r in top_10 for m in r}) / len(train.movie_ids),
            popularity_10=np.array([percentiles[train.columns(np.array(r))].mean() for r in top_10]),
            predicted=None if predicted is None else np.concatenate(predicted),
            actual=None if predicted is None else np.concatenate([c.held_out_ratings for c in cases]),
        )


def pooled(method: str, protocol: str, n_seed: int, parts: list[Scored]) -> MethodResult:
    def mean(name: str) -> float:
        return float(np.concatenate([getattr(p, name) for p in parts]).mean())

    error = None
    if all(p.predicted is not None for p in parts):
        error = rmse(np.concatenate([p.predicted for p in parts]), np.concatenate([p.actual for p in parts]))
    return MethodResult(
        method, protocol, n_seed, sum(len(p.recall_20) for p in parts), mean("recall_10"), mean("recall_20"),
        mean("ndcg_10"), float(np.mean([p.coverage_10 for p in parts])), mean("popularity_10"), error,
    )  # fmt: skip


def tune_baselines(
    dataset: Dataset, train: TrainMatrix, validation: np.ndarray, seeds: Sequence[int], draw_seed: int
) -> dict[str, tuple[object, Tuned]]:
    """Per protocol, item-kNN and EASE tuned on the validation users (mean Recall@20 over N > 0),
    keyed "item-kNN/<protocol>" and "EASE/<protocol>"."""
    tuned: dict[str, tuple[object, Tuned]] = {}
    built: dict[tuple[str, float], object] = {}

    def ranker(kind: str, value: float) -> object:
        if (kind, value) not in built:
            built[(kind, value)] = ItemKNN(train, int(value)) if kind == "item-kNN" else EASE(train, value)
        return built[(kind, value)]

    catalogue = float(len(train.movie_ids))
    for protocol in PROTOCOLS:
        cases = [cold_start_cases(dataset, validation, n, protocol, draw_seed) for n in seeds if n > 0]
        for kind, grid, bounds in (
            ("item-kNN", KNN_NEIGHBOURS, doubling(1.0, catalogue)),
            ("EASE", EASE_LAMBDAS, doubling(1.0)),
        ):
            def score(value: float, kind: str = kind, cases: list = cases) -> float:
                model = ranker(kind, value)
                return float(np.mean([
                    user_recalls(top_k(model.scores(c), c, train.columns, 20, train.movie_ids), c).mean()
                    for c in cases
                ]))  # fmt: skip

            result = tune_grid(grid, score, *bounds)
            tuned[f"{kind}/{protocol}"] = (ranker(kind, result.value), result)
    return tuned


def run_evaluation(
    dataset: Dataset,
    seeds: Sequence[int] = (0, 5, 10, 20),
    train_config=None,
    evaluate_on: str = "test",
    include_tutorial: bool = False,
    progress: Progress | None = None,
    splits: int = 3,
    novelty_grid: Sequence[float] = (),
) -> EvaluationReport:
    from movierec_tui.evaluation.model_ranker import ModelRanker
    from movierec_tui.model.features import build_movie_features
    from movierec_tui.model.train import TrainConfig, train_model

    def report(step: str, done: float, total: float | None = None) -> None:
        if progress is not None:
            progress(step, done, total)

    if not 1 <= splits <= len(SPLIT_SEEDS):
        raise ValueError(f"splits must be 1..{len(SPLIT_SEEDS)}, got {splits}")
    config = train_config or TrainConfig()
    features = build_movie_features(dataset)
    seconds: dict[str, float] = {}
    parts: dict[tuple[str, int, str], list[Scored]] = {}
    onboarding_parts: dict[tuple[str, int, str], list[Scored]] = {}
    gains: dict[tuple[str, int], list[np.ndarray]] = {}
    differences: dict[tuple[str, int, str], list[np.ndarray]] = {}
    dislike_parts: dict[tuple[str, int, str], list[tuple[np.ndarray, ...]]] = {}
    split_notes: list[dict] = []
    dial_parts: dict[tuple[str, int, float], list[Scored]] = {}
    dial_weights: dict[float, list[float]] = {}

    def timed(name: str, started: float) -> None:
        seconds[name] = round(seconds.get(name, 0.0) + time.perf_counter() - started, 1)

    for number, split_seed in enumerate(SPLIT_SEEDS[:splits]):
        split = split_users(dataset, seed=split_seed)
        held_out = split.test if evaluate_on == "test" else split.validation
        train = TrainMatrix.build(dataset, split.train)
        percentiles = popularity_percentiles(train.matrix.sum(axis=0))
        started = time.perf_counter()
        report("baselines", number, splits)
        tuned = tune_baselines(dataset, train, split.validation, seeds, split_seed)
        popular, by_group = MostPopular(train), DemographicPopular(dataset, train)
        timed("baselines", started)
        started = time.perf_counter()
        trained = train_model(
            dataset, features, config, user_ids=split.train.tolist(),
            progress=lambda e, n, loss, k=number: report("model", k * n + e, splits * n),
        )  # fmt: skip
        timed("train model", started)
        model = ModelRanker(OURS, trained, dataset)
        extra = []
        if include_tutorial:
            started = time.perf_counter()
            tutorial = train_model(dataset, features, replace(config, objective="tutorial"),
                                   user_ids=split.train.tolist())  # fmt: skip
            extra.append(ModelRanker(TUTORIAL, tutorial, dataset, tutorial_scale=True))
            timed("train tutorial", started)
        split_notes.append({
            "seed": split_seed,
            "users": {"train": len(split.train), "validation": len(split.validation), "test": len(split.test)},
            "tuned": {key: value.describe() for key, (_, value) in tuned.items()},
            "model_seconds": round(trained.seconds, 1),
        })  # fmt: skip
        started = time.perf_counter()
        neighbours = nearest_neighbours(train)
        for protocol in PROTOCOLS:
            rankers = [popular, by_group, tuned[f"item-kNN/{protocol}"][0], tuned[f"EASE/{protocol}"][0], model, *extra]
            for n_seed in seeds:
                cases = cold_start_cases(dataset, held_out, n_seed, protocol, split_seed)
                scored = {}
                for ranker in rankers:
                    scores = ranker.scores(cases)
                    ranked = top_k(scores, cases, train.columns, 20, train.movie_ids)
                    predicted = ranker.predict_ratings(cases, scores) if isinstance(ranker, ModelRanker) else None
                    scored[ranker.name] = Scored.of(ranked, cases, train, percentiles, predicted)
                    parts.setdefault((protocol, n_seed, ranker.name), []).append(scored[ranker.name])
                for name in BASELINES:
                    differences.setdefault((protocol, n_seed, name), []).append(
                        scored[OURS].recall_20 - scored[name].recall_20
                    )
                if n_seed > 0:
                    for ranker in (model, tuned[f"EASE/{protocol}"][0]):
                        found = dislike_cases(cases, train, neighbours)
                        if not found.with_dislikes:
                            continue
                        ranked_with = top_k(ranker.scores(found.with_dislikes), found.with_dislikes, train.columns, 20,
                                            train.movie_ids)  # fmt: skip
                        ranked_without = top_k(ranker.scores(found.without_dislikes), found.with_dislikes,
                                               train.columns, 20, train.movie_ids)  # fmt: skip
                        dislike_parts.setdefault((protocol, n_seed, ranker.name), []).append((
                            neighbour_share(ranked_with, found.neighbours),
                            neighbour_share(ranked_without, found.neighbours),
                            user_recalls(ranked_with, found.with_dislikes),
                            user_recalls(ranked_without, found.without_dislikes),
                        ))  # fmt: skip
                report("evaluate", number * len(PROTOCOLS) + PROTOCOLS.index(protocol) + 1, splits * len(PROTOCOLS))
        timed("evaluate", started)
        if novelty_grid:
            started = time.perf_counter()
            for key, scored in dial_scores(dataset, held_out, train, model, novelty_grid, seeds, split_seed).items():
                dial_parts.setdefault(key, []).append(scored)
            for novelty in sorted({0.0, *novelty_grid}):
                dial_weights.setdefault(novelty, []).append(
                    popularity_weight(novelty, model.movies.popularity, model.movies.temperature)
                )
            timed("dial", started)
        started = time.perf_counter()
        for protocol in PROTOCOLS:
            simulated = simulate_onboarding(
                dataset, held_out, train, model, [n for n in seeds if n > 0], protocol, split_seed
            )
            for name, by_n in simulated.items():
                for n_seed, scored in by_n.items():
                    onboarding_parts.setdefault((protocol, n_seed, name), []).append(scored)
            for n_seed in simulated.get(ADAPTIVE, {}):
                gain = simulated[ADAPTIVE][n_seed].recall_20 - simulated[POPULAR][n_seed].recall_20
                gains.setdefault((protocol, n_seed), []).append(gain)
        timed("onboarding", started)

    results = [pooled(method, protocol, n, scored) for (protocol, n, method), scored in parts.items()]
    for result in results:
        if result.method in BASELINES:
            continue
        same = [r for r in results if (r.protocol, r.n_seed) == (result.protocol, result.n_seed)]
        best = max((r for r in same if r.method in BASELINES), key=lambda r: r.recall_20)
        if result.method == OURS:
            difference = np.concatenate(differences[(result.protocol, result.n_seed, best.method)])
            result.versus_best = (float(difference.mean()), *paired_interval(difference))
        result.best_baseline = best.method
    onboarding = [pooled(name, protocol, n, scored) for (protocol, n, name), scored in onboarding_parts.items()]
    gain_rows = [
        OnboardingGain(protocol, n, (float(np.concatenate(g).mean()), *paired_interval(np.concatenate(g))))
        for (protocol, n), g in gains.items()
    ]
    dislikes = []
    for (protocol, n, name), measured in dislike_parts.items():
        share_with, share_without, recall_with, recall_without = (
            np.concatenate(x) for x in zip(*measured, strict=True)
        )
        change = share_with - share_without
        dislikes.append(DislikeResult(
            name, protocol, n, len(share_with), float(share_with.mean()), float(share_without.mean()),
            (float(change.mean()), *paired_interval(change)), float(recall_with.mean()), float(recall_without.mean()),
        ))  # fmt: skip
    dial = []
    for (protocol, n, novelty), scored in dial_parts.items():
        change = np.concatenate([a.recall_20 - b.recall_20 for a, b in zip(scored, dial_parts[(protocol, n, 0.0)],
                                                                            strict=True)])  # fmt: skip
        dial.append(DialResult(
            novelty, float(np.mean(dial_weights[novelty])), pooled(OURS, protocol, n, scored),
            (float(change.mean()), *paired_interval(change)),
        ))  # fmt: skip
    return EvaluationReport(
        results, onboarding, gain_rows, dislikes, split_notes, seconds, evaluate_on, config.to_dict(), dial
    )


def dial_scores(
    dataset: Dataset, user_ids: np.ndarray, train: TrainMatrix, model, novelty_grid: Sequence[float],
    seeds: Sequence[int], draw_seed: int,
) -> dict[tuple[str, int, float], Scored]:
    """The served ranking's scores at each dial setting, keyed (protocol, N, novelty), on the same
    cases as the main table at N in DIAL_SEEDS (or the largest N asked for); novelty 0 is always
    included, as the reference the others are paired with."""
    percentiles = popularity_percentiles(train.matrix.sum(axis=0))
    wanted = [n for n in seeds if n in DIAL_SEEDS] or [max(seeds)]
    found: dict[tuple[str, int, float], Scored] = {}
    try:
        for protocol in PROTOCOLS:
            for n_seed in wanted:
                cases = cold_start_cases(dataset, user_ids, n_seed, protocol, draw_seed)
                for novelty in sorted({0.0, *novelty_grid}):
                    model.novelty = novelty
                    ranked = top_k(model.scores(cases), cases, train.columns, 20, train.movie_ids)
                    found[(protocol, n_seed, novelty)] = Scored.of(ranked, cases, train, percentiles)
    finally:
        model.novelty = 0.0
    return found


def simulate_onboarding(
    dataset: Dataset, user_ids: np.ndarray, train: TrainMatrix, model, seeds: Sequence[int], protocol: str,
    draw_seed: int,
) -> dict[str, dict[int, Scored]]:
    """Per strategy and N, the scores of the ranking the answers give (same users and targets for
    every strategy)."""
    halves = list(history_halves(dataset, user_ids, protocol, draw_seed))
    popularity_order = np.argsort(-train.matrix.sum(axis=0), kind="stable")
    most_popular = train.movie_ids[popularity_order[:ONBOARDING_PROPOSALS]]
    pool = popularity_order[:ADAPTIVE_POOL]
    diverse_picks = train.movie_ids[pool[diverse_popular(model.vectors[pool], ONBOARDING_PROPOSALS)]]
    percentiles = popularity_percentiles(train.matrix.sum(axis=0))
    found: dict[str, dict[int, Scored]] = {}
    for n_seed in seeds:
        strategies = {
            POPULAR: onboarding_cases(halves, most_popular, n_seed),
            DIVERSE: onboarding_cases(halves, diverse_picks, n_seed),
            ADAPTIVE: adaptive_onboarding_cases(halves, model, train.movie_ids[pool], n_seed, train.columns),
        }
        for name, cases in strategies.items():
            ranked = top_k(model.scores(cases), cases, train.columns, 20, train.movie_ids)
            found.setdefault(name, {})[n_seed] = Scored.of(ranked, cases, train, percentiles)
    return found
