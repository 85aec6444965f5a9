"""Faults of Textual's option list that ended the app, each guarded here: a click or a page key the
list reads against options it has not drawn, and text wrapped to no width.

Textual's option list takes a clicked option's index from the cell under the mouse, as it was last
drawn, and looks the option up by it. A click can reach a list after its options were replaced and
before it was drawn again: the palette's list is refilled on every key of a search, and bursts of
keys, clicks and window changes over SSH (a fuzzer, 2026-12-05) clicked an option it no longer had
in 2 of 16 asyncssh sessions: IndexError, a traceback on the person's screen. Such a click does
nothing here, since what the person clicked is not there any more. (Lists whose options are set
once while they are shown, the profiles' and the details' similar movies, cannot meet it.)

Page up and down look up the highlighted option's line, which the list knows only once it has laid
its options out in a region with room. In a window too small to show them (the palette's, Find's or
the lists' in a 12x4 terminal) Textual raised KeyError and the app ended; so did the palette's, at
20 columns and more, in a fuzzer's bursts over SSH the same day (which state of the list it met
there is not known). With no lines laid out there is no page to move by, so the key does nothing.

An option's text is wrapped to the list's width less the option's padding, and Rich cannot wrap to
a width of 0 (ValueError, the app ended): the palette's and the themes' lists in a 4- or 6-column
terminal, "No movie matches these filters" in a 2- or 3-column one. Over SSH (the fuzzer again, at
20 columns or more) the cards met it with that message and 2 columns for it. A likely way: a window
widened across the layouts' breakpoints was drawn once at its old width with the new layout's panes
(from 62 columns to 100, the cards 2 wide), a way closed since: the panes are fitted at the screen's
resize (compositor.MainScreen). A list with no room for text lays nothing out, and so draws blank lines,
until it has room.
"""

from __future__ import annotations

from typing import Literal

from textual import events
from textual.geometry import Size


class OptionListGuards:
    """Mixed into an option list, first among its bases (`class CardList(OptionListGuards, ...,
    OptionList)`): Textual calls each class's click handler in turn, along the bases, and this one
    stops Textual's for an option the list no longer has; a page key waits for the list's layout;
    the layout waits for room. It is not a widget, so Textual takes the list's styles along its
    other bases as before."""

    option_count: int  # the option list's
    highlighted: int | None

    def _on_click(self, event: events.Click) -> None:
        option = event.style.meta.get("option")
        if isinstance(option, int) and not 0 <= option < self.option_count:
            event.prevent_default()

    def _move_page(self, direction: Literal[-1, 1]) -> None:
        """Textual's page move, once the list knows where its highlighted option is drawn."""
        if (self.highlighted or 0) in self._index_to_line:  # type: ignore[attr-defined]  # the option list's
            super()._move_page(direction)  # type: ignore[misc]

    def _update_lines(self) -> None:
        """Textual's layout of the options' lines, once there is room for their text. It runs on
        every paint, so room is looked at (which builds the option's styles) only where Textual's
        own layout does: in a region, with options not yet laid out. A list with neither has
        nothing to lay out, and may have no styles to read: a search that outlives the palette
        refills its list after removal."""
        region = self.scrollable_content_region  # type: ignore[attr-defined]
        if region and self._has_options_not_laid_out():
            width = region.width - self._get_left_gutter_width()  # type: ignore[attr-defined]
            if not self._has_room_for_text(width):
                return
        super()._update_lines()  # type: ignore[misc]

    def _has_options_not_laid_out(self) -> bool:
        """Whether some option has no lines yet: Textual's line cache holds a height for each option
        laid out, and is emptied whenever the options or the width change."""
        return len(self._line_cache.heights) < self.option_count  # type: ignore[attr-defined]

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        """Textual's height of the options at `width` (a list sized to its options), 0 with no room."""
        if not self._has_room_for_text(width):
            return 0
        return super().get_content_height(container, viewport, width)  # type: ignore[misc]

    def _has_room_for_text(self, width: int) -> bool:
        """Whether an option's text has a column at `width`, the list's less its gutter."""
        padding = self.get_component_styles("option-list--option").padding  # type: ignore[attr-defined]
        return width - padding.width > 0
