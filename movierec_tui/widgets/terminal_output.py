"""What the main screen writes to the terminal: the cells Textual would write, in fewer bytes.

Textual writes each run of text in a repaint as `ESC[<style>m text ESC[0m`, two escape sequences per
run even when the next run has the same style. A rating in a served session repainted ~15.7 KB, 56%
of it such sequences (~840 per rating). Every byte crosses the person's SSH connection and is parsed
by their terminal; in `benchmarks/ssh_load.py`, by the benchmark's own pyte clients on the same two
cores as the apps. Here a style is written only when what shows changes, as one `ESC[0;<style>m`
(reset, then set: no state carried over from before is assumed), and the terminal is reset once, at
the end of the update. A run of spaces shows only its background (unless underlined, struck or
reversed), so it keeps the style in force when that has the same background. A piece of a row
that starts where the cursor already is gets no cursor move, when the text before it is of
characters every terminal draws one cell wide (ASCII, box drawing); Textual's line feed between rows
goes (every row starts with an absolute move).

A rating now writes ~10.2 KB (249 style sequences), a keystroke 405 bytes instead of 613
(docs/benchmarks.md). `LeanChopsUpdate` is Textual's partial update with only `render_segments`
replaced. A repaint of the whole screen (a resize, a new screen) stays Textual's: it is rare, and
Textual's encoding reuses each line's rendering from its cache, where this one encodes every run
again (~2.5 ms against 0.6 ms at 300x100), which a storm of resizes would pay hundreds of times.
`tests/test_terminal_output.py` feeds both encodings of every repaint of a session into two
terminal emulators and compares every cell.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from functools import lru_cache

from rich.cells import cell_len
from rich.color import ColorSystem
from rich.console import Console
from rich.style import Style
from textual._compositor import ChopsUpdate
from textual.strip import Strip

__all__ = ["LeanChopsUpdate", "blank_look", "encode"]

RESET = "\x1b[0m"
# Text every terminal draws one cell per character (ASCII, box drawing, block elements): after it the
# cursor is where rich's cell count says. After other text (emoji, East Asian ambiguous widths) a
# terminal may disagree, so the next piece gets its absolute move, as Textual gives every piece.
ONE_CELL_EACH = re.compile("[\x20-\x7e\u2500-\u259f]*")
NOT_ON_SPACES = object()  # the look of a style whose spaces show more than a background


@lru_cache(maxsize=4096)
def blank_look(style: Style | None) -> object:
    """What a run of spaces in `style` looks like: its background, or NOT_ON_SPACES when an underline,
    a strike, an overline or reverse video draws on them too, or it is a link."""
    if style is None:
        return None
    if style.underline or style.underline2 or style.strike or style.overline or style.reverse or style._link:
        return NOT_ON_SPACES
    return style.bgcolor


def encode(rows: Iterable[tuple[int, int, Iterable[Strip]]], color_system: ColorSystem) -> str:
    """Terminal output for `rows` of (column, row, strips): a cursor move to each, then its strips'
    text, with a style written only where what shows differs from the one in force."""
    out: list[str] = []
    append = out.append
    in_force, in_force_look = "", blank_look(None)  # the SGR parameters in force ("": the default), their look
    cursor = (-1, -1)  # where the cursor is known to be (column, row); (-1, -1): not known
    for x, y, strips in rows:
        if (x, y) != cursor:
            append(f"\x1b[{y + 1};{x + 1}H")
        for strip in strips:
            for text, style, _ in strip:
                wanted, link = "", None
                if style is not None:
                    wanted = style._ansi if style._ansi is not None else Strip.render_ansi(style, color_system)
                    link = style._link
                if wanted != in_force and not (
                    not text.strip(" ") and (look := blank_look(style)) is not NOT_ON_SPACES and look == in_force_look
                ):
                    append(f"\x1b[0;{wanted}m" if wanted else RESET)
                    in_force, in_force_look = wanted, blank_look(style)
                if link:  # as Textual writes a hyperlink: the text inside OSC 8, in its style
                    append(f"\x1b]8;id={style._link_id};{link}\x1b\\{text}\x1b]8;;\x1b\\")
                else:
                    append(text)
                if x >= 0:
                    x = x + cell_len(text) if ONE_CELL_EACH.fullmatch(text) else -1
        cursor = (x, y) if x >= 0 else (-1, -1)
    if in_force:
        append(RESET)
    return "".join(out)


def _color_system(console: Console) -> ColorSystem:
    """The colours Textual renders for (`Strip.render`): the console's, or true colour if it has none."""
    return console._color_system or ColorSystem.TRUECOLOR


class LeanChopsUpdate(ChopsUpdate):
    """Textual's partial update, written by `encode`."""

    @classmethod
    def of(cls, update: ChopsUpdate) -> LeanChopsUpdate:
        return cls(update.chops, update.spans, update.chop_ends)

    def render_segments(self, console: Console) -> str:
        return encode(self._pieces(), _color_system(console))

    def _pieces(self) -> Iterator[tuple[int, int, tuple[Strip]]]:
        """For each span (row, first column, end column) repainted, the pieces of the row that overlap
        it, from their own start (Textual's cuts), cut at the span's end."""
        for y, start, end in self.spans:
            for piece_end, (x, strip) in zip(self.chop_ends[y], self.chops[y].items(), strict=False):
                if strip is None or x >= end or piece_end <= start:
                    continue
                yield x, y, (strip if piece_end <= end else strip.crop(0, end - x),)
