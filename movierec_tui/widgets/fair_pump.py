"""A Textual message pump that gives the event loop a turn while its own queue stays full.

Textual's pump takes its next message with `await queue.get()`, and `asyncio.Queue.get` returns at
once, without giving the loop a turn, while the queue holds a message. A pump whose handling keeps
its own queue filled (each message posting the next, as `call_later` does) therefore holds the whole
app's loop: keys are not read, no timer fires (not even the one that ends a `delay_update` batch),
the SIGHUP handler does not run. A served session froze like that (issue 15: py-spy showed one loop
turn 52 s long, the main screen's pump handling a `Callback(_compositor_refresh)` with another
pending; what kept that queue filled was not found). `FairPump`, put first among a pump's bases,
gives the loop a turn after `TURN_EVERY` messages handled since its last one, so a pump like that
costs CPU but no longer stops the app (the stall watch, app/stall_watch.py, covers whatever else
stops the loop). A run of such turns longer than `LONG_RUN` messages is logged once, with the kinds
of messages it handled: a cycle of messages leaves its cause in movierec.log.

It overrides Textual's `_dispatch_message`, a private name: tests/test_fair_pump.py would catch a
Textual release renaming it (its cycle of messages would hold the loop again).
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from functools import partial

from textual.message import Message
from textual.message_pump import MessagePump

log = logging.getLogger(__name__)

# Messages handled without a turn of the loop before the pump gives it one (a few ms of them). The app's
# own bursts reached 68 (the main screen's Layout and Update messages, in tests/test_app.py's sessions,
# counted 2026-12-06): they stay whole, and nothing is drawn halfway through one.
TURN_EVERY = 200
LONG_RUN = 20_000  # messages in one run of forced turns worth a line in the log
KEEPS_HANDLING = "keeps handling messages without waiting for one"  # that line's words, for those who look for it


class FairPump(MessagePump):
    """Counts the messages it handles between two turns of the loop; the loop tells it of a turn
    through a callback it schedules (`call_soon` runs it at the loop's next turn, whoever yields)."""

    _since_turn = 0  # messages handled since the loop last turned
    _turn_noted = False  # a callback is scheduled to tell of the next turn
    _giving_a_turn = False  # the turn under way is one this pump gave, not one it waited in
    _run: Counter[str] | None = None  # what it handled since it first had to give a turn
    _run_logged = False

    async def _dispatch_message(self, message: Message) -> None:
        await super()._dispatch_message(message)
        self._since_turn += 1
        if self._run is not None:
            self._run[kind_of(message)] += 1
        if not self._turn_noted:
            self._turn_noted = True
            asyncio.get_running_loop().call_soon(self._loop_turned)
        elif self._since_turn >= TURN_EVERY:
            self._note_the_run()
            self._giving_a_turn = True
            try:
                await asyncio.sleep(0)  # the loop runs what is ready, `_loop_turned` among it
            finally:
                self._giving_a_turn = False

    def _loop_turned(self) -> None:
        self._since_turn = 0
        self._turn_noted = False
        if not self._giving_a_turn:  # the pump waited (for a message, or in a handler): no run
            self._run, self._run_logged = None, False

    def _note_the_run(self) -> None:
        if self._run is None:
            self._run = Counter()
            return
        handled = sum(self._run.values())
        if handled >= LONG_RUN and not self._run_logged:
            self._run_logged = True
            kinds = ", ".join(f"{kind} x{count}" for kind, count in self._run.most_common(5))
            log.warning(
                "%r %s: %d since it first gave the loop a turn (it gives one every %d): %s",
                self, KEEPS_HANDLING, handled, TURN_EVERY, kinds,
            )  # fmt: skip


def kind_of(message: Message) -> str:
    """A message's class, and for the callbacks Textual posts (`call_later`, `call_after_refresh`)
    what they call: in a cycle of them the callback is the clue, the class is not."""
    callback = getattr(message, "callback", None)
    if callback is None:
        return type(message).__name__
    while isinstance(callback, partial):  # `call_later` wraps what it is given
        callback = callback.func
    return f"{type(message).__name__}({getattr(callback, '__qualname__', type(callback).__name__)})"
