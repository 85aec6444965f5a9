"""A row of movies under the cards ("Because you loved X", "Hidden gems"): a strip of titles you
move along with the arrow keys and act on with the same keys as the cards.

One widget that draws its few lines itself, of a fixed height: a new row of results is one repaint
of that widget, with no layout pass and nothing mounted, so the rows cost the refresh after a
rating almost nothing on screen. Two heights (app.tcss, chosen by app/layout.py): two lines (the
row's title, then the titles, the highlighted one marked) or, where the terminal is tall enough,
a third line with the highlighted movie's year, genres, rating and score.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from rich.text import Text
from textual.binding import Binding
from textual.containers import Vertical
from textual.widget import Widget

from movierec_tui.engine import Recommendation
from movierec_tui.widgets.cards import CARD_KEYS, CardAction
from movierec_tui.widgets.theme import palette
from movierec_tui.wording import display_title, stars

LOVED_ROWS = 2  # "because you loved" rows composed; app/layout.py says how many are used at a size
ITEM_CHARS = 26  # a title longer than this is cut in the strip (the third line and details have it whole)
ALONG_TIP = "along the row"
ACROSS_TIP = "the row above / below (above the first: the cards)"


class MovieRow(Widget, can_focus=True):
    """A titled strip of movies; ←/→ move the highlight, the card keys act on the highlighted movie
    (posting the same :class:`CardAction` as the cards), ↑/↓ go to the row above or below."""

    BINDINGS = [  # noqa: RUF012  (Textual reads a list)
        Binding("left", "move(-1)", "Left", show=False, tooltip=ALONG_TIP),
        Binding("right", "move(1)", "Right", show=False, tooltip=ALONG_TIP),
        Binding("up,k", "row(-1)", "Up", show=False, tooltip=ACROSS_TIP),
        Binding("down,j", "row(1)", "Down", show=False, tooltip=ACROSS_TIP),
        Binding("home,g", "move(-1000)", "First", show=False, tooltip="first / last of the row"),
        Binding("end,G", "move(1000)", "Last", show=False, tooltip="first / last of the row"),
        Binding("enter", "act('open')", "Details", show=False, tooltip="details: histogram, similar movies"),
        *CARD_KEYS,
    ]

    def __init__(self, title: str = "", *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.title = title
        self.score_label = "match"  # what the score of its movies is: "match" (to the profile) or "similar"
        self.recommendations: list[Recommendation] = []
        self.message = "…"  # instead of movies: why there are none (a failed search, nothing loved yet)
        self.index = 0  # the highlighted movie
        self._first = 0  # the first movie drawn in the strip
        self._keep_place = False  # the highlighted movie was pruned: the next results keep the place

    @property
    def current(self) -> Recommendation | None:
        return self.recommendations[self.index] if 0 <= self.index < len(self.recommendations) else None

    def show(
        self, title: str, recommendations: Sequence[Recommendation], message: str = "", score_label: str = "match"
    ) -> None:
        """New movies (or a message instead of them), keeping the highlight on the same movie if it
        is still there, else at the same place (as the cards do); a row about another movie, or one
        without the focus, starts at its first."""
        # Another row now, or nobody in this one (typing in the chat, say): from its start, as the cards.
        current = self.current if title == self.title and self.has_focus else None
        if current is None:
            self.index = self._first = 0
        self.title, self.message, self.score_label = title, message, score_label
        self.recommendations = list(recommendations)
        ids = [r.card.movie_id for r in self.recommendations]
        if current is not None and current.card.movie_id in ids and not self._keep_place:
            self.index = ids.index(current.card.movie_id)
        self._keep_place = False
        self.index = max(0, min(self.index, len(ids) - 1))
        self.refresh()

    def prune(self, leave_out: Collection[int]) -> None:
        """Take movies out (just rated or listed, or now among the cards) without a new search. As in
        the cards, rating the highlighted movie leaves the highlight at its place, now and when the
        row's new search comes (on the movie there then), so keys can go along a row."""
        kept = [r for r in self.recommendations if r.card.movie_id not in leave_out]
        if len(kept) != len(self.recommendations):
            self._keep_place = self._keep_place or (self.current is not None and self.current not in kept)
            self.recommendations = kept
            self.index = max(0, min(self.index, len(kept) - 1))
            self.refresh()

    # -- keys ---------------------------------------------------------------------------------------

    def action_move(self, step: int) -> None:
        if self.recommendations:
            self.index = max(0, min(self.index + step, len(self.recommendations) - 1))
            self.refresh()

    def action_row(self, step: int) -> None:
        """↑ goes to what is focusable before (the row above, or the cards above the first row); ↓
        only to a row below (the last row keeps the focus rather than jump to another pane)."""
        if step < 0:
            self.screen.focus_previous()
            return
        chain = self.screen.focus_chain
        after = chain[chain.index(self) + 1 :] if self in chain else []
        if after and isinstance(after[0], MovieRow):
            after[0].focus()

    def action_rate(self, value: int) -> None:
        self._post("rate", value)

    def action_act(self, action: str) -> None:
        self._post(action)

    def _post(self, action: str, value: int = 0) -> None:
        if (current := self.current) is not None:
            self.post_message(CardAction(current.card.movie_id, action, value))

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    # -- drawing ------------------------------------------------------------------------------------

    def render(self) -> Text:
        width = max(self.content_region.width, 20)
        colours = palette(self.app)
        header = Text(self.title, style=f"bold {colours.user}", no_wrap=True, overflow="ellipsis")
        if self.recommendations:
            place = f" {self.index + 1}/{len(self.recommendations)}"
            header.truncate(width - len(place), overflow="ellipsis", pad=True)
            header.append(place, style="dim")
        lines = [header]
        if not self.recommendations:
            style = colours.bad if self.message.startswith("⚠") else "italic dim"
            lines.append(Text(self.message or "Nothing to show here.", style=style))
        else:
            lines.append(self._strip(width, colours.chip_selected if self.has_focus else colours.chip))
            if self.size.height >= 3 and (current := self.current) is not None:
                lines.append(self._details(current))
        for line in lines:
            line.truncate(width, overflow="ellipsis")
        return Text("\n").join(lines)

    def _strip(self, width: int, highlight: str) -> Text:
        """The titles from `_first`, moved so the highlighted one is drawn: ‹ and › say there is more."""
        names = [cut(display_title(r.card.title), ITEM_CHARS) for r in self.recommendations]
        room = width - 4  # the arrows

        def last_drawn(first: int) -> int:
            used, last = 0, first
            for i in range(first, len(names)):
                used += len(names[i]) + (2 if i > first else 0)
                if used > room and i > first:
                    break
                last = i
            return last

        self._first = min(self._first, self.index)
        while last_drawn(self._first) < self.index:
            self._first += 1
        last = last_drawn(self._first)
        strip = Text("‹ " if self._first > 0 else "  ", style="dim")
        for i in range(self._first, last + 1):
            if i > self._first:
                strip.append("  ")
            strip.append(names[i], style=highlight if i == self.index else "")
        if last < len(names) - 1:
            strip.append(" ›", style="dim")
        return strip

    def _details(self, rec: Recommendation) -> Text:
        card = rec.card
        rating = f"{stars(card.mean_rating)} {card.mean_rating:.1f}"
        score = f"{self.score_label} {rec.score:.2f}"
        parts = [str(card.year) if card.year else "", ", ".join(card.genres), rating, score]
        return Text("  " + " · ".join(p for p in parts if p), style="dim")


def cut(text: str, room: int) -> str:
    return text if len(text) <= room else text[: room - 1].rstrip() + "…"


class RowStack(Vertical):
    """The rows under the cards, top to bottom: the "because you loved" rows, then "Hidden gems"."""

    def compose(self):
        for n in range(1, LOVED_ROWS + 1):  # the second one is used once there is a second loved movie
            yield MovieRow("Because you loved…", id=f"row-loved-{n}", classes="-unused" if n > 1 else None)
        yield MovieRow("Hidden gems", id="row-gems")
