"""The lists screen: the watchlist and the movies seen without a rating, to browse and act on.

It shows what the app gives it (`show`, called again after every profile change, so that what a key
did is on screen as soon as the app has applied it) and posts :class:`CardAction` messages (rate,
watchlist, seen, open) that bubble up to the app, which owns the profile; like the other screens it
never edits the profile itself.
"""

from __future__ import annotations

from collections.abc import Mapping

from rich.console import RenderableType
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from movierec_tui.engine import MovieCard
from movierec_tui.profile import Profile
from movierec_tui.widgets.cards import SEEN_TIP, WATCHLIST_TIP, CardAction, rating_bindings
from movierec_tui.widgets.dialog import Dialog
from movierec_tui.widgets.option_lists import OptionListGuards
from movierec_tui.widgets.screens import movie_row
from movierec_tui.widgets.theme import Palette
from movierec_tui.wording import plural

EMPTY = "Nothing here yet: press w on a card to keep it for later, s when you have seen it."


class ListedMovies(OptionListGuards, OptionList):
    """The movies of both lists, each list under a heading; letter keys act on the highlighted one."""

    BINDINGS = [  # noqa: RUF012
        Binding("j", "cursor_down", show=False),  # what the arrow keys do; not in the help
        Binding("k", "cursor_up", show=False),
        *rating_bindings("Rate", "rate it (it leaves the lists)"),
        Binding("w", "act('watchlist')", "Watchlist", tooltip=WATCHLIST_TIP),
        Binding("s", "act('seen')", "Seen", tooltip=SEEN_TIP),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.movie_ids: list[int | None] = []  # per option; None for headings and gaps

    @property
    def current(self) -> int | None:
        if self.highlighted is None or not 0 <= self.highlighted < len(self.movie_ids):
            return None
        return self.movie_ids[self.highlighted]

    def action_rate(self, value: int) -> None:
        self._post("rate", value)

    def action_act(self, action: str) -> None:
        self._post(action)

    def _post(self, action: str, value: int = 0) -> None:
        if (movie_id := self.current) is not None:
            self.post_message(CardAction(movie_id, action, value))

    def _on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._post("open")


class ListsScreen(Dialog[None]):
    """`catalog`: every movie's card, to show a listed movie by its id."""

    BINDINGS = [  # noqa: RUF012
        Binding("escape,q", "close", "Close", tooltip="close"),
    ]

    def __init__(self, catalog: Mapping[int, MovieCard], colours: Palette, profile: Profile) -> None:
        super().__init__()
        self.catalog = catalog
        self.colours = colours
        self.profile = profile
        self._shown: tuple[tuple[int, ...], tuple[int, ...]] | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="lists-box", classes="modal-box"):
            yield Static("Your lists", classes="modal-title")
            yield ListedMovies(id="lists-movies")
            yield Static("w watchlist on/off · s seen on/off · 1-5 rate · enter open · esc close",
                         classes="modal-footer")  # fmt: skip

    def on_mount(self) -> None:
        self._paint()
        self.query_one(ListedMovies).focus()

    def show(self, profile: Profile) -> None:
        """Show this profile's lists (now if the screen is mounted, else when it is)."""
        self.profile = profile
        if self.query(ListedMovies):
            self._paint()

    def _paint(self) -> None:
        """Both lists, most recently added first; the highlight stays on the same movie if it is still
        listed, else on the next movie down."""
        profile = self.profile
        lists = (tuple(reversed(profile.watchlist)), tuple(reversed(profile.seen)))
        if lists == self._shown:
            return
        self._shown = lists
        movies = self.query_one(ListedMovies)
        current, row = movies.current, movies.highlighted
        options: list[Option | None] = []
        ids: list[int | None] = []
        for heading, listed in zip(("To watch", "Seen, not rated"), lists, strict=True):
            if not listed:
                continue
            if options:
                options.append(None)  # a separator is no option: it takes no place in `ids`
            options.append(Option(Text(f"{heading} ({plural(len(listed), 'movie')})", style="bold"), disabled=True))
            ids.append(None)
            for movie_id in listed:
                options.append(Option(self._row(movie_id), id=f"l{movie_id}"))
                ids.append(movie_id)
        if not options:
            options, ids = [Option(Text(EMPTY, style="italic"), disabled=True)], [None]
        movies.movie_ids = ids
        movies.set_options(options)
        if current is not None and current in ids:
            movies.highlighted = ids.index(current)
        elif any(i is not None for i in ids):
            start = min(row if row is not None else 1, len(ids) - 1)
            after = [i for i in range(start, len(ids)) if ids[i] is not None]
            movies.highlighted = after[0] if after else max(i for i in range(len(ids)) if ids[i] is not None)

    def _row(self, movie_id: int) -> RenderableType:
        card = self.catalog.get(movie_id)
        if card is None:
            return Text(f"movie {movie_id}")
        return movie_row(card, self.colours, Text(f"{card.rating_count:,}", style="dim"))

    def action_close(self) -> None:
        self.dismiss(None)
