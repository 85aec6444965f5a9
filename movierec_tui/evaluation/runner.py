"""The quality protocol end to end: split, train on training users, rank every unseen movie for
each held-out user from their first N ratings, and score every method on identical cases."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

from movierec_tui.data_loader.dataset import Dataset
from movierec_tui.evaluation.baselines import EASE, DemographicPopular, ItemKNN, MostPopular, TrainMatrix
from movierec_tui.evaluation.metrics import coverage, ndcg_at_k, paired_interval, recall_at_k, rmse
from movierec_tui.evaluation.split import (
    RELEVANT_THRESHOLD,
    ColdStartCase,
    UserSplit,
    cold_start_cases,
    split_users,
)
from movierec_tui.onboarding import ADAPTIVE_POOL, diverse_popular

EASE_LAMBDAS = (250.0, 500.0, 1000.0, 2000.0, 4000.0, 8000.0)
KNN_NEIGHBOURS = (50, 200, 1000, 100_000)  # the last keeps every neighbour
ONBOARDING_PROPOSALS = 100
OURS = "two-tower + follow-up (ours)"  # the ranking the app serves
ADAPTIVE = f"ask adaptively: best match among the {ADAPTIVE_POOL} most rated (the app)"

Progress = Callable[[str, float, float | None], None]


@dataclass
class MethodResult:
    method: str
    n_seed: int
    users: int
    recall_10: float
    recall_20: float
    ndcg_10: float
    coverage_10: float
    rmse: float | None = None


@dataclass
class EvaluationReport:
    results: list[MethodResult]
    onboarding: list[MethodResult]
    users: dict[str, int]
    tuned: dict[str, float]
    seconds: dict[str, float] = field(default_factory=dict)
    evaluated_on: str = "test"
    # per N: the app's onboarding minus popularity order, Recall@20: mean, 95% interval low, high
    onboarding_gain: dict[int, tuple[float, float, float]] = field(default_factory=dict)

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
    """Recall@k of each case: averaged for the tables, paired between strategies for intervals."""
    return np.array([recall_at_k(r, case.relevant, k) for r, case in zip(ranked, cases, strict=True)])


def score_method(name: str, n_seed: int, cases: Sequence[ColdStartCase], ranked: list[list[int]],
                 catalogue: int, predicted: list[np.ndarray] | None = None) -> MethodResult:
    relevant = [case.relevant for case in cases]
    return MethodResult(
        method=name,
        n_seed=n_seed,
        users=len(cases),
        recall_10=float(np.mean(user_recalls(ranked, cases, 10))),
        recall_20=float(np.mean(user_recalls(ranked, cases, 20))),
        ndcg_10=float(np.mean([ndcg_at_k(r, rel, 10) for r, rel in zip(ranked, relevant, strict=True)])),
        coverage_10=coverage(ranked, catalogue, 10),
        rmse=None if predicted is None else rmse(
            np.concatenate(predicted), np.concatenate([c.held_out_ratings for c in cases])
        ),
    )


def _tune(candidates: Sequence, build: Callable, dataset: Dataset, train: TrainMatrix,
          validation: np.ndarray, seeds: Sequence[int]) -> tuple[object, float]:
    """The candidate with the best mean validation Recall@20 over the N > 0 seeds."""
    best, best_value, best_recall = None, None, -1.0
    for value in candidates:
        ranker = build(value)
        recalls = []
        for n_seed in [n for n in seeds if n > 0] or [10]:
            cases = cold_start_cases(dataset, validation, n_seed)
            ranked = top_k(ranker.scores(cases), cases, train.columns, 20, train.movie_ids)
            recalls.append(np.mean(user_recalls(ranked, cases)))
        if np.mean(recalls) > best_recall:
            best, best_value, best_recall = ranker, value, float(np.mean(recalls))
    return best, float(best_value)  # type: ignore[arg-type]


def run_evaluation(
    dataset: Dataset,
    seeds: Sequence[int] = (0, 5, 10, 20),
    train_config=None,
    evaluate_on: str = "test",
    include_tutorial: bool = True,
    progress: Progress | None = None,
    split_seed: int = 42,
) -> EvaluationReport:
    from movierec_tui.evaluation.model_ranker import ModelRanker
    from movierec_tui.model.features import build_movie_features
    from movierec_tui.model.train import TrainConfig, train_model

    def report(step: str, done: float, total: float | None = None) -> None:
        if progress is not None:
            progress(step, done, total)

    seconds: dict[str, float] = {}
    split: UserSplit = split_users(dataset, seed=split_seed)
    held_out = split.test if evaluate_on == "test" else split.validation
    train = TrainMatrix.build(dataset, split.train)
    features = build_movie_features(dataset)
    config = train_config or TrainConfig()

    started = time.perf_counter()
    report("baselines", 0, 4)
    rankers: list = [MostPopular(train), DemographicPopular(dataset, train)]
    report("baselines", 2, 4)
    knn, neighbours = _tune(KNN_NEIGHBOURS, lambda n: ItemKNN(train, int(n)), dataset, train,
                            split.validation, seeds)
    report("baselines", 3, 4)
    ease, lam = _tune(EASE_LAMBDAS, lambda v: EASE(train, v), dataset, train, split.validation, seeds)
    rankers += [knn, ease]
    report("baselines", 4, 4)
    seconds["baselines"] = round(time.perf_counter() - started, 1)

    started = time.perf_counter()
    trained = train_model(
        dataset, features, config, user_ids=split.train.tolist(),
        progress=lambda e, n, loss: report("model", e, n),
    )
    seconds["train model"] = round(time.perf_counter() - started, 1)
    model = ModelRanker(OURS, trained, dataset)
    rankers += [model, ModelRanker("two-tower alone (no follow-up)", trained, dataset, blended=False)]
    if include_tutorial:
        from dataclasses import replace

        started = time.perf_counter()
        tutorial_config = replace(config, objective="tutorial")
        tutorial = train_model(
            dataset, features, tutorial_config, user_ids=split.train.tolist(),
            progress=lambda e, n, loss: report("tutorial", e, n),
        )
        seconds["train tutorial"] = round(time.perf_counter() - started, 1)
        rankers.append(ModelRanker("tutorial objective (5·cos MSE)", tutorial, dataset, tutorial_scale=True))

    results = []
    catalogue = len(train.movie_ids)
    for step, n_seed in enumerate(seeds):
        cases = cold_start_cases(dataset, held_out, n_seed)
        for ranker in rankers:
            scores = ranker.scores(cases)
            ranked = top_k(scores, cases, train.columns, 20, train.movie_ids)
            predicted = ranker.predict_ratings(cases, scores) if isinstance(ranker, ModelRanker) else None
            results.append(score_method(ranker.name, n_seed, cases, ranked, catalogue, predicted))
        report("evaluate", step + 1, len(seeds))

    onboarding, onboarding_gain = evaluate_onboarding(dataset, held_out, train, model, [n for n in seeds if n > 0])
    return EvaluationReport(
        results=results,
        onboarding=onboarding,
        onboarding_gain=onboarding_gain,
        users={"train": len(split.train), "validation": len(split.validation), "test": len(split.test)},
        tuned={"ease_lambda": lam, "knn_neighbours": neighbours},
        seconds=seconds,
        evaluated_on=evaluate_on,
    )


HalvedHistory = tuple[int, dict[int, int], np.ndarray, np.ndarray]  # user, first half, second half's movies, ratings


def history_halves(dataset: Dataset, user_ids: np.ndarray) -> Iterator[HalvedHistory]:
    """Per user, their history split in half by time: the first half as movie -> rating (what a
    simulated person can answer when asked) and the second half's movies and ratings (held out).
    Users whose second half holds no relevant movie are left out: nothing could be scored."""
    r = dataset.ratings
    order = np.lexsort((r.timestamps, r.user_ids))
    users, movies, ratings = r.user_ids[order], r.movie_ids[order], r.ratings[order]
    starts = np.searchsorted(users, user_ids, side="left")
    ends = np.searchsorted(users, user_ids, side="right")
    for user_id, start, end in zip(user_ids, starts, ends, strict=True):
        middle = start + (end - start) // 2
        if not np.any(ratings[middle:end] >= RELEVANT_THRESHOLD):
            continue
        answerable = dict(zip(movies[start:middle].tolist(), ratings[start:middle].tolist(), strict=True))
        yield int(user_id), answerable, movies[middle:end].astype(np.int64), ratings[middle:end].astype(np.int64)


def onboarding_cases(dataset: Dataset, user_ids: np.ndarray, proposals: np.ndarray, n_seed: int) -> list[ColdStartCase]:
    """Simulated onboarding: the app proposes `proposals` in order; a user answers with their real
    rating when they rated the movie in the first half of their history (by time), else skips,
    until N answers. The second half is held out, the same for every strategy, so strategies are
    compared on identical targets (holding out "everything not asked" would reward a strategy for
    leaving the easy, popular movies in the targets)."""
    cases = []
    for user_id, answerable, held, held_ratings in history_halves(dataset, user_ids):
        answered = [m for m in proposals.tolist() if m in answerable][:n_seed]
        cases.append(ColdStartCase(
            user_id,
            np.array(answered, dtype=np.int64),
            np.array([answerable[m] for m in answered], dtype=np.int64),
            held,
            held_ratings,
        ))
    return cases


def adaptive_onboarding_cases(
    dataset: Dataset, user_ids: np.ndarray, model, pool: np.ndarray, n_seed: int,
    columns_of: Callable[[np.ndarray], np.ndarray],
) -> list[ColdStartCase]:
    """The app's onboarding (`Recommender.seed_movies` with a profile): each question is the movie
    of `pool` (the most rated) that the model matches best with the answers so far, not asked
    before; the simulated user answers from the first half of their history or skips, until N
    answers or ONBOARDING_PROPOSALS questions. Same users, order and targets as `onboarding_cases`."""
    halves = list(history_halves(dataset, user_ids))
    answers: list[dict[int, int]] = [{} for _ in halves]
    asked = np.zeros((len(halves), len(pool)), dtype=bool)
    pool_columns = columns_of(pool)

    def case(i: int) -> ColdStartCase:
        user_id, _, held, held_ratings = halves[i]
        given = answers[i]
        movies, ratings = np.array(list(given), dtype=np.int64), np.array(list(given.values()), dtype=np.int64)
        return ColdStartCase(user_id, movies, ratings, held, held_ratings)

    for _ in range(ONBOARDING_PROPOSALS):
        active = [i for i in range(len(halves)) if len(answers[i]) < n_seed]
        if not active:
            break
        match = model.match([case(i) for i in active])[:, pool_columns]
        match[asked[active]] = -np.inf
        picks = np.argmax(match, axis=1)
        for i, pick in zip(active, picks, strict=True):
            asked[i, pick] = True
            movie = int(pool[pick])
            if movie in halves[i][1]:
                answers[i][movie] = halves[i][1][movie]
    return [case(i) for i in range(len(halves))]


def evaluate_onboarding(dataset: Dataset, user_ids: np.ndarray, train: TrainMatrix, model, seeds: Sequence[int]
                        ) -> tuple[list[MethodResult], dict[int, tuple[float, float, float]]]:
    """Each strategy's results, and per N the app's strategy minus popularity order in Recall@20
    (mean over users and its paired 95% interval)."""
    popularity_order = np.argsort(-train.matrix.sum(axis=0), kind="stable")
    most_popular = train.movie_ids[popularity_order[:ONBOARDING_PROPOSALS]]
    pool = popularity_order[:ADAPTIVE_POOL]
    diverse_picks = train.movie_ids[pool[diverse_popular(model.vectors[pool], ONBOARDING_PROPOSALS)]]
    results, gains = [], {}
    for n_seed in seeds:
        strategies = {
            "ask the most popular": onboarding_cases(dataset, user_ids, most_popular, n_seed),
            "ask popular-but-diverse picks": onboarding_cases(dataset, user_ids, diverse_picks, n_seed),
            ADAPTIVE: adaptive_onboarding_cases(
                dataset, user_ids, model, train.movie_ids[pool], n_seed, train.columns
            ),
        }
        recalls = {}
        for name, cases in strategies.items():
            ranked = top_k(model.scores(cases), cases, train.columns, 20, train.movie_ids)
            results.append(score_method(name, n_seed, cases, ranked, len(train.movie_ids)))
            recalls[name] = user_recalls(ranked, cases)
        gain = recalls[ADAPTIVE] - recalls["ask the most popular"]
        gains[n_seed] = (float(gain.mean()), *paired_interval(gain))
    return results, gains
