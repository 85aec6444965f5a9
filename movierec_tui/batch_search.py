"""Many profiles' searches in few Milvus requests (`Recommender.recommend_many`, `recommend --batch`).

A Milvus search request has a cost of its own besides its query vectors' (Milvus Lite 3 walks every
row in Python once per request), so profiles whose filters are the same are searched together, one
query vector each (`MilvusStore.search_many`). Their filters differ in the movies each leaves out
(rated, dismissed, listed), so a shared request leaves out none of them: it asks for the best
k + extra movies that pass the shared filter, and each profile drops its own. That is exact as
long as k of its movies remain, or the request returned every movie that passes; a profile for
which neither holds is searched again on its own, with its exclusions inside the filter.

`extra` is an estimate, made here from the model's scores: how many of a profile's left-out movies
rank above the k-th movie it may be shown. Too small costs a second search, too large costs hits
(Milvus Lite 3 builds every hit's whole row in Python); it never changes an answer.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from movierec_tui.model.artifacts import MovieTable
from movierec_tui.stores.cards import MovieCard
from movierec_tui.stores.milvus_store import MilvusStore, SearchFilter

MAX_SEARCH_LIMIT = 16384  # the most hits one Milvus search may ask for (its topk limit)
SCORE_MARGIN = 1e-4  # estimated scores vs Milvus's: far wider than float32 rounding

Hits = list[tuple[int, float]]


@dataclass
class CatalogueArrays:
    """The cards' genres and years as arrays in the movie table's row order, to judge a filter for
    every movie at once (as `SearchFilter.expression` does in Milvus); a movie without a card passes
    no filter here, which only makes the estimate of `extra` larger."""

    known: np.ndarray  # bool [movies]: its card was read
    years: np.ndarray  # int [movies], 0 for none
    genres: dict[str, np.ndarray]  # genre -> bool [movies]

    @classmethod
    def of(cls, movies: MovieTable, cards: Mapping[int, MovieCard]) -> CatalogueArrays:
        found = [cards.get(int(m)) for m in movies.movie_ids]
        names = sorted({g for card in found if card is not None for g in card.genres})
        return cls(
            np.array([card is not None for card in found], dtype=bool),
            np.array([(card.year or 0) if card is not None else 0 for card in found], dtype=np.int64),
            {g: np.array([card is not None and g in card.genres for card in found], dtype=bool) for g in names},
        )

    def passing(self, search_filter: SearchFilter) -> np.ndarray:
        mask = self.known.copy()
        if search_filter.genres_any:
            wanted = [self.genres[g] for g in search_filter.genres_any if g in self.genres]
            mask &= np.logical_or.reduce(wanted) if wanted else False
        for genre in search_filter.genres_none:
            if genre in self.genres:
                mask &= ~self.genres[genre]
        if search_filter.year_min is not None or search_filter.year_max is not None:
            mask &= self.years >= max(search_filter.year_min or 1, 1)
            if search_filter.year_max is not None:
                mask &= self.years <= search_filter.year_max
        return mask


def search_grouped(
    milvus: MilvusStore,
    movies: MovieTable,
    cards: Mapping[int, MovieCard],
    filters: Sequence[SearchFilter],
    queries: Sequence[np.ndarray],
    k: int,
) -> tuple[list[Hits], list[float]]:
    """For each profile's exact filter (`search_filter_for`) and search vector: the hits `search`
    gives it with `k`, and the seconds of the searches that are its share."""
    catalogue = CatalogueArrays.of(movies, cards)
    sharing: dict[SearchFilter, list[int]] = {}
    for i, exact in enumerate(filters):
        sharing.setdefault(replace(exact, exclude_ids=()), []).append(i)
    # (filter, how many extra hits its profiles need as a power of two; None: one profile's own filter)
    groups: dict[tuple[SearchFilter, int | None], list[int]] = {}
    limits = [k] * len(filters)
    for shared, members in sharing.items():
        passing = np.flatnonzero(catalogue.passing(shared))
        for i in members:
            extra = _extra(movies, passing, filters[i], queries[i], k)
            if k + extra > MAX_SEARCH_LIMIT:
                groups.setdefault((filters[i], None), []).append(i)  # its exclusions inside, as `search`
                continue
            limits[i] = k + extra
            groups.setdefault((shared, extra.bit_length()), []).append(i)  # close extras share a request
    hits: list[Hits] = [[] for _ in filters]
    seconds = [0.0] * len(filters)
    for (search_filter, _), members in groups.items():
        limit = max(limits[i] for i in members)
        started = time.perf_counter()
        found = milvus.search_many([queries[i] for i in members], limit, search_filter)
        share = (time.perf_counter() - started) / len(members)
        for i, candidates in zip(members, found, strict=True):
            left_out = set(filters[i].exclude_ids)
            hits[i] = [hit for hit in candidates if hit[0] not in left_out][:k]
            seconds[i] = share
            if len(hits[i]) < k and len(candidates) == limit and left_out:  # not enough left: search again
                started = time.perf_counter()
                hits[i] = milvus.search(queries[i], k, filters[i])
                seconds[i] += time.perf_counter() - started
    return hits, seconds


def _extra(movies: MovieTable, passing: np.ndarray, search_filter: SearchFilter, query: np.ndarray, k: int) -> int:
    """How many of a profile's left-out movies may rank above the k-th movie it may be shown, by the
    model's scores; `passing`: the table rows of the movies that pass its filter."""
    left_out = movies.index_of(np.array(search_filter.exclude_ids, dtype=np.int64))
    if not len(left_out) or not len(passing):
        return 0
    scores = movies.match_of(query)[passing]
    hidden = np.isin(passing, left_out)
    shown = scores[~hidden]
    threshold = np.partition(shown, -k)[-k] if len(shown) >= k else -np.inf
    unknown = int((left_out < 0).sum())  # movies the model has no row for: counted, to be safe
    return unknown + int((scores[hidden] >= threshold - SCORE_MARGIN).sum())
