"""Saving a trained model as the files serving needs, atomically.

Layout of a model dir: `user_tower.json` + `user_tower.pdiparams` (paddle.jit.save, served by
paddle.inference), `movie_vectors.npy` / `movie_bias.npy` (computed once here, indexed into Milvus
and used for "because you liked X" reasons), the follow-up model's weights, the movie features and
`model.json`. The new model is
written beside the old one and swapped in with renames, so an interrupted run never leaves a half
model where a working one was.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from movierec_tui.faults import checkpoint
from movierec_tui.model.features import MovieFeatures

USER_TOWER_PREFIX = "user_tower"
MODEL_INFO = "model.json"
# 2: the user tower also outputs rating factors; 3: the follow-up model's weights are part of the
# model. Bump on any change serving must know.
MODEL_FORMAT = 3


@dataclass(frozen=True)
class ModelInfo:
    version: str
    dataset_fingerprint: str
    created: float
    train_seconds: float
    final_loss: float
    rating_scale: float
    rating_offset: float
    train_config: dict
    tower_config: dict
    format: int = 1  # model.json files written before the field existed are format 1

    @classmethod
    def load(cls, model_dir: Path) -> ModelInfo:
        return cls(**json.loads((model_dir / MODEL_INFO).read_text(encoding="utf-8")))


def model_version(dataset_fingerprint: str, train_config: dict) -> str:
    # The format is part of the hash so that a model of an older format counts as not trained.
    keyed = {"format": MODEL_FORMAT, **train_config}
    config_hash = hashlib.sha256(json.dumps(keyed, sort_keys=True).encode()).hexdigest()[:6]
    return f"{dataset_fingerprint[:8]}-{config_hash}"


def export_model(trained, model_dir: Path, dataset_fingerprint: str) -> ModelInfo:
    """Write `trained` (a train.TrainedModel) to `model_dir`, replacing any model there."""
    import paddle
    from paddle.static import InputSpec

    staging = model_dir.with_name(model_dir.name + ".new")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    specs = [
        InputSpec([None], "int64", "gender"),
        InputSpec([None], "int64", "age"),
        InputSpec([None], "int64", "occupation"),
        InputSpec([None, None], "int64", "movie_rows"),
        InputSpec([None, None], "float32", "ratings"),
    ]
    paddle.jit.save(trained.user_tower, str(staging / USER_TOWER_PREFIX), input_spec=specs)
    vectors, bias, factors = trained.movie_vectors()
    np.save(staging / "movie_vectors.npy", vectors)
    np.save(staging / "movie_bias.npy", bias)
    np.save(staging / "movie_rating_factors.npy", factors)
    if trained.followup is None:
        raise ValueError("only a model trained with the production objective (with a follow-up model) is served")
    trained.followup.save(staging)
    trained.features.save(staging)
    train_config = trained.train_config.to_dict()
    info = ModelInfo(
        version=model_version(dataset_fingerprint, train_config),
        dataset_fingerprint=dataset_fingerprint,
        created=time.time(),
        train_seconds=round(trained.seconds, 2),
        final_loss=round(trained.final_loss, 5),
        rating_scale=float(trained.rating_head.scale.numpy()[0]),
        rating_offset=float(trained.rating_head.offset.numpy()[0]),
        train_config=train_config,
        tower_config=trained.tower_config.to_dict(),
        format=MODEL_FORMAT,
    )
    (staging / MODEL_INFO).write_text(json.dumps(info.__dict__, indent=2), encoding="utf-8")
    checkpoint("export")
    swap_directory(staging, model_dir)
    return info


def swap_directory(staging: Path, target: Path) -> None:
    """Replace `target` with `staging` by renames, so readers see the old or the new, never half."""
    retired = target.with_name(target.name + ".old")
    shutil.rmtree(retired, ignore_errors=True)
    if target.exists():
        target.rename(retired)
    staging.rename(target)
    shutil.rmtree(retired, ignore_errors=True)


@dataclass
class MovieTable:
    """The exported movie side: ids, vectors and the rating head's per-movie terms, row-aligned."""

    movie_ids: np.ndarray  # int64 [M]
    vectors: np.ndarray  # float32 [M, 256]
    bias: np.ndarray  # float32 [M]
    rating_factors: np.ndarray  # float32 [M, F]

    @classmethod
    def load(cls, model_dir: Path) -> MovieTable:
        features = MovieFeatures.load(model_dir)
        return cls(
            features.movie_ids,
            np.load(model_dir / "movie_vectors.npy"),
            np.load(model_dir / "movie_bias.npy"),
            np.load(model_dir / "movie_rating_factors.npy"),
        )

    def index_of(self, movie_ids: np.ndarray) -> np.ndarray:
        """Positions of `movie_ids` in the table, -1 where unknown."""
        positions = np.clip(np.searchsorted(self.movie_ids, movie_ids), 0, len(self.movie_ids) - 1)
        return np.where(self.movie_ids[positions] == movie_ids, positions, -1)
