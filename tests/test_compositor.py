"""The main screen's compositor (widgets/compositor.py) repaints exactly what Textual's own would, while
visiting fewer widgets: every partial update of a real session is rendered both ways and compared."""

from __future__ import annotations

import asyncio
import time
from functools import partial
from pathlib import Path

from textual._compositor import Compositor
from textual.geometry import Region

from movierec_tui.app import MovieRecApp, main
from movierec_tui.engine import Recommender
from movierec_tui.widgets.compositor import CroppedCompositor, MainScreen


class ComparingCompositor(CroppedCompositor):
    """Before each partial update, renders its rows with Textual's compositor too, and keeps what
    differs, how many widgets each visited and how many lines it asked them for."""

    def __init__(self) -> None:
        super().__init__()
        self.updates = 0
        self.differences: list[str] = []
        self.visits = {"cropped": 0, "textual": 0}
        self.lines_asked = {"cropped": 0, "textual": 0}

    def render_partial_update(self):
        regions = self._dirty_regions.copy()
        if regions and self.size.region not in regions:
            crop = Region.from_union(regions).intersection(self.size.region)
            spans = list(self._regions_to_spans(regions))  # (row, first column, end column)
            rendered = {y for y, _, _ in spans}
            self.repainting = list(regions)  # as its own render_partial_update keeps them
            ours = self._chops(crop, rendered, "cropped", super()._get_renders)
            textual = self._chops(crop, rendered, "textual", partial(Compositor._get_renders, self))
            self.updates += 1
            for y, start, end in spans:  # what reaches the terminal: the chops of the spans
                if shown(ours[y], start, end) != shown(textual[y], start, end):
                    self.differences.append(f"row {y}, columns {start}-{end} of update {self.updates}")
        return super().render_partial_update()

    def _chops(self, crop: Region, rendered: set[int], name: str, renders):
        def counted(crop=None):
            for region, clip, lines in renders(crop):
                self.visits[name] += 1
                self.lines_asked[name] += len(lines)
                yield region, clip, lines

        self._get_renders = counted  # what _render_chops calls, for this one rendering
        try:
            return self._render_chops(crop, rendered.__contains__)
        finally:
            del self._get_renders


def shown(chops: dict, start: int, end: int) -> dict[int, list | None]:
    """The pieces of one row that a partial update sends, whole or in part: those that overlap its span
    (a piece runs from its cut to the next; a missing piece is None, and would not be sent)."""
    cuts = list(chops)
    ends = [*cuts[1:], 1 << 30]
    return {cut: None if chops[cut] is None else list(chops[cut])
            for cut, piece_end in zip(cuts, ends, strict=True) if cut < end and piece_end > start}  # fmt: skip


async def settle(pilot, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not pilot.app.settled:
        assert time.monotonic() < deadline, "the app did not settle"
        await pilot.app.workers.wait_for_complete()
        await pilot.pause(0.05)


class PaintedApp(MovieRecApp):
    """The app, its first screen painted from the start through the compositor `make_compositor` makes
    (a `CroppedCompositor` that also records or compares what it paints)."""

    CSS_PATH = str(Path(main.__file__).with_name(MovieRecApp.CSS_PATH))  # Textual reads it beside the class

    def __init__(self, recommender: Recommender, make_compositor: type[CroppedCompositor], **options) -> None:
        super().__init__(recommender, **options)
        self.compositor = make_compositor()

    def get_default_screen(self) -> MainScreen:
        screen = MainScreen(self.panes.fit)
        screen._compositor = self.compositor
        return screen


def test_every_partial_repaint_of_a_session_is_textuals_own_from_fewer_widgets(recommender) -> None:
    app = PaintedApp(recommender, ComparingCompositor, cursor_blink=False)
    asyncio.run(session(app))
    compositor = app.compositor
    assert compositor.updates >= 40, "the session should have painted many partial updates"
    assert not compositor.differences, compositor.differences[:5]
    # Textual's own visits every widget on the screen and asks for all its lines; this one far fewer.
    assert compositor.visits["cropped"] < 0.7 * compositor.visits["textual"], compositor.visits
    assert compositor.lines_asked["cropped"] < 0.5 * compositor.lines_asked["textual"], compositor.lines_asked


def test_the_apps_first_screen_uses_it(recommender) -> None:
    async def check() -> None:
        app = MovieRecApp(recommender, cursor_blink=False)
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            assert isinstance(app.screen._compositor, CroppedCompositor)

    asyncio.run(check())


async def session(app: MovieRecApp) -> None:
    """Answers, ratings typed key by key, a notification, a rating on the cards, the log scrolled, the
    help over it all and closed again."""
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        for message in ("34", "female", "programmer", "5", "skip", "4", "back", "no horror", "why"):
            for character in message:
                await pilot.press("space" if character == " " else character)
            await pilot.press("enter")
            await settle(pilot)
        app.tell("a notification over the cards")  # a toast: a layer above the screen's widgets
        await pilot.pause(0.2)
        await pilot.press("tab", "down", "down", "4")  # into the cards, down two, rate one
        await settle(pilot)
        app.chat_log.scroll_to(y=0, animate=False)  # the log scrolled up to its first message
        await pilot.pause(0.1)
        await pilot.press("f1")  # a screen over the main one, and back
        await pilot.pause(0.2)
        await pilot.press("escape")
        await settle(pilot)
