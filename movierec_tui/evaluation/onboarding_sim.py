"""Simulated onboarding: which movies should the app ask a new person about first?

The app proposes movies one at a time; a simulated held-out user answers with their real rating
when the movie is in the answerable half of their history, else skips, until N answers (at most
ONBOARDING_PROPOSALS questions). The other half is held out, the same for every strategy, so the
strategies are compared on identical targets (holding out "everything not asked" would reward a
strategy for leaving the easy, popular movies in the targets). Under the time-ordered protocol
the answerable half is the first half by time; under the random-order protocol it is a random half
(seeded per user): a person has seen movies from all of their history.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

import numpy as np

from movierec_tui.data_loader.dataset import Dataset
from movierec_tui.evaluation.split import RELEVANT_THRESHOLD, TIME_ORDERED, ColdStartCase
from movierec_tui.onboarding import ADAPTIVE_POOL

ONBOARDING_PROPOSALS = 100
POPULAR = "ask the most popular"
DIVERSE = "ask popular-but-diverse picks"
ADAPTIVE = f"ask adaptively: best match among the {ADAPTIVE_POOL} most rated (the app)"

HalvedHistory = tuple[int, dict[int, float], np.ndarray, np.ndarray]  # user, answerable, held-out movies, ratings


def history_halves(
    dataset: Dataset, user_ids: np.ndarray, protocol: str = TIME_ORDERED, draw_seed: int = 0
) -> Iterator[HalvedHistory]:
    """Per user, half of their history as movie -> rating (what a simulated person can answer when
    asked) and the other half's movies and ratings (held out). Users whose held-out half holds no
    relevant movie are left out: nothing could be scored."""
    r = dataset.ratings
    order = np.lexsort((r.timestamps, r.user_ids))
    users, movies, ratings = r.user_ids[order], r.movie_ids[order].astype(np.int64), r.ratings[order].astype(np.float32)
    starts = np.searchsorted(users, user_ids, side="left")
    ends = np.searchsorted(users, user_ids, side="right")
    for user_id, start, end in zip(user_ids, starts, ends, strict=True):
        count = end - start
        if protocol == TIME_ORDERED:
            answerable = np.arange(count // 2)
        else:
            answerable = np.random.default_rng([draw_seed, int(user_id)]).permutation(count)[: count // 2]
        held = np.ones(count, dtype=bool)
        held[answerable] = False
        user_movies, user_ratings = movies[start:end], ratings[start:end]
        if not np.any(user_ratings[held] >= RELEVANT_THRESHOLD):
            continue
        known = dict(zip(user_movies[answerable].tolist(), user_ratings[answerable].tolist(), strict=True))
        yield int(user_id), known, user_movies[held], user_ratings[held]


def onboarding_cases(halves: Sequence[HalvedHistory], proposals: np.ndarray, n_seed: int) -> list[ColdStartCase]:
    """Asking in the fixed order `proposals`: the first N the user can answer, in that order."""
    cases = []
    for user_id, answerable, held, held_ratings in halves:
        answered = [m for m in proposals.tolist() if m in answerable][:n_seed]
        cases.append(ColdStartCase(
            user_id,
            np.array(answered, dtype=np.int64),
            np.array([answerable[m] for m in answered], dtype=np.float32),
            held,
            held_ratings,
        ))  # fmt: skip
    return cases


def adaptive_onboarding_cases(
    halves: Sequence[HalvedHistory], model, pool: np.ndarray, n_seed: int,
    columns_of: Callable[[np.ndarray], np.ndarray],
) -> list[ColdStartCase]:
    """The app's onboarding (`Recommender.seed_movies` with a profile): each question is the movie
    of `pool` (the most rated) that the model matches best with the answers so far, not asked
    before; the simulated user answers or skips, until N answers or ONBOARDING_PROPOSALS questions.
    Same users, order and targets as `onboarding_cases`."""
    answers: list[dict[int, float]] = [{} for _ in halves]
    asked = np.zeros((len(halves), len(pool)), dtype=bool)
    pool_columns = columns_of(pool)

    def case(i: int) -> ColdStartCase:
        user_id, _, held, held_ratings = halves[i]
        given = answers[i]
        movies = np.array(list(given), dtype=np.int64)
        return ColdStartCase(user_id, movies, np.array(list(given.values()), dtype=np.float32), held, held_ratings)

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
