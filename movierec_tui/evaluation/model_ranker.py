"""A trained two-tower model as a ranker of cold-start cases, evaluated straight from the Paddle
layers (batched, no export), so the evaluation measures the model and not the serving stack."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from movierec_tui.data_loader.dataset import Dataset
from movierec_tui.evaluation.split import ColdStartCase
from movierec_tui.model.features import demographic_indices
from movierec_tui.model.followup import ProfileRows, among_candidates, blend
from movierec_tui.model.train import TrainedModel


class ModelRanker:
    """Ranks as the app does: by the match (the cosine blended with the follow-up model's score)
    among the cosine's best CANDIDATES, when the model has a follow-up model and `blended` is set;
    `blended=False` measures the two-tower alone."""

    def __init__(
        self, name: str, trained: TrainedModel, dataset: Dataset, tutorial_scale: bool = False, blended: bool = True
    ) -> None:
        self.name = name
        self.trained = trained
        self.dataset = dataset
        self.tutorial_scale = tutorial_scale  # predict ratings as 5 * cos, as the tutorial does
        self.followup = trained.followup if blended else None
        self.vectors, self.movie_bias, self.movie_factors = trained.movie_vectors()
        self.cosines: np.ndarray | None = None  # of the cases last scored
        self._user_bias: np.ndarray | None = None
        self._user_factors: np.ndarray | None = None

    def user_vectors(
        self, cases: Sequence[ColdStartCase], batch: int = 1024
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        import paddle

        features = self.trained.features
        vectors, biases, factors = [], [], []
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
                vector, bias, factor = self.trained.user_tower(*(paddle.to_tensor(x) for x in inputs))
            vectors.append(vector.numpy())
            biases.append(bias.numpy()[:, 0])
            factors.append(factor.numpy())
        return np.concatenate(vectors), np.concatenate(biases), np.concatenate(factors)

    def scores(self, cases: Sequence[ColdStartCase]) -> np.ndarray:
        """The ranking the app serves: the match among the cosine's best candidates."""
        match = self.match(cases)
        if self.followup is None:
            return match
        seeds = np.zeros(match.shape, dtype=bool)
        for i, case in enumerate(cases):
            seeds[i, self.trained.features.rows_for(case.seed_movies) - 1] = True
        return among_candidates(match, self.cosines, seeds)

    def match(self, cases: Sequence[ColdStartCase]) -> np.ndarray:
        """The match (or the cosine, without a follow-up model) of every movie, as
        `Recommender.scores` gives it: what the app's adaptive onboarding picks from."""
        users, self._user_bias, self._user_factors = self.user_vectors(cases)
        self.cosines = users @ self.vectors.T
        if self.followup is None:
            return self.cosines
        followup = np.stack([self.followup.scores(self.profile_rows(case)) for case in cases])
        return blend(self.cosines, followup, self.trained.train_config.followup_weight)

    def profile_rows(self, case: ColdStartCase) -> ProfileRows:
        user = self.dataset.users[case.user_id]
        rows = self.trained.features.rows_for(case.seed_movies)
        return ProfileRows(*demographic_indices(user.gender, user.age, user.occupation), rows, case.seed_ratings)

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
                interaction = self.movie_factors[columns] @ self._user_factors[i]
                predicted = offset + self._user_bias[i] + self.movie_bias[columns] + scale * cosine + interaction
            predictions.append(np.clip(predicted, 1.0, 5.0))
        return predictions
