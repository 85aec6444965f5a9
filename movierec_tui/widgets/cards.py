"""The recommendations pane: a list of movie cards you can move through and act on with one key.

Cards are options of an :class:`OptionList` rather than one widget each: replacing twenty options
is a single cheap update, so a refresh after every rating repaints without mounting widgets, and
the list keeps the highlight on the same movie when the order changes under it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.segment import Segment
from rich.style import Style as RichStyle
from rich.text import Text
from textual._context import active_app
from textual.binding import Binding
from textual.cache import LRUCache
from textual.css.styles import RulesMap
from textual.geometry import Region, Spacing
from textual.message import Message
from textual.strip import Strip
from textual.style import Style
from textual.visual import RenderOptions, Visual
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from movierec_tui.engine import Recommendation
from movierec_tui.widgets.option_lists import OptionListGuards
from movierec_tui.widgets.scrollbars import SteadyScrollbars
from movierec_tui.widgets.theme import Palette, palette
from movierec_tui.wording import display_title, stars

# A title as shown, for every card of every refresh: a pure function of the stored title, worth keeping.
shown_title = lru_cache(maxsize=8192)(display_title)

# The list keys' lines in the help, the same wherever a movie is shown (cards, details, the lists).
WATCHLIST_TIP = "on / off the watchlist"
SEEN_TIP = "seen, no rating: on / off"


def rating_bindings(description: str, tooltip: str) -> list[Binding]:
    """Keys 1-5 to `rate(n)`, shown once in the footer and the help as "1-5": every list of movies
    rates alike."""
    first = Binding("1", "rate(1)", description, key_display="1-5", tooltip=tooltip)
    return [first, *(Binding(str(n), f"rate({n})", f"{description} {n}", show=False) for n in range(2, 6))]


@dataclass
class CardAction(Message):
    """A key pressed on a card: rate (with a value), dismiss, more, why, open, or a list to toggle the
    movie on (watchlist, seen)."""

    movie_id: int
    action: str  # "rate", "dismiss", "more", "why", "open", "watchlist", "seen"
    value: int = 0


# What a key does to the highlighted movie, the same in the cards and in the rows under them
# (widgets/movie_row.py): each widget has `action_rate(n)` and `action_act(name)`.
CARD_KEYS: list[Binding] = [
    *rating_bindings("Rate", "rate the highlighted movie"),
    Binding("l", "rate(4)", "Like", tooltip="like (4) / love (5)"),
    Binding("L", "rate(5)", "Love", show=False, tooltip="like (4) / love (5)"),
    Binding("d", "rate(2)", "Dislike", tooltip="dislike (2) / hate (1)"),
    Binding("D", "rate(1)", "Hate", show=False, tooltip="dislike (2) / hate (1)"),
    Binding("x", "act('dismiss')", "Dismiss", tooltip="dismiss: never show it again"),
    Binding("m", "act('more')", "More", tooltip="more like this"),
    Binding("w", "act('watchlist')", "Watchlist", show=False, tooltip=WATCHLIST_TIP),
    Binding("s", "act('seen')", "Seen", show=False, tooltip=SEEN_TIP),
    Binding("y", "act('why')", "Why?", show=False, tooltip="why is it recommended?"),
    Binding("i", "app.focus_chat", "Chat", show=False),  # the app's key, in the help there
]


class CardList(OptionListGuards, SteadyScrollbars, OptionList):
    """Movie cards, best first. Letter keys act on the highlighted card."""

    BINDINGS = [  # noqa: RUF012  (Textual reads a list)
        Binding("j", "cursor_down", "Down", show=False, tooltip="move through the cards"),
        Binding("k", "cursor_up", "Up", show=False, tooltip="move through the cards"),
        Binding("g", "first", "First", show=False, tooltip="move through the cards"),
        Binding("G", "last", "Last", show=False, tooltip="move through the cards"),
        *CARD_KEYS,
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.recommendations: list[Recommendation] = []
        self.empty_message = "No recommendations yet."
        self._new_ids: frozenset[int] = frozenset()
        self._score_label = "match"  # what the cards' numbers are (show)
        self._painter = CardPainter()
        self._frame: _Frame | None = None  # while the list paints: what every line would look up again

    def restyle(self) -> None:
        """Render again in the colours of a new theme."""
        self.show(self.recommendations, self._new_ids, self._score_label)

    @property
    def current(self) -> Recommendation | None:
        if self.highlighted is None or not 0 <= self.highlighted < len(self.recommendations):
            return None
        return self.recommendations[self.highlighted]

    def show(
        self, recommendations: Sequence[Recommendation], new_ids: frozenset[int] = frozenset(),
        score_label: str = "match",
    ) -> None:
        """Replace the cards, keeping the highlight on the same movie if it is still listed (else on the
        same position), so rating the focused card moves the focus to the next one. `score_label`
        names the number on each card: "match" (to the person) or "sim" (to the movie of "more like")."""
        previous = self.current
        previous_index = self.highlighted
        self.recommendations = list(recommendations)
        self._new_ids = new_ids
        self._score_label = score_label
        options: list[Option | None] = []
        colours = palette(self.app)
        titles = tuple(shown_title(rec.card.title) for rec in self.recommendations)
        for rank, rec in enumerate(self.recommendations, start=1):
            prompt = render_card(rank, rec, colours, rec.card.movie_id in new_ids, titles, score_label)
            options.append(Option(prompt, id=f"m{rec.card.movie_id}"))
            options.append(None)
        if not options:
            options = [Option(Text(self.empty_message, style="italic"), disabled=True)]
        self.set_options(options)
        if not self.recommendations:
            return
        ids = [r.card.movie_id for r in self.recommendations]
        if not self.has_focus:  # someone typing in the chat wants to see the top of the new list
            self.highlighted = 0
        elif previous is not None and previous.card.movie_id in ids:
            self.highlighted = ids.index(previous.card.movie_id)
        else:
            self.highlighted = min(previous_index or 0, len(ids) - 1)

    # -- painting -------------------------------------------------------------------------------------

    def render_lines(self, crop: Region) -> list[Strip]:
        """Textual's painting of the visible lines, with what it looks up for each line (the options'
        styles, their padding, the list's width; each a walk through the CSS) looked up once."""
        self._frame = _Frame(self)
        try:
            return super().render_lines(crop)
        finally:
            self._frame = None

    def render_line(self, y: int) -> Strip:
        """OptionList.render_line with the frame's styles."""
        frame = self._frame
        if frame is None:
            return super().render_line(y)
        try:  # (OptionList.render_lines has brought the line cache up to date)
            index, line_offset = self._line_cache.lines[frame.top + y]
            option = self.options[index]
        except IndexError:
            return frame.blank
        component = ""
        if option.disabled:
            component = "option-list--option-disabled"
        elif self.highlighted == index:
            component = "option-list--option-highlighted"
        elif self._mouse_hovering_over == index:
            component = "option-list--option-hover"
        strips = self._get_option_render(option, frame.style(component))
        return strips[line_offset] if line_offset < len(strips) else frame.blank

    def _get_option_render(self, option: Option, style: Style) -> list[Strip]:
        """A card's strips as Textual's OptionList._get_option_render makes them (its visual in the
        option's padding, the option's index as the meta that mouse clicks read, the separator under
        it), from the card painter's kept parts rather than through the generic visual machinery."""
        frame, view = self._frame, option.prompt
        if frame is None or not isinstance(view, CardView):
            return super()._get_option_render(option, style)
        key = (option, style, frame.padding)
        if (strips := self._option_render_cache.get(key)) is not None:
            return strips
        painted = self._painter.strips(view, frame.width, frame.padding, style.rich_style)
        if painted is None:  # too narrow for the card's own layout: the console folds its lines
            return super()._get_option_render(option, style)
        strips = [strip.apply_meta({"option": self._option_to_index[option]}) for strip in painted]
        if option._divider:
            strips.append(frame.separator)
        self._option_render_cache[key] = strips
        return strips

    # -- keys -----------------------------------------------------------------------------------------

    def action_rate(self, value: int) -> None:
        self._post("rate", value)

    def action_act(self, action: str) -> None:
        self._post(action)

    def _post(self, action: str, value: int = 0) -> None:
        current = self.current
        if current is not None:
            self.post_message(CardAction(current.card.movie_id, action, value))

    def _on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._post("open")


class _Frame:
    """What the card list's lines share while it paints: its width, the options' padding, their styles
    by component class (looked up on first use) and the separator line."""

    def __init__(self, cards: CardList) -> None:
        self.cards = cards
        self.width = cards.scrollable_content_region.width - cards._get_left_gutter_width()
        self.padding: Spacing = cards.get_component_styles("option-list--option").padding
        self.top = cards.scroll_offset.y
        self._styles: dict[str, Style] = {}
        self._separator: Strip | None = None

    def style(self, component: str) -> Style:
        if (style := self._styles.get(component)) is None:
            classes = ("option-list--option", component) if component else ("option-list--option",)
            style = self._styles[component] = self.cards.get_visual_style(*classes)
        return style

    @property
    def blank(self) -> Strip:
        return Strip.blank(self.width, self.style("").rich_style)

    @property
    def separator(self) -> Strip:
        if self._separator is None:
            style = self.cards.get_visual_style("option-list--separator")
            self._separator = Strip([Segment("─" * self.width, style.rich_style)], self.width)
        return self._separator


def render_card(
    rank: int, rec: Recommendation, colours: Palette, new: bool = False, others: tuple[str, ...] = (),
    score_label: str = "match",
) -> CardView:
    return CardView(rank, rec, colours, new, others, score_label)


def fit_title(title: str, room: int, others: Sequence[str] = ()) -> str:
    """`title` in at most `room` cells: cut at the end with an ellipsis ("Dr. Strange…"), unless
    another of `others` would be cut to the same text ("Star Wars: Episo…" twice, at 100-110
    columns): then its first word and as much of its end as fits, where such titles differ
    ("Star…A New Hope", "Star…Strikes Back")."""
    if len(title) <= room:
        return title
    if room < 2:
        return "…"[:room]
    head = title[: room - 1]
    if not any(other != title and other[: room - 1] == head and len(other) > room for other in others):
        return head.rstrip() + "…"
    first = title.split(" ", 1)[0][: max(1, room // 3)]
    return first + "…" + title[len(title) - (room - len(first) - 1) :].lstrip(" -:–")


class CardView(Visual):
    """One card as three lines that fit any width from about 40 columns, the left side cut with an
    ellipsis: rank, title | stars; year, genres, ratings | match; the reason (after a NEW badge when
    the movie just entered the list).

    Laid out by hand rather than with a Rich table, and a Textual visual rather than a Rich
    renderable: the option list asks every card for its height when the cards change and renders
    the visible ones to paint them. A Rich renderable answers both by going through the console
    (wrapping, cropping, splitting into lines), which made a refresh after a rating cost more than
    the search behind it; a card knows it is three lines and turns its lines into strips directly.
    The console path stays for widths under MIN_WIDTH, where lines fold, and for plain Rich output."""

    RIGHT = 11  # the right column: "★★★★☆ 4.2", "match 0.50", "sim 0.50"
    INDENT = 4
    MIN_WIDTH = 24  # narrower, the lines are laid out at this width and fold
    HEIGHT = 3

    def __init__(
        self, rank: int, rec: Recommendation, colours: Palette, new: bool, others: tuple[str, ...] = (),
        score_label: str = "match",
    ) -> None:
        """`others`: the titles of the cards around it, so a title cut short stays told apart (fit_title);
        `score_label`: what its score is (CardList.show)."""
        self.rank = rank
        self.rec = rec
        self.colours = colours
        self.new = new
        self.others = others
        self.score_label = score_label

    @property
    def rank_text(self) -> str:
        return f"{self.rank:>2}  "

    @property
    def match_text(self) -> str:
        return f"{self.score_label} {self.rec.score:.2f}"

    def fitted_title(self, width: int) -> str:
        """The title as it fits the first line at `width` (at least MIN_WIDTH) cells."""
        room = width - self.RIGHT - 1 - len(self.rank_text)
        return fit_title(shown_title(self.rec.card.title), room, self.others)

    def lines(self, width: int) -> list[Text]:
        """The three lines at `width` (at least MIN_WIDTH) cells, none longer."""
        card, colours = self.rec.card, self.colours
        width = max(width, self.MIN_WIDTH)
        left = width - self.RIGHT - 1
        title = Text.assemble((self.rank_text, "dim"), (self.fitted_title(width), "bold"))
        rating = Text.assemble((stars(card.mean_rating), colours.stars), f" {card.mean_rating:.1f}")
        meta = Text(f"{' ' * self.INDENT}{card.year} · {', '.join(card.genres)} · {card.rating_count:,} ratings")
        meta.stylize("dim")
        match = Text(self.match_text, style="dim")
        reason = Text(" " * self.INDENT)
        if self.new:
            reason.append("NEW", style=colours.new)
            reason.append(" ")
        reason.append(self.rec.reason, style=f"italic {colours.reason}")
        reason.truncate(width, overflow="ellipsis")
        return [_two_sided(title, rating, left, width), _two_sided(meta, match, left, width), reason]

    # -- as a Rich renderable (Rich consoles, and the fallback below MIN_WIDTH) ---------------------

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement(self.MIN_WIDTH, options.max_width)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield from self.lines(options.max_width)

    # -- as a Textual visual (the option list) -------------------------------------------------------

    def get_optimal_width(self, rules: RulesMap, container_width: int) -> int:
        return container_width

    def get_height(self, rules: RulesMap, width: int) -> int:
        if width >= self.MIN_WIDTH:
            return self.HEIGHT
        return len(self._console_lines(width))

    def render_strips(self, width: int, height: int | None, style: Style, options: RenderOptions) -> list[Strip]:
        """The same strips as Textual's wrapper of a Rich renderable gives (each segment's style on
        top of the option's), without the console: each line is already cut to `width`."""
        if width >= self.MIN_WIDTH:
            console = active_app.get().console
            lines = [list(line.render(console)) for line in self.lines(width)]
        else:
            lines = self._console_lines(width)
        base = style.rich_style
        strips = [Strip([Segment(text, base + segment_style) for text, segment_style, _ in line]) for line in lines]
        return strips if height is None else strips[:height]

    def _console_lines(self, width: int) -> list[list[Segment]]:
        """The lines as a console lays them out at `width`, folding what does not fit."""
        app = active_app.get()
        options = app.console_options.update(highlight=False, width=width)
        segments = app.console.render(self, options)
        return list(Segment.split_and_crop_lines(segments, width, include_new_lines=False, pad=False))


class CardPainter:
    """A card's three lines as strips, in an option's padding and style, at a width. What does not
    depend on the card's rank or score (the title and its stars, the year, genres and number of
    ratings, the reason) is laid out once per movie, width, padding, style and theme, and kept: after
    a rating every card moves up one place and gets a new score, and only the segments of the rank
    (first line) and the match (second line) are new.

    The kept lines are the card's own layout (`CardView.lines`, as Textual pads and styles a visual),
    so a card painted from them is the same, segment for segment, as one laid out whole; a card whose
    rank or match is not a segment of its own there (a match too long for its column) is laid out
    whole every time."""

    def __init__(self, maxsize: int = 1024) -> None:
        # None: lay the card out whole; else its strips' segments and where the rank and the match are
        self._kept: LRUCache[tuple, tuple[list[list[Segment]], int, int] | None] = LRUCache(maxsize=maxsize)

    def strips(self, view: CardView, width: int, padding: Spacing, style: RichStyle) -> list[Strip] | None:
        """The strips at `width` cells (padding included), each segment's style on top of `style`;
        None when the card is narrower than its own layout (CardView.MIN_WIDTH) or padded above or below."""
        inner = width - padding.left - padding.right
        if inner < CardView.MIN_WIDTH or padding.top or padding.bottom:
            return None
        rank, match = view.rank_text, view.match_text
        key = (view.rec.card, view.fitted_title(inner), view.rec.reason, view.new, view.colours, width, padding,
               style, len(rank), len(match))  # fmt: skip
        if (kept := self._kept.get(key, False)) is False:
            kept = self._kept[key] = self._split(view, width, padding, style)
        if kept is None:
            return laid_out(view, width, padding, style)
        (title, meta, reason), rank_at, match_at = kept
        title, meta = title.copy(), meta.copy()
        title[rank_at] = Segment(rank, title[rank_at].style)
        meta[match_at] = Segment(match.rjust(MATCH_COLUMN), meta[match_at].style)
        return [Strip(title, width), Strip(meta, width), Strip(reason, width)]

    @staticmethod
    def _split(view: CardView, width: int, padding: Spacing, style: RichStyle) -> tuple | None:
        title, meta, reason = (list(strip) for strip in laid_out(view, width, padding, style))
        rank_at, match_at = (1 if padding.left else 0), (-2 if padding.right else -1)
        if title[rank_at].text != view.rank_text or meta[match_at].text != view.match_text.rjust(MATCH_COLUMN):
            return None
        return (title, meta, reason), rank_at, match_at


MATCH_COLUMN = CardView.RIGHT + 1  # the match, right-aligned in the width `_two_sided` leaves it


def laid_out(view: CardView, width: int, padding: Spacing, style: RichStyle) -> list[Strip]:
    """The card laid out whole, as Textual's option list paints a visual in its padding (before the
    option's meta): each segment's style on top of the option's, the padding and any room left in it."""
    inner = width - padding.left - padding.right
    console = active_app.get().console
    strips = []
    for line in view.lines(inner):
        strip = Strip([Segment(text, style + segment_style) for text, segment_style, _ in line.render(console)])
        strips.append(strip.crop_pad(inner, padding.left, padding.right, style).extend_cell_length(width, style))
    return strips


def _two_sided(left: Text, right: Text, left_width: int, width: int) -> Text:
    """`left` cut to `left_width` with an ellipsis, `right` flush with the right edge."""
    left.truncate(left_width, overflow="ellipsis", pad=True)
    right.truncate(width - left_width, overflow="ellipsis")
    right.align("right", width - left_width)
    return Text.assemble(left, right)


def change_hint(previous: Sequence[int] | None, current: Sequence[int], notes: Sequence[str]) -> str:
    """ "+3 new · Horror hidden": what the last refresh changed, in a few words."""
    parts: list[str] = []
    if previous is not None and current:  # an empty list says why itself ("No movie matches ...")
        fresh, gone = len(set(current) - set(previous)), len(set(previous) - set(current))
        if fresh:
            parts.append(f"+{fresh} new")
        elif gone:  # a filter left fewer movies than the list holds
            parts.append(f"{gone} fewer")
        elif list(previous) != list(current):
            parts.append("reordered")
        else:
            parts.append("no change")
    parts.extend(dict.fromkeys(n for n in notes if n))
    return " · ".join(parts)
