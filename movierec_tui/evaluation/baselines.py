"""Baselines of the quality protocol, compact numpy: every ranker maps cold-start cases to a score
matrix [cases, movies] (higher is better), so the runner can treat them and the model alike."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from movierec_tui.data_loader.dataset import Dataset
from movierec_tui.evaluation.split import ColdStartCase


@dataclass
class TrainMatrix:
    """Binary user x movie matrix of the training users, with the column order of `movie_ids`."""

    movie_ids: np.ndarray  # int64 [M], sorted
    matrix: np.ndarray  # float32 [U, M], 1 where the user rated the movie
    user_ids: np.ndarray  # int64 [U]

    @classmethod
    def build(cls, dataset: Dataset, user_ids: np.ndarray) -> TrainMatrix:
        movie_ids = np.array(sorted(dataset.movies), dtype=np.int64)
        users = np.sort(np.asarray(user_ids, dtype=np.int64))
        r = dataset.ratings
        keep = np.isin(r.user_ids, users)
        rows = np.searchsorted(users, r.user_ids[keep])
        cols = np.searchsorted(movie_ids, r.movie_ids[keep])
        matrix = np.zeros((len(users), len(movie_ids)), dtype=np.float32)
        matrix[rows, cols] = 1.0
        return cls(movie_ids, matrix, users)

    def columns(self, movie_ids: np.ndarray) -> np.ndarray:
        return np.searchsorted(self.movie_ids, movie_ids)

    def seed_matrix(self, cases: Sequence[ColdStartCase]) -> np.ndarray:
        seeds = np.zeros((len(cases), len(self.movie_ids)), dtype=np.float32)
        for i, case in enumerate(cases):
            seeds[i, self.columns(case.seed_movies)] = 1.0
        return seeds


class MostPopular:
    name = "most popular"

    def __init__(self, train: TrainMatrix) -> None:
        self.popularity = train.matrix.sum(axis=0)

    def scores(self, cases: Sequence[ColdStartCase]) -> np.ndarray:
        return np.tile(self.popularity, (len(cases), 1))


class DemographicPopular:
    """Popularity among training users of the same (gender, age, occupation), backing off to
    (gender, age), then age, then everyone when a group has fewer than `min_users` users."""

    name = "demographic popular"

    def __init__(self, dataset: Dataset, train: TrainMatrix, min_users: int = 30) -> None:
        self.dataset = dataset
        self.min_users = min_users
        self.global_popularity = train.matrix.sum(axis=0)
        self.keys_by_level: list[dict[tuple, np.ndarray]] = []
        self.counts_by_level: list[dict[tuple, int]] = []
        for level in range(3):
            sums: dict[tuple, np.ndarray] = {}
            counts: dict[tuple, int] = {}
            for row, user_id in enumerate(train.user_ids):
                key = self._key(int(user_id), level)
                sums[key] = sums.get(key, 0) + train.matrix[row]
                counts[key] = counts.get(key, 0) + 1
            self.keys_by_level.append(sums)
            self.counts_by_level.append(counts)

    def _key(self, user_id: int, level: int) -> tuple:
        user = self.dataset.users[user_id]
        return ((user.gender, user.age, user.occupation), (user.gender, user.age), (user.age,))[level]

    def popularity_for(self, user_id: int) -> np.ndarray:
        for level in range(3):
            key = self._key(user_id, level)
            if self.counts_by_level[level].get(key, 0) >= self.min_users:
                # A whisper of global popularity breaks ties inside small groups.
                return self.keys_by_level[level][key] / self.counts_by_level[level][key] + 1e-6 * self.global_popularity
        return self.global_popularity

    def scores(self, cases: Sequence[ColdStartCase]) -> np.ndarray:
        return np.stack([self.popularity_for(case.user_id) for case in cases])


class ItemKNN:
    """Item-item cosine on co-occurrence; a profile scores each movie by its summed similarity to
    the seed movies (popularity when there are none)."""

    name = "item-kNN"

    def __init__(self, train: TrainMatrix, neighbours: int = 100) -> None:
        self.train = train
        co = train.matrix.T @ train.matrix
        norms = np.sqrt(np.diag(co)) + 1e-9
        similarity = co / norms[:, None] / norms[None, :]
        np.fill_diagonal(similarity, 0.0)
        if neighbours < similarity.shape[1]:
            cutoff = -np.partition(-similarity, neighbours, axis=1)[:, neighbours][:, None]
            similarity = np.where(similarity >= cutoff, similarity, 0.0)
        self.similarity = similarity.astype(np.float32)
        self.popularity = train.matrix.sum(axis=0)

    def scores(self, cases: Sequence[ColdStartCase]) -> np.ndarray:
        seeds = self.train.seed_matrix(cases)
        scores = seeds @ self.similarity
        # Popularity, scaled far below any similarity, orders ties and empty profiles.
        return scores + 1e-6 * self.popularity / self.popularity.max()


class EASE:
    """Embarrassingly Shallow Autoencoder (Steck 2019): B = I - P / diag(P), P = (X'X + λI)^-1."""

    name = "EASE"

    def __init__(self, train: TrainMatrix, regularisation: float = 500.0) -> None:
        self.train = train
        self.regularisation = regularisation
        gram = (train.matrix.T @ train.matrix).astype(np.float64)
        gram[np.diag_indices_from(gram)] += regularisation
        inverse = np.linalg.inv(gram)
        weights = -inverse / np.diag(inverse)[None, :]
        np.fill_diagonal(weights, 0.0)
        self.weights = weights.astype(np.float32)
        self.popularity = train.matrix.sum(axis=0)

    def scores(self, cases: Sequence[ColdStartCase]) -> np.ndarray:
        seeds = self.train.seed_matrix(cases)
        return seeds @ self.weights + 1e-6 * self.popularity / self.popularity.max()
