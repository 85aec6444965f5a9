"""The Textual app: a chat on the left, live recommendations in the middle, the profile on the right.

This class is the shell: the layout, the keys, and actions that hand the work to its parts. It owns
one :class:`Profile` (UI thread only, replaced on every change, never edited in place, so the old
one stays valid for undo) and talks to the stores only through the :class:`Recommender`, from
worker threads. Its parts: conversation.py (the questions and what each message means; no Textual:
the app carries out the effects it returns), refresh.py (new cards after every change, throttled;
the outage banner, retries), profile_sync.py (saving, loading and listing profiles by name),
quitting.py (asks before quitting with changes not in Redis; SIGTERM, SIGHUP, a stall), commands.py (the
palette and the key help), startup.py (the catalogue; resuming), lists.py (w, s, W), details.py
("why?" and the details screen), layout.py (which panes show at which width, and the focus that
follows them), rows.py (the rows under the cards).

Why the key handling looks the way it does: a focused ``Input`` consumes printable keys, so letter
bindings (1-5, l, d, x, m, w, s, q, /) live on the cards and lists, where there is no typing, while
F1 and ctrl+keys are priority bindings and escape leaves the input. ``?`` opens help, except in an
input that already has text, where it is typed ("why Brazil?"): the chat input declines to consume
it only when empty.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from typing import ClassVar

from rich.console import RenderableType
from rich.text import Text
from textual import events
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.theme import Theme
from textual.widgets import Header, Input, Static

from movierec_tui.app import conversation as talk
from movierec_tui.app import importing
from movierec_tui.app.commands import key_sections, palette_commands
from movierec_tui.app.conversation import GREETING, SEED_POOL, Conversation, Situation, entry_for
from movierec_tui.app.details import explanation, open_details
from movierec_tui.app.layout import Layout
from movierec_tui.app.lists import LIST_ACTIONS, Lists
from movierec_tui.app.profile_sync import ProfileSync
from movierec_tui.app.quitting import Quitting
from movierec_tui.app.refresh import Refresher
from movierec_tui.app.rows import Rows
from movierec_tui.app.startup import Startup
from movierec_tui.chat import Dismiss, Edit, Forget, Intent, Rate, apply_intent, describe_change, parse
from movierec_tui.engine import MovieCard, Recommender
from movierec_tui.profile import Profile
from movierec_tui.titles import TitleEntry
from movierec_tui.widgets.cards import CardAction, CardList
from movierec_tui.widgets.chat_pane import ChatInput, ChatLog, ChatPane, QuickReplies
from movierec_tui.widgets.compositor import MainScreen
from movierec_tui.widgets.dialog import TypeAheadForDialogs
from movierec_tui.widgets.fair_pump import FairPump
from movierec_tui.widgets.footer import KeyFooter
from movierec_tui.widgets.movie_row import RowStack
from movierec_tui.widgets.notifications import LateToastSafeNotify
from movierec_tui.widgets.profile_panel import ProfilePanel, RatingEdit
from movierec_tui.widgets.screens import EarlyClosingPalette, HelpScreen, SearchScreen, found_row
from movierec_tui.widgets.theme import DARK, LIGHT, palette, use_themes
from movierec_tui.wording import Choice, clean, title_of

log = logging.getLogger(__name__)

MAX_UNDO = 50
HELP_TIP = "this help (after text, ? is typed)"
FIND_TIP = "find a title (/ when not typing)"
PANEL_TIP = "profile panel on / off (p when not typing)"
QUIT_TIP = "quit (q when not typing)"


class MovieRecApp(FairPump, TypeAheadForDialogs, LateToastSafeNotify, App[None]):
    """`MovieRecApp(recommender)`; the caller owns the recommender and closes it after `run()`."""

    CSS_PATH = "app.tcss"
    TITLE = "movierec"
    SUB_TITLE = "MovieLens 1M · two-tower model · Milvus + Redis"
    ENABLE_COMMAND_PALETTE = True
    ALLOW_SELECT = False  # ctrl+c quits, so nothing copies it; its mouse-down crashed on removed widgets

    # The `tooltip` of a binding is its line in the help (widgets/keys.py).
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark", "help", "Help", key_display="?", priority=True, tooltip=HELP_TIP),
        Binding("f1", "toggle_help", "Help", show=False, priority=True, tooltip=HELP_TIP),
        Binding("ctrl+f", "find", "Find", priority=True, tooltip=FIND_TIP),
        Binding("slash", "find", "Find", show=False, tooltip=FIND_TIP),
        Binding("ctrl+s", "save_profile", "Save", show=False, priority=True, tooltip="save the profile"),
        Binding("ctrl+o", "load_profile", "Load", show=False, priority=True, tooltip="load a saved profile"),
        Binding("ctrl+z", "undo", "Undo", show=False, priority=True, tooltip="undo the last profile change"),
        Binding("ctrl+t", "toggle_theme", "Theme", show=False, priority=True, tooltip="toggle dark / light theme"),
        Binding("f2", "toggle_profile", "Profile", show=False, priority=True, tooltip=PANEL_TIP),
        Binding("p", "toggle_profile", "Profile", show=False, tooltip=PANEL_TIP),
        Binding("i", "focus_chat", "Chat", show=False, tooltip="back to the chat input"),
        Binding("W", "lists", "Watchlist", show=False, tooltip="your lists (when not typing)"),
        Binding("escape", "escape", "Back", show=False, tooltip="leave the input · back · close"),
        Binding("ctrl+q", "quit", "Quit", show=False, priority=True, tooltip=QUIT_TIP),
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True, tooltip=QUIT_TIP),
        Binding("q", "quit", "Quit", show=False, tooltip=QUIT_TIP),
    ]

    def __init__(self, recommender: Recommender, *, profile_name: str | None = None, k: int = 20,
                 cursor_blink: bool = True, show_timings: bool = True, tune_gc: bool = False, served: str = "",
                 resume: bool = False) -> None:  # fmt: skip
        """`tune_gc`: keep the garbage collector's full passes out of the way of keypresses (see
        startup.py); meant for the process that runs the app (the CLI), tests that create many apps
        leave it off. `served`: "ssh" or "web" when `serve` started this process for someone else."""
        super().__init__()
        self.recommender = recommender
        if (catalogue := recommender.catalogue) is not None:  # which dataset, how many movies, which years
            self.sub_title = catalogue.describe()
        self.profile_name = profile_name
        self.k = k
        self.cursor_blink = cursor_blink
        self.show_timings = show_timings
        self.tune_gc = tune_gc
        self.served = served
        self.resume = resume and profile_name is None  # open the profile used last (startup.py)
        self.last_activity = time.monotonic()

        self.profile = Profile()
        self.undo_stack: list[Profile] = []
        self.ready = False  # the catalogue is loaded
        self.catalog: dict[int, MovieCard] = {}
        self.conversation = Conversation(
            lambda profile, asked: recommender.seed_movies(SEED_POOL, exclude=asked, profile=profile)
        )
        self.refresher = Refresher(self)
        self.rows = Rows(self)  # under the cards: "because you loved", "hidden gems"
        self.profile_sync = ProfileSync(self)
        self.startup = Startup(self)
        self.quitting = Quitting(self)
        self.lists = Lists(self)
        self.panes = Layout(self)
        use_themes(self)

    @property
    def settled(self) -> bool:
        """Loaded, no refresh pending and no worker running: what tests and benchmarks wait for."""
        return self.ready and self.refresher.idle and not self.workers

    @property
    def more_like(self) -> MovieCard | None:
        """The movie the cards show movies like, or None: the person's own picks."""
        return self.refresher.more_like

    # -- layout -------------------------------------------------------------------------------------

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
                yield RowStack(id="rows")
            yield ProfilePanel(id="profile-panel")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.theme_changed_signal.subscribe(self, self._on_theme_changed)
        self.query_one("#banner", Static).display = False
        for widget in self.query(Input):
            widget.cursor_blink = self.cursor_blink
        self.cards.empty_message = "Loading the catalogue…"
        self.cards.show([])
        self.panes.fit(self.size)
        self.say(GREETING)
        self.show_profile()
        self.chat_input.focus()
        self.quitting.watch()
        self.startup.start()

    def get_default_screen(self) -> MainScreen:
        return MainScreen(self.panes.fit)  # repaints visit only what they repaint; the panes fit its size

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

    # -- the conversation ---------------------------------------------------------------------------

    def tell(self, message: str, **kwargs) -> None:
        """A notification whose text is shown as is: it may quote a profile name, a stored value or an
        error from a store, none of which must be read as markup."""
        self.notify(message, markup=False, **kwargs)

    def say(self, message: str | Text, choices: Iterable[Choice] | None = None, suggested: bool = False) -> None:
        """A message from the app; `choices` replace the quick replies when given."""
        self.chat_log.add(message if isinstance(message, Text) else Text(message), "bot")
        if choices is not None:  # they belong to the question just asked, if any, unless only suggested
            self.quick_replies.set_choices(list(choices), None if suggested else self.conversation.question)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "chat-input":
            self.submit(event.value)  # the input has already emptied itself (see ChatInput._on_key)

    def on_quick_replies_picked(self, event: QuickReplies.Picked) -> None:
        self.submit(event.value)
        self.chat_input.focus()

    def submit(self, text: str) -> None:
        """One message from the person: echo it, understand it, act on it, answer."""
        shown = clean(text)
        if not shown:
            return
        self.last_activity = time.monotonic()
        self.chat_input.remember(shown)
        self.chat_log.add(Text(shown), "user")
        if not self.ready:
            self.say("One moment, I'm still loading the catalogue…")
            return
        try:
            chips_then = self.quick_replies.choices  # set_choices replaces the list, never edits it
            answered = False
            for intent in parse(text, self.recommender.titles, self.conversation.expecting):
                turn = self.conversation.handle(intent, self._situation())
                self.carry_out(turn.effects)
                answered = turn.answered or answered
            if answered:
                self.carry_out(self.conversation.ask_next(self.profile))
            if self.quick_replies.choices is chips_then and not self.quick_replies.answers(self.conversation.question):
                # Chips left from an earlier answer ("did you mean…", a question since answered)
                # would offer choices about a message the person has moved on from.
                self.quick_replies.set_choices([])
            self.quick_replies.drop_if_answered(self.conversation.question)
        except Exception:  # a bug must cost one answer, not the session
            log.exception("handling %r failed", shown)
            self.say("Sorry, something went wrong with that (details are in the log). Try again?")

    def _situation(self) -> Situation:
        current = self.cards.current
        return Situation(self.profile, self.catalog, current.card if current is not None else None,
                         self.more_like is not None, self.profile_sync.saved_as,
                         tuple(r.card for r in self.cards.recommendations))  # fmt: skip

    def carry_out(self, effects: Iterable[talk.Effect]) -> None:
        """Do what the conversation decided, in order."""
        for effect in effects:
            match effect:
                case talk.Say(message=message, choices=choices, suggested=suggested):
                    self.say(message, choices, suggested)
                case talk.Change(edit=edit):
                    self.apply(edit, announce=True)
                case talk.Unname():
                    self.profile_sync.unname()
                case talk.StartOver():
                    self.refresher.start_over()
                case talk.ShowMoreLike(card=card):
                    self.refresher.show_more_like(card)
                case talk.BackToMine():
                    self.refresher.back_to_mine()
                case talk.Explain(card=card):
                    self.say(explanation(self, card))
                case talk.ShowDetails(card=card):
                    open_details(self, card)
                case talk.UndoLast():
                    self.action_undo()
                case talk.SaveProfile() | talk.LoadProfile() | talk.ListProfiles():
                    self.profile_sync.carry_out(effect)
                case talk.QuitApp():
                    self.quitting.request()
                case talk.ShowList(name=name, open=open_screen):
                    self.lists.say(name, open_screen)
                case talk.PreviewImport() | talk.ApplyImport():
                    importing.carry_out(self, effect)

    # -- profile edits ------------------------------------------------------------------------------

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
        self.refresher.request(edit.summary)
        self.profile_sync.changed()
        if announce:
            self.say(Text.assemble(("✓ ", "bold"), edit.echo))
        self.show_profile()

    def edit(self, intent: Intent) -> None:
        """A change made with a key (not echoed in the chat)."""
        edit = apply_intent(self.profile, intent)
        if edit is not None:
            self.apply(edit)

    def replace_profile(self, profile: Profile) -> None:
        """A saved profile was loaded: it replaces this one (undoable), with no questions."""
        self.undo_stack.append(self.profile)
        self.profile = profile
        self.refresher.start_over()
        self.conversation.stop()
        self.show_profile()

    def action_undo(self) -> None:
        if not self.undo_stack:
            self.tell("Nothing to undo.", timeout=3)
            return
        undone, self.profile = self.profile, self.undo_stack.pop()
        self.refresher.request("undone")
        self.profile_sync.changed()
        self.say(f"↶ Undone: {describe_change(self.profile, undone, self.catalog)}.")
        self.show_profile()

    def show_profile(self) -> None:
        self.refresher.show_profile()  # with the rows of the next cards, in their frame (refresh.py)

    def paint_profile(self) -> None:
        names = {m: title_of(self.catalog, m) for m in self.profile.ratings}
        sync = self.profile_sync
        self.query_one(ProfilePanel).show(self.profile, names, sync.saved_as, sync.dirty)
        self.lists.repaint()

    def on_card_action(self, event: CardAction) -> None:
        card = self.catalog.get(event.movie_id)
        if card is None:
            return
        entry = entry_for(card)
        if event.action == "rate":
            self.edit(Rate(entry, event.value))
            self.rated_with_a_key(entry)
        elif event.action == "dismiss":
            self.edit(Dismiss(entry))
        elif event.action in LIST_ACTIONS:
            self.lists.toggle(card, event.action)
        elif event.action == "more":
            self.refresher.show_more_like(card)
        elif event.action == "why":
            self.say(explanation(self, card))
        elif event.action == "open":
            open_details(self, card)

    def on_rating_edit(self, event: RatingEdit) -> None:
        card = self.catalog.get(event.movie_id)
        if card is None:
            return
        if event.rating == 0:
            open_details(self, card)
            return
        self.edit(Forget(entry_for(card)) if event.rating is None else Rate(entry_for(card), event.rating))
        if event.rating is not None:
            self.rated_with_a_key(entry_for(card))

    def rated_with_a_key(self, movie: TitleEntry) -> None:  # answers a question about it, as typing would
        if self.conversation.rated(movie):
            self.carry_out(self.conversation.ask_next(self.profile))
        self.quick_replies.drop_if_answered(self.conversation.question)

    # -- actions ------------------------------------------------------------------------------------

    def _on_main_screen(self) -> bool:
        """Screen-opening keys (find, save, load) only act from the main screen, so that pressing one
        in a dialog does not stack another dialog on it."""
        return len(self.screen_stack) == 1

    def action_help(self) -> None:
        """A priority key runs on arrival, maybe before the input took the keys typed just before it."""
        if isinstance(focused := self.focused, ChatInput):  # so the input decides, in typing order
            focused.post_message(events.Key("question_mark", "?"))
        else:
            self.action_toggle_help()

    def action_toggle_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss(None)
        else:
            self.push_screen(HelpScreen(key_sections(type(self)), type_ahead=self.chat_input.type_ahead))

    def action_find(self) -> None:
        if self.ready and self._on_main_screen():
            self.push_screen(SearchScreen(lambda query: self.recommender.titles.search(query, 12), self._found_row))

    def _found_row(self, movie_id: int) -> RenderableType:
        return found_row(movie_id, self.catalog.get(movie_id), self.profile.ratings.get(movie_id), palette(self))

    def action_save_profile(self) -> None:
        if self.ready and self._on_main_screen():
            self.profile_sync.save(None)

    def action_load_profile(self) -> None:
        if self.ready and self._on_main_screen():
            self.profile_sync.choose()

    def action_command_palette(self) -> None:
        if self.use_command_palette and not EarlyClosingPalette.in_app(self):
            self.push_screen(EarlyClosingPalette(id=EarlyClosingPalette.ID))

    async def action_quit(self) -> None:  # asks first when something entered is not in Redis yet
        self.quitting.request()

    def action_lists(self) -> None:
        self.lists.open()

    def action_toggle_theme(self) -> None:
        self.theme = LIGHT.name if self.theme == DARK.name else DARK.name

    def _on_theme_changed(self, theme: Theme) -> None:
        self.cards.restyle()
        self.quick_replies.refresh()

    def action_toggle_profile(self) -> None:
        self.panes.toggle_profile()

    def action_focus_chat(self) -> None:
        self.chat_input.focus()

    def action_escape(self) -> None:
        focused = self.focused
        if isinstance(focused, ChatInput | QuickReplies):
            self.cards.focus()
        elif self.more_like is not None:
            self.refresher.back_to_mine()
        else:
            self.chat_input.focus()

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        return palette_commands(self, super().get_system_commands(screen))
