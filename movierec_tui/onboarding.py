"""Choosing the first movies to ask a new person about.

Ten blockbusters of one kind tell the model little. Greedy farthest-point selection over popular
movies picks ones most people have seen that also split tastes apart; `docs/benchmarks.md` shows
the effect on Recall@20 against asking about the most popular movies in order.
"""

from __future__ import annotations

import numpy as np

POPULARITY_BONUS = 0.15


def diverse_popular(vectors: np.ndarray, n: int) -> list[int]:
    """Indices of `n` rows of `vectors` (unit rows, most popular first): row 0, then each time the
    row least similar to all chosen so far, nudged towards more popular rows."""
    if len(vectors) == 0:
        return []
    bonus = POPULARITY_BONUS * (1.0 - np.arange(len(vectors)) / len(vectors))
    chosen = [0]
    closest = vectors @ vectors[0]
    while len(chosen) < min(n, len(vectors)):
        score = bonus - closest
        score[chosen] = -np.inf
        pick = int(np.argmax(score))
        chosen.append(pick)
        closest = np.maximum(closest, vectors @ vectors[pick])
    return chosen
