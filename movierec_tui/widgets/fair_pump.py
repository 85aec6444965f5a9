"""A Textual message pump that gives the event loop a turn while its own queue stays full.

Textual's pump takes its next message with `await queue.get()`, and `asyncio.Queue.get` returns at
once, without giving the loop a turn, while the queue holds a message. A pump whose handling keeps
its own queue filled (each message posting the next, as `call_later` does) therefore holds the whole
app's loop: keys are not read, no timer fires (not even the one that ends a `delay_update` batch),
the SIGHUP handler does not run. A served session froze like that (issue 15: py-spy showed one loop
turn 52 s long, the main screen's pump handling a `Callback(_compositor_refresh)` with another
pending; what kept that queue filled was not found). `FairPump`, put first among a pump's bases,
gives the loop a turn after every `TURN_EVERY` messages it takes in a row (without finding its
queue empty), so a pump like that costs CPU but no longer stops the app (the stall watch,
app/stall_watch.py, covers whatever else stops the loop). A run past `LONG_RUN` messages with no
key, mouse event or paste among them is logged once, with the kinds of messages it took: a cycle of
messages leaves its cause in movierec.log. Input does not count toward that line: a client that sends
keys faster than the app handles them (the fuzzer on a slow machine: 15,890 keys in a run of 20,000)
fills the queue from outside, a backlog that ends when the input does, not a cycle.

It overrides Textual's `_get_message` and reads its `_message_queue`, private names: tests/test_fair_pump.py
would catch a Textual release renaming them (its cycle of messages would hold the loop again). Its
cost per message: `benchmarks/pump_cost.py` (docs/benchmarks.md).
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from functools import partial

from textual import events
from textual.message import Message
from textual.message_pump import MessagePump

log = logging.getLogger(__name__)

# Messages taken in a row before the pump gives the loop a turn (a few ms of them). The app's own runs
# stay well under it (a scratch count on 2026-12-06 over tests/test_app.py's sessions, the main
# screen's Layout and Update messages: 74 at most), so they stay whole and nothing is drawn halfway.
TURN_EVERY = 200
LONG_RUN = 20_000  # messages taken in a row worth a line in the log
KEEPS_HANDLING = "keeps handling messages without waiting for one"  # that line's words, for those who look for it
FROM_OUTSIDE = (events.InputEvent, events.Paste)  # what a person sends: keys, the mouse, pastes


class FairPump(MessagePump):
    """Counts the messages it takes in a row without waiting: a pump that finds its queue empty waits
    for the next message, and the loop turns; one that does not find it empty takes the next at once."""

    _in_a_row = 0  # messages taken since the pump last found its queue empty
    _unprompted = 0  # of those, the ones taken since the last input from outside
    _run: Counter[str] | None = None  # what it took since it first had to give the loop a turn (and since input)
    _run_logged = False

    async def _get_message(self) -> Message:
        if self._message_queue.empty():  # it waits for the next one: the loop turns
            self._in_a_row, self._unprompted, self._run, self._run_logged = 0, 0, None, False
        else:
            self._in_a_row += 1
            self._unprompted += 1
            if self._in_a_row % TURN_EVERY == 0:
                self._note_the_run()
                await asyncio.sleep(0)  # the loop runs what is ready: keys, timers, signal handlers
        message = await super()._get_message()
        if isinstance(message, FROM_OUTSIDE):  # the queue is fed from outside: a backlog, not a cycle
            self._unprompted = 0
            if self._run is not None:
                self._run.clear()
        elif self._run is not None:
            self._run[kind_of(message)] += 1
        return message

    def _note_the_run(self) -> None:
        if self._run is None:
            self._run = Counter()
        elif self._unprompted >= LONG_RUN and not self._run_logged:
            self._run_logged = True
            kinds = ", ".join(f"{kind} x{count}" for kind, count in self._run.most_common(5))
            log.warning(
                "%r %s: %d in a row with no input among them (the loop given a turn every %d); the last %d were: %s",
                self, KEEPS_HANDLING, self._unprompted, TURN_EVERY, sum(self._run.values()), kinds,
            )  # fmt: skip


def kind_of(message: Message) -> str:
    """A message's class, and for the callbacks Textual posts (`call_later`, `call_after_refresh`)
    what they call: in a cycle of them the callback is the clue, the class is not; for a resize, to
    which size (a run of resizes back and forth between two sizes is a cycle, of many sizes a backlog)."""
    if isinstance(message, events.Resize):  # its size: a backlog of window changes has many, a cycle a few
        return f"Resize({message.size.width}x{message.size.height})"
    callback = getattr(message, "callback", None)
    if callback is None:
        return type(message).__name__
    while isinstance(callback, partial):  # `call_later` wraps what it is given
        callback = callback.func
    return f"{type(message).__name__}({getattr(callback, '__qualname__', type(callback).__name__)})"
