"""Saving a trained model as the files serving needs, atomically.

Layout of a model dir: `user_tower.json` + `user_tower.pdiparams` (paddle.jit.save) and the same
weights as numpy arrays (`user_tower_weights.npz`, what serving runs: model/user_tower_numpy.py),
the movie side computed once here (`movie_vectors.npy`, with the linear part's `movie_linear.npy`
the likeness between movies (model/likeness.py), and with `movie_popularity.npy` turned into the
vectors Milvus searches; the rating head's `movie_bias.npy` and `movie_rating_factors.npy`), the
movie features and `model.json`. The new model is written beside the old one and swapped in with
renames, so an interrupted run never leaves a half model where a working one was.

What the app ranks by is the model's score, cosine(user, movie) / temperature + the movie's
popularity logit. `MovieTable.search_vectors` and `MovieTable.query` make that one search: with
movie rows [v, p * s, pad] of equal norm and the query [u, temperature / s, 0], the inner product is
temperature x the score, and since every movie row has the same norm, Milvus's COSINE ranks the
same way. So Milvus returns exactly the model's top k; nothing is re-ranked afterwards.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from movierec_tui.faults import checkpoint
from movierec_tui.model.dial import popularity_weight
from movierec_tui.model.dislikes import LINEAR_SEEN_FILE
from movierec_tui.model.features import MovieFeatures
from movierec_tui.model.likeness import Likeness
from movierec_tui.model.user_tower_numpy import USER_TOWER_PREFIX, save_user_tower_weights

LINEAR_FILE = "movie_linear.npy"
MODEL_INFO = "model.json"
# 2: the user tower also outputs rating factors; 3: the follow-up model's weights are part of the
# model; 4: no follow-up model, "unknown" demographic indices, popularity logits, genres.json.
# Bump on any change serving must know.
MODEL_FORMAT = 4


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
    save_user_tower_weights(trained.user_tower, staging)  # what serving runs (model/user_tower_numpy.py)
    movies = trained.movie_outputs()
    np.save(staging / "movie_vectors.npy", movies.vectors)
    np.save(staging / "movie_bias.npy", movies.bias)
    np.save(staging / "movie_rating_factors.npy", movies.rating_factors)
    np.save(staging / "movie_popularity.npy", movies.popularity)
    if movies.linear is not None:
        np.save(staging / LINEAR_FILE, movies.linear)
        linear_seen = trained.user_tower.linear_seen.weight.numpy()[1:].astype(np.float32)
        np.save(staging / LINEAR_SEEN_FILE, linear_seen)  # for model/dislikes.py's steering
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
    """The exported movie side: ids, vectors and the per-movie terms of the ranking and the rating
    head, row-aligned."""

    movie_ids: np.ndarray  # int64 [M]
    vectors: np.ndarray  # float32 [M, 256], unit rows
    bias: np.ndarray  # float32 [M]
    rating_factors: np.ndarray  # float32 [M, F]
    popularity: np.ndarray  # float32 [M], logits added to cosine / temperature
    temperature: float
    linear: np.ndarray | None = None  # float32 [M, L], the linear part's movie vectors, if the model has one
    _unit_rows: np.ndarray | None = field(default=None, repr=False)  # search rows at unit length, made once
    _scale_pair: tuple[float, float] | None = field(default=None, repr=False)  # `_scales`, made once
    _likeness: Likeness | None = field(default=None, repr=False)  # `likeness`, made once

    @classmethod
    def load(cls, model_dir: Path) -> MovieTable:
        features = MovieFeatures.load(model_dir)
        info = ModelInfo.load(model_dir)
        linear = model_dir / LINEAR_FILE
        return cls(
            features.movie_ids,
            np.load(model_dir / "movie_vectors.npy"),
            np.load(model_dir / "movie_bias.npy"),
            np.load(model_dir / "movie_rating_factors.npy"),
            np.load(model_dir / "movie_popularity.npy"),
            float(info.train_config["temperature"]),
            np.load(linear) if linear.exists() else None,
        )

    def index_of(self, movie_ids: np.ndarray) -> np.ndarray:
        """Positions of `movie_ids` in the table, -1 where unknown."""
        # np.minimum, not np.clip: the same positions (never negative) without clip's ~20 us of checks.
        positions = np.minimum(np.searchsorted(self.movie_ids, movie_ids), len(self.movie_ids) - 1)
        return np.where(self.movie_ids[positions] == movie_ids, positions, -1)

    def scores(
        self, user_vector: np.ndarray, user_linear: np.ndarray | None = None, novelty: float = 0.0
    ) -> np.ndarray:
        """The model's ranking score of every movie: cosine / temperature + popularity logit (+ the
        linear part), the logit weighted by the mainstream dial (model/dial.py; 1 at novelty 0)."""
        weight = popularity_weight(novelty, self.popularity, self.temperature)
        scores = self.vectors @ user_vector / self.temperature + weight * self.popularity
        if self.linear is not None and user_linear is not None:
            scores += self.linear @ user_linear
        return scores

    def match(
        self, user_vector: np.ndarray, user_linear: np.ndarray | None = None, novelty: float = 0.0
    ) -> np.ndarray:
        """Every movie's match: the COSINE between its search row and the query, the similarity
        Milvus returns for a hit, computed here for all movies (ordered as `scores`)."""
        return self.match_of(self.query(user_vector, user_linear, novelty))

    def match_of(self, query: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        """The match of the movies at `rows` (all movies by default) for the search vector `query`
        (`query`, `likeness_query`): the COSINE Milvus computes for a hit. Computed here it is the
        same number whichever Milvus and however many queries a request held."""
        if self._unit_rows is None:
            search_rows = self.search_vectors()
            self._unit_rows = search_rows / np.linalg.norm(search_rows, axis=1, keepdims=True).clip(min=1e-12)
        unit_rows = self._unit_rows if rows is None else self._unit_rows[rows]
        return unit_rows @ (query / max(float(np.linalg.norm(query)), 1e-12))

    def _scales(self) -> tuple[float, float]:
        """Factors that bring the popularity logits and the linear vectors to at most 1 in size, so
        that no part of a search row dwarfs the unit vector (0: the part is absent). Computed once:
        every query needs them, and the norms of every linear vector took most of a query's time."""
        if self._scale_pair is None:
            peak = float(np.abs(self.popularity).max()) if len(self.popularity) else 0.0
            longest = float(np.linalg.norm(self.linear, axis=1).max()) if self.linear is not None else 0.0
            self._scale_pair = (1.0 / peak if peak > 0 else 0.0), (1.0 / longest if longest > 0 else 0.0)
        return self._scale_pair

    def search_vectors(self) -> np.ndarray:
        """The movie rows Milvus indexes (COSINE): the vectors themselves when the model has nothing
        but cosines, else [v, p * s, linear * t, pad], the pad giving every row the same norm."""
        popularity_scale, linear_scale = self._scales()
        parts = [self.vectors]
        if popularity_scale:
            parts.append(self.popularity[:, None] * popularity_scale)
        if linear_scale:
            parts.append(self.linear * linear_scale)
        if len(parts) == 1:
            return self.vectors
        rows = np.hstack(parts).astype(np.float64)
        squared = (rows**2).sum(axis=1, keepdims=True)
        pad = np.sqrt(squared.max() - squared)
        return np.hstack([rows, pad]).astype(np.float32)

    def likeness(self) -> Likeness:
        """How alike the movies are (model/likeness.py), made on first use: the first "more like",
        row or "because you liked X" reason; a search for a profile with nothing liked needs none."""
        if self._likeness is None:
            self._likeness = Likeness.of(self.vectors, self.linear)
        return self._likeness

    def likeness_query(self, row: int) -> np.ndarray:
        """The search vector for "movies like the one at `row`": the likeness's query parts in the
        places of a search row's vector and linear part, zero in the others. All search rows have
        one norm, so Milvus's COSINE ranks the movies by the centred dot product the likeness
        divides by each movie's norm: take LIKENESS_CANDIDATES and re-rank by `likeness`."""
        vector_part, linear_part = self.likeness().query_parts(row)
        return np.asarray(self._search_vector(vector_part, 0.0, linear_part), dtype=np.float32)

    def query(
        self, user_vector: np.ndarray, user_linear: np.ndarray | None = None, novelty: float = 0.0
    ) -> np.ndarray:
        """The search vector for a user: its inner product with a search row is temperature x
        `scores`, and all search rows have one norm, so COSINE ranks the movies by `scores`. The
        mainstream dial is the popularity coordinate's weight (`popularity_weight`)."""
        popularity_scale, _ = self._scales()
        weight = popularity_weight(novelty, self.popularity, self.temperature) if popularity_scale else 0.0
        linear = None if user_linear is None else self.temperature * np.asarray(user_linear)
        return self._search_vector(user_vector, weight * self.temperature, linear)

    def _search_vector(self, vector: np.ndarray, popularity: float, linear: np.ndarray | None) -> np.ndarray:
        """A search vector in the layout of the search rows (`search_vectors`): [vector, popularity /
        s, linear / t, 0], each part what multiplies the row's own (the movie vector, its popularity
        logit, its linear vector); only the parts the model has, the vector alone when it has no other."""
        popularity_scale, linear_scale = self._scales()
        parts = [vector]
        if popularity_scale:
            parts.append(np.array([popularity / popularity_scale]))
        if linear_scale:
            parts.append(np.asarray(linear) / linear_scale)
        if len(parts) == 1:
            return vector
        return np.concatenate([*parts, [0.0]]).astype(np.float32)
