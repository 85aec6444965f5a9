"""Which movies to ask a new person about.

The app asks adaptively (`Recommender.seed_movies` with the profile so far): each question is the
movie among the ADAPTIVE_POOL most rated that the model matches best with the answers given. It
is measured against asking in popularity order in `movierec-tui evaluate` (docs/benchmarks.md).

The popular-but-diverse order below (greedy farthest-point selection: ten blockbusters of one kind
tell the model little) stays as a measured alternative: it loses to plain popularity order, since
fewer people have seen each pick and so answer later.
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
