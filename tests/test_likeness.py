"""How alike two movies are (model/likeness.py), on movie tables generated here: the definition, why
it beats the plain cosine of vectors that all point one way, and the Milvus query that ranks by it.
(`tests/test_engine.py` runs "more like" and the details pane on it through real Milvus Lite.)"""

from __future__ import annotations

import numpy as np
import pytest

from movierec_tui.model.artifacts import MovieTable
from movierec_tui.model.likeness import Likeness

CLUSTERS, PER_CLUSTER, DIM, LINEAR_DIM = 4, 60, 32, 16


def unit(rows: np.ndarray) -> np.ndarray:
    return rows / np.linalg.norm(rows, axis=-1, keepdims=True)


def table_like_movielens(seed: int = 0) -> tuple[MovieTable, np.ndarray]:
    """Movies whose vectors all point nearly one way (as the ML-1M model's do: mean pairwise cosine
    0.91) and say little about which cluster a movie is in, while their linear vectors say it
    clearly; with a popularity logit and a linear part, as the search rows of a real model have.
    Returns the table and each movie's cluster."""
    rng = np.random.default_rng(seed)
    clusters = np.repeat(np.arange(CLUSTERS), PER_CLUSTER)
    shared = unit(rng.normal(size=DIM))
    vector_signal = rng.normal(size=(CLUSTERS, DIM)) * 0.02
    vectors = unit(4 * shared + vector_signal[clusters] + rng.normal(size=(len(clusters), DIM)) * 0.15)
    linear_signal = rng.normal(size=(CLUSTERS, LINEAR_DIM))
    linear = linear_signal[clusters] + rng.normal(size=(len(clusters), LINEAR_DIM)) * 0.5 + 2.0
    table = MovieTable(
        movie_ids=np.arange(1, len(clusters) + 1, dtype=np.int64),
        vectors=vectors.astype(np.float32),
        bias=np.zeros(len(clusters), dtype=np.float32),
        rating_factors=np.zeros((len(clusters), 4), dtype=np.float32),
        popularity=rng.normal(size=len(clusters)).astype(np.float32),
        temperature=0.1,
        linear=linear.astype(np.float32),
    )
    return table, clusters


def cluster_share(similarity: np.ndarray, row: int, clusters: np.ndarray, k: int = 10) -> float:
    others = similarity.copy()
    others[row] = -np.inf
    return float(np.mean(clusters[np.argsort(-others)[:k]] == clusters[row]))


def test_likeness_is_the_cosine_of_the_centred_parts_weighed_alike() -> None:
    """z = [v, b * l] with b^2 making both parts vary as much over the catalogue, centred on the
    mean z: the likeness is the cosine of two such rows, computed without building them."""
    table, _ = table_like_movielens()
    vectors, linear = table.vectors.astype(np.float64), table.linear.astype(np.float64)
    spread = lambda rows: ((rows - rows.mean(axis=0)) ** 2).sum(axis=1).mean()  # noqa: E731
    z = np.hstack([vectors, np.sqrt(spread(vectors) / spread(linear)) * linear])
    centred = unit(z - z.mean(axis=0))
    likeness = table.likeness()
    for row in (0, 17, len(vectors) - 1):
        assert likeness.between(row) == pytest.approx(centred @ centred[row], abs=1e-5)
        some = np.array([3, row, 150, 200])
        assert likeness.between(row, some) == pytest.approx(centred[some] @ centred[row], abs=1e-5)
        assert likeness.between(row)[row] == pytest.approx(1.0, abs=1e-5)


def test_movies_liked_by_the_same_people_are_alike_though_every_vector_points_one_way() -> None:
    """The failure the likeness fixes: the plain cosine of such vectors is near 1 for every pair
    and its closest movies are mostly from other clusters; the likeness finds the cluster's own
    movies and spreads its values over the scale."""
    table, clusters = table_like_movielens()
    unit_vectors = unit(table.vectors.astype(np.float64))
    plain = unit_vectors @ unit_vectors.T
    likeness = table.likeness()
    rows = range(0, len(clusters), 7)
    assert np.median(plain[np.triu_indices(len(clusters), 1)]) > 0.9
    assert np.mean([cluster_share(plain[row], row, clusters) for row in rows]) < 0.6
    assert np.mean([cluster_share(likeness.between(row), row, clusters) for row in rows]) > 0.9
    every = np.array([likeness.between(row) for row in rows])
    assert every.min() < -0.3 and np.median(every) < 0.3


def test_a_likeness_search_ranks_by_the_centred_dot_product() -> None:
    """What Milvus computes for `likeness_query` (the COSINE against search rows of one norm, as
    `match_of` computes it) ranks movies by (z_x - m) . (z_y - m): the likeness before it is
    divided by each movie's norm. So the likeness's best are among the search's best."""
    table, _ = table_like_movielens(seed=1)
    likeness = table.likeness()
    for row in (0, 99, 230):
        query = table.likeness_query(row)
        assert query.shape == table.search_vectors().shape[1:]
        match = table.match_of(query)
        centred_dot = likeness.between(row) * likeness.norms * likeness.norms[row]
        assert np.argsort(-match).tolist() == np.argsort(-centred_dot).tolist()
        # linear in the centred dot product: the same ratios between differences
        assert np.corrcoef(match, centred_dot)[0, 1] == pytest.approx(1.0, abs=1e-5)


def test_a_model_without_a_linear_part_keeps_the_plain_cosine() -> None:
    table, _ = table_like_movielens()
    table.linear = None
    vectors = unit(table.vectors.astype(np.float64))
    assert table.likeness().between(5) == pytest.approx(vectors @ vectors[5], abs=1e-5)
    assert table.likeness_query(5) == pytest.approx(np.concatenate([table.vectors[5], [0.0, 0.0]]), abs=1e-6)
    assert Likeness.of(table.vectors, None).query_parts(5)[1] is None
