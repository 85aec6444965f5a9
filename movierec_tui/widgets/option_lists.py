"""Input an option list reads against options it has not drawn.

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
"""

from __future__ import annotations

from typing import Literal

from textual import events


class StaleInputIgnored:
    """Mixed into an option list, first among its bases (`class CardList(StaleInputIgnored, ...,
    OptionList)`): Textual calls each class's click handler in turn, along the bases, and this one
    stops Textual's for an option the list no longer has; and a page key waits for the list's
    layout. It is not a widget, so Textual takes the list's styles along its other bases as before."""

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
