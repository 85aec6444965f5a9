"""Serving the user tower with paddle.inference: one forward pass per profile change.

The predictor is created once and reused; batch 1 runs in well under a millisecond, which is what
lets the app re-rank on every keypress.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from movierec_tui import logs
from movierec_tui.model.artifacts import MODEL_FORMAT, USER_TOWER_PREFIX, ModelInfo
from movierec_tui.model.dislikes import DislikeSteering
from movierec_tui.model.features import MovieFeatures, demographic_indices


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
        from paddle import inference

        logs.quiet_libraries()
        config = inference.Config(str(model_file), str(model_dir / f"{USER_TOWER_PREFIX}.pdiparams"))
        config.disable_gpu()
        config.set_cpu_math_library_num_threads(1)
        config.disable_glog_info()
        self._predictor = inference.create_predictor(config)
        self._inputs = [self._predictor.get_input_handle(n) for n in self._predictor.get_input_names()]
        outputs = self._predictor.get_output_names()
        self.info = ModelInfo.load(model_dir)
        if len(outputs) not in (3, 4) or self.info.format < MODEL_FORMAT:
            raise ModelMissing(f"the model in {model_dir} is from an older version; run `movierec-tui setup` again")
        self._vector_out = self._predictor.get_output_handle(outputs[0])
        self._bias_out = self._predictor.get_output_handle(outputs[1])
        self._factors_out = self._predictor.get_output_handle(outputs[2])
        self._linear_out = self._predictor.get_output_handle(outputs[3]) if len(outputs) == 4 else None
        self._lock = threading.Lock()  # a predictor is not safe to share across threads
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
        rows = self.features.rows_for(movie_ids) if len(movie_ids) else np.zeros(1, dtype=np.int64)
        if not len(movie_ids):
            values = np.zeros(1, dtype=np.float32)
        feeds = (
            *(np.array([index], dtype=np.int64) for index in demographic_indices(gender, age, occupation)),
            rows.reshape(1, -1),
            values.reshape(1, -1),
        )
        with self._lock:
            for handle, array in zip(self._inputs, feeds, strict=True):
                handle.reshape(array.shape)
                handle.copy_from_cpu(array)
            self._predictor.run()
            vector = self._vector_out.copy_to_cpu()[0]
            bias = float(self._bias_out.copy_to_cpu().reshape(-1)[0])
            factors = self._factors_out.copy_to_cpu()[0]
            linear = None if self._linear_out is None else self._linear_out.copy_to_cpu()[0].astype(np.float32)
        vector = vector.astype(np.float32)
        search_vector, search_linear = self.steering.steer(vector, linear, feeds[3][0], feeds[4][0])
        if search_vector is vector and search_linear is linear:
            search_vector = search_linear = None
        return UserEncoding(vector, bias, factors.astype(np.float32), linear, search_vector, search_linear)
