"""Notifications whose toast never waits a negative time.

Textual's toast removes itself after its notification's `time_left`, read when the toast is made,
and toasts are made again whenever a screen opens or closes. A notification that runs out between
Textual's check that it has not and the toast's making gives the toast a negative wait, and
Textual's timer then loops without end (it counts ticks towards a clock that a negative interval
never reaches), inside one turn of the event loop: no input, no drawing, no signal handler, a CPU
core at 100%. The SSH fuzzer met it (2026-12-05, seed 3403: py-spy showed the app in `Timer._run`
with an interval of -0.0000145 s for minutes); a person opening a dialog as a toast runs out could.
Here a notification that has run out still gives its toast a short wait, and has expired as before.
"""

from __future__ import annotations

from time import time

from textual.notifications import Notification, Notify, SeverityLevel

SHORTEST_TOAST = 0.05  # seconds: a toast made as its notification runs out goes after this


class LateToastSafeNotification(Notification):
    """Textual's notification, whose `time_left` (the wait a toast is made with) is never under
    SHORTEST_TOAST; whether it has expired is still read from the clock."""

    @property
    def time_left(self) -> float:
        return max(SHORTEST_TOAST, self._left_on_the_clock)

    @property
    def has_expired(self) -> bool:
        return self._left_on_the_clock <= 0

    @property
    def _left_on_the_clock(self) -> float:
        return self.raised_at + self.timeout - time()


class LateToastSafeNotify:
    """Mixed into the app, before `App`: its `notify` (the one every widget's `notify` calls) makes
    `LateToastSafeNotification`s; otherwise Textual's."""

    NOTIFICATION_TIMEOUT: float  # the app's

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = True) -> None:  # fmt: skip
        notification = LateToastSafeNotification(
            message, title, severity, self.NOTIFICATION_TIMEOUT if timeout is None else timeout, markup=markup
        )
        self.post_message(Notify(notification))  # type: ignore[attr-defined]  # the app's
