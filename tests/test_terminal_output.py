"""What the main screen writes to the terminal (widgets/terminal_output.py) shows exactly what Textual's
own output shows, in fewer bytes: every update of a real session is written both ways into two
terminal emulators (pyte) and every cell compared."""

from __future__ import annotations

import asyncio

import pyte
import pytest
from rich.color import ColorSystem
from rich.segment import Segment
from rich.style import Style
from test_compositor import PaintedApp, session
from textual._compositor import ChopsUpdate, LayoutUpdate
from textual.strip import Strip

from movierec_tui.engine import Recommender
from movierec_tui.stores.backends import open_backends
from movierec_tui.widgets.compositor import CroppedCompositor
from movierec_tui.widgets.terminal_output import LeanChopsUpdate, encode

COLUMNS, ROWS = 120, 40


@pytest.fixture(scope="module")
def recommender(ready):
    with Recommender(ready, open_backends(ready)) as opened:
        yield opened


class RecordingCompositor(CroppedCompositor):
    """Keeps every update it renders for the terminal (not the screenshots', which `simplify`)."""

    def __init__(self) -> None:
        super().__init__()
        self.updates: list[ChopsUpdate | LayoutUpdate] = []

    def render_partial_update(self):
        update = super().render_partial_update()
        if update is not None:
            self.updates.append(update)
        return update

    def render_full_update(self, simplify: bool = False):
        update = super().render_full_update(simplify)
        if not simplify:
            self.updates.append(update)
        return update


def picture(screen: pyte.Screen) -> list[tuple]:
    """Every cell as a person sees it: a blank cell shows its background, and its foreground only where
    an underline, a strike or reverse video draws with it; bold or italic blanks look like plain ones."""
    cells = []
    for y in range(screen.lines):
        row = screen.buffer[y]
        for x in range(screen.columns):
            cell = row[x]
            if cell.data.strip():
                cells.append((x, y, cell.data, cell.fg, cell.bg, cell.bold, cell.italics, cell.underscore,
                              cell.strikethrough, cell.reverse, cell.blink))  # fmt: skip
            else:
                drawn_on = cell.underscore or cell.strikethrough or cell.reverse
                cells.append((x, y, cell.data, cell.fg if drawn_on else None, cell.bg, cell.underscore,
                              cell.strikethrough, cell.reverse))  # fmt: skip
    return cells


def textuals_own(update, console) -> str:
    """Textual's own output for `update` (a whole-screen update is Textual's in both)."""
    if isinstance(update, ChopsUpdate):
        return ChopsUpdate.render_segments(update, console)
    return update.render_segments(console)


def test_every_update_of_a_session_shows_what_textuals_own_shows_in_fewer_bytes(recommender) -> None:
    app = PaintedApp(recommender, RecordingCompositor, cursor_blink=False)
    asyncio.run(session(app))
    updates = app.compositor.updates
    assert len(updates) >= 40, "the session should have painted many updates"
    assert all(isinstance(update, LeanChopsUpdate) for update in updates if isinstance(update, ChopsUpdate))
    assert any(isinstance(update, LayoutUpdate) for update in updates), "the whole screen at least once, as Textual"
    screens = {name: pyte.Screen(COLUMNS, ROWS) for name in ("textual", "lean")}
    streams = {name: pyte.Stream(screen) for name, screen in screens.items()}
    written = dict.fromkeys(screens, 0)
    for number, update in enumerate(updates, 1):
        both = {"textual": textuals_own(update, app.console), "lean": update.render_segments(app.console)}
        for name, text in both.items():
            streams[name].feed(text)
            written[name] += len(text.encode())
        assert picture(screens["lean"]) == picture(screens["textual"]), f"update {number} of {len(updates)} differs"
        assert screens["lean"].cursor.attrs == screens["textual"].cursor.attrs, "the terminal is left reset"
    assert written["lean"] < 0.8 * written["textual"], written


def test_a_style_is_written_only_where_what_shows_changes() -> None:
    red_on_blue, green_on_blue = Style(color="red", bgcolor="blue"), Style(color="green", bgcolor="blue")
    underlined = Style(color="green", bgcolor="blue", underline=True)
    strip = Strip([Segment("ab", red_on_blue), Segment("cd", red_on_blue), Segment("  ", green_on_blue),
                   Segment("e", red_on_blue), Segment("  ", underlined), Segment("f", None)])  # fmt: skip
    output = encode([(0, 0, [strip])], ColorSystem.STANDARD)
    assert output == "\x1b[1;1H\x1b[0;31;44mabcd  e\x1b[0;4;32;44m  \x1b[0mf"


def test_a_piece_that_starts_where_the_cursor_is_needs_no_move_unless_the_width_is_uncertain() -> None:
    plain = Style(color="red")
    ascii_pieces = [(0, 2, [Strip([Segment("abc", plain)])]), (3, 2, [Strip([Segment("─d", plain)])])]
    assert encode(ascii_pieces, ColorSystem.STANDARD) == "\x1b[3;1H\x1b[0;31mabc─d\x1b[0m"
    wide = [(0, 2, [Strip([Segment("日本", plain)])]), (4, 2, [Strip([Segment("d", plain)])])]
    assert encode(wide, ColorSystem.STANDARD) == "\x1b[3;1H\x1b[0;31m日本\x1b[3;5Hd\x1b[0m"
    next_row = [(0, 2, [Strip([Segment("abc", plain)])]), (3, 3, [Strip([Segment("d", plain)])])]
    assert encode(next_row, ColorSystem.STANDARD) == "\x1b[3;1H\x1b[0;31mabc\x1b[4;4Hd\x1b[0m"
