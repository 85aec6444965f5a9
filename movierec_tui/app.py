"""The Textual app: a chat on the left, live recommendations in the middle, the profile on the right.

The app owns one :class:`Profile` (UI thread only) and talks to the stores only through the
:class:`Recommender`, always from worker threads, so a slow or dead Redis or Milvus never freezes
typing. Every profile change asks for a refresh; refreshes are throttled: the first change after a
quiet spell (100 ms) starts one at once, and changes that arrive while one is running or within the
window are folded into a single trailing refresh with the latest profile. At most one search runs at
a time, results of an outdated request are never shown, and a failure leaves the last cards on
screen, shows a banner, keeps the profile in memory and retries with backoff.

Why the key handling looks the way it does: a focused ``Input`` consumes printable keys, so letter
bindings (1-5, l, d, x, m, q, /) live on the cards and lists, where there is no typing, while
F1 and ctrl+keys are priority bindings and escape leaves the input. ``?`` opens help, except in an
input that already has text, where it is typed ("why Brazil?"): the chat input declines to consume
it only when empty.
"""

from __future__ import annotations

import copy
import gc
import logging
import time
from collections.abc import Iterable
from typing import ClassVar

from rich.console import RenderableType
from rich.text import Text
from textual import work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.events import Resize
from textual.screen import Screen
from textual.theme import Theme
from textual.widgets import Footer, Header, Input, Static

from movierec_tui import chat
from movierec_tui.catalogue import AGE_BUCKETS
from movierec_tui.chat import (
    Back,
    Dismiss,
    Edit,
    Expecting,
    Forget,
    Help,
    Intent,
    Load,
    Mention,
    MoreLike,
    Rate,
    Reset,
    Save,
    SetAge,
    SetGender,
    SetOccupation,
    Skip,
    Undo,
    Unknown,
    Why,
    apply_intent,
    parse,
    unchanged_message,
)
from movierec_tui.engine import MovieCard, Recommendation, Recommender, StoreUnavailable, UnreadableProfile
from movierec_tui.profile import Profile, valid_profile_name
from movierec_tui.titles import TitleEntry
from movierec_tui.widgets.cards import CardAction, CardList, change_hint
from movierec_tui.widgets.chat_pane import ChatInput, ChatLog, ChatPane, QuickReplies
from movierec_tui.widgets.explain import explain
from movierec_tui.widgets.profile_panel import ProfilePanel, RatingEdit
from movierec_tui.widgets.screens import (
    Details,
    DetailsScreen,
    HelpScreen,
    NamePrompt,
    ProfilesScreen,
    SearchScreen,
    movie_row,
)
from movierec_tui.widgets.theme import DARK, LIGHT, THEMES, palette
from movierec_tui.wording import HELP_LINES, Choice, clean, stars, title_with_year

log = logging.getLogger(__name__)

DEBOUNCE_SECONDS = 0.1
RETRY_SECONDS = (1.0, 2.0, 4.0, 8.0, 15.0, 30.0)
SEED_TARGET = 5  # well-known movies to ask about before the questions stop
SEED_POOL = 15
SIMILAR = 8
MAX_UNDO = 50
NARROW = 100  # below this many columns the profile panel folds away
TINY = 70  # below this the chat and the cards stack

RATING_CHOICES = (
    Choice("5 loved it", "5"),
    Choice("4", "4"),
    Choice("3", "3"),
    Choice("2", "2"),
    Choice("1 hated it", "1"),
    Choice("not seen", "skip"),
)
AGE_CHOICES = (*(Choice(label, label) for label in AGE_BUCKETS.values()), Choice("skip", "skip"))
GENDER_CHOICES = (Choice("female", "female"), Choice("male", "male"), Choice("skip", "skip"))
OCCUPATION_CHOICES = (*(Choice(o, o) for o in chat.QUICK_OCCUPATIONS), Choice("skip", "skip"))
TIPS = (Choice("help", "help"), Choice("no horror", "no horror"), Choice("from the 90s", "from the 90s"))


class MovieRecApp(App[None]):
    """`MovieRecApp(recommender)`; the caller owns the recommender and closes it after `run()`."""

    CSS_PATH = "app.tcss"
    TITLE = "movierec"
    SUB_TITLE = "MovieLens 1M · two-tower model · Milvus + Redis"
    ENABLE_COMMAND_PALETTE = True

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True),
        Binding("q", "quit", "Quit", show=False),
        Binding("question_mark", "help", "Help", key_display="?", priority=True),
        Binding("f1", "help", "Help", show=False, priority=True),
        Binding("slash", "find", "Find", show=False),
        Binding("ctrl+f", "find", "Find", priority=True),
        Binding("ctrl+s", "save_profile", "Save", show=False, priority=True),
        Binding("ctrl+o", "load_profile", "Load", show=False, priority=True),
        Binding("ctrl+z", "undo", "Undo", show=False, priority=True),
        Binding("ctrl+t", "toggle_theme", "Theme", show=False, priority=True),
        Binding("f2", "toggle_profile", "Profile", show=False, priority=True),
        Binding("p", "toggle_profile", "Profile", show=False),
        Binding("i", "focus_chat", "Chat", show=False),
        Binding("escape", "escape", "Back", show=False),
    ]

    def __init__(
        self,
        recommender: Recommender,
        *,
        profile_name: str | None = None,
        k: int = 20,
        cursor_blink: bool = True,
        show_timings: bool = True,
        tune_gc: bool = False,
        served: str = "",
    ) -> None:
        """`tune_gc`: keep the garbage collector's full passes out of the way of keypresses. With the
        model, libraries, title index and cards on the heap, a full collection pauses the UI for
        ~200 ms at random moments. Once the catalogue is loaded, everything allocated so far is frozen
        (never scanned again) and full collections run only when the person has been idle for a
        second; young garbage is still collected as usual. Meant for the process that runs the app
        (the CLI); tests that create many apps leave it off.
        `served`: "ssh" or "web" when `serve` started this process for someone else."""
        super().__init__()
        self.served = served
        self.tune_gc = tune_gc
        self._last_activity = time.monotonic()
        self.recommender = recommender
        catalogue = recommender.catalogue  # which dataset, how many movies, which years
        if catalogue is not None:
            self.sub_title = catalogue.describe()
        self.profile_name = profile_name
        self.k = k
        self.cursor_blink = cursor_blink
        self.show_timings = show_timings

        self.profile = Profile()
        self.undo_stack: list[Profile] = []
        self.saved_as: str | None = None
        self.dirty = False
        self.ready = False
        self.catalog: dict[int, MovieCard] = {}
        self.saved_names: list[str] = []
        self.more_like: MovieCard | None = None
        self.results: list[Recommendation] = []

        # conversation
        self.asking: Expecting | None = None
        self.question: str | None = None
        self.onboarding = True
        self.skipped: set[str] = set()
        self.seeds: list[MovieCard] = []  # well-known movies to ask about, chosen once at start
        self.seed_queue: list[MovieCard] = []  # re-ordered by the profile before each question
        self.seeds_asked: set[int] = set()
        self.seeds_rated = 0

        # refresh machinery
        self.generation = 0  # of the latest refresh started
        self.painted_generation = 0  # of the latest results on screen (after a repaint)
        self.painted_at = 0.0  # perf_counter when they were painted
        self._in_flight = False
        self._stale = False
        self._last_start = -1e9
        self._timer = None
        self._notes: list[str] = []
        self._shown: dict[int | None, list[int]] = {}
        self._failures = 0
        self._retry_timer = None
        self._probe_timer = None  # while cards come from memory: when to see whether Redis is back
        # Saving: the latest profile to save (name, JSON, say so when done), one save at a time.
        self._pending_save: tuple[str, str, bool] | None = None
        self._saving = False
        self._save_timer = None
        self._save_failures = 0
        self._profile_visible: bool | None = None  # None: automatic by width
        self._panel_pending = False
        self._panel_timer = None

    # -- layout -----------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        yield Static(id="banner")
        with Horizontal(id="main"):
            yield ChatPane(id="chat-pane")
            with Vertical(id="cards-pane"):
                with Horizontal(id="cards-top"):
                    yield Static("For you", id="cards-title")
                    yield Static("", id="cards-timing")
                yield Static("", id="cards-hint")
                yield CardList(id="cards")
            yield ProfilePanel(id="profile-panel")
        yield Footer()

    def on_mount(self) -> None:
        for theme in THEMES:
            self.register_theme(theme)
        self.theme = DARK.name
        self.theme_changed_signal.subscribe(self, self._on_theme_changed)
        self.query_one("#banner", Static).display = False
        for widget in self.query(Input):
            widget.cursor_blink = self.cursor_blink
        self.cards.empty_message = "Loading the catalogue…"
        self.cards.show([])
        self._layout_for(self.size.width)
        self.say(
            Text.assemble(
                "Hi! I'm ",
                ("movierec", "bold"),
                ". I suggest movies from MovieLens 1M and learn from every rating you give. "
                "A few quick questions first; type ",
                ("skip", "bold"),
                " to skip any, or ",
                ("help", "bold"),
                " for what I understand.",
            )
        )
        self.show_profile()
        self.chat_input.focus()
        self._startup()

    def on_resize(self, event: Resize) -> None:
        self._layout_for(event.size.width)

    def _layout_for(self, width: int) -> None:
        narrow = width < NARROW
        self.set_class(narrow, "-narrow")
        self.set_class(width < TINY, "-tiny")
        visible = (not narrow) if self._profile_visible is None else self._profile_visible
        self.set_class(visible, "-profile-visible")

    @property
    def cards(self) -> CardList:
        return self.query_one("#cards", CardList)

    @property
    def chat_log(self) -> ChatLog:
        return self.query_one("#chat-log", ChatLog)

    @property
    def chat_input(self) -> ChatInput:
        return self.query_one("#chat-input", ChatInput)

    @property
    def quick_replies(self) -> QuickReplies:
        return self.query_one("#quick-replies", QuickReplies)

    # -- startup ----------------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="startup", exit_on_error=False)
    def _startup(self) -> None:
        """Title index, every card (one pipelined read), the saved profile and seed movies."""
        try:
            titles = self.recommender.titles
            catalog = self.recommender.catalogue_cards()
            loaded, problem = None, None
            if self.profile_name:
                loaded, problem = self._read_profile(self.profile_name)
            exclude = set(loaded.ratings) | set(loaded.dismissed) if loaded else set()
            seeds = self.recommender.seed_movies(SEED_POOL, exclude=exclude)
            names = self.recommender.profiles.names()
        except Exception as exc:  # a store down at start: say so and retry, never crash
            log.warning("startup failed", exc_info=True)
            self.call_from_thread(self._startup_failed, exc)
            return
        log.info("catalogue ready: %d titles, %d cards", len(titles), len(catalog))
        self.call_from_thread(self._catalogue_ready, catalog, loaded, problem, seeds, names)

    def _read_profile(self, name: str) -> tuple[Profile | None, str | None]:
        """(profile, None) or (None, a one-line reason); runs in a worker."""
        try:
            loaded = self.recommender.profiles.load(name)
        except UnreadableProfile as exc:
            # Kept for inspection under another key, so that saving under this name cannot destroy it.
            kept = self.recommender.profiles.set_aside(exc)
            log.warning("saved profile %r is unreadable (%s); kept as %s", name, exc, kept)
            where = f" It is kept as '{kept}' for inspection." if kept else ""
            return None, f"The saved profile '{name}' is unreadable ({exc}).{where}"
        if loaded is None:
            return None, f"There is no saved profile named '{name}'."
        return loaded, None

    def _startup_failed(self, exc: Exception) -> None:
        delay = self._note_failure(exc)
        self.cards.empty_message = "Waiting for the stores…"
        self.cards.show([])
        self._retry_timer = self.set_timer(delay, self._startup)

    def _catalogue_ready(
        self,
        catalog: dict[int, MovieCard],
        loaded: Profile | None,
        problem: str | None,
        seeds: list[MovieCard],
        names: list[str],
    ) -> None:
        self._recovered()
        if self.tune_gc:
            gc.collect()
            gc.freeze()
            gen0, gen1, _ = gc.get_threshold()
            gc.set_threshold(gen0, gen1, 1_000_000)  # no automatic full passes; see _idle_collect
            self.set_interval(3.0, self._idle_collect)
        self.catalog = catalog
        self.seeds = list(seeds)
        self.seed_queue = list(seeds)
        self.saved_names = usable_names(names)
        self.ready = True
        self.cards.empty_message = "No movie matches these filters. Try “clear filters”."
        if self.profile_name:
            self.saved_as = self.profile_name
            if loaded is not None:
                self.profile = loaded
                self.say(
                    f"Welcome back! I loaded the profile '{self.profile_name}' with "
                    f"{len(loaded.ratings)} rating{'s' * (len(loaded.ratings) != 1)}."
                )
            else:
                self.tell(f"{problem} Starting with a fresh profile.", severity="warning", timeout=8)
                self.say(f"{problem} Let's start fresh; ctrl+s will save under that name.")
        self.show_profile()
        self.request_refresh()
        self.ask_next()

    # -- conversation -----------------------------------------------------------------------------

    def tell(self, message: str, **kwargs) -> None:
        """A notification whose text is shown as is: it may quote a profile name, a stored value or an
        error from a store, none of which must be read as markup."""
        self.notify(message, markup=False, **kwargs)

    def say(self, message: str | Text, choices: Iterable[Choice] | None = None) -> None:
        """A message from the app; `choices` replace the quick replies when given."""
        self.chat_log.add(message if isinstance(message, Text) else Text(message), "bot")
        if choices is not None:
            self.quick_replies.set_choices(list(choices))

    def ask_next(self) -> None:
        """The next onboarding question, skipping what is already known."""
        if not self.onboarding:
            return
        profile = self.profile
        if profile.age is None and "age" not in self.skipped:
            self._ask("age", Expecting("age"), "How old are you?", AGE_CHOICES)
        elif profile.gender is None and "gender" not in self.skipped:
            question = "Gender? (MovieLens only recorded female or male.)"
            self._ask("gender", Expecting("gender"), question, GENDER_CHOICES)
        elif profile.occupation is None and "occupation" not in self.skipped:
            self._ask("occupation", Expecting("occupation"), "What do you do for a living?", OCCUPATION_CHOICES)
        elif self.seeds_rated < SEED_TARGET and len(profile.ratings) < SEED_TARGET and self._next_seed():
            pass
        else:
            self.finish_onboarding()

    def _ask(self, question: str, expecting: Expecting, text: str | Text, choices: Iterable[Choice]) -> None:
        self.question = question
        self.asking = expecting
        self.say(text, choices)

    def _next_seed(self) -> bool:
        self._steer_seeds()
        while self.seed_queue:
            card = self.seed_queue.pop(0)
            if card.movie_id in self.profile.ratings or card.movie_id in self.profile.dismissed:
                continue
            self.seeds_asked.add(card.movie_id)
            first = self.seeds_rated == 0 and not self.profile.ratings
            lead = "Now a few well-known movies. " if first else ""
            text = Text.assemble(
                lead,
                "Have you seen ",
                (title_with_year(card), "bold"),
                (f"  {', '.join(card.genres)}", "dim italic"),
                "? Rate it 1-5, or say skip.",
            )
            self._ask("seed", Expecting("rating", entry_for(card)), text, RATING_CHOICES)
            return True
        return False

    def _steer_seeds(self) -> None:
        """Re-order the movies still to ask about by how well they match the profile so far (a
        forward pass and arithmetic: a few milliseconds). If the model cannot answer, the queue
        chosen at start (popularity order) stays."""
        try:
            steered = self.recommender.seed_movies(SEED_POOL, exclude=self.seeds_asked, profile=self.profile)
        except Exception:  # never lose the question over it
            log.warning("steering the seed movies failed; asking in popularity order", exc_info=True)
            return
        if steered:
            self.seed_queue = steered

    def finish_onboarding(self) -> None:
        if not self.onboarding:
            return
        self.onboarding = False
        self.question = None
        self.asking = None
        self.say(
            Text.assemble(
                "Thanks! Your recommendations now follow every rating you give. Rate more (",
                ("Heat 4", "bold"),
                ", or press ",
                ("tab", "bold"),
                " and 1-5 on a card), filter (",
                ("no horror", "bold"),
                ", ",
                ("from the 80s", "bold"),
                "), explore (",
                ("more like Alien", "bold"),
                ", ",
                ("why Brazil?", "bold"),
                "). Press ? for every key.",
            ),
            TIPS,
        )

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id != "chat-input":
            return
        self.submit(event.value)  # the input has already emptied itself (see ChatInput._on_key)

    def on_quick_replies_picked(self, event: QuickReplies.Picked) -> None:
        self.submit(event.value)
        self.chat_input.focus()

    def submit(self, text: str) -> None:
        """One message from the person: echo it, understand it, act on it, answer."""
        shown = clean(text)
        if not shown:
            return
        self._last_activity = time.monotonic()
        self.chat_input.remember(shown)
        self.chat_log.add(Text(shown), "user")
        if not self.ready:
            self.say("One moment, I'm still loading the catalogue…")
            return
        try:
            chips_before = self.quick_replies.choices  # set_choices replaces the list, never edits it
            intents = parse(text, self.recommender.titles, self.asking)
            answered = False
            for intent in intents:
                answered = self.handle(intent) or answered
            if answered and self.onboarding:
                self.ask_next()
            if self.quick_replies.choices is chips_before and self.asking is None:
                # Chips left from an earlier answer ("did you mean…", a question since answered)
                # would offer choices about a message the person has moved on from.
                self.quick_replies.set_choices([])
        except Exception:  # a bug must cost one answer, not the session
            log.exception("handling %r failed", shown)
            self.say("Sorry, something went wrong with that (details are in the log). Try again?")

    def handle(self, intent: Intent) -> bool:
        """Act on one intent; True if it answered the current question (so the next one is due)."""
        answers = self._answers(intent)
        if isinstance(intent, Skip):
            return self._skip()
        edit = apply_intent(self.profile, intent)
        if edit is not None:
            if not edit.changed:
                self.say(unchanged_message(intent, edit))
                if isinstance(intent, Rate) and answers:
                    self.question, self.asking = None, None
                return answers
            if isinstance(intent, Reset) and self.saved_as is not None:
                # A reset starts a new profile; the saved one is kept, not overwritten by autosave.
                self.say(f"The saved profile '{self.saved_as}' is kept as it was.")
                self.saved_as = None
            self.apply(edit, announce=True)
            if isinstance(intent, Reset):
                self.restart_onboarding()
                return True
            if isinstance(intent, Rate) and answers:
                if self.question == "seed":
                    self.seeds_rated += 1
                self.question = None
                self.asking = None
            return answers
        match intent:
            case Mention(movie=movie):
                rated = self.profile.ratings.get(movie.movie_id)
                name = title_with_year(movie)
                if rated is not None:
                    text = Text.assemble("You rated ", (name, "bold"), f" {stars(rated)}. Change it?")
                else:
                    text = Text.assemble("How did you like ", (name, "bold"), "?")
                self._ask("movie", Expecting("rating", movie), text, RATING_CHOICES)
            case MoreLike(movie=movie):
                card = self._card_for(movie) if movie is not None else self._focused_card()
                if card is None:
                    self.say("More like which movie? Say e.g. “more like Alien”, or press m on a card.")
                else:
                    self.show_more_like(card)
            case Why(movie=movie):
                card = self._card_for(movie) if movie is not None else self._focused_card()
                if card is None:
                    self.say("Why which movie? Say e.g. “why Brazil?”, or press w on a card.")
                else:
                    self.say(self.explain(card))
            case Back():
                if self.more_like is not None:
                    self.back_to_mine()
                    self.say("Back to your own picks.")
                elif self.onboarding:
                    self.finish_onboarding()
                else:
                    self.say("You're looking at your own picks already.")
            case Undo():
                self.action_undo()
            case Help():
                self.show_chat_help()
            case Save(name=name):
                self.save_profile(name)
            case Load(name=name):
                if name is None:
                    self.list_profiles()
                else:
                    self.load_profile(name)
            case Unknown(message=message, suggestions=suggestions):
                self.say(message, [Choice(s, s) for s in suggestions] or None)
        return answers

    def _answers(self, intent: Intent) -> bool:
        match self.question, intent:
            case "age", SetAge():
                return True
            case "gender", SetGender():
                return True
            case "occupation", SetOccupation():
                return True
            case "seed" | "movie", Rate(movie=movie):
                return self.asking is not None and self.asking.movie == movie
        return False

    def _skip(self) -> bool:
        question = self.question
        if question in ("age", "gender", "occupation"):
            self.skipped.add(question)
            return True
        if question in ("seed", "movie"):
            self.question = None
            self.asking = None
            if self.onboarding:
                return True
            self.say("OK, skipped.", TIPS)
            return False
        self.say("There's nothing to skip right now.")
        return False

    def restart_onboarding(self) -> None:
        """After "reset": the questions again, with fresh seed movies, and no "more like"."""
        self.onboarding = True
        self.skipped.clear()
        self.seeds_rated = 0
        self.question = None
        self.asking = None
        self.more_like = None
        self._shown.clear()
        self.seed_queue = list(self.seeds)
        self.seeds_asked.clear()

    def show_chat_help(self) -> None:
        text = Text("Here is what I understand:\n")
        for topic, examples in HELP_LINES:
            text.append(f"{topic}: ", style="bold")
            text.append(f"{examples}\n")
        text.append("Press ? for every key, ctrl+p for commands.", style="italic")
        self.say(text)

    # -- profile edits ----------------------------------------------------------------------------

    def apply(self, edit: Edit, announce: bool = False) -> None:
        """Make `edit` the current profile (undoable), refresh the cards and show it in the panel.

        The refresh is requested first and the panel follows the new cards: both compete for one
        interpreter, and the cards are what the person is watching. Changes made with keys are not
        echoed in the chat (the panel and the hint above the cards say what changed)."""
        if not edit.changed:
            return
        self.undo_stack.append(self.profile)
        del self.undo_stack[:-MAX_UNDO]
        self.profile = edit.profile
        self.dirty = True
        self.request_refresh(edit.summary)
        self._autosave()
        if announce:
            self.say(Text.assemble(("✓ ", "bold"), edit.summary))
        self.show_profile()

    def action_undo(self) -> None:
        if not self.undo_stack:
            self.tell("Nothing to undo.", timeout=3)
            return
        self.profile = self.undo_stack.pop()
        self.dirty = True
        self.request_refresh("undone")
        self._autosave()
        self.say("↶ Undone.")
        self.show_profile()

    def show_profile(self) -> None:
        """Update the profile panel together with the cards of the pending refresh, in the same frame
        (one repaint, not two: it matters with many sessions on one machine); at once when no refresh
        is pending; a timer makes sure it happens even if the refresh fails."""
        if self._panel_pending:
            return
        self._panel_pending = True
        if self._in_flight or self._stale:
            self._panel_timer = self.set_timer(0.5, self._flush_panel)
        else:
            self.call_later(self._flush_panel)

    def _flush_panel(self) -> None:
        if self._panel_timer is not None:
            self._panel_timer.stop()
            self._panel_timer = None
        if not self._panel_pending:
            return
        self._panel_pending = False
        names = {m: self._movie_name(m) for m in self.profile.ratings}
        self.query_one(ProfilePanel).show(self.profile, names, self.saved_as, self.dirty)

    def _movie_name(self, movie_id: int) -> str:
        card = self.catalog.get(movie_id)
        return title_with_year(card) if card else f"movie {movie_id}"

    def _card_for(self, movie: TitleEntry) -> MovieCard | None:
        return self.catalog.get(movie.movie_id)

    def _focused_card(self) -> MovieCard | None:
        current = self.cards.current
        return current.card if current is not None else None

    def on_card_action(self, event: CardAction) -> None:
        card = self.catalog.get(event.movie_id)
        if card is None:
            return
        entry = entry_for(card)
        if event.action == "rate":
            edit = apply_intent(self.profile, Rate(entry, event.value))
            if edit is not None:
                self.apply(edit)
                if self.question in ("seed", "movie") and self.asking is not None and self.asking.movie == entry:
                    self.seeds_rated += self.question == "seed"
                    self.question = None
                    self.asking = None
                    self.ask_next()
        elif event.action == "dismiss":
            edit = apply_intent(self.profile, Dismiss(entry))
            if edit is not None:
                self.apply(edit)
        elif event.action == "more":
            self.show_more_like(card)
        elif event.action == "why":
            self.say(self.explain(card))
        elif event.action == "open":
            if isinstance(self.screen, DetailsScreen | SearchScreen):
                self.pop_screen()
            self.open_details(card)

    def on_rating_edit(self, event: RatingEdit) -> None:
        card = self.catalog.get(event.movie_id)
        if card is None:
            return
        if event.rating == 0:
            self.open_details(card)
            return
        intent = Forget(entry_for(card)) if event.rating is None else Rate(entry_for(card), event.rating)
        edit = apply_intent(self.profile, intent)
        if edit is not None:
            self.apply(edit)

    # -- more like / why / details ----------------------------------------------------------------

    def show_more_like(self, card: MovieCard) -> None:
        self.more_like = card
        self._shown.pop(card.movie_id, None)
        self.say(
            Text.assemble(
                "Showing movies like ",
                (title_with_year(card), "bold"),
                ", with your filters. Say back or press escape for your own picks.",
            )
        )
        self.request_refresh()

    def back_to_mine(self) -> None:
        if self.more_like is None:
            return
        self.more_like = None
        self.request_refresh()

    def explain(self, card: MovieCard) -> Text:
        profile = self.profile
        return explain(card, profile, self.results, self.more_like is not None,
                       lambda movie_id: self.recommender.score_of(profile, movie_id))  # fmt: skip

    def open_details(self, card: MovieCard) -> None:
        rec = next((r for r in self.results if r.card.movie_id == card.movie_id), None)
        scored = self.recommender.score_of(self.profile, card.movie_id) if rec is None else None
        score = rec.score if rec is not None else (scored.score if scored is not None else None)
        details = Details(
            card=card,
            your_rating=self.profile.ratings.get(card.movie_id),
            score=score,
            predicted=rec.predicted_rating if rec is not None else None,
            reason=rec.reason if rec is not None else None,
            similar=self.recommender.similar_to(card.movie_id, SIMILAR),
        )
        self.push_screen(DetailsScreen(details, palette(self)))

    # -- refreshing the cards ---------------------------------------------------------------------

    def request_refresh(self, note: str | None = None) -> None:
        """Ask for new cards for the current profile (see the module doc for the throttling)."""
        if note:
            self._notes.append(note)
        self._stale = True
        self._last_activity = time.monotonic()
        self._schedule()

    def _schedule(self) -> None:
        if not self.ready or self._in_flight or self._timer is not None or not self._stale:
            return
        wait = DEBOUNCE_SECONDS - (time.monotonic() - self._last_start)
        if wait > 0:
            self._timer = self.set_timer(wait, self._timer_fired)
        else:
            self._start_refresh()

    def _timer_fired(self) -> None:
        self._timer = None
        self._schedule()

    def _start_refresh(self) -> None:
        self._stale = False
        self._in_flight = True
        self._last_start = time.monotonic()
        self.generation += 1
        self._recommend(self.generation, copy.deepcopy(self.profile), self.more_like)

    # Not `exclusive`: `_show_results` runs (via call_from_thread) while this worker is still finishing
    # and may start the next refresh at once; cancelling the finishing one would gain nothing. The
    # in-flight flag already keeps it to one search at a time.
    @work(thread=True, group="recommend", exit_on_error=False)
    def _recommend(self, generation: int, profile: Profile, like: MovieCard | None) -> None:
        try:
            if like is not None:
                results = self.recommender.more_like(like.movie_id, profile, self.k)
            else:
                results = self.recommender.recommend(profile, self.k)
            took = self.recommender.last_timings.total
        except Exception as exc:  # Redis or Milvus gone: keep what is on screen, retry later
            log.warning("refresh failed: %s", exc, exc_info=True)
            self.call_from_thread(self._refresh_failed, exc)
            return
        self.call_from_thread(self._show_results, generation, like, results, took)

    def _show_results(
        self, generation: int, like: MovieCard | None, results: list[Recommendation], took_ms: float
    ) -> None:
        self._in_flight = False
        down = self.recommender.cards_down
        if down is None:
            self._recovered()
        else:
            self._cards_from_memory(down)
        if like is not self.more_like:  # the mode changed while searching; the next refresh is due
            self._stale = True
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
        self.cards.show(results, new_ids)
        if like is None:
            title = Text("For you", style="bold")
        else:
            title = Text.assemble(("More like ", "bold"), (title_with_year(like), "bold"))
            hint = " · ".join(p for p in (hint, "esc: back to your picks") if p)
        # One-line widgets of fixed size: no layout pass needed (a layout pass costs more than the cards).
        self.query_one("#cards-title", Static).update(title, layout=False)
        self.query_one("#cards-hint", Static).update(Text(hint, no_wrap=True, overflow="ellipsis"), layout=False)
        timing = f"{len(results)} picks · {took_ms:.0f} ms" if self.show_timings else f"{len(results)} picks"
        self.query_one("#cards-timing", Static).update(Text(timing, style="dim", justify="right"), layout=False)
        if self._panel_pending:  # in the same frame as the cards: one repaint instead of two
            self._flush_panel()
        self.call_after_refresh(self._painted, generation)
        if self._stale:
            self._schedule()

    def _idle_collect(self) -> None:
        if not self._in_flight and time.monotonic() - self._last_activity > 1.0:
            gc.collect()

    def _painted(self, generation: int) -> None:
        self.painted_generation = generation
        self.painted_at = time.perf_counter()
        if self._panel_pending:
            self.call_later(self._flush_panel)

    def _refresh_failed(self, exc: Exception) -> None:
        self._in_flight = False
        delay = self._note_failure(exc)
        self._stale = True
        if self._retry_timer is not None:
            self._retry_timer.stop()
        self._retry_timer = self.set_timer(delay, self._retry)

    def _retry(self) -> None:
        self._retry_timer = None
        self._stale = True
        self._schedule()

    def _note_failure(self, exc: Exception, showing: str = "showing the last recommendations") -> float:
        """Show the outage (banner always, a notification once) and return the retry delay."""
        what = describe_failure(exc)
        delay = RETRY_SECONDS[min(self._failures, len(RETRY_SECONDS) - 1)]
        if self._failures == 0:
            self.tell(f"{what}. Your profile is kept; retrying.", title="Connection problem", severity="error")
        self._failures += 1
        banner = self.query_one("#banner", Static)
        banner.update(Text(f"⚠ {what} — {showing}; retrying in {delay:.0f} s"))
        banner.display = True
        return delay

    def _cards_from_memory(self, exc: Exception) -> None:
        """Redis is down but the search worked: the cards came from memory. Say so, and look for Redis."""
        if self._probe_timer is None:
            delay = self._note_failure(exc, "movie cards from memory, your profile is kept and saved when it is back")
            self._probe_timer = self.set_timer(delay, self._probe)

    @work(thread=True, group="probe", exit_on_error=False)
    def _probe(self) -> None:
        back = self.recommender.probe_cards()
        self.call_from_thread(self._probed, back)

    def _probed(self, back: bool) -> None:
        self._probe_timer = None
        if back:
            self._recovered()
            self._stale = True  # fresh cards from Redis again
            self._schedule()
        elif self.recommender.cards_down is not None:
            self._cards_from_memory(self.recommender.cards_down)

    def _recovered(self) -> None:
        if self._failures:
            self._failures = 0
            self.query_one("#banner", Static).display = False
            self.tell("Connected again; recommendations are live.", title="Back online", timeout=4)
        self._flush_saves()

    # -- saving and loading -----------------------------------------------------------------------

    # A named profile (saved once, or opened with --profile) is saved after every change. Saves go
    # one at a time, always of the latest profile; a save that fails stays pending and is retried
    # (with backoff, and as soon as Redis is back), so nothing entered during an outage is lost.

    def save_profile(self, name: str | None) -> None:
        name = name or self.saved_as
        if name is None:
            self.push_screen(NamePrompt("Save the profile as"), self._save_named)
            return
        self._queue_save(name, announce=True)

    def _save_named(self, name: str | None) -> None:
        if name:
            self._queue_save(name, announce=True)

    def _autosave(self) -> None:
        if self.saved_as is not None:
            self._queue_save(self.saved_as, announce=False)

    def _queue_save(self, name: str, announce: bool) -> None:
        previous = self._pending_save
        announce = announce or (previous is not None and previous[0] == name and previous[2])
        self._pending_save = (name, self.profile.to_json(), announce)
        self._flush_saves()

    def _flush_saves(self) -> None:
        if self._save_timer is not None:
            self._save_timer.stop()
            self._save_timer = None
        if self._saving or self._pending_save is None:
            return
        if self.recommender.cards_down is not None:
            return  # Redis is known to be down: saved when the probe finds it back
        self._saving = True
        self._save(*self._pending_save)

    @work(thread=True, group="profiles", exit_on_error=False)
    def _save(self, name: str, profile_json: str, announce: bool) -> None:
        try:
            self.recommender.profiles.save(name, Profile.from_json(profile_json))
            names = self.recommender.profiles.names()
        except Exception as exc:
            log.warning("saving profile %r failed", name, exc_info=True)
            self.call_from_thread(self._save_failed, exc)
            return
        self.call_from_thread(self._saved, name, profile_json, announce, names)

    def _save_failed(self, exc: Exception) -> None:
        self._saving = False
        if self._save_failures == 0:
            self.tell(
                f"Could not save yet: {describe_failure(exc)}. Your profile is kept and saved when it is back.",
                severity="error",
            )
        delay = RETRY_SECONDS[min(self._save_failures, len(RETRY_SECONDS) - 1)]
        self._save_failures += 1
        self._save_timer = self.set_timer(delay, self._flush_saves)

    def _saved(self, name: str, profile_json: str, announce: bool, names: list[str]) -> None:
        self._saving = False
        self._save_failures = 0
        if self._pending_save is not None and self._pending_save[:2] == (name, profile_json):
            self._pending_save = None
        if announce:
            self.saved_as = name
        self.saved_names = usable_names(names)
        if name == self.saved_as:
            self.dirty = self.profile.to_json() != profile_json
        self.show_profile()
        if announce:
            self.say(Text.assemble("Saved as ", (name, "bold"), f". Load it any time with “load {name}”."))
            self.tell(f"Profile saved as '{name}'.", timeout=3)
        if self._pending_save is None and self.dirty and name == self.saved_as:
            self._autosave()  # changed while this save ran, before the profile had its name
        else:
            self._flush_saves()

    def load_profile(self, name: str) -> None:
        self._load(name)

    @work(thread=True, group="profiles", exit_on_error=False)
    def _load(self, name: str) -> None:
        try:
            loaded, problem = self._read_profile(name)
        except Exception as exc:
            log.warning("loading profile %r failed", name, exc_info=True)
            self.call_from_thread(self.tell, f"Could not load: {describe_failure(exc)}.", severity="error")
            return
        self.call_from_thread(self._loaded, name, loaded, problem)

    def _loaded(self, name: str, loaded: Profile | None, problem: str | None) -> None:
        if loaded is None:
            self.tell(f"{problem} Keeping the current profile.", severity="warning", timeout=6)
            self.say(f"{problem} I kept your current profile.")
            return
        self.undo_stack.append(self.profile)
        self.profile = loaded
        self.saved_as = name
        self.dirty = False
        self._shown.clear()
        self.more_like = None
        self.onboarding = False
        self.question = None
        self.asking = None
        self.show_profile()
        count = len(loaded.ratings)
        self.say(f"Loaded '{name}': {count} rating{'s' * (count != 1)}.", TIPS)
        self.request_refresh(f"loaded {name}")

    def list_profiles(self) -> None:
        self._list_profiles()

    @work(thread=True, group="profiles", exit_on_error=False)
    def _list_profiles(self) -> None:
        try:
            names = self.recommender.profiles.names()
        except Exception as exc:
            self.call_from_thread(self.tell, f"Could not list profiles: {describe_failure(exc)}.", severity="error")
            return
        self.call_from_thread(self._show_profile_names, names)

    def _show_profile_names(self, names: list[str]) -> None:
        names = self.saved_names = usable_names(names)
        if not names:
            self.say("No saved profiles yet. Say “save NAME” to save this one.")
        else:
            self.say("Saved profiles:", [Choice(f"load {n}", f"load {n}") for n in names[:12]])

    # -- actions ----------------------------------------------------------------------------------

    def _on_main_screen(self) -> bool:
        """Screen-opening keys (find, save, load) only act from the main screen, so that pressing one
        in a dialog does not stack another dialog on it."""
        return len(self.screen_stack) == 1

    def action_help(self) -> None:
        focused = self.focused
        if isinstance(focused, ChatInput) and focused.value:
            # Typed fast (or pasted), "why Brazil?" can reach this priority binding before the
            # input has taken the earlier letters, so the input's own check saw it empty.
            focused.insert_text_at_cursor("?")
            return
        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss(None)
        else:
            self.push_screen(HelpScreen())

    def action_find(self) -> None:
        if not self.ready or not self._on_main_screen():
            return
        self.push_screen(SearchScreen(lambda q: self.recommender.titles.search(q, 12), self._describe_title))

    def _describe_title(self, movie_id: int) -> RenderableType:
        card = self.catalog.get(movie_id)
        if card is None:
            return Text(f"movie {movie_id}")
        colours = palette(self)
        rated = self.profile.ratings.get(movie_id)
        last = Text(f"you: {rated}★", style=colours.good) if rated else Text(f"{card.rating_count:,}", style="dim")
        return movie_row(card, colours, last)

    def action_save_profile(self) -> None:
        if self.ready and self._on_main_screen():
            self.save_profile(None)

    def action_save_profile_as(self) -> None:
        if self.ready and self._on_main_screen():
            self.push_screen(NamePrompt("Save the profile as", self.saved_as or ""), self._save_named)

    def action_load_profile(self) -> None:
        if self.ready and self._on_main_screen():
            self.push_screen(ProfilesScreen(self.saved_names), self._load_chosen)

    def _load_chosen(self, name: str | None) -> None:
        if name:
            self.load_profile(name)

    def action_reset(self) -> None:
        self.submit("reset")

    def action_clear_filters(self) -> None:
        self.submit("clear filters")

    def action_toggle_theme(self) -> None:
        self.theme = LIGHT.name if self.theme == DARK.name else DARK.name

    def _on_theme_changed(self, theme: Theme) -> None:
        self.cards.restyle()
        self.quick_replies.refresh()

    def action_toggle_profile(self) -> None:
        visible = self.has_class("-profile-visible")
        self._profile_visible = not visible
        self._layout_for(self.size.width)
        if not self.has_class("-profile-visible") and self.focused is not None and self.focused.id == "profile-ratings":
            self.cards.focus()

    def action_focus_chat(self) -> None:
        self.chat_input.focus()

    def action_escape(self) -> None:
        focused = self.focused
        if isinstance(focused, ChatInput | QuickReplies):
            self.cards.focus()
        elif self.more_like is not None:
            self.back_to_mine()
        else:
            self.chat_input.focus()

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        for command in super().get_system_commands(screen):
            # Over SSH a screenshot would be a file written on the server, by a stranger.
            if not (self.served == "ssh" and command.title == "Screenshot"):
                yield command
        yield SystemCommand("Save profile", "Save the profile in Redis (ctrl+s)", self.action_save_profile)
        yield SystemCommand("Save profile as…", "Save the profile under a new name", self.action_save_profile_as)
        yield SystemCommand("Load profile", "Load a saved profile (ctrl+o)", self.action_load_profile)
        for name in self.saved_names[:20]:
            yield SystemCommand(f"Load profile: {name}", f"Replace the current profile with '{name}'",
                                lambda n=name: self.load_profile(n), discover=False)  # fmt: skip
        yield SystemCommand("Reset profile", "Forget demographics, ratings and filters", self.action_reset)
        yield SystemCommand("Clear filters", "Show every genre and year again", self.action_clear_filters)
        yield SystemCommand("Undo", "Undo the last profile change (ctrl+z)", self.action_undo)
        yield SystemCommand("Toggle theme", "Switch between dark and light (ctrl+t)", self.action_toggle_theme)
        yield SystemCommand("Toggle profile panel", "Show or hide the profile panel (f2)", self.action_toggle_profile)
        yield SystemCommand("Find a title", "Search the catalogue (ctrl+f)", self.action_find)
        yield SystemCommand("Help", "Every key and what to say (?)", self.action_help)
        if self.more_like is not None:
            yield SystemCommand("Back to your picks", "Leave “more like”", self.back_to_mine)


def usable_names(names: Iterable[str]) -> list[str]:
    """Saved profile names this app could have written; anything else in Redis (a key written by
    hand, with markup or control characters) is not offered in menus."""
    return [name for name in names if valid_profile_name(name)]


def entry_for(card: MovieCard) -> TitleEntry:
    return TitleEntry(card.movie_id, card.title, card.year, card.rating_count)


def describe_failure(exc: BaseException) -> str:
    """A short, human description of a failure: which store is down (the engine says), or else that
    something failed, with the cause on one line."""
    detail = " ".join(str(exc).split())[:120]
    what = "Recommendations failed"
    if isinstance(exc, StoreUnavailable):  # the engine's error names the store
        what = f"{exc.store.capitalize()} is not reachable"
    return f"{what} ({detail})" if detail else what
