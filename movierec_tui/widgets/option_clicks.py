"""Clicks on an option list whose options changed after it was drawn.

Textual's option list takes the clicked option's index from the cell under the mouse, as it was last
drawn, and looks the option up by it. A click can reach a list after its options were replaced and
before it was drawn again: the palette's list is refilled on every key of a search, and bursts of
keys, clicks and window changes over SSH (a fuzzer, 2026-12-05) clicked an option it no longer had
in 2 of 16 asyncssh sessions: IndexError, a traceback on the person's screen. Such a click does
nothing here, since what the person clicked is not there any more. (Lists whose options are set
once while they are shown, the profiles' and the details' similar movies, cannot meet it.)
"""

from __future__ import annotations

from textual import events


class StaleClicksIgnored:
    """Mixed into an option list, first among its bases (`class CardList(StaleClicksIgnored, ...,
    OptionList)`): Textual calls each class's click handler in turn, along the bases, and this one
    stops Textual's for an option the list no longer has. It is not a widget, so Textual takes the
    list's styles along its other bases as before."""

    option_count: int  # the option list's

    def _on_click(self, event: events.Click) -> None:
        option = event.style.meta.get("option")
        if isinstance(option, int) and not 0 <= option < self.option_count:
            event.prevent_default()
