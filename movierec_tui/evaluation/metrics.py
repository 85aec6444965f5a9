"""Ranking metrics of the quality protocol, on plain arrays so they can be checked by hand."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def recall_at_k(ranked: Sequence[int], relevant: set[int], k: int) -> float:
    """|top-k ∩ relevant| / min(k, |relevant|): 1.0 means the top k are as good as they can be."""
    if not relevant:
        raise ValueError("recall is undefined without relevant items")
    hits = sum(1 for item in ranked[:k] if item in relevant)
    return hits / min(k, len(relevant))


def ndcg_at_k(ranked: Sequence[int], relevant: set[int], k: int) -> float:
    """Binary-relevance NDCG with the usual log2(rank + 1) discount."""
    if not relevant:
        raise ValueError("NDCG is undefined without relevant items")
    gains = [1.0 / np.log2(rank + 2) for rank, item in enumerate(ranked[:k]) if item in relevant]
    ideal = sum(1.0 / np.log2(rank + 2) for rank in range(min(k, len(relevant))))
    return float(sum(gains) / ideal)


def coverage(top_lists: Sequence[Sequence[int]], catalogue_size: int, k: int) -> float:
    """Share of the catalogue that appears in at least one user's top k."""
    shown = {item for ranked in top_lists for item in ranked[:k]}
    return len(shown) / catalogue_size


def popularity_percentiles(counts: np.ndarray) -> np.ndarray:
    """Each item's popularity percentile among the items (100 = the most rated, near 0 = the least):
    the mean over a top 10 says how mainstream a list is."""
    order = np.argsort(np.asarray(counts), kind="stable")
    percentiles = np.empty(len(order), dtype=np.float64)
    percentiles[order] = 100.0 * (np.arange(1, len(order) + 1)) / len(order)
    return percentiles


def rmse(predicted: np.ndarray, actual: np.ndarray) -> float:
    return float(np.sqrt(np.mean((np.asarray(predicted, float) - np.asarray(actual, float)) ** 2)))


def paired_interval(differences: np.ndarray, resamples: int = 2000, seed: int = 0) -> tuple[float, float]:
    """95% bootstrap interval of the mean of per-user differences between two methods scored on the
    same users by the same model: the noise of which users were drawn (not of training)."""
    rng = np.random.default_rng(seed)
    means = np.asarray(differences)[rng.integers(0, len(differences), (resamples, len(differences)))].mean(axis=1)
    return float(np.quantile(means, 0.025)), float(np.quantile(means, 0.975))
