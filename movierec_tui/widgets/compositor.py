"""The main screen, whose partial repaints visit only the widgets they repaint.

Served to many people from one machine, what a keystroke costs is what decides how many can type at
once. A keystroke repaints the 3 rows of the chat input; Textual's compositor, for any partial
update, visits every widget whose *clip* overlaps the repainted area, and a child of the screen is
clipped by the whole screen: the header, the footer, the profile panel, the chat log, the cards'
column and every container between them each returned all of their lines (from Textual's line
cache, but line by line, each through the widget's filters) only for all but the input's to be
thrown away. The compositor was half of the app's main thread per keystroke (py-spy of a served
session).

`CroppedCompositor` visits a widget only if what it shows overlaps one of the areas repainted (not
just the rectangle around them all, which after a rating spans the cards between the rows under
them and the profile panel beside them), and asks it only for its lines in the rows it repaints
there. A repainted row is cut where the widgets on it meet, and Textual fills each cut from the
first widget (front to back) that covers it, so a visited widget is still asked for its full
visible width: the pieces it gives line up with the cuts. What reaches the terminal is what
Textual's own compositor sends (`tests/test_compositor.py` renders every partial update of a
session both ways and compares them). A full repaint (a resize, a new screen) is Textual's own.
`benchmarks/served_cpu.py` measures the CPU per keystroke and per rating; docs/benchmarks.md has
the numbers. A partial update is written to the terminal in fewer bytes (terminal_output.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from textual import events
from textual._compositor import ChopsUpdate, Compositor
from textual.geometry import Region, Size
from textual.screen import Screen
from textual.strip import Strip

from movierec_tui.widgets.fair_pump import FairPump
from movierec_tui.widgets.screen_size import SizedByTheApp
from movierec_tui.widgets.terminal_output import LeanChopsUpdate

__all__ = ["CroppedCompositor", "MainScreen"]


class CroppedCompositor(Compositor):
    def __init__(self) -> None:
        super().__init__()
        self.repainting: list[Region] = []  # the areas a partial update being rendered repaints

    def render_partial_update(self) -> ChopsUpdate | None:
        """Textual's, with the areas it repaints kept for `_get_renders` while it renders them (Textual
        passes on only the rectangle around them all: after a rating, the rows under the cards and
        the profile panel beside them span the cards too)."""
        self.repainting = list(self._dirty_regions)
        try:
            update = super().render_partial_update()
        finally:
            self.repainting = []
        return None if update is None else LeanChopsUpdate.of(update)

    def _get_renders(self, crop: Region | None = None) -> Iterable[tuple[Region, Region, list[Strip]]]:
        """(region, clip, lines) of each widget showing within an area being repainted, front to back,
        as Textual's, with the clip narrowed to the rows it repaints there and only their lines."""
        if crop is None or crop == self.size.region or not self.repainting:
            yield from super()._get_renders(crop)
            return
        for widget, (region, clip) in self.visible_widgets.items():
            shown = region.intersection(clip)
            overlaps = [area for area in (shown.intersection(dirty) for dirty in self.repainting) if area]
            if not overlaps:
                continue
            first = max(crop.y, min(area.y for area in overlaps))
            last = min(crop.bottom, max(area.bottom for area in overlaps))
            if last <= first:
                continue
            rows = Region(shown.x, first, shown.width, last - first)
            lines = widget.render_lines(Region(shown.x - region.x, first - region.y, shown.width, last - first))
            yield region, rows, lines


class MainScreen(FairPump, SizedByTheApp, Screen):
    """The app's first screen (`App.get_default_screen`): painted through a `CroppedCompositor`, and
    the one whose resize fits the app's layout (`fit`: which panes show) to the window.

    Textual resizes the app at once and its screens 1/120 s later. A layout fitted at the app's
    resize was drawn once at the screen's old size: a window widened from 62 to 100 columns showed
    the wide layout's three panes in 62 columns, the cards 2 wide (a wasted frame over SSH, and the
    2 columns a list once crashed in; see option_lists.py). Fitted at the screen's resize, the first
    frame after it has the new panes at the new size. Every screen the app opens over this one is
    modal, so this one gets each resize too."""

    def __init__(self, fit: Callable[[Size], None]) -> None:
        super().__init__(id="_default")
        self._compositor = CroppedCompositor()  # before it is mounted: it holds no layout yet
        self._fit = fit

    def on_resize(self, event: events.Resize) -> None:
        self._fit(self.app.size)  # the window's size, which the app has by now; the panes are fitted to it
