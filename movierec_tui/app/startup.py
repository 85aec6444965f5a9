"""Getting the app ready: the title index, every card, the saved profile (the one named, or when
resuming the one used last: resume.py) and the seed movies, read in a worker; a store that is down
at start is retried, never a crash. Profile saves a previous run kept on disk while Redis was down
(or before it was killed) are written into Redis first.

Also where the garbage collector is tuned (`tune_gc`): with the model, libraries, title index and
cards on the heap, a full collection pauses the UI for ~200 ms at random moments. Once the catalogue
is loaded, everything allocated so far is frozen (never scanned again) and full collections run only
when the person has been idle for a second and something new has reached the old generation; young
garbage is still collected as usual.
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from movierec_tui.app.conversation import SEED_POOL
from movierec_tui.app.profile_sync import usable_names
from movierec_tui.app.resume import last_name, welcome_back
from movierec_tui.engine import MovieCard
from movierec_tui.profile import Profile
from movierec_tui.wording import plural

if TYPE_CHECKING:  # the app starts the loader; only its type is needed here
    from movierec_tui.app.main import MovieRecApp

log = logging.getLogger(__name__)

IDLE_SECONDS = 1.0  # a full collection waits until the person has been idle this long
FIRST_SCREEN_LIMIT = 10.0  # seconds; a start on a busy machine takes up to 5-7 s (benchmarks/ssh_load.py)


class Startup:
    def __init__(self, app: MovieRecApp) -> None:
        self.app = app
        # Called once, when the first screen is painted or the app waits for a store, or at the latest
        # FIRST_SCREEN_LIMIT seconds after the start (rows that keep failing): a served app's signal to
        # the server that the next app may start (serve/start_gate.py), and that it may now run at the
        # server's priority (serve/lifeline.py).
        self.on_first_screen: Callable[[], None] | None = None

    def first_screen_painted(self) -> None:
        if self.on_first_screen is not None:
            announce, self.on_first_screen = self.on_first_screen, None
            announce()

    def start(self) -> None:
        if self.on_first_screen is not None:
            self.app.set_timer(FIRST_SCREEN_LIMIT, self.first_screen_painted)
        self._load_in_worker()

    def _load_in_worker(self) -> None:
        """The load, at the start and again after a store failed (`_failed`)."""
        self.app.run_worker(self._load, thread=True, exclusive=True, group="startup", exit_on_error=False)

    def _load(self) -> None:
        """In a worker thread."""
        app = self.app
        recommender = app.recommender
        try:
            replayed = recommender.profiles.replay()  # before anything reads a profile
            titles = recommender.titles
            catalog = recommender.catalogue_cards()
            name = app.profile_name or (last_name(recommender.profiles) if app.resume else None)
            loaded, problem = app.profile_sync.read(name) if name else (None, None)
            exclude = set(loaded.ratings) | set(loaded.dismissed) if loaded else set()
            seeds = recommender.seed_movies(SEED_POOL, exclude=exclude)
            names = recommender.profiles.names()
            waiting = recommender.profiles.waiting()  # left in the journal: Redis failed again meanwhile
        except Exception as exc:  # a store down at start: say so and retry, never crash
            log.warning("startup failed", exc_info=True)
            app.call_from_thread(self._failed, exc)
            return
        log.info("catalogue ready: %d titles, %d cards", len(titles), len(catalog))
        app.call_from_thread(self._ready, catalog, name, loaded, problem, seeds, names, replayed, waiting)

    def _failed(self, exc: Exception) -> None:
        app = self.app
        delay = app.refresher.note_failure(exc)
        app.cards.empty_message = "Waiting for the stores…"
        app.cards.show([])
        app.refresher.retry_timer = app.set_timer(delay, self._load_in_worker)
        self.first_screen_painted()  # waiting now, at next to no cost

    def _ready(
        self, catalog: dict[int, MovieCard], name: str | None, loaded: Profile | None, problem: str | None,
        seeds: list[MovieCard], names: list[str], replayed: list[str], waiting: list[str],
    ) -> None:  # fmt: skip
        app = self.app
        app.refresher.recovered()
        if app.tune_gc:
            gc.collect()
            gc.freeze()
            gen0, gen1, _ = gc.get_threshold()
            gc.set_threshold(gen0, gen1, 1_000_000)  # no automatic full passes; see _idle_collect
            app.set_interval(3.0, self._idle_collect)
        app.catalog = catalog
        app.conversation.start(seeds)
        app.profile_sync.saved_names = usable_names(names)
        app.ready = True
        app.cards.empty_message = "No movie matches these filters. Try “clear filters”."
        if replayed:
            app.profile_sync.note_replayed(replayed, at_start=True)
        if name and not app.profile_name:
            welcome_back(app, name, loaded, problem)
        elif name:
            app.profile_sync.saved_as = name
            if loaded is not None:
                app.profile = loaded
                app.say(f"Welcome back! I loaded the profile '{name}' with {plural(len(loaded.ratings), 'rating')}.")
            else:
                app.tell(f"{problem} Starting with a fresh profile.", severity="warning", timeout=8)
                app.say(f"{problem} Let's start fresh; ctrl+s will save under that name.")
        if waiting:
            app.profile_sync.journal_waits(waiting)
        app.show_profile()
        app.refresher.request()
        app.carry_out(app.conversation.ask_next(app.profile))

    def _idle_collect(self) -> None:
        """A full pass only if something reached the old generation since the last one (a collection of
        the middle generation moved its survivors there): an app left idle allocates next to nothing, and
        16 served apps each walking their heap every 3 s while others start took ~7% of a 2-core machine.
        Typing is activity too: a pass between two keys of a message delayed that key's echo."""
        app = self.app
        busy_at = max(app.last_activity, app.chat_input.typed_at)
        if app.refresher.in_flight or time.monotonic() - busy_at <= IDLE_SECONDS:
            return
        if gc.get_count()[2] > 0:  # middle-generation passes since the last full one
            gc.collect()
