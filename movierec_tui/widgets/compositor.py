"""The main screen, whose partial repaints visit only the widgets they repaint.

Served to many people from one machine, what a keystroke costs is what decides how many can type at
once. A keystroke repaints the 3 rows of the chat input; Textual's compositor, for any partial
update, visits every widget whose *clip* overlaps the repainted area, and a child of the screen is
clipped by the whole screen: the header, the footer, the profile panel, the chat log, the cards'
column and every container between them each returned all of their lines (from Textual's line
cache, but line by line, each through the widget's filters) only for all but the input's to be
thrown away. The compositor was half of the app's main thread per keystroke (py-spy of a served
session).

`CroppedCompositor` visits a widget only if what it shows overlaps the repainted area, and asks it
only for its lines in the repainted rows. A repainted row is cut where the widgets on it meet, and
Textual fills each cut from the first widget (front to back) that covers it, so a visited widget is
still asked for its full visible width: the pieces it gives line up with the cuts. What reaches the
terminal is what Textual's own compositor sends (`tests/test_compositor.py` renders every partial
update of a session both ways and compares them). A full repaint (a resize, a new screen) is
Textual's own. `benchmarks/served_cpu.py` measures the CPU per keystroke; docs/benchmarks.md has the
numbers.
"""

from __future__ import annotations

from collections.abc import Iterable

from textual._compositor import Compositor
from textual.geometry import Region
from textual.screen import Screen
from textual.strip import Strip

__all__ = ["CroppedCompositor", "main_screen"]


class CroppedCompositor(Compositor):
    def _get_renders(self, crop: Region | None = None) -> Iterable[tuple[Region, Region, list[Strip]]]:
        """(region, clip, lines) of each widget showing within `crop`, front to back, as Textual's, with
        the clip narrowed to the rows of `crop` and only the lines of those rows."""
        if crop is None or crop == self.size.region:
            yield from super()._get_renders(crop)
            return
        top, bottom = crop.y, crop.bottom
        for widget, (region, clip) in self.visible_widgets.items():
            shown = region.intersection(clip)
            if not shown.overlaps(crop):
                continue
            first, last = max(shown.y, top), min(shown.bottom, bottom)
            rows = Region(shown.x, first, shown.width, last - first)
            lines = widget.render_lines(Region(shown.x - region.x, first - region.y, shown.width, last - first))
            yield region, rows, lines


def main_screen() -> Screen:
    """The app's first screen (`App.get_default_screen`), painted through a `CroppedCompositor`."""
    screen = Screen(id="_default")
    screen._compositor = CroppedCompositor()  # before it is mounted: it holds no layout yet
    return screen
