"""The watch on the event loop (app/stall_watch.py), on a real loop: a loop kept busy is reported once,
with the stack of what keeps it; a loop that turns, and a process that was stopped and resumed, are
not; the watch ends with its loop. The app's side (the profile kept, the terminal given back) is
tested on the real app in test_unsaved_changes.py."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from movierec_tui.app.stall_watch import StallWatch

SOURCE_ROOT = Path(__file__).resolve().parent.parent


def keep_the_loop_busy_until(reported: threading.Event, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not reported.is_set() and time.monotonic() < deadline:
        pass


def test_a_loop_kept_busy_is_reported_once_with_what_keeps_it() -> None:
    stacks: list[str] = []
    reported = threading.Event()

    def on_stall(stack: str) -> None:
        stacks.append(stack)
        reported.set()

    async def scenario() -> float:
        StallWatch(on_stall, limit=3, look=0.1).start()
        await asyncio.sleep(0.5)  # turning: nothing to report
        assert not stacks
        started = time.monotonic()
        keep_the_loop_busy_until(reported, seconds=10)
        took = time.monotonic() - started
        await asyncio.sleep(0.6)  # turning again: reported once only
        return took

    took = asyncio.run(scenario())
    assert len(stacks) == 1 and 0.25 <= took < 5, (took, stacks)
    assert "keep_the_loop_busy_until" in stacks[0]


def test_a_loop_kept_busy_after_its_terminal_hung_up_is_reported_at_once() -> None:
    """With the terminal gone, two looks without a turn are enough (a served app is killed 3 s after
    its hang-up); with it there, the full limit (here 5 s)."""
    async def scenario(hung_up: bool, reported: threading.Event) -> float:
        StallWatch(lambda stack: reported.set(), hung_up=lambda: hung_up, limit=50, look=0.1).start()
        started = time.monotonic()
        keep_the_loop_busy_until(reported, seconds=10)
        return time.monotonic() - started

    for hung_up, expected in ((True, (0.15, 1.0)), (False, (4.5, 9.0))):
        reported = threading.Event()
        took = asyncio.run(scenario(hung_up, reported))
        assert reported.is_set() and expected[0] <= took < expected[1], (hung_up, took)


def test_the_watch_ends_with_its_loop() -> None:
    calls: list[str] = []

    async def scenario() -> None:
        StallWatch(calls.append, limit=2, look=0.05).start()
        await asyncio.sleep(0.2)

    asyncio.run(scenario())
    time.sleep(0.5)  # what runs after the loop (closing stores) is not watched
    assert not calls and not [t for t in threading.enumerate() if t.name == "stall-watch"]


STOPPED_APP = """
import asyncio, sys
from movierec_tui.app.stall_watch import StallWatch
async def main():
    StallWatch(lambda stack: print("STALLED", flush=True), limit=3, look=0.2).start()
    print("watching", flush=True)
    await asyncio.sleep(float(sys.argv[1]))
    print("done", flush=True)
asyncio.run(main())
"""


def test_a_process_stopped_and_resumed_is_not_a_stall() -> None:
    """SIGSTOP stops the watch's thread too: when the process resumes, one look finds no new beat, then
    the loop beats again. Stopped for ten times the limit, it is not reported."""
    process = subprocess.Popen([sys.executable, "-c", STOPPED_APP, "8"], stdout=subprocess.PIPE, text=True,
                               cwd=SOURCE_ROOT)  # fmt: skip
    try:
        assert process.stdout.readline().strip() == "watching"
        time.sleep(0.3)
        process.send_signal(signal.SIGSTOP)
        time.sleep(6)
        process.send_signal(signal.SIGCONT)
        out, _ = process.communicate(timeout=30)
    finally:
        process.kill()
    assert out.split() == ["done"], out
