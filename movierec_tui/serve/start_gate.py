"""Session apps start a few at a time, in the order people connected.

Why: an app's start (stores, layout, the first screen with its cards and rows) costs a few hundred ms
of CPU. When 16 people connect in the same second, all 16 starts ran at once, and the first people
whose screen was up rated movies while 15 starts shared the two cores with them: a rating that takes
~100 ms alone then took over 500 ms (`benchmarks/ssh_load.py`: the slowest rating of a run was most
often a session's first). With a few apps starting at once, a rating competes with those few starts.

Off by default (`serve ssh --starts-at-once N` turns it on), because measurement did not settle it:
`ssh_load.py --sessions 16 --hostile 200` against the code without a gate, ABBA (docs/benchmarks.md,
"Apps start a few at a time?"). 2 at once made the last of 16 people wait 8-10 s (a start also waits
on the stores, and the CPU sat idle meanwhile). 6 at once lowered the startup p50 in every round (0.79-0.98x)
and the update p99 to 0.31-0.87x in 4 rounds of a middling hour, but on a slower hour the same
code took the startup p99 to 10-11 s (the ungated code 6.6-6.9 s) and the update p99 to 2.4x in 2 of
3 rounds. The last of a crowd always waits longer: the work is the same and comes after most of it.

An app holds its slot from the moment it is admitted until it says that its first screen is painted:
it inherits the write end of a pipe (its number in `launch.ENV_STARTED_FD`) and writes a byte to it
(`launch.started_signal`). Its exit (end of file on the pipe) frees the slot too, and so does
`max_hold` seconds passing: an app that is stopped (SIGSTOP) or stuck must not hold up the queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections import deque

MAX_HOLD = 5.0  # seconds; a lone start takes ~1-2 s on 2 cores


class StartGate:
    """At most `slots` apps starting at once; the others wait for a slot, first come first served."""

    def __init__(self, slots: int, max_hold: float = MAX_HOLD) -> None:
        if slots < 1:
            raise ValueError("a start gate needs at least one slot")
        self.slots = slots
        self.max_hold = max_hold
        self._free = slots
        self._waiting: deque[asyncio.Future[None]] = deque()
        self.admitted = 0  # in all (read by the tests)
        self.waited = 0  # admitted after waiting for a slot

    @property
    def starting(self) -> int:
        return self.slots - self._free

    @property
    def queued(self) -> int:
        return sum(not f.done() for f in self._waiting)

    def open_all(self) -> None:
        """Everyone waiting goes now, and everyone after: the server is stopping, and a session that
        waits must get on to its end."""
        self._free = 1 << 30
        while self._waiting:
            self._hand_on()

    async def admit(self) -> StartSlot:
        """A slot, once one is free and everyone who asked before has had theirs."""
        if self._free > 0 and not self._waiting:
            self._free -= 1
        else:
            turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiting.append(turn)
            try:
                await turn
            except asyncio.CancelledError:
                if turn.done() and not turn.cancelled():  # the slot was handed over as we were cancelled
                    self._hand_on()
                raise
            self.waited += 1
        self.admitted += 1
        return StartSlot(self)

    def _hand_on(self) -> None:
        """A slot came free: to the first still waiting, else back to the pool."""
        while self._waiting:
            turn = self._waiting.popleft()
            if not turn.done():
                turn.set_result(None)
                return
        self._free += 1


class StartSlot:
    """One admitted start. Give `app_end` to the app, call `spawned()` once it has it (or `release()`
    if it could not be started); the slot frees itself when the app signals, exits or takes too long.

    Freeing the slot and closing the pipe are apart: a start that takes too long gives its slot back,
    but its `app_end` stays open until the starter says it is done with it. (Closed at the time limit,
    a start still waiting its turn at the zygote then handed the app a closed descriptor and failed,
    seen once with 200 flood connections; or, had the number been reused meanwhile, another one.)"""

    def __init__(self, gate: StartGate) -> None:
        self._gate = gate
        self._loop = asyncio.get_running_loop()
        self._read_end, self.app_end = os.pipe()
        self._loop.add_reader(self._read_end, self._app_done)  # a byte, or end of file: either way, done
        self._timer: asyncio.TimerHandle | None = self._loop.call_later(gate.max_hold, self._free)
        self.released = False  # the slot is back in the gate

    @property
    def watching(self) -> bool:
        """The read end is open, waiting for the app's byte or its exit."""
        return self._read_end >= 0

    def spawned(self) -> None:
        """The app has its copy of the write end: close ours, so that its exit reads as end of file."""
        self._close_app_end()

    def release(self) -> None:
        """The starter is done without an app (it could not be started, or the session went): the slot
        goes back, and both ends of the pipe close."""
        self._free()
        self._stop_watching()
        self._close_app_end()

    def _app_done(self) -> None:
        """The app said its first screen is painted, or it exited."""
        self._free()
        self._stop_watching()

    def _free(self) -> None:
        if self.released:
            return
        self.released = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._gate._hand_on()

    def _stop_watching(self) -> None:
        if self._read_end >= 0:
            self._loop.remove_reader(self._read_end)
            os.close(self._read_end)
            self._read_end = -1

    def _close_app_end(self) -> None:
        if self.app_end >= 0:
            with contextlib.suppress(OSError):
                os.close(self.app_end)
            self.app_end = -1
