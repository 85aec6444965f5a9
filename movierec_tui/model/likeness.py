"""How alike two movies are: what "more like X", the "because you loved X" rows, the details pane's
similar movies and the "because you liked X" reasons rank by.

Why not the cosine of the movie vectors alone: those vectors are made to be matched against users,
and on MovieLens 1M they all point nearly one way (their mean pairwise cosine is 0.91), so every
movie's closest ones sit at 0.99-1.00 and are the acclaimed films of its era more than movies like
it (Alien's were Jaws and The Godfather: Part II). Two changes, measured by
`benchmarks/likeness.py`, make the likeness about the movie:

- the model's second movie representation, the linear part's vector (learnt from which movies the
  same people rate), stands beside the vector, weighted so that both parts vary as much across the
  catalogue (their centred variances equal: no weight tuned to one dataset);
- the catalogue's mean is taken out, so what all movies share does not count as likeness.

The likeness of x and y is the cosine of z_x - m and z_y - m, where z = [v, b * l] and m is the mean
z. It is computed from the table's own vectors (a per-movie offset and norm, no third copy of the
table). A model without a linear part keeps the plain cosine of its vectors: centring them alone
helps little and the search below would miss much of the top.

Milvus ranks by it approximately: `query_parts` make a search vector whose inner product with a
movie's search row is the centred dot product (z_x - m) . (z_y - m) plus a constant, which the
likeness divides by the movie's norm. So a search takes LIKENESS_CANDIDATES movies and the caller
re-ranks them here. On MovieLens 1M the 100 closest by the dot product hold 97% of a movie's top 10
by likeness on average, and the lists re-ranked from them are as good as the exact ones by the
benchmark's measure (docs/benchmarks.md, "More like X").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# How many movies a likeness search asks Milvus for, to re-rank by the likeness itself.
LIKENESS_CANDIDATES = 100


@dataclass(frozen=True)
class Likeness:
    """The likeness between the movies of one movie table (rows of `vectors` and `linear`)."""

    vectors: np.ndarray  # [M, D] the model's movie vectors
    linear: np.ndarray | None  # [M, L] the linear part's movie vectors, or None
    linear_weight: float  # b squared: the linear part's weight in a dot product of z
    mean_vector: np.ndarray  # [D] the vector part of m
    mean_linear: np.ndarray | None  # [L] the mean linear vector (m's linear part is b times it)
    offsets: np.ndarray  # [M] z_y . m
    norms: np.ndarray  # [M] |z_y - m|
    mean_square: float  # m . m

    @classmethod
    def of(cls, vectors: np.ndarray, linear: np.ndarray | None) -> Likeness:
        """The likeness of a table's movies (`linear`: None for a model without a linear part).
        Reads the tables in place: a served session makes it, and a copy of a large catalogue's
        table in float64 would cost it hundreds of MB for a moment."""
        square_vector = _row_squares(vectors)
        if linear is None or not len(vectors):
            zeros = np.zeros(vectors.shape[1])
            norms = np.sqrt(square_vector).clip(min=1e-9)
            return cls(vectors, None, 0.0, zeros, None, np.zeros(len(vectors)), norms, 0.0)
        square_linear = _row_squares(linear)
        mean_vector = vectors.mean(axis=0, dtype=np.float64)
        mean_linear = linear.mean(axis=0, dtype=np.float64)
        spread_vector = float(square_vector.mean() - mean_vector @ mean_vector)  # mean |v - mean|^2
        spread_linear = float(square_linear.mean() - mean_linear @ mean_linear)
        weight = spread_vector / spread_linear if spread_linear > 1e-12 else 0.0
        offsets = (vectors @ mean_vector.astype(vectors.dtype)).astype(np.float64)
        offsets += weight * (linear @ mean_linear.astype(linear.dtype))
        mean_square = float(mean_vector @ mean_vector + weight * (mean_linear @ mean_linear))
        squares = square_vector + weight * square_linear
        norms = np.sqrt((squares - 2 * offsets + mean_square).clip(min=0)).clip(min=1e-9)
        return cls(vectors, linear, weight, mean_vector, mean_linear, offsets, norms, mean_square)

    def between(self, row: int, rows: np.ndarray | None = None) -> np.ndarray:
        """The likeness of the movie at `row` to those at `rows` (all movies when None), -1..1."""
        vectors = self.vectors if rows is None else self.vectors[rows]
        dots = (vectors @ self.vectors[row]).astype(np.float64)
        if self.linear is not None and self.linear_weight:
            linear = self.linear if rows is None else self.linear[rows]
            dots += self.linear_weight * (linear @ self.linear[row])
        offsets = self.offsets if rows is None else self.offsets[rows]
        norms = self.norms if rows is None else self.norms[rows]
        centred = dots - offsets - self.offsets[row] + self.mean_square
        return centred / norms / self.norms[row]

    def query_parts(self, row: int) -> tuple[np.ndarray, np.ndarray | None]:
        """The vector part and the linear part (in the linear vectors' units) of a search vector
        whose inner product with movie y's [vector, linear vector] is (z_x - m) . (z_y - m) plus a
        constant: the order of the centred dot product, not yet divided by the norms."""
        vector_part = self.vectors[row] - self.mean_vector
        if self.linear is None or self.mean_linear is None:
            return vector_part, None
        return vector_part, self.linear_weight * (self.linear[row] - self.mean_linear)


def _row_squares(rows: np.ndarray, chunk: int = 4096) -> np.ndarray:
    """Each row's squared length in float64, a chunk of rows at a time (no copy of the table)."""
    out = np.empty(len(rows))
    for start in range(0, len(rows), chunk):
        part = np.asarray(rows[start : start + chunk], dtype=np.float64)
        out[start : start + chunk] = (part * part).sum(axis=1)
    return out
