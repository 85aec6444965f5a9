"""What "why?" and the details screen say about one card, from the engine's scores, and when the
details screen opens.

Kept apart from app/main.py because both read the ranking's state (the current results, and whether
the list is "more like X", where a card's score is its similarity to X rather than the person's
match) and that bookkeeping is not the app shell's job.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text

from movierec_tui.engine import MovieCard
from movierec_tui.titles import title_with_year
from movierec_tui.widgets.explain import explain
from movierec_tui.widgets.lists_screen import ListsScreen
from movierec_tui.widgets.screens import Details, DetailsScreen, SearchScreen
from movierec_tui.widgets.theme import palette

if TYPE_CHECKING:
    from movierec_tui.app.main import MovieRecApp

SIMILAR = 8  # similar movies on the details screen


def explanation(app: MovieRecApp, card: MovieCard) -> Text:
    """The chat's answer to "why?" for `card`; for a movie in a row under the cards, also its place there."""
    profile, results, engine = app.profile, app.refresher.results, app.recommender
    text = explain(card, profile, results, app.more_like,
                   lambda movie_id: engine.score_of(profile, movie_id), engine.likeness)  # fmt: skip
    in_row = app.rows.recommendation_of(card.movie_id)
    if in_row is not None and all(r.card.movie_id != card.movie_id for r in results):  # and where it is
        row, place, rec = in_row
        text.append(f" It is #{place} in “{row.title}”: {rec.reason} ({row.score_label} {rec.score:.2f}).")
    return text


def details_of(app: MovieRecApp, card: MovieCard) -> Details:
    """The details screen's content for `card`: its score for this person (in "more like", the
    person's match, not the similarity the list is ordered by), the rating guess and the nearest movies."""
    rec = next((r for r in app.refresher.results if r.card.movie_id == card.movie_id), None)
    own = rec is not None and app.more_like is None
    if rec is None and (in_row := app.rows.recommendation_of(card.movie_id)) is not None:
        rec = in_row[2]  # its reason and rating guess; the score shown is the person's match (score_of)
    scored = None if own else app.recommender.score_of(app.profile, card.movie_id)
    return Details(
        card=card,
        your_rating=app.profile.ratings.get(card.movie_id),
        score=rec.score if own else (scored.score if scored is not None else None),
        predicted=rec.predicted_rating if rec is not None else None,
        reason=rec.reason if rec is not None else None,
        similar=app.recommender.similar_to(card.movie_id, SIMILAR),
    )


def open_details(app: MovieRecApp, card: MovieCard) -> None:
    """Open `card`'s details over the main screen or the lists, or in place of a details or search
    dialog on top: one details dialog at a time, however many opens were queued (keys reach a list
    faster than the dialog they open: each open stacked one more, and every repaint draws through all
    of them: a web tab stopped answering, issue 15). An open that finds another dialog on top (a
    prompt, the help) was asked for before that one opened: it is said, not stacked on it."""
    if isinstance(app.screen, DetailsScreen | SearchScreen):
        app.pop_screen()
    if len(app.screen_stack) > 1 and not isinstance(app.screen, ListsScreen):
        app.tell(f"Not opened: {title_with_year(card)}, asked for while this dialog opened; close it first.",
                 severity="warning", timeout=6)  # fmt: skip
        return
    app.push_screen(DetailsScreen(details_of(app, card), palette(app)))
