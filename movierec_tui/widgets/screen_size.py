"""A screen resized to the window's size as it is when the resize is handled, not as it was when the
resize was posted.

Textual's screen takes the size its `Resize` event carries, and when that changes the screen's size,
its layout pass posts the screen a new `Resize` of that size. Two resizes of different sizes queued
on one screen (a window changed twice while the screen was busy, a dialog resizing the screen under
it in between) then never end: each one resizes the screen away from the other's size, and so posts
itself again. A web tab's fuzzer found the main screen handling `Resize(70x18)` and `Resize(78x28)`
3,753 times each, with the compositor refreshes they cause, until the session stopped answering
(2026-12-06; FairPump's log line, widgets/fair_pump.py, named them). A screen of this app always
has the app's size (none is inline), so a resize is taken as "the window may have changed" and the
screen is given the app's size now: a stale resize changes nothing, and posts nothing.
"""

from __future__ import annotations

from textual import events
from textual.message_pump import MessagePump


class SizedByTheApp(MessagePump):
    """Put among a screen's bases, before Textual's `Screen`: its resizes take the app's size."""

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Resize):
            size = self.app.size
            if event.size != size:
                event = events.Resize(size, size)
        await super().on_event(event)
