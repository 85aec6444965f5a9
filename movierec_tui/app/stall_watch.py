"""A watch on the app's event loop, from a thread of its own: when the loop has not turned for
`STALL_LIMIT` looks, `on_stall` is called with the main thread's stack (quitting.py then ends the
app the way a hang-up does, keeping on disk what is not in Redis).

Why: the fuzzer (tests/test_serve_fuzz.py) found served apps whose main thread stayed inside one turn
of the event loop for good (py-spy: Textual's main screen handling messages of its own under the
command palette, its queue never empty; docs/reliability.md). Its cause is not found. Nothing else
runs in such an app: not the keys, and not the SIGHUP handler that keeps the profile when the person
leaves (it runs in the loop), so the server killed it 3 s after the hang-up and what the person had
entered was lost. This bounds the harm of any such stall, whatever its cause.

The loop bumps a counter twice between two looks of the thread (every `LOOK` seconds), which counts
the looks in a row that found it unchanged. Counting looks, not clock time, keeps a process that was
stopped (SIGSTOP, a suspended laptop: its threads stop too) from looking stalled when it resumes.
When the terminal has hung up as well (`hung_up`), `HUNG_UP_LIMIT` looks are enough: a served
app's server kills it 3 s after hanging up, and a loop that turns runs the hang-up's own handler
within milliseconds. No turn of the loop is legitimately `STALL_LIMIT` long here: searches, saves
and the model run in worker threads, and the loaded machine of `benchmarks/ssh_load.py` (16
sessions, 200 hostile connections, 2 cores) answers a rating in under half a second at p99.
"""

from __future__ import annotations

import asyncio
import sys
import threading
import time
import traceback
from collections.abc import Callable

__all__ = ["HUNG_UP_LIMIT", "STALL_LIMIT", "StallWatch"]

LOOK = 1.0  # seconds between the thread's looks
STALL_LIMIT = 20  # looks in a row without a beat: about 20 s without a turn of the loop
HUNG_UP_LIMIT = 2  # the same once the terminal has hung up


class StallWatch:
    def __init__(
        self, on_stall: Callable[[str], None], hung_up: Callable[[], bool] | None = None, limit: int = STALL_LIMIT,
        look: float = LOOK,
    ) -> None:  # fmt: skip
        self.on_stall = on_stall  # called once, in the watch's thread, with the main thread's stack
        self.hung_up = hung_up or (lambda: False)  # whether the app's terminal has hung up (asked from the thread)
        self.limit = limit
        self.look = look
        self.beats = 0
        self._loop: asyncio.AbstractEventLoop | None = None

    def start(self) -> None:
        """Watch the running loop (called in it). The watch ends with the loop."""
        self._loop = asyncio.get_running_loop()
        self._beat()
        threading.Thread(target=self._watch, args=(self._loop,), name="stall-watch", daemon=True).start()

    def _beat(self) -> None:
        self.beats += 1
        assert self._loop is not None
        self._loop.call_later(self.look / 2, self._beat)

    def _watch(self, loop: asyncio.AbstractEventLoop) -> None:
        seen, missed = self.beats, 0
        while True:
            time.sleep(self.look)
            if not loop.is_running():  # the app has ended: what runs after it is not watched
                return
            if self.beats != seen:
                seen, missed = self.beats, 0
                continue
            missed += 1
            if missed >= self.limit or (missed >= HUNG_UP_LIMIT and self.hung_up()):
                self.on_stall(main_thread_stack())
                return


def main_thread_stack() -> str:
    frame = sys._current_frames().get(threading.main_thread().ident or 0)
    return "".join(traceback.format_stack(frame)) if frame is not None else "(no main thread)"
