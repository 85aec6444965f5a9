"""Scrollbars repainted only where what they show changes.

Textual repaints a widget's scrollbars whole every time `_scroll_update` runs, whether or not they
changed, and it runs on every layout pass of the screen for every scrollable widget whose sizes it
sets, on every change of an option list's options, and with every message of the chat log; and
again whole when the widget scrolls. A vertical scrollbar is drawn line by line, as tall as its
widget (34 lines for the chat log at 120x40): after each rating, the chat log's and the cards'
scrollbars were drawn again unchanged (~60 of ~180 lines drawn per rating, `benchmarks/app_cpu.py`'s
session), one of them in a frame of its own, and the chat log's was drawn whole to move its thumb a
line or two.

Here the repaints a scrollbar is asked for while its widget updates its scrollbars or scrolls are
held, and let through only as far as the scrollbar now shows something else: nothing when its
sizes, position and display are as they were; only the rows that differ (the thumb's ends, where it
was or now is) when the thumb merely moved or changed length (a vertical bar of the same height);
the whole bar otherwise.
Its colours change through its styles, which repaint it on their own, not through these paths.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from math import ceil
from typing import Any

from textual.geometry import Region, Size
from textual.scrollbar import ScrollBar, ScrollBarRender


def _looks(bar: ScrollBar) -> tuple:
    """What a scrollbar's drawing depends on besides its styles and its height."""
    return (bar.window_virtual_size, bar.window_size, bar.position, bar.display, bar.thickness)


def _rows(bar: ScrollBar, looks: tuple) -> list[tuple]:
    """A vertical scrollbar's rows as it draws them in `looks` (ScrollBar._render_bar's sizes, in
    plain colours: only where the thumb and its ends are matters here)."""
    virtual, window, position, _, thickness = looks
    drawn = ScrollBarRender.render_bar(
        size=bar.size.height, virtual_size=ceil(virtual), window_size=ceil(window if window < virtual else 0),
        position=position, thickness=thickness, vertical=True,
    )  # fmt: skip
    rows = [(segment.text, segment.style) for segment in drawn.segments]
    return rows[: bar.size.height]  # a thumb at the end can come out a row longer: the bar is cut when drawn


def _changed_rows(bar: ScrollBar, before: tuple, after: tuple) -> list[int] | None:
    """The rows of `bar` that differ between `before` and `after`, or None if it must be drawn whole
    (a horizontal bar, or one that was hidden, shown, resized or given another thickness)."""
    same_frame = before[1] == after[1] and before[3] == after[3] and before[4] == after[4]
    if not bar.vertical or not after[3] or not same_frame or not bar.size.height:
        return None
    old, new = _rows(bar, before), _rows(bar, after)
    if len(old) != len(new):
        return None
    return [y for y, (was, now) in enumerate(zip(old, new, strict=True)) if was != now]


class SteadyScrollbars:
    """Mixed into a scrollable widget, before Textual's class (`class CardList(SteadyScrollbars,
    OptionList)`): `_scroll_update` and scrolling repaint its scrollbars only where they change."""

    _vertical_scrollbar: ScrollBar | None
    _horizontal_scrollbar: ScrollBar | None

    @contextmanager
    def _bars_held(self) -> Iterator[None]:
        bars = [
            bar for bar in (self._vertical_scrollbar, self._horizontal_scrollbar)
            if bar is not None and "refresh" not in vars(bar)  # not held already (a scroll while updating)
        ]  # fmt: skip
        before = {bar: _looks(bar) for bar in bars}
        held: dict[ScrollBar, list[tuple[tuple, dict[str, Any]]]] = {bar: [] for bar in bars}
        for bar in bars:  # an instance attribute in front of the method, while held
            bar.refresh = _holder(bar, held[bar])  # type: ignore[method-assign]
        try:
            yield
        finally:
            for bar in bars:
                del bar.refresh
        for bar in bars:
            _let_through(bar, before[bar], held[bar])

    def _scroll_update(self, virtual_size: Size) -> None:
        with self._bars_held():  # a scrollbar made in here is drawn whole, for the first time
            super()._scroll_update(virtual_size)  # type: ignore[misc]

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        with self._bars_held():
            super().watch_scroll_y(old_value, new_value)  # type: ignore[misc]


def _holder(bar: ScrollBar, calls: list[tuple[tuple, dict[str, Any]]]) -> Callable[..., ScrollBar]:
    def hold(*regions: Any, **options: Any) -> ScrollBar:
        calls.append((regions, options))
        return bar

    return hold


def _let_through(bar: ScrollBar, before: tuple, calls: list[tuple[tuple, dict[str, Any]]]) -> None:
    """Repaint what `calls` asked of `bar`, as far as it now shows something else than `before`."""
    if not calls:
        return
    if any(regions or options.get("layout") or options.get("recompose") for regions, options in calls):
        for regions, options in calls:
            bar.refresh(*regions, **options)
        return
    after = _looks(bar)
    if after == before:
        return
    rows = _changed_rows(bar, before, after)
    if rows is None:
        bar.refresh()
    elif rows:  # a thumb that moves a little changes its two ends: a run of rows each
        runs: list[list[int]] = []
        for y in rows:
            if runs and runs[-1][1] == y:
                runs[-1][1] = y + 1
            else:
                runs.append([y, y + 1])
        bar.refresh(*(Region(0, top, bar.size.width, end - top) for top, end in runs))
