"""Explanations: why a movie is (or is not) recommended, and which movies are like it.

Pure functions of the profile, the listed results and the model's movie vectors (all in memory), so
"why X?" and the details screen answer instantly and never touch a store.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from rich.text import Text

from movierec_tui.catalogue import LIKED_THRESHOLD
from movierec_tui.engine import MovieCard, Recommendation, Recommender
from movierec_tui.profile import Profile
from movierec_tui.wording import display_title, stars, title_with_year


@dataclass(frozen=True)
class ModelScore:
    score: float  # the match the ranking uses (engine.Recommender.scores)
    rank: int  # 1 + how many movies match better (rated and filtered ones included)
    total: int  # movies in the model
    anchor: tuple[MovieCard, float] | None  # the liked movie most similar to it, with cosine


def explain(
    card: MovieCard,
    profile: Profile,
    results: Sequence[Recommendation],
    more_like: bool,
    score: Callable[[int], ModelScore | None],
) -> Text:
    """Why `card` is (or is not) recommended: its place and reason in the list, the rating or filter
    that keeps it out, or else the model's own score for it with the closest movie the person liked."""
    name = title_with_year(card)
    for rank, rec in enumerate(results, start=1):
        if rec.card.movie_id == card.movie_id:
            where = f"#{rank} in this list" if more_like else f"#{rank} in your picks"
            return Text.assemble(
                (name, "bold"),
                f" is {where}: {rec.reason} (match {rec.score:.2f}, predicted {rec.predicted_rating:.1f}★).",
            )
    if card.movie_id in profile.ratings:
        return Text.assemble(
            "You rated ",
            (name, "bold"),
            f" {stars(profile.ratings[card.movie_id])}; rated movies are not recommended again.",
        )
    if card.movie_id in profile.dismissed:
        return Text.assemble(
            "You dismissed ", (name, "bold"), f"; say “forget {display_title(card.title)}” to allow it again."
        )
    hidden = [g for g in card.genres if g in profile.genres_out]
    if hidden:
        return Text.assemble((name, "bold"), f" is hidden by your filter: no {', '.join(hidden)}.")
    if profile.genres_in and not set(card.genres) & set(profile.genres_in):
        return Text.assemble((name, "bold"), f" is not {' or '.join(profile.genres_in)}, your only-filter.")
    if (profile.year_min is not None and card.year < profile.year_min) or (
        profile.year_max is not None and card.year > profile.year_max
    ):
        return Text.assemble((name, "bold"), f" ({card.year}) is outside your years filter.")
    scored = score(card.movie_id)
    if scored is None:
        return Text.assemble("The model has no vector for ", (name, "bold"), ".")
    text = Text.assemble(
        (name, "bold"),
        f" is not in your top {len(results)}: the model's match is {scored.score:.2f}, "
        f"rank about #{scored.rank} of {scored.total:,}.",
    )
    if scored.anchor is not None:
        anchor, similarity = scored.anchor
        text.append(
            f" The movie you liked most like it is {title_with_year(anchor)}, "
            f"similarity {similarity:.2f}."
        )
    else:
        text.append(" Rate a few movies like it to pull it up.")
    return text


def model_score(
    recommender: Recommender, profile: Profile, catalog: Mapping[int, MovieCard], movie_id: int
) -> ModelScore | None:
    """The model's view of one movie for this profile: the match the ranking uses, scored in memory
    for every movie (a sub-millisecond forward pass and arithmetic on the movie table)."""
    movies = recommender.movies
    row = int(movies.index_of(np.array([movie_id], dtype=np.int64))[0])
    if row < 0:
        return None
    _, _, scores = recommender.scores(profile)
    vectors = movies.vectors
    norms = np.linalg.norm(vectors, axis=1) + 1e-9
    score = float(scores[row])
    rank = int((scores > score).sum()) + 1
    liked = np.array([m for m, r in profile.ratings.items() if r >= LIKED_THRESHOLD], dtype=np.int64)
    anchor = None
    if len(liked):
        rows = movies.index_of(liked)
        keep = rows >= 0
        if keep.any():
            sims = (vectors[rows[keep]] @ vectors[row]) / norms[rows[keep]] / norms[row]
            best = int(np.argmax(sims))
            anchor_card = catalog.get(int(liked[keep][best]))
            if anchor_card is not None:
                anchor = (anchor_card, float(sims[best]))
    return ModelScore(score, rank, len(vectors), anchor)


def similar_to(movies, catalog: Mapping[int, MovieCard], movie_id: int, n: int) -> list[tuple[MovieCard, float]]:
    """The `n` nearest movies by vector (cosine), best first; `movies` is `Recommender.movies`."""
    row = int(movies.index_of(np.array([movie_id], dtype=np.int64))[0])
    if row < 0:
        return []
    vectors = movies.vectors
    norms = np.linalg.norm(vectors, axis=1) + 1e-9
    sims = (vectors @ vectors[row]) / norms / norms[row]
    sims[row] = -np.inf
    out = []
    for i in np.argsort(-sims)[: n * 2]:
        card = catalog.get(int(movies.movie_ids[i]))
        if card is not None:
            out.append((card, float(sims[i])))
        if len(out) == n:
            break
    return out
