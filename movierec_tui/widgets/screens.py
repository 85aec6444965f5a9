"""Modal screens: help, movie details, find a title, and the small prompts (a profile name, a path).

They only display what they are given and post :class:`CardAction` messages (rate, dismiss, more
like, open) that bubble up to the app, which owns the profile; none of them talks to the stores.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual import events, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.command import CommandInput, CommandList, CommandPalette
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.errors import NoWidget
from textual.theme import ThemeProvider
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from movierec_tui.engine import MovieCard
from movierec_tui.profile import valid_profile_name
from movierec_tui.titles import TitleEntry
from movierec_tui.widgets.cards import SEEN_TIP, WATCHLIST_TIP, CardAction, rating_bindings
from movierec_tui.widgets.dialog import Dialog
from movierec_tui.widgets.keys import KeySection
from movierec_tui.widgets.option_lists import OptionListGuards
from movierec_tui.widgets.text_input import TextInput
from movierec_tui.widgets.theme import Palette
from movierec_tui.wording import HELP_LINES, stars, title_with_year

# Help lines the details and the search screens share (one section in the help: widgets/keys.py).
LIKE_DISMISS_MORE = "rate, dismiss, more like it"
CHOOSE = "move through the list"


class EarlyClosingPalette(CommandPalette, Dialog[None]):  # Textual inherits CSS along the first base
    """Textual's command palette, except when it is closed before its search of commands has run (ctrl+p
    then at once ctrl+c or ctrl+q, as random bytes on an SSH session may send): the quit question pops
    it, or the app exits with nothing to save, and Textual's search, started when the palette was
    mounted, would then look for its list in the removed palette and end the session with a
    traceback. Here a palette no longer open starts no search (`Dialog`: no mount handler runs), and
    a search finds it closed and stops."""

    ID = "--command-palette"  # Textual's; one palette at a time in an app
    THEMES_ID = "--theme-picker"  # the palette's "Theme": one at a time too
    TYPE_AHEAD = "CommandInput"

    @classmethod
    def in_app(cls, app: App, ids: tuple[str, ...] = (ID, THEMES_ID)) -> bool:
        """A palette (or the theme picker) is open anywhere in the stack (under the help, say), or
        closed but not yet removed: Textual's `is_open` looks at the top screen only, and a second
        palette with the same id ended the app (DuplicateIds: ctrl+p, F1, ctrl+p; or escape then ctrl+p
        in one burst of keys). Neither opens over the other: ctrl+p and "Theme" in turn stacked them
        without end, and every repaint draws through the stack (a web tab's fuzzer, 2026-12-06)."""
        # Screens are the app's own nodes; its public queries look in the default screen instead.
        return any(node.id in ids for node in app._nodes)

    @classmethod
    def of_themes(cls) -> EarlyClosingPalette:
        """Textual's theme picker (the palette's "Theme"), as this palette: Textual's own is a plain
        CommandPalette, which a burst of keys could close twice (InvalidStateError, a fuzzer)."""
        return cls(providers=[ThemeProvider], placeholder="Search for themes…", id=cls.THEMES_ID)

    def _on_click(self, event: events.Click) -> None:  # type: ignore[override]
        """Runs before Textual's (a click on the palette's background closes it; Textual calls each
        class's handler in turn) and stops it for a click on a cell the screen no longer has: read
        before the window shrank and handled after (mouse and resizes over SSH, a fuzzer), Textual's
        look-up of the widget under it raised NoWidget and ended the session. Nothing is there now."""
        try:
            self.get_widget_at(event.screen_x, event.screen_y)
        except NoWidget:
            event.prevent_default()

    def compose(self) -> ComposeResult:
        """Textual's, with its list of commands as a `CommandChoices` and its input as a `CommandText`."""
        for widget in super().compose():  # widgets inside its containers come through here too
            if type(widget) is CommandList:
                yield CommandChoices()
            elif type(widget) is CommandInput:
                yield CommandText(placeholder=widget.placeholder, select_on_focus=False)
            else:
                yield widget

    @work(exclusive=True, group=CommandPalette._GATHER_COMMANDS_GROUP)
    async def _gather_commands(self, search_value: str) -> None:
        """Textual's search, unless the palette's list has gone meanwhile (checked right before Textual's
        own first look for it, with no await between). A search still running when the palette closes
        keeps its own reference to the list; the flags it sets are `_watch__list_visible`'s."""
        if self.query(CommandList):
            await _textuals_search(self, search_value)

    def _watch__list_visible(self) -> None:
        """Textual's, for a palette still open: a search or timer that outlived the palette (a burst of
        keys and clicks closed it, a fuzzer) set this flag once its widgets were removed, and
        Textual's watcher looked for them (NoMatches, a traceback on the person's screen)."""
        if self.is_shown:
            super()._watch__list_visible()

    def _watch__show_busy(self) -> Awaitable[None] | None:
        """Textual's (a coroutine, which Textual then awaits), for a palette still open, as
        `_watch__list_visible`; for a closed one none is made, which Textual could no longer await."""
        return super()._watch__show_busy() if self.is_shown else None


_textuals_search = CommandPalette._gather_commands.__wrapped__  # the search without its worker decorator


class CommandText(CommandInput, TextInput):  # Textual takes CSS (and AUTO_FOCUS) along the first base
    """Textual's palette input, whose keys take effect in typing order (`text_input`)."""


class CommandChoices(OptionListGuards, CommandList):
    """Textual's list of commands in the palette, refilled on every key of a search: a click read
    before it was refilled does nothing (`option_lists`)."""


CLOSE_KEYS = ("question_mark",)  # printable, but closes the help rather than being typed


class HelpScreen(Dialog[None]):
    """Every key, by where it works (generated from the bindings: widgets/keys.py), and the things to
    say in the chat. The first `left` sections go in the left column."""

    BINDINGS = [  # noqa: RUF012
        Binding("escape,question_mark,f1", "dismiss_screen", "Close"),
    ]

    def __init__(
        self, sections: Sequence[KeySection], left: int = 2, type_ahead: Callable[[str], None] | None = None
    ) -> None:
        """`type_ahead(character)`: where a printable key pressed here goes (the chat input); it also
        closes the help, so that nothing typed while the help is open is lost."""
        super().__init__()
        self.sections = list(sections)
        self.left = left
        self.type_ahead = type_ahead

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box", classes="modal-box"):
            yield Static("Keys and things to say", classes="modal-title")
            with Horizontal(id="help-columns"):
                yield Static(keys_table(self.sections[: self.left]), id="help-keys-left")
                with Vertical(id="help-right"):
                    yield Static(keys_table(self.sections[self.left :]), id="help-keys-right")
                    yield Static(phrases_table(), id="help-phrases")
            yield Static("escape to close · ctrl+p for commands", classes="modal-footer")

    def action_dismiss_screen(self) -> None:
        """Close; a key of a burst that reaches the help late closes nothing (`Dialog.dismiss`)."""
        self.dismiss(None)

    def on_key(self, event: events.Key) -> None:
        """Keys that bubble up to here unhandled: printable ones are typed (and close the help); the
        ones behind them in a burst still reach this screen after it closed, and are typed too."""
        character = event.character
        if self.type_ahead is None or character is None or not character.isprintable() or event.key in CLOSE_KEYS:
            return
        event.stop()
        event.prevent_default()
        self.type_ahead(character)
        self.action_dismiss_screen()


def keys_table(sections: Sequence[KeySection]) -> Group:
    """Each section a heading and a two-column table with the same key-column width."""
    rows = [section.rows() for section in sections]
    width = max((len(keys) for section in rows for keys, _ in section), default=1)
    parts: list[Text | Table] = []
    for i, (section, section_rows) in enumerate(zip(sections, rows, strict=True)):
        parts.append(Text(("\n" if i else "") + section.title, style="bold underline"))
        table = Table.grid(padding=(0, 1))
        table.add_column(style="bold", no_wrap=True, width=width)
        table.add_column()
        for keys, what in section_rows:
            table.add_row(Text(keys), Text(what))
        parts.append(table)
    return Group(*parts)


def phrases_table() -> Group:
    table = Table.grid(padding=(0, 1))
    table.add_column(style="bold", no_wrap=True, width=9)
    table.add_column()
    for topic, examples in HELP_LINES:
        table.add_row(Text(topic), Text(examples))
    return Group(Text("\nThings to say in the chat", style="bold underline"), table)


@dataclass(frozen=True)
class Details:
    """What the details screen shows; built by the app from the catalogue and the model."""

    card: MovieCard
    your_rating: int | None
    score: float | None  # the match for the current profile (what the ranking uses)
    predicted: float | None  # the rating the model expects from this person, 1..5 (when listed)
    reason: str | None
    similar: Sequence[tuple[MovieCard, float]]  # nearest movies by vector, with cosine


class DetailsScreen(Dialog[None]):
    BINDINGS = [  # noqa: RUF012
        Binding("escape,q", "close", "Close", tooltip="close"),
        *rating_bindings("Rate", LIKE_DISMISS_MORE),
        Binding("l", "rate(4)", "Like", tooltip=LIKE_DISMISS_MORE),
        Binding("L", "rate(5)", show=False, tooltip=LIKE_DISMISS_MORE),
        Binding("d", "rate(2)", "Dislike", tooltip=LIKE_DISMISS_MORE),
        Binding("D", "rate(1)", show=False, tooltip=LIKE_DISMISS_MORE),
        Binding("x", "act('dismiss')", "Dismiss", tooltip=LIKE_DISMISS_MORE),
        Binding("m", "act('more')", "More like this", tooltip=LIKE_DISMISS_MORE),
        Binding("w", "act('watchlist')", "Watchlist", tooltip=WATCHLIST_TIP),
        Binding("s", "act('seen')", "Seen", tooltip=SEEN_TIP),
        Binding("j", "cursor(1)", show=False, tooltip=CHOOSE),
        Binding("k", "cursor(-1)", show=False, tooltip=CHOOSE),
    ]

    def __init__(self, details: Details, colours: Palette) -> None:
        super().__init__()
        self.details = details
        self.colours = colours
        self.your_rating = details.your_rating

    def compose(self) -> ComposeResult:
        card = self.details.card
        with Vertical(id="details-box", classes="modal-box"):
            yield Static(Text(title_with_year(card), style="bold"), classes="modal-title")
            yield Static(Text(" · ".join(card.genres) or "no genre", style="italic"), id="details-genres")
            yield Static(id="details-you")
            yield Static(histogram(card, self.colours), id="details-histogram")
            yield Static("Similar movies", classes="section-title")
            similar = OptionList(id="details-similar")
            yield similar
            keys = "1-5 rate · l like · d dislike · x dismiss · m more like it · w watchlist · s seen · esc close"
            yield Static(keys, classes="modal-footer")

    def on_mount(self) -> None:
        self._show_you()
        similar = self.query_one("#details-similar", OptionList)
        options = [Option(self._similar_row(c, sim), id=f"s{c.movie_id}") for c, sim in self.details.similar]
        similar.set_options(options or [Option(Text("no similar movies found", style="italic"), disabled=True)])
        if options:
            similar.highlighted = 0
        similar.focus()

    def _similar_row(self, card: MovieCard, similarity: float) -> Table:
        return movie_row(card, self.colours, Text(f"sim {similarity:.2f}", style="dim"))

    def _show_you(self) -> None:
        details = self.details
        parts: list[tuple[str, str] | str] = []
        if self.your_rating is not None:
            parts += [("You rated it ", "dim"), (stars(self.your_rating), self.colours.stars), "   "]
        if details.score is not None:
            parts += [("Your match ", "dim"), (f"{details.score:.2f}", "bold"), "   "]
        if details.predicted is not None and self.your_rating is None:
            parts += [("you'd rate it about ", "dim"), (f"{details.predicted:.1f}★", "bold"), "   "]
        if details.reason:
            parts += [(details.reason, f"italic {self.colours.reason}")]
        self.query_one("#details-you", Static).update(Text.assemble(*parts) if parts else "")

    def action_close(self) -> None:
        self.dismiss(None)

    def action_rate(self, value: int) -> None:
        self.your_rating = value
        self._show_you()
        self.post_message(CardAction(self.details.card.movie_id, "rate", value))

    def action_act(self, action: str) -> None:
        self.post_message(CardAction(self.details.card.movie_id, action))
        if action in ("more", "dismiss"):
            self.dismiss(None)

    def action_cursor(self, step: int) -> None:
        similar = self.query_one("#details-similar", OptionList)
        similar.action_cursor_down() if step > 0 else similar.action_cursor_up()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id and event.option.id.startswith("s"):
            self.post_message(CardAction(int(event.option.id[1:]), "open"))


def movie_row(card: MovieCard, colours: Palette, last: Text) -> Table:
    """One movie as aligned columns (title, genres, stars, `last`), for lists of similar movies and
    search results."""
    row = Table.grid(expand=True, padding=(0, 0, 0, 2))
    row.add_column(no_wrap=True, overflow="ellipsis", ratio=3)
    row.add_column(no_wrap=True, overflow="ellipsis", ratio=2)
    row.add_column(no_wrap=True, width=7)
    row.add_column(no_wrap=True, width=12, justify="right")
    row.add_row(
        Text(title_with_year(card), style="bold"),
        Text(", ".join(card.genres), style="dim"),
        Text(stars(card.mean_rating), style=colours.stars),
        last,
    )
    return row


def found_row(movie_id: int, card: MovieCard | None, rated: int | None, colours: Palette) -> RenderableType:
    """A search result: the movie's row, ending with the person's rating or else how many rated it."""
    if card is None:
        return Text(f"movie {movie_id}")
    last = Text(f"you: {rated}★", style=colours.good) if rated else Text(f"{card.rating_count:,}", style="dim")
    return movie_row(card, colours, last)


BAR_WIDTH = 28
_EIGHTHS = " ▏▎▍▌▋▊▉"


def histogram(card: MovieCard, colours: Palette) -> Table:
    """Ratings 5 to 1 as horizontal bars scaled to the most common rating."""
    table = Table.grid(padding=(0, 1))
    table.add_column(no_wrap=True)
    table.add_column(no_wrap=True)
    table.add_column(no_wrap=True, justify="right")
    total = sum(card.histogram) or 1
    biggest = max(card.histogram) or 1
    for value in range(5, 0, -1):
        count = card.histogram[value - 1]
        eighths = round(BAR_WIDTH * 8 * count / biggest)
        bar = "█" * (eighths // 8) + (_EIGHTHS[eighths % 8] if eighths % 8 else "")
        table.add_row(
            Text(f"{value} ★", style=colours.stars),
            Text(bar.ljust(BAR_WIDTH), style=colours.bar),
            Text(f"{count:>6,}  {count / total:>4.0%}", style="dim"),
        )
    summary = f"mean {card.mean_rating:.2f} from {card.rating_count:,} ratings"
    table.add_row("", Text(summary, style="italic"), "")
    return table


class SearchScreen(Dialog[None]):
    """Find a title as you type; enter opens it, 1-5 on the list rates it."""

    TYPE_AHEAD = "#search-input"

    BINDINGS = [  # noqa: RUF012
        Binding("escape", "close", "Close", tooltip="close"),
        Binding("down", "cursor(1)", show=False, tooltip=CHOOSE),
        Binding("up", "cursor(-1)", show=False, tooltip=CHOOSE),
    ]

    def __init__(
        self, search: Callable[[str], Sequence[TitleEntry]], describe: Callable[[int], RenderableType]
    ) -> None:
        super().__init__()
        self.search = search
        self.describe = describe
        self.results: list[TitleEntry] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="search-box", classes="modal-box"):
            yield Static("Find a title", classes="modal-title")
            yield TextInput(placeholder="Type a title, e.g. blade runner", id="search-input")
            yield SearchResults(id="search-results")
            yield Static("↑↓ choose · enter open · tab then 1-5 to rate · esc close", classes="modal-footer")

    def on_mount(self) -> None:
        self.query_one("#search-results", SearchResults).set_options(
            [Option(Text("start typing…", style="italic"), disabled=True)]
        )
        self.query_one("#search-input", Input).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        self.results = list(self.search(event.value))
        results = self.query_one("#search-results", SearchResults)
        results.movie_ids = [r.movie_id for r in self.results]
        options = [Option(self.describe(r.movie_id), id=f"f{r.movie_id}") for r in self.results]
        if not options and event.value.strip():
            options = [Option(Text("no match", style="italic"), disabled=True)]
        results.set_options(options)
        if self.results:
            results.highlighted = 0

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        results = self.query_one("#search-results", SearchResults)
        if self.results and results.highlighted is not None:
            self.post_message(CardAction(self.results[results.highlighted].movie_id, "open"))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id and event.option.id.startswith("f"):
            self.post_message(CardAction(int(event.option.id[1:]), "open"))

    def action_cursor(self, step: int) -> None:
        results = self.query_one("#search-results", SearchResults)
        results.action_cursor_down() if step > 0 else results.action_cursor_up()

    def action_close(self) -> None:
        self.dismiss(None)


class SearchResults(OptionListGuards, OptionList):
    BINDINGS = [  # noqa: RUF012
        *rating_bindings("Rate", LIKE_DISMISS_MORE),
    ]

    movie_ids: list[int] = []  # noqa: RUF012  (replaced per instance on every search)

    def action_rate(self, value: int) -> None:
        if self.highlighted is not None and 0 <= self.highlighted < len(self.movie_ids):
            self.post_message(CardAction(self.movie_ids[self.highlighted], "rate", value))


class TextPrompt(Dialog[str | None]):
    """Ask for one line of text; `problem` says what is wrong with an answer (None: it is fine)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]  # noqa: RUF012
    TYPE_AHEAD = "#prompt-input"

    def __init__(
        self, title: str, initial: str = "", placeholder: str = "",
        problem: Callable[[str], str | None] = lambda _: None, verb: str = "ok",
    ) -> None:  # fmt: skip
        super().__init__()
        self.title_text = title
        self.initial = initial
        self.placeholder = placeholder
        self.problem = problem
        self.verb = verb

    def compose(self) -> ComposeResult:
        with Vertical(id="prompt-box", classes="modal-box"):
            yield Static(self.title_text, classes="modal-title")
            yield TextInput(value=self.initial, placeholder=self.placeholder, id="prompt-input")
            yield Static("", id="prompt-error")
            yield Static(f"enter {self.verb} · esc cancel", classes="modal-footer")

    def on_mount(self) -> None:
        self.query_one("#prompt-input", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        answer = event.value.strip()
        problem = self.problem(answer)
        if problem is None:
            self.dismiss(answer)
        else:
            self.query_one("#prompt-error", Static).update(Text(problem, style="italic"))

    def action_cancel(self) -> None:
        self.dismiss(None)


class NamePrompt(TextPrompt):
    """Ask for a profile name (save)."""

    def __init__(self, title: str, initial: str = "") -> None:
        super().__init__(title, initial, "a name, e.g. alice", name_problem, "save")


def name_problem(name: str) -> str | None:
    return None if valid_profile_name(name) else "1-40 letters, digits, '-', '_' or '.'"


class ProfilesScreen(Dialog[str | None]):
    """Pick a saved profile to load."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]  # noqa: RUF012

    def __init__(self, names: Sequence[str]) -> None:
        super().__init__()
        self.names = list(names)

    def compose(self) -> ComposeResult:
        with Vertical(id="profiles-box", classes="modal-box"):
            yield Static("Load a profile", classes="modal-title")
            yield OptionList(*[Option(Text(n), id=f"p{i}") for i, n in enumerate(self.names)], id="profiles-list")
            yield Static("enter load · esc cancel", classes="modal-footer")

    def on_mount(self) -> None:
        profiles = self.query_one("#profiles-list", OptionList)
        if not self.names:
            profiles.add_option(Option(Text("no saved profiles yet", style="italic"), disabled=True))
        else:
            profiles.highlighted = 0
        profiles.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id:
            self.dismiss(self.names[int(event.option.id[1:])])

    def action_cancel(self) -> None:
        self.dismiss(None)
