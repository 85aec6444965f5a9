"""The rows under the cards: "Because you loved X" (X: a movie rated 4 or more, the highest rated and
the most recent first; one row per X that the layout has room for) and "Hidden gems" (the profile's
own picks with the mainstream dial turned towards the less known). They are searched together, in
one request to the engine (`Recommender.rows`: one Milvus request and one Redis read for them all),
and no movie is shown twice: each row leaves out the cards and the rows above it.

When: every refresh of the cards (app/refresh.py) searches the rows for the same profile, once its
cards are painted, in a worker of its own; the profile panel is painted in the rows' frame. So a
rating key's new cards never wait for the rows (`benchmarks/tui.py` measures both: keypress to
cards, keypress to rows). The rows on screen do not wait for their search to be correct either: with
the new cards, what the new profile rated or listed and what the cards now show leave the rows at
once (`prune`), in the same frame; the new rows follow their search. A newer refresh that comes
before the rows' search starts skips it; the results of an outdated search are never shown.

When the rows' search fails, each row says so in its own line and keeps no stale movies, the cards
and the rest of the screen go on, and the rows are searched again after the refresher's backoff
(1, 2, 4 … 30 s). When the cards' own search fails, the refresher's banner and retries cover both.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from textual.timer import Timer

from movierec_tui.app.refresh import describe_failure, retry_delay
from movierec_tui.engine import Recommendation, StoreUnavailable
from movierec_tui.profile import Profile
from movierec_tui.widgets.movie_row import LOVED_ROWS, MovieRow
from movierec_tui.wording import title_with_year

if TYPE_CHECKING:  # the app holds the rows; only its type is needed here
    from movierec_tui.app.main import MovieRecApp

log = logging.getLogger(__name__)

ROW_K = 10  # movies per row
GEMS_TITLE = "Hidden gems"
NOTHING_LOVED = "Rate a movie 4★ or more: movies like it will show here."


@dataclass(frozen=True)
class Found:
    """One row's search: `loved` is its X (None: the hidden gems); `error` when the search failed."""

    loved: int | None
    recommendations: list[Recommendation]
    error: Exception | None = None


class Rows:
    def __init__(self, app: MovieRecApp) -> None:
        self.app = app
        self.due = False  # the cards on screen are newer than the rows (a rows search is due or running)
        self.generation = 0  # of the cards the rows were last asked for (Refresher.generation)
        self.painted_generation = 0  # of the rows on screen, after their repaint
        self.painted_at = 0.0  # perf_counter then
        self.failures = 0  # rows searches in a row with a failed row
        self.retry_timer: Timer | None = None
        self._asked: tuple[Profile, tuple[int, ...]] | None = None  # the last request's profile and cards
        self._widgets: list[MovieRow] = []

    @property
    def widgets(self) -> list[MovieRow]:
        """The rows, composed once with the app (widgets/movie_row.py: RowStack): found once, not with a
        walk through the whole screen on every refresh of the cards."""
        if not self._widgets:
            self._widgets = list(self.app.query(MovieRow))
        return self._widgets

    def recommendation_of(self, movie_id: int) -> tuple[MovieRow, int, Recommendation] | None:
        """The row showing `movie_id`, its place there (1 = first) and its recommendation, if any does."""
        for row in self.widgets:
            for place, rec in enumerate(row.recommendations, start=1):
                if rec.card.movie_id == movie_id:
                    return row, place, rec
        return None

    # -- with every refresh of the cards ------------------------------------------------------------

    def prune(self, profile: Profile, shown: Iterable[int]) -> None:
        """New cards are about to be painted for `profile`: leave out of the rows, in the same frame,
        what it rated or listed and what the cards show; their own search follows (`request`)."""
        leave_out = profile.listed | set(shown)
        for row in self.widgets:
            row.prune(leave_out)
        self.due = True

    def request(self, generation: int, profile: Profile, shown: Iterable[int]) -> None:
        """Search the rows for `profile`, leaving out `shown` (the cards of `generation`, just painted)."""
        self.generation = generation
        self._asked = (profile, tuple(shown))
        self.due = True
        if self.retry_timer is not None:
            self.retry_timer.stop()
            self.retry_timer = None
        work = partial(self._search, generation, profile, self._asked[1], self.app.panes.loved_rows)
        self.app.run_worker(work, thread=True, group="rows", exit_on_error=False)

    def relayout(self) -> None:
        """The layout now has room for another number of "because you loved" rows: search them again."""
        if self._asked is not None and self.app.ready:
            self.request(self.generation, *self._asked)

    def _search(self, generation: int, profile: Profile, shown: tuple[int, ...], loved_rows: int) -> None:
        """In a worker thread: every row in one search of the engine's (`Recommender.rows`), each
        leaving out the cards and what the rows above it show."""
        engine = self.app.recommender
        try:
            loved = engine.loved(profile, loved_rows)
        except Exception as exc:  # touches no store; a bug here must cost the rows, not the session
            log.warning("the loved movies of the rows: %s", exc, exc_info=True)
            loved = []
        found: list[Found] | None = None
        if self.app.refresher.generation == generation:  # else newer cards are coming, their rows after them
            try:
                rows = engine.rows(profile, loved, ROW_K, exclude=shown)
                found = [Found(movie_id, recs) for movie_id, recs in zip((*loved, None), rows, strict=True)]
            except Exception as exc:  # the rows say so; the cards and the rest of the screen go on
                log.warning("the rows' search failed: %s", exc, exc_info=not isinstance(exc, StoreUnavailable))
                found = [Found(movie_id, [], exc) for movie_id in (*loved, None)]
        self.app.call_from_thread(self._show, generation, found)

    # -- showing them -------------------------------------------------------------------------------

    def _show(self, generation: int, found: list[Found] | None) -> None:
        if generation != self.generation:  # a newer request is running
            return
        self.due = False
        if found is None:  # stopped for newer cards, which will ask again once painted
            return
        self.app.refresher.flush_panel()  # the profile panel is painted in the rows' frame (refresh.py)
        loved = [f for f in found if f.loved is not None]
        gems = next(f for f in found if f.loved is None)
        for n in range(LOVED_ROWS):
            row = self.app.query_one(f"#row-loved-{n + 1}", MovieRow)
            unused = n >= self.app.panes.loved_rows or (n > 0 and n >= len(loved))
            row.set_class(unused, "-unused")
            if n < len(loved):
                self._fill(row, loved[n], "similar")
            elif n == 0:
                row.show("Because you loved…", [], NOTHING_LOVED)
        self._fill(self.app.query_one("#row-gems", MovieRow), gems, "match")
        failed = [f.error for f in found if f.error is not None]
        if failed:
            self._retry_later(failed[0])
        else:
            self.failures = 0
        self.app.call_after_refresh(self._painted, generation)

    def _fill(self, row: MovieRow, found: Found, score_label: str) -> None:
        if found.loved is None:
            title = GEMS_TITLE
        else:
            card = self.app.catalog.get(found.loved)
            title = f"Because you loved {title_with_year(card) if card is not None else f'movie {found.loved}'}"
        message = f"⚠ {describe_failure(found.error)}; retrying" if found.error is not None else ""
        row.show(title, found.recommendations, message or "Nothing left to show here.", score_label)

    def _retry_later(self, error: Exception) -> None:
        delay = retry_delay(self.failures)
        self.failures += 1
        log.info("a row failed (%s); searching the rows again in %.0f s", error, delay)
        self.retry_timer = self.app.set_timer(delay, self.retry)

    def retry(self) -> None:
        """What the retry timer does: search the rows again now."""
        self.retry_timer = None
        if self._asked is not None and not self.due:  # else newer rows are on their way already
            self.request(self.generation, *self._asked)

    def _painted(self, generation: int) -> None:
        self.painted_generation = generation
        self.painted_at = time.perf_counter()
        self.app.startup.first_screen_painted()  # the cards, the rows and the panel are on screen
