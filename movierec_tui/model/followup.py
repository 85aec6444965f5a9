"""The follow-up model: a closed-form ridge regression from a profile to the movies the person goes
on to like, blended into the two-tower's ranking.

Why a second model: the two-tower summarises a profile in a few pooled embeddings, so "people who
rated X early went on to like Y" is only there as far as a 256-d geometry can hold it. This model
keeps one weight per (profile feature, movie) pair and is fitted on exactly the task the app faces:
the first N ratings of a person (N = 0, 2, 5, ... 50) -> what they rated 4 or 5 afterwards. On its
own it ranks about as well as the two-tower; the two make different mistakes, and ranking by the
cosine nudged by this model's score beats either (docs/benchmarks.md).

Features of a profile (movies as model rows, oldest rating first, as the user tower takes them):
which movies were rated, each rating minus the person's mean, the latest five, and demographics.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from movierec_tui.data_loader.dataset import AGE_BUCKETS, OCCUPATIONS

WEIGHTS_FILE = "followup_weights.npy"
RECENT = 5  # how many of the latest ratings get a block of their own
TRAINING_CUTS = (0, 2, 5, 8, 10, 15, 20, 30, 50)  # profile sizes the regression is fitted on
CANDIDATES = 50  # the app re-ranks the cosine's best this many (filtered by Milvus) by the match
DEMOGRAPHIC_WIDTH = 2 + len(AGE_BUCKETS) + len(OCCUPATIONS) + 1  # gender, age, occupation, intercept


@dataclass(frozen=True)
class ProfileRows:
    """A profile as the model sees it; `rows` are 1-based model rows (0 = unknown, ignored)."""

    gender: int  # 0 = M, 1 = F
    age: int  # index into the sorted age buckets
    occupation: int
    rows: np.ndarray  # int64, oldest first
    ratings: np.ndarray  # aligned with rows


def profile_features(profile: ProfileRows, num_movies: int) -> tuple[np.ndarray, np.ndarray]:
    """(feature indices, values) of one profile: the sparse row of the regression's design matrix.
    Each movie block is scaled by 1/sqrt(count) so that long and short profiles weigh alike. Only
    the latest TRAINING_CUTS[-1] ratings count: the longest profile the regression was fitted on
    (and each rating read costs a weight row: 1.1 ms at 100 ratings, 0.5 ms at 50)."""
    known = profile.rows > 0
    columns = profile.rows[known][-TRAINING_CUTS[-1] :] - 1
    ratings = np.asarray(profile.ratings, dtype=np.float32)[known][-TRAINING_CUTS[-1] :]
    demographics = 3 * num_movies + np.array(
        [profile.gender, 2 + profile.age, 2 + len(AGE_BUCKETS) + profile.occupation, DEMOGRAPHIC_WIDTH - 1]
    )
    if not len(columns):
        return demographics, np.ones(len(demographics), dtype=np.float32)
    scale = 1.0 / np.sqrt(len(columns))
    latest = columns[-RECENT:]
    indices = np.concatenate([columns, num_movies + columns, 2 * num_movies + latest, demographics])
    values = np.concatenate([
        np.full(len(columns), scale, dtype=np.float32),
        (ratings - ratings.mean()) * scale,
        np.full(len(latest), 1.0 / np.sqrt(len(latest)), dtype=np.float32),
        np.ones(len(demographics), dtype=np.float32),
    ])  # fmt: skip
    return indices.astype(np.int64), values.astype(np.float32)


class FollowUpModel:
    def __init__(self, weights: np.ndarray) -> None:
        self.weights = weights  # float32 [3M + DEMOGRAPHIC_WIDTH, M]; column j = model row j + 1
        self.num_movies = weights.shape[1]

    def scores(self, profile: ProfileRows) -> np.ndarray:
        """Scores [M] of every movie, in model-row order (row 1 first). Reads only the weight rows
        the profile touches, so a memory-mapped matrix costs a few pages per call."""
        indices, values = profile_features(profile, self.num_movies)
        return values @ self.weights[indices]

    def save(self, directory: Path) -> None:
        np.save(directory / WEIGHTS_FILE, self.weights)

    @classmethod
    def load(cls, directory: Path) -> FollowUpModel:
        """Memory-mapped: the ~180 MB matrix is shared through the page cache by every app process
        on the machine (one per SSH session) instead of copied into each."""
        return cls(np.load(directory / WEIGHTS_FILE, mmap_mode="r"))


def fit_followup(
    histories: Iterable[ProfileRows], num_movies: int, ridge: float, liked_threshold: int
) -> FollowUpModel:
    """Fit on whole histories: each (demographics + rows + ratings, oldest first) is cut after N
    ratings for every N in TRAINING_CUTS it is longer than, and the cut predicts the movies rated
    `liked_threshold` or more after it (the towers' TrainConfig.liked_threshold; each such movie
    1/sqrt(their count), so every example weighs the same)."""
    from scipy import linalg, sparse

    width = 3 * num_movies + DEMOGRAPHIC_WIDTH
    feature_rows, feature_cols, feature_vals = [], [], []
    target_rows, target_cols, target_vals = [], [], []
    example = 0
    for history in histories:
        for cut in TRAINING_CUTS:
            if len(history.rows) <= cut:
                break
            later = history.rows[cut:][np.asarray(history.ratings[cut:]) >= liked_threshold]
            later = later[later > 0] - 1
            if not len(later):
                continue
            prefix = replace(history, rows=history.rows[:cut], ratings=history.ratings[:cut])
            indices, values = profile_features(prefix, num_movies)
            feature_rows.append(np.full(len(indices), example))
            feature_cols.append(indices)
            feature_vals.append(values)
            target_rows.append(np.full(len(later), example))
            target_cols.append(later)
            target_vals.append(np.full(len(later), 1.0 / np.sqrt(len(later)), dtype=np.float32))
            example += 1
    design = sparse.csr_matrix(
        (np.concatenate(feature_vals), (np.concatenate(feature_rows), np.concatenate(feature_cols))),
        shape=(example, width), dtype=np.float64,
    )  # fmt: skip
    targets = sparse.csr_matrix(
        (np.concatenate(target_vals), (np.concatenate(target_rows), np.concatenate(target_cols))),
        shape=(example, num_movies), dtype=np.float64,
    )  # fmt: skip
    gram = (design.T @ design).toarray()
    gram[np.diag_indices_from(gram)] += ridge
    cross = (design.T @ targets).toarray()
    weights = linalg.solve(gram, cross, assume_a="pos", overwrite_a=True, overwrite_b=True, check_finite=False)
    # Row-major, so that a profile's few weight rows are each one contiguous read (the solver's
    # column-major result made scoring 20x slower).
    return FollowUpModel(np.ascontiguousarray(weights, dtype=np.float32))


def blend(cosines: np.ndarray, followup: np.ndarray, weight: float) -> np.ndarray:
    """The ranking score: the cosine plus `weight` times the follow-up model's standardised score,
    in units of the cosine's own spread, over the last axis (the catalogue).

    The two scores live on unrelated scales, so each is measured in its own standard deviations
    across the catalogue; expressed this way the result stays in cosine units (what the cards show
    as "match") and ranks exactly as a weighted sum of the two standardised scores would."""
    spread = cosines.std(axis=-1, keepdims=True)
    standardised = (followup - followup.mean(axis=-1, keepdims=True)) / (followup.std(axis=-1, keepdims=True) + 1e-9)
    return cosines + weight * spread * standardised


def among_candidates(
    match: np.ndarray, cosines: np.ndarray, excluded: np.ndarray, count: int = CANDIDATES
) -> np.ndarray:
    """`match` with every movie outside the cosine's best `count` (of those not `excluded`) set to
    -inf: the ranking the app serves, where Milvus returns the candidates, for evaluating offline."""
    masked = np.where(excluded, -np.inf, cosines)
    count = min(count, masked.shape[-1])
    threshold = -np.partition(-masked, count - 1, axis=-1)[..., count - 1 : count]
    return np.where(masked >= threshold, match, -np.inf)
