"""Serving the user tower: one forward pass per profile change, in numpy.

The tower is Paddle's (trained and exported by it); the forward pass that serves it is
model/user_tower_numpy.py's, because the Paddle predictor's fixed per-call cost was most of a
recommendation's time. Pure numpy on weights that never change, so one encoder serves any number
of threads, and the app never imports Paddle (unless an old model dir's weights file has to be
derived from its saved tower, once).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from movierec_tui.model.artifacts import MODEL_FORMAT, USER_TOWER_PREFIX, ModelInfo
from movierec_tui.model.dislikes import DislikeSteering
from movierec_tui.model.features import MovieFeatures, demographic_indices
from movierec_tui.model.user_tower_numpy import UserTowerWeights, ensure_user_tower_weights, recent_decay_of


class ModelMissing(Exception):
    """No trained model in the model dir; the message says to run setup."""


@dataclass(frozen=True)
class UserEncoding:
    vector: np.ndarray  # unit [256], what Milvus searches with
    bias: float  # the rating head's offset for this person
    factors: np.ndarray  # the rating head's taste factors
    linear: np.ndarray | None = None  # the linear part of the score, for a model that has one
    # What the search ranks with: vector and linear moved away from the profile's low-rated movies
    # (model/dislikes.py); None when nothing moved (no low rating, or a model that does not steer).
    search_vector: np.ndarray | None = None
    search_linear: np.ndarray | None = None

    def query_parts(self) -> tuple[np.ndarray, np.ndarray | None]:
        """(vector, linear part) for `MovieTable.query` / `match`: the ones the ranking uses."""
        if self.search_vector is None:
            return self.vector, self.linear
        return self.search_vector, self.search_linear


class UserEncoder:
    def __init__(self, model_dir: Path) -> None:
        model_file = model_dir / f"{USER_TOWER_PREFIX}.json"
        if not model_file.exists():
            raise ModelMissing(f"no trained model in {model_dir}; run `movierec-tui setup` first")
        self.info = ModelInfo.load(model_dir)
        if self.info.format < MODEL_FORMAT:
            raise ModelMissing(f"the model in {model_dir} is from an older version; run `movierec-tui setup` again")
        try:
            ensure_user_tower_weights(model_dir, self.info.tower_config)
        except ValueError as exc:
            raise ModelMissing(f"{exc}; run `movierec-tui setup` again") from exc
        self._tower = UserTowerWeights.load(model_dir, recent_decay_of(self.info.tower_config))
        self.features = MovieFeatures.load(model_dir)
        self.steering = DislikeSteering.load(model_dir, self.info.train_config)

    def encode(
        self, gender: str | None, age: int | None, occupation: int | None, ratings: Mapping[int, float]
    ) -> tuple[np.ndarray, float]:
        """The profile's unit vector [256] and rating offset."""
        encoded = self.encode_profile(gender, age, occupation, ratings)
        return encoded.vector, encoded.bias

    def encode_profile(
        self, gender: str | None, age: int | None, occupation: int | None, ratings: Mapping[int, float]
    ) -> UserEncoding:
        """One forward pass (unknown demographics: see `demographic_indices`). `ratings` must iterate
        oldest first (a profile's dict keeps the order ratings were given): the user tower weighs the
        latest ones most."""
        movie_ids = np.fromiter(ratings.keys(), dtype=np.int64, count=len(ratings))
        values = np.fromiter(ratings.values(), dtype=np.float32, count=len(ratings))
        rows = self.features.rows_for(movie_ids)
        demographics = demographic_indices(gender, age, occupation)
        out = self._tower.forward(demographics, rows, values)
        search_vector, search_linear = self.steering.steer(out.vector, out.linear, rows, values)
        if search_vector is out.vector and search_linear is out.linear:
            search_vector = search_linear = None
        return UserEncoding(out.vector, out.bias, out.factors, out.linear, search_vector, search_linear)
