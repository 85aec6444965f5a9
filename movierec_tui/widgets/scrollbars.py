"""Scrollbars repainted only when what they show changes.

Textual's `_scroll_update` repaints a widget's scrollbars every time it runs, whether or not they
changed, and it runs on every layout pass of the screen for every scrollable widget whose sizes it
sets, on every change of an option list's options, and with every message of the chat log. A
vertical scrollbar is drawn line by line, as tall as its widget (34 lines for the chat log at
120x40): after each rating, the chat log's and the cards' scrollbars were drawn again unchanged
(~60 of ~175 lines drawn per rating, `benchmarks/app_cpu.py`'s session), one of them in a frame of
its own. Here the repaints `_scroll_update` asks of a scrollbar are held and let through only when
the scrollbar now shows something else: its sizes, its position or whether it is displayed (its
colours change through its styles, which refresh it on their own, not through `_scroll_update`).
"""

from __future__ import annotations

from typing import Any

from textual.geometry import Size
from textual.scrollbar import ScrollBar


def _looks(bar: ScrollBar) -> tuple:
    """What a scrollbar's drawing depends on besides its styles."""
    return (bar.window_virtual_size, bar.window_size, bar.position, bar.display, bar.thickness)


class SteadyScrollbars:
    """Mixed into a scrollable widget, before Textual's class (`class CardList(SteadyScrollbars,
    OptionList)`): its scrollbars are not repainted by `_scroll_update` unless they change."""

    _vertical_scrollbar: ScrollBar | None
    _horizontal_scrollbar: ScrollBar | None

    def _scroll_update(self, virtual_size: Size) -> None:
        bars = [bar for bar in (self._vertical_scrollbar, self._horizontal_scrollbar) if bar is not None]
        if not bars:  # a scrollbar made now is drawn for the first time anyway
            super()._scroll_update(virtual_size)  # type: ignore[misc]
            return
        before = [_looks(bar) for bar in bars]
        held: dict[ScrollBar, list[tuple[tuple, dict[str, Any]]]] = {bar: [] for bar in bars}
        for bar in bars:  # an instance attribute in front of the method, for this call only

            def hold(*regions: Any, _bar: ScrollBar = bar, **options: Any) -> ScrollBar:
                held[_bar].append((regions, options))
                return _bar

            bar.refresh = hold  # type: ignore[method-assign]
        try:
            super()._scroll_update(virtual_size)  # type: ignore[misc]
        finally:
            for bar in bars:
                del bar.refresh
        for bar, looked in zip(bars, before, strict=True):
            calls = held[bar]
            more_than_a_repaint = any(regions or options.get("layout") or options.get("recompose")
                                      for regions, options in calls)  # fmt: skip
            if more_than_a_repaint or _looks(bar) != looked:
                for regions, options in calls:
                    bar.refresh(*regions, **options)
