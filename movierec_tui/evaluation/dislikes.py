"""Do dislikes count? For each held-out user whose profile holds low ratings (DISLIKED_AT_MOST or
lower), the movies most similar to those disliked movies should appear less in the top 20 than
they do for the same profile without the low ratings.

"Most similar" is independent of the model: the NEIGHBOURS movies with the highest cosine of
co-rating among the training users (item-kNN's similarity). Both rankings exclude every movie of the
full profile, so they choose from the same movies; only what the model is told differs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from movierec_tui.evaluation.baselines import TrainMatrix
from movierec_tui.evaluation.split import ColdStartCase
from movierec_tui.model.dislikes import DISLIKED_AT_MOST

NEIGHBOURS = 10
TOP = 20


@dataclass
class DislikeCases:
    with_dislikes: list[ColdStartCase]  # the profiles as they are
    without_dislikes: list[ColdStartCase]  # the same profiles without their low ratings
    neighbours: list[set[int]]  # per case, the movies most similar to its disliked movies


def nearest_neighbours(train: TrainMatrix, count: int = NEIGHBOURS) -> np.ndarray:
    """[M, count] column indices of each movie's most similar movies (cosine of co-rating)."""
    co = train.matrix.T @ train.matrix
    norms = np.sqrt(np.diag(co)) + 1e-9
    similarity = co / norms[:, None] / norms[None, :]
    np.fill_diagonal(similarity, -np.inf)
    return np.argsort(-similarity, axis=1)[:, :count]


def dislike_cases(cases: Sequence[ColdStartCase], train: TrainMatrix, neighbours: np.ndarray) -> DislikeCases:
    """The cases whose profile holds at least one low rating and one other rating."""
    found = DislikeCases([], [], [])
    for case in cases:
        low = case.seed_ratings <= DISLIKED_AT_MOST
        if not low.any() or low.all():
            continue
        similar = train.movie_ids[neighbours[train.columns(case.seed_movies[low])].ravel()]
        found.with_dislikes.append(case)
        kept = replace(case, seed_movies=case.seed_movies[~low], seed_ratings=case.seed_ratings[~low])
        found.without_dislikes.append(kept)
        found.neighbours.append(set(similar.tolist()) - set(case.seed_movies.tolist()))
    return found


def neighbour_share(ranked: Sequence[Sequence[int]], neighbours: Sequence[set[int]], top: int = TOP) -> np.ndarray:
    """Per case, the share of the top `top` that are neighbours of a disliked movie."""
    return np.array([sum(m in near for m in r[:top]) / top for r, near in zip(ranked, neighbours, strict=True)])
