"""The cold-start split of the quality protocol: whole users are held out, and each held-out user is
seen through N of their ratings, as a new person in the app would be.

Two protocols choose those N ratings. *time-ordered*: the first N by time, every later rating held
out (what MovieLens showed a person at sign-up comes first). *random-order*: N drawn at random from
the whole history, every other rating held out: the app's situation, a person rating movies they
have seen in no particular order. A model tuned to one of them shows it on the other, so every
number is reported under both.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from movierec_tui.catalogue import LIKED_THRESHOLD
from movierec_tui.data_loader.dataset import Dataset

RELEVANT_THRESHOLD = LIKED_THRESHOLD  # relevant = liked: what the app's reasons call liked
TIME_ORDERED = "time-ordered"
RANDOM_ORDER = "random-order"
PROTOCOLS = (TIME_ORDERED, RANDOM_ORDER)
SPLIT_SEEDS = (42, 43, 44, 45, 46, 47, 48, 49, 50, 51)  # split k of `evaluate --splits K` uses seed k


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
    seed_movies: np.ndarray  # the N ratings the profile is made of, in the order they are given
    seed_ratings: np.ndarray  # float32, aligned with seed_movies
    held_out_movies: np.ndarray  # every other rating of the user, oldest first
    held_out_ratings: np.ndarray

    @property
    def relevant(self) -> set[int]:
        liked = self.held_out_ratings >= RELEVANT_THRESHOLD
        return {int(m) for m in self.held_out_movies[liked]}


def cold_start_cases(
    dataset: Dataset, user_ids: np.ndarray, n_seed: int, protocol: str = TIME_ORDERED, draw_seed: int = 0
) -> list[ColdStartCase]:
    """One case per user with more than N ratings and at least one relevant held-out movie.

    time-ordered: the seeds are the first N ratings, oldest first. random-order: N ratings drawn
    without replacement from the whole history by a generator seeded with (draw_seed, user id), given
    in the order drawn; the draw depends only on the user, so every method and every N of one run
    sees the same draw (a smaller N takes the first of the same permutation)."""
    if protocol not in PROTOCOLS:
        raise ValueError(f"unknown protocol {protocol!r}; use one of {', '.join(PROTOCOLS)}")
    r = dataset.ratings
    wanted = np.isin(r.user_ids, user_ids)
    users, movies, ratings, stamps = r.user_ids[wanted], r.movie_ids[wanted], r.ratings[wanted], r.timestamps[wanted]
    # Ties in time keep file order (stable sort), which is the order MovieLens recorded them in.
    order = np.lexsort((stamps, users))
    users, movies = users[order], movies[order].astype(np.int64)
    ratings = ratings[order].astype(np.float32)
    boundaries = np.flatnonzero(np.diff(users)) + 1
    cases = []
    for start, stop in zip(np.r_[0, boundaries], np.r_[boundaries, len(users)], strict=True):
        count = stop - start
        if count <= n_seed:
            continue
        if protocol == TIME_ORDERED:
            seeds = np.arange(n_seed)
        else:
            seeds = np.random.default_rng([draw_seed, int(users[start])]).permutation(count)[:n_seed]
        held = np.ones(count, dtype=bool)
        held[seeds] = False
        user_movies, user_ratings = movies[start:stop], ratings[start:stop]
        if not np.any(user_ratings[held] >= RELEVANT_THRESHOLD):
            continue
        cases.append(ColdStartCase(
            int(users[start]), user_movies[seeds], user_ratings[seeds], user_movies[held], user_ratings[held]
        ))  # fmt: skip
    return cases
