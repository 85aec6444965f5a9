"""Explanations: why a movie is (or is not) recommended.

A pure function of the profile, the listed results and the engine's score for the movie (computed
in memory), so "why X?" answers instantly and never touches a store.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rich.text import Text

from movierec_tui.engine import ModelScore, MovieCard, Recommendation
from movierec_tui.profile import Profile
from movierec_tui.wording import display_title, stars, title_with_year


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
