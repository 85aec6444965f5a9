"""A low rating steers the search away from the movie (issue 18, point 3).

The towers learn from MovieLens, where a person who rated a movie low still chose to watch it, so
for them having seen it says "more of this kind" about as much as the low rating says "not this":
with 1-2 star ratings in a profile, the movies most like the disliked ones rose in the list
(docs/benchmarks.md, "Dislikes"). Two terms on the query side turn that around, measured on
validation users against the recall they cost:

- `unseen`: the linear part stops counting a disliked movie as seen. The user tower added each rated
  movie's `linear_seen` input vector / sqrt(count); that much is taken out again per disliked movie
  (1: as if it were not seen; the rating-centred preference term stays).
- `away`: the cosine part moves away from the disliked movies' mean vector by this much (the user
  vector has length 1, so 0.1 is a small step), which lowers exactly the movies whose vectors are
  closest to the disliked ones.

Both change only the query row of the one Milvus search: its cost is O(disliked x d) per profile,
nothing grows with the catalogue. The unit vector itself stays as the tower gave it, for the rating
head (predicted stars) and "because you liked" reasons.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# A rating this low (half stars: 0.5..2.0) counts as a dislike, for the towers' "disliked" pool in
# training and for the steering here. Defined in this paddle-free module so that the engine's import
# of the steering does not import paddle (commands that never load the model start without it).
DISLIKED_AT_MOST = 2.0

LINEAR_SEEN_FILE = "movie_linear_seen.npy"


@dataclass(frozen=True)
class DislikeSteering:
    away: float  # step of the cosine part away from the disliked movies' mean vector
    unseen: float  # times each disliked movie's "seen" input is taken out of the linear part
    vectors: np.ndarray  # float32 [M, 256], the movies' unit vectors, rows as the movie table's
    linear_seen: np.ndarray | None  # float32 [M, L], the user tower's per-movie "seen" inputs (linear part)

    @classmethod
    def of(cls, train_config: Mapping[str, object], vectors: np.ndarray,
           linear_seen: np.ndarray | None) -> DislikeSteering:  # fmt: skip
        """From a model's training config (a model trained before these fields existed steers not)."""
        return cls(float(train_config.get("dislike_away", 0.0)), float(train_config.get("dislike_unseen", 0.0)),
                   vectors, linear_seen)  # fmt: skip

    @classmethod
    def load(cls, model_dir: Path, train_config: Mapping[str, object]) -> DislikeSteering:
        """From an exported model dir (memory-mapped: the engine's movie table holds the same rows)."""
        seen = model_dir / LINEAR_SEEN_FILE
        return cls.of(train_config, np.load(model_dir / "movie_vectors.npy", mmap_mode="r"),
                      np.load(seen, mmap_mode="r") if seen.exists() else None)  # fmt: skip

    def steer(
        self, vector: np.ndarray, linear: np.ndarray | None, rows: np.ndarray, ratings: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """The search's (vector, linear part) for a profile of model `rows` (1..M; 0 = a movie the
        model does not know) rated `ratings`: moved away from the movies rated DISLIKED_AT_MOST or
        lower, unchanged without any."""
        known = rows > 0
        disliked = rows[known & (ratings <= DISLIKED_AT_MOST)] - 1
        if not len(disliked):
            return vector, linear
        if self.away:
            vector = vector - self.away * np.asarray(self.vectors[disliked]).mean(axis=0)
        if self.unseen and linear is not None and self.linear_seen is not None:
            seen = np.asarray(self.linear_seen[disliked]).sum(axis=0) / np.sqrt(known.sum())
            linear = linear - self.unseen * seen
        return vector.astype(np.float32), None if linear is None else linear.astype(np.float32)
