"""A trained two-tower model as a ranker of cold-start cases, evaluated straight from the Paddle
layers (batched, no export), so the evaluation measures the model and not the serving stack.

It ranks exactly as the app serves: by cosine / temperature + the movie's popularity logit (+ the
linear part), the inner product Milvus searches (`MovieTable.query`), with the query steered away
from the profile's low-rated movies as the encoder steers it (model/dislikes.py), over every movie
not in the profile."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from movierec_tui.data_loader.dataset import Dataset
from movierec_tui.evaluation.split import ColdStartCase
from movierec_tui.model.dial import popularity_weight
from movierec_tui.model.features import demographic_indices
from movierec_tui.model.train import TrainedModel


class ModelRanker:
    def __init__(self, name: str, trained: TrainedModel, dataset: Dataset, tutorial_scale: bool = False) -> None:
        self.name = name
        self.trained = trained
        self.dataset = dataset
        self.tutorial_scale = tutorial_scale  # predict ratings as 5 * cos, as the tutorial does
        self.novelty = 0.0  # the mainstream dial the scores are for (model/dial.py), as the app's profile sets it
        self.movies = trained.movie_outputs()
        self.vectors = self.movies.vectors
        self.steering = trained.steering()
        self.cosines: np.ndarray | None = None  # of the cases last scored
        self._user_linear: np.ndarray | None = None
        self._user_bias: np.ndarray | None = None
        self._user_factors: np.ndarray | None = None

    def user_vectors(
        self, cases: Sequence[ColdStartCase], batch: int = 1024
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        import paddle

        features = self.trained.features
        vectors, biases, factors, linear = [], [], [], []
        for start in range(0, len(cases), batch):
            chunk = cases[start : start + batch]
            width = max(1, max(len(c.seed_movies) for c in chunk))
            rows = np.zeros((len(chunk), width), dtype=np.int64)
            ratings = np.zeros((len(chunk), width), dtype=np.float32)
            for i, case in enumerate(chunk):
                rows[i, : len(case.seed_movies)] = features.rows_for(case.seed_movies)
                ratings[i, : len(case.seed_ratings)] = case.seed_ratings
            users = [self.dataset.users[c.user_id] for c in chunk]
            demographics = np.array(
                [demographic_indices(u.gender, u.age, u.occupation) for u in users], dtype=np.int64
            ).reshape(-1, 3)
            inputs = (*np.ascontiguousarray(demographics.T), rows, ratings)
            with paddle.no_grad():
                vector, bias, factor, *rest = self.trained.user_tower(*(paddle.to_tensor(x) for x in inputs))
            vectors.append(vector.numpy())
            biases.append(bias.numpy()[:, 0])
            factors.append(factor.numpy())
            linear.extend(part.numpy() for part in rest)
        self._user_linear = np.concatenate(linear) if linear else None
        return np.concatenate(vectors), np.concatenate(biases), np.concatenate(factors)

    def scores(self, cases: Sequence[ColdStartCase]) -> np.ndarray:
        """The ranking the app serves, [cases, movies] in features.movie_ids order."""
        return self.match(cases)

    def match(self, cases: Sequence[ColdStartCase]) -> np.ndarray:
        """The ranking score of every movie, as `Recommender.scores` gives it: what the app's adaptive
        onboarding picks from and what Milvus's search orders by."""
        users, self._user_bias, self._user_factors = self.user_vectors(cases)
        self.cosines = users @ self.vectors.T  # of the unit vectors: the rating head's input
        searched, linear = users.copy(), None if self._user_linear is None else self._user_linear.copy()
        rows_for = self.trained.features.rows_for
        for i, case in enumerate(cases):
            steered, steered_linear = self.steering.steer(
                users[i], None if linear is None else linear[i], rows_for(case.seed_movies), case.seed_ratings
            )
            searched[i] = steered
            if linear is not None:
                linear[i] = steered_linear
        weight = popularity_weight(self.novelty, self.movies.popularity, self.movies.temperature)
        scores = searched @ self.vectors.T / self.movies.temperature + weight * self.movies.popularity
        if self.movies.linear is not None and linear is not None:
            scores += linear @ self.movies.linear.T
        return scores

    def predict_ratings(self, cases: Sequence[ColdStartCase], scores: np.ndarray) -> list[np.ndarray]:
        """Predicted held-out ratings per case; call after `scores` on the same cases (the rating
        head reads the cosines that call computed)."""
        assert self._user_bias is not None and self._user_factors is not None and self.cosines is not None
        assert len(self.cosines) == len(scores)
        features = self.trained.features
        head = self.trained.rating_head
        scale, offset = float(head.scale.numpy()[0]), float(head.offset.numpy()[0])
        predictions = []
        for i, case in enumerate(cases):
            columns = features.rows_for(case.held_out_movies) - 1
            cosine = self.cosines[i, columns]
            if self.tutorial_scale:
                predicted = 5.0 * cosine
            else:
                interaction = self.movies.rating_factors[columns] @ self._user_factors[i]
                predicted = offset + self._user_bias[i] + self.movies.bias[columns] + scale * cosine + interaction
            predictions.append(np.clip(predicted, 0.5, 5.0))
        return predictions
