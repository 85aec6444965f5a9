"""Explanations: why a movie is (or is not) recommended.

A pure function of the profile, the listed results and the engine's score for the movie (computed
in memory), so "why X?" answers instantly and never touches a store.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rich.text import Text

from movierec_tui.engine import ModelScore, MovieCard, Recommendation
from movierec_tui.profile import Profile
from movierec_tui.wording import describe_years, display_title, stars, title_with_year


def explain(
    card: MovieCard,
    profile: Profile,
    results: Sequence[Recommendation],
    like: MovieCard | None,
    score: Callable[[int], ModelScore | None],
    likeness: Callable[[int, int], tuple[float, int] | None],
) -> Text:
    """Why `card` is (or is not) recommended: its place and reason in the list, the rating or filter
    that keeps it out, or else the model's own score for it with the closest movie the person liked
    (or, while the cards show movies like `like`, its similarity to that movie)."""
    name = title_with_year(card)
    for rank, rec in enumerate(results, start=1):
        if rec.card.movie_id == card.movie_id:
            if like is not None:
                return Text.assemble((name, "bold"), f" is #{rank} in this list: {rec.reason}, similarity "
                                     f"{rec.score:.2f} (predicted for you {rec.predicted_rating:.1f}★).")  # fmt: skip
            return Text.assemble((name, "bold"), f" is #{rank} in your picks: {rec.reason} (match {rec.score:.2f}, "
                                 f"predicted {rec.predicted_rating:.1f}★).")  # fmt: skip
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
    if outside_years(card.year, profile):
        years = describe_years(profile.year_min, profile.year_max)
        return Text.assemble((name, "bold"), f" is outside your years filter ({years}).")
    if like is not None:
        return unlike(card, like, len(results), likeness(card.movie_id, like.movie_id))
    scored = score(card.movie_id)
    if scored is None:
        return Text.assemble("The model has no vector for ", (name, "bold"), ".")
    text = Text.assemble((name, "bold"), f" is not in your top {len(results)}: ")
    if scored.place <= len(results):  # the match would list it, the search did not find it
        text.append(f"by its match ({scored.score:.2f}) it would be #{scored.place}, but the search re-ranks only "
                    "the movies closest to your taste vector, and it is not among them.")  # fmt: skip
    else:
        text.append(f"its match is {scored.score:.2f}, #{scored.place} of the movies your profile can be shown.")
    if scored.anchor is not None:
        anchor, similarity = scored.anchor
        text.append(
            f" The movie you liked most like it is {title_with_year(anchor)}, "
            f"similarity {similarity:.2f}."
        )
    else:
        text.append(" Rate a few movies like it to pull it up.")
    return text


def outside_years(year: int | None, profile: Profile) -> bool:
    """Whether the years filter keeps a movie of `year` out (one without a year passes no range)."""
    if profile.year_min is None and profile.year_max is None:
        return False
    if year is None:
        return True
    return (profile.year_min is not None and year < profile.year_min) or (
        profile.year_max is not None and year > profile.year_max
    )


def unlike(card: MovieCard, like: MovieCard, listed: int, likeness: tuple[float, int] | None) -> Text:
    """Why `card` is not among the movies shown as like `like`."""
    name, other = title_with_year(card), title_with_year(like)
    if card.movie_id == like.movie_id:
        return Text.assemble("These are the movies most like ", (name, "bold"), " itself.")
    if likeness is None:
        return Text.assemble("The model has no vector for ", (name, "bold"), ".")
    similarity, rank = likeness
    return Text.assemble(
        (name, "bold"),
        f" is not among the {listed} most like {other}: its similarity is {similarity:.2f}, "
        f"#{rank} of all movies by similarity to it (rated, dismissed and filtered ones included).",
    )
