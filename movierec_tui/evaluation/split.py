"""The cold-start split of the quality protocol: whole users are held out, and each test user is
seen through the first N ratings they gave, as a new person in the app would be."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from movierec_tui.catalogue import LIKED_THRESHOLD
from movierec_tui.data_loader.dataset import Dataset

RELEVANT_THRESHOLD = LIKED_THRESHOLD  # relevant = liked: what the app's reasons call liked


@dataclass(frozen=True)
class UserSplit:
    train: np.ndarray
    validation: np.ndarray
    test: np.ndarray


def split_users(dataset: Dataset, seed: int = 42, fractions: tuple[float, float] = (0.8, 0.1)) -> UserSplit:
    users = np.array(sorted(dataset.users), dtype=np.int64)
    shuffled = np.random.default_rng(seed).permutation(users)
    n_train = round(len(users) * fractions[0])
    n_validation = round(len(users) * fractions[1])
    return UserSplit(
        np.sort(shuffled[:n_train]),
        np.sort(shuffled[n_train : n_train + n_validation]),
        np.sort(shuffled[n_train + n_validation :]),
    )


@dataclass(frozen=True)
class ColdStartCase:
    user_id: int
    seed_movies: np.ndarray  # the first N rated movies, oldest first
    seed_ratings: np.ndarray
    held_out_movies: np.ndarray  # every later rating
    held_out_ratings: np.ndarray

    @property
    def relevant(self) -> set[int]:
        liked = self.held_out_ratings >= RELEVANT_THRESHOLD
        return {int(m) for m in self.held_out_movies[liked]}


def cold_start_cases(dataset: Dataset, user_ids: np.ndarray, n_seed: int) -> list[ColdStartCase]:
    """One case per user with more than N ratings and at least one relevant held-out movie."""
    r = dataset.ratings
    wanted = np.isin(r.user_ids, user_ids)
    users, movies, ratings, stamps = r.user_ids[wanted], r.movie_ids[wanted], r.ratings[wanted], r.timestamps[wanted]
    # Ties in time keep file order (stable sort), which is the order MovieLens recorded them in.
    order = np.lexsort((stamps, users))
    users, movies, ratings = users[order], movies[order], ratings[order]
    boundaries = np.flatnonzero(np.diff(users)) + 1
    cases = []
    for start, stop in zip(np.r_[0, boundaries], np.r_[boundaries, len(users)], strict=True):
        if stop - start <= n_seed:
            continue
        held_movies, held_ratings = movies[start + n_seed : stop], ratings[start + n_seed : stop]
        if not np.any(held_ratings >= RELEVANT_THRESHOLD):
            continue
        cases.append(
            ColdStartCase(
                int(users[start]),
                movies[start : start + n_seed].astype(np.int64),
                ratings[start : start + n_seed].astype(np.int64),
                held_movies.astype(np.int64),
                held_ratings.astype(np.int64),
            )
        )
    return cases
