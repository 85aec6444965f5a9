"""Keeping the cards up to date: the throttled refresh, the outage banner, retries and the probe.

Every profile change asks for a refresh; refreshes are throttled: the first change after a quiet
spell (DEBOUNCE_SECONDS) starts one at once, and changes that arrive while one is running or within
the window are folded into a single trailing refresh with the latest profile. At most one search
runs at a time (in a worker thread, so a slow or dead store never freezes typing), results of an
outdated request are never shown, and a failure leaves the last cards on screen, shows a banner,
keeps the profile in memory and retries with backoff. When Redis is down but the search works, the
cards come from memory and a probe looks for Redis now and then.

The cards are painted first, in a frame of their own: they are what the person is watching, and
the keypress-to-cards time is what `benchmarks/tui.py` holds to its target. The rows under the
cards (app/rows.py) lose what the new profile rated or listed in that frame (their lines are
cheap), and are searched once the cards are painted. The profile panel (the rating just made, in
the ratings list) is repainted with the rows of the pending refresh, in the rows' frame: one repaint
for both, not one more per rating (it matters with many sessions on one machine), and none in the
cards' frame, where it cost a third of it. When the rows are slow, the panel does not wait for them
beyond PANEL_FALLBACK_SECONDS.
"""

from __future__ import annotations

import copy
import logging
import time
from functools import partial
from typing import TYPE_CHECKING

from rich.text import Text
from textual.timer import Timer
from textual.widgets import Static

from movierec_tui.engine import MovieCard, Recommendation, StoreUnavailable
from movierec_tui.profile import Profile
from movierec_tui.widgets.cards import change_hint
from movierec_tui.wording import title_with_year

if TYPE_CHECKING:  # the app holds the refresher; only its type is needed here
    from movierec_tui.app.main import MovieRecApp

log = logging.getLogger(__name__)

DEBOUNCE_SECONDS = 0.1
RETRY_SECONDS = (1.0, 2.0, 4.0, 8.0, 15.0, 30.0)
PANEL_FALLBACK_SECONDS = 0.5  # the panel is painted by then even if the refresh it waits for failed


def describe_failure(exc: BaseException) -> str:
    """A short, human description of a failure: which store is down (the engine says), or else that
    something failed, with the cause on one line."""
    detail = " ".join(str(exc).split())[:120]
    what = "Recommendations failed"
    if isinstance(exc, StoreUnavailable):  # the engine's error names the store
        what = f"{exc.store.capitalize()} is not reachable"
    return f"{what} ({detail})" if detail else what


def retry_delay(failures: int) -> float:
    """Seconds to wait after `failures` failures in a row (1, 2, 4, 8, 15, then every 30 s)."""
    return RETRY_SECONDS[min(failures, len(RETRY_SECONDS) - 1)]


class Refresher:
    def __init__(self, app: MovieRecApp) -> None:
        self.app = app
        self.generation = 0  # of the latest refresh started
        self.painted_generation = 0  # of the latest results on screen (after a repaint)
        self.painted_at = 0.0  # perf_counter when they were painted
        self.took_ms = 0.0  # the engine's time for them (its last_timings, read in the worker)
        self.results: list[Recommendation] = []  # what the cards show
        self.more_like: MovieCard | None = None  # they show movies like this one; None: own picks
        self.in_flight = False
        self.stale = False
        self._last_start = -1e9
        self._timer: Timer | None = None
        self._notes: list[str] = []  # what changed since the last cards, for the hint above them
        self._shown: dict[int | None, list[int]] = {}  # ids last shown, per mode (None: own picks)
        self.failures = 0
        self.retry_timer: Timer | None = None
        self._probe_timer: Timer | None = None  # while cards come from memory: when to look for Redis
        self._panel_pending = False
        self._panel_timer: Timer | None = None
        self._lines: dict[str, tuple] = {}  # what the lines above the cards show (`_update_line`)

    @property
    def idle(self) -> bool:
        """No refresh running, due or waiting for its time, nor the rows' search that follows one, nor
        a profile panel waiting to be painted with them."""
        return (
            not self.in_flight and not self.stale and self._timer is None and not self.app.rows.due
            and not self._panel_pending
        )  # fmt: skip

    # -- the throttle -------------------------------------------------------------------------------

    def request(self, note: str | None = None) -> None:
        """Ask for new cards for the current profile; `note` says what changed ("Horror hidden")."""
        if note:
            self._notes.append(note)
        self.stale = True
        self.app.last_activity = time.monotonic()
        self._schedule()

    def show_more_like(self, card: MovieCard) -> None:
        self.more_like = card
        self._shown.pop(card.movie_id, None)
        self.app.say(Text.assemble("Showing the movies most like ", (title_with_year(card), "bold"),
                                   ", as its details list them, within your filters. "
                                   "Say back or press escape for your own picks."))  # fmt: skip
        self.request()

    def back_to_mine(self) -> None:
        """The person's own picks again, instead of "more like"."""
        if self.more_like is not None:
            self.more_like = None
            self.request()

    def start_over(self) -> None:
        """A new profile (reset, or loaded): own picks, and no "+3 new" against the old lists."""
        self.more_like = None
        self._shown.clear()

    def _schedule(self) -> None:
        if not self.app.ready or self.in_flight or self._timer is not None or not self.stale:
            return
        wait = DEBOUNCE_SECONDS - (time.monotonic() - self._last_start)
        if wait > 0:
            self._timer = self.app.set_timer(wait, self._timer_fired)
        else:
            self._start()

    def _timer_fired(self) -> None:
        self._timer = None
        self._schedule()

    def _start(self) -> None:
        self.stale = False
        self.in_flight = True
        self._last_start = time.monotonic()
        self.generation += 1
        profile, like = copy.deepcopy(self.app.profile), self.more_like
        # Not `exclusive`: `_show` runs (via call_from_thread) while this worker is still finishing and
        # may start the next refresh at once; cancelling the finishing one would gain nothing. The
        # in-flight flag already keeps it to one search at a time.
        work = partial(self._recommend, self.generation, profile, like)
        self.app.run_worker(work, thread=True, group="recommend", exit_on_error=False)

    def _recommend(self, generation: int, profile: Profile, like: MovieCard | None) -> None:
        """In a worker thread."""
        recommender = self.app.recommender
        try:
            if like is not None:
                results = recommender.more_like(like.movie_id, profile, self.app.k)
            else:
                results = recommender.recommend(profile, self.app.k)
            took = recommender.last_timings.total
        except Exception as exc:  # Redis or Milvus gone: keep what is on screen, retry later
            # A store failure is expected (a restart, the app closing its stores on a hang-up): its one
            # line names the store; a traceback is kept for anything else.
            log.warning("refresh failed: %s", exc, exc_info=not isinstance(exc, StoreUnavailable))
            self.app.call_from_thread(self._failed, exc)
            return
        self.app.call_from_thread(self._show, generation, profile, like, results, took)

    # -- showing the results ------------------------------------------------------------------------

    def _show(
        self, generation: int, profile: Profile, like: MovieCard | None, results: list[Recommendation], took_ms: float
    ) -> None:
        app = self.app
        self.in_flight = False
        down = app.recommender.cards_down
        if down is None:
            self.recovered()
        else:
            self._cards_from_memory(down)
        if like is not self.more_like:  # the mode changed while searching; the next refresh is due
            self.stale = True
            self._schedule()
            return
        mode = like.movie_id if like is not None else None
        ids = [r.card.movie_id for r in results]
        previous = self._shown.get(mode)
        new_ids = frozenset(ids) - set(previous) if previous is not None else frozenset()
        hint = change_hint(previous, ids, self._notes)
        self._notes.clear()
        self._shown[mode] = ids
        self.results = results
        self.took_ms = took_ms
        app.cards.show(results, new_ids, "match" if like is None else "sim")
        app.rows.prune(profile, ids)
        if like is None:
            title = Text("For you", style="bold")
        else:
            title = Text.assemble(("More like ", "bold"), (title_with_year(like), "bold"))
            hint = " · ".join(p for p in (hint, "esc: back to your picks") if p)
        self._update_line("#cards-title", title)
        self._update_line("#cards-hint", Text(hint, no_wrap=True, overflow="ellipsis"))
        timing = f"{len(results)} picks · {took_ms:.0f} ms" if app.show_timings else f"{len(results)} picks"
        self._update_line("#cards-timing", Text(timing, style="dim", justify="right"))
        app.call_after_refresh(self._painted, generation, profile, ids)
        if self.stale:
            self._schedule()

    def _update_line(self, selector: str, text: Text) -> None:
        """A one-line widget of fixed size above the cards: no layout pass (one costs more than the
        cards), and no repaint when its text is what it shows ("For you", after every rating)."""
        shown = (text.plain, text.style, tuple(text.spans), text.justify)
        if self._lines.get(selector) != shown:
            self._lines[selector] = shown
            self.app.query_one(selector, Static).update(text, layout=False)

    def _painted(self, generation: int, profile: Profile, ids: list[int]) -> None:
        self.painted_generation = generation
        self.painted_at = time.perf_counter()
        self.app.rows.request(generation, profile, ids)  # whose frame paints the panel too (flush_panel)

    # -- the profile panel, painted with the rows ---------------------------------------------------

    def show_profile(self) -> None:
        """Update the profile panel with the rows of the pending refresh (`flush_panel`, from the rows'
        frame); at once when no refresh is pending; a timer makes sure it happens even if the refresh
        or the rows fail, or the rows are slow."""
        if self._panel_pending:
            return
        self._panel_pending = True
        if self.in_flight or self.stale:
            self._panel_timer = self.app.set_timer(PANEL_FALLBACK_SECONDS, self.flush_panel)
        else:
            self.app.call_later(self.flush_panel)

    def flush_panel(self) -> None:
        """Paint the profile panel if an update is pending (the rows call it as they paint)."""
        if self._panel_timer is not None:
            self._panel_timer.stop()
            self._panel_timer = None
        if not self._panel_pending:
            return
        self._panel_pending = False
        self.app.paint_profile()

    # -- outages ------------------------------------------------------------------------------------

    def _failed(self, exc: Exception) -> None:
        self.in_flight = False
        delay = self.note_failure(exc)
        self.stale = True
        if self.retry_timer is not None:
            self.retry_timer.stop()
        self.retry_timer = self.app.set_timer(delay, self.retry)

    def retry(self) -> None:
        """What the retry timer does: try again now."""
        self.retry_timer = None
        self.stale = True
        self._schedule()

    def note_failure(self, exc: Exception, showing: str = "showing the last recommendations") -> float:
        """Show the outage (banner always, a notification once) and return the retry delay."""
        what = describe_failure(exc)
        delay = retry_delay(self.failures)
        if self.failures == 0:
            self.app.tell(f"{what}. Your profile is kept; retrying.", title="Connection problem", severity="error")
        self.failures += 1
        banner = self.app.query_one("#banner", Static)
        banner.update(Text(f"⚠ {what} — {showing}; retrying in {delay:.0f} s"))
        banner.display = True
        return delay

    def _cards_from_memory(self, exc: StoreUnavailable) -> None:
        """Redis is down but the search worked: the cards came from memory. Say so, and look for Redis."""
        if self._probe_timer is None:
            delay = self.note_failure(exc, "movie cards from memory, your profile is kept and saved when it is back")
            self._probe_timer = self.app.set_timer(delay, self._probe)

    def _probe(self) -> None:
        self.app.run_worker(self._probe_in_thread, thread=True, group="probe", exit_on_error=False)

    def _probe_in_thread(self) -> None:
        back = self.app.recommender.probe_cards()
        self.app.call_from_thread(self._probed, back)

    def _probed(self, back: bool) -> None:
        self._probe_timer = None
        down = self.app.recommender.cards_down
        if back:
            self.recovered()
            self.stale = True  # fresh cards from Redis again
            self._schedule()
        elif down is not None:
            self._cards_from_memory(down)

    def recovered(self) -> None:
        """The stores answer: the banner goes, and saves held back while Redis was away go out."""
        if self.failures:
            self.failures = 0
            self.app.query_one("#banner", Static).display = False
            self.app.tell("Connected again; recommendations are live.", title="Back online", timeout=4)
        self.app.profile_sync.flush()
