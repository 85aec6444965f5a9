"""Tuning a baseline on validation users over a grid that grows until the chosen value is inside it.

A value picked at the edge of its grid says only that the best lies somewhere beyond: the baseline
is under-tuned and every "ours vs best baseline" number flatters ours (EASE's lambda stopped at
8000 when 16000-32000 was better). So the grid is extended past whichever edge wins, one step at a
time, until the winner has a tried neighbour on both sides, or the edge is the end of the
parameter's domain (item-kNN cannot use more neighbours than there are movies).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

MAX_EXTENSIONS = 12  # a score that keeps improving towards an edge this long is flat: stop there


@dataclass(frozen=True)
class Tuned:
    value: float  # the chosen value
    scores: dict[float, float]  # every value tried -> its validation score
    domain_edge: bool  # the chosen value is an end of the parameter's domain (nothing beyond to try)

    @property
    def grid(self) -> list[float]:
        return sorted(self.scores)

    @property
    def inside(self) -> bool:
        """The chosen value has a tried value on each side (or is at the end of its domain)."""
        return self.domain_edge or self.grid[0] < self.value < self.grid[-1]

    def describe(self) -> str:
        where = " (the end of its domain)" if self.domain_edge else "" if self.inside else " (AT THE GRID'S EDGE)"
        tried = ", ".join(f"{v:g}" for v in self.grid)
        return f"{self.value:g}{where} of {tried}"


def tune_grid(
    grid: Sequence[float],
    score: Callable[[float], float],
    below: Callable[[float], float | None],
    above: Callable[[float], float | None],
) -> Tuned:
    """The value with the best `score`, starting from `grid` and extending it: while the best is the
    smallest value tried, `below(smallest)` is tried next (None: the domain ends there), and likewise
    `above` at the top. Ties go to the smaller value."""
    scores = {value: score(value) for value in sorted(grid)}
    for _ in range(MAX_EXTENSIONS):
        tried = sorted(scores)
        best = max(tried, key=lambda v: scores[v])
        step = below(best) if best == tried[0] else above(best) if best == tried[-1] else None
        if step is None or step in scores:
            break
        scores[step] = score(step)
    tried = sorted(scores)
    best = max(tried, key=lambda v: scores[v])
    at_bound = (best == tried[0] and below(best) is None) or (best == tried[-1] and above(best) is None)
    return Tuned(best, scores, domain_edge=at_bound and not tried[0] < best < tried[-1])


def doubling(minimum: float | None = None, maximum: float | None = None) -> tuple[
    Callable[[float], float | None], Callable[[float], float | None]
]:
    """`below` / `above` for a geometric grid (halve / double), clipped to [minimum, maximum]: at a
    bound, the next step is the bound itself once, then nothing."""

    def below(value: float) -> float | None:
        if minimum is not None and value <= minimum:
            return None
        return value / 2 if minimum is None else max(minimum, value / 2)

    def above(value: float) -> float | None:
        if maximum is not None and value >= maximum:
            return None
        return value * 2 if maximum is None else min(maximum, value * 2)

    return below, above
