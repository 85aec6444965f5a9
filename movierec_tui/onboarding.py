"""A popular-but-diverse order of movies to ask a new person about, kept as the alternative the
evaluation measures against plain popularity order.

The idea: ten blockbusters of one kind tell the model little, so pick movies most people have seen
that also split tastes apart (greedy farthest-point selection). Measured in `docs/benchmarks.md`,
it loses to plain popularity order (fewer people have seen each pick, so they answer later), which
is why the app asks in popularity order.
"""

from __future__ import annotations

import numpy as np

POPULARITY_BONUS = 0.15
ADAPTIVE_POOL = 300  # the app asks about the best-matching movie among this many most rated


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
