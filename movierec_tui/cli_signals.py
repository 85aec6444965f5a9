"""SIGTERM and SIGHUP end a command the way ctrl+c does: cleanly, with one line and an exit code.

Without a handler the default action ended the process on the spot, with no `finally` and no `with`
exit: the stores were never closed, and the embedded Valkey this process kept ran on without its
keeper (`kill` of a `setup`, a logout under a long `evaluate`). Now the signal raises `Stopped` in
the main thread: every `with` and `finally` on the way out runs (Backends.close stops the Valkey
server, which saves its data), and `OneLineErrors` prints "stopped by SIGTERM" and exits with
128 + the signal's number (143, 129), as a shell reports a process the signal ended. Setup's steps
are written to be killed at any point (tests/test_faults_cli.py), so a step left half done is
redone by the next run.

`Stopped` is a BaseException: an `except Exception` that handles a failed step does not swallow it
(as for KeyboardInterrupt); and not a KeyboardInterrupt, which click turns into "interrupted" (130).
A repeated signal while the first one unwinds is ignored, so the cleanup it started (stopping the
server) is not cut short; SIGKILL still ends the process at once.

The app (no command) replaces these handlers with its own while it runs (app/quitting.py), and
`serve` has its own (serve/); commands install them only in the main thread and restore the previous
ones when the command ends, so a caller running a command in-process (tests) keeps its own.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable

STOPPING_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


class Stopped(BaseException):
    """The process was asked to end by `signum`."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        self.name = signal.Signals(signum).name
        super().__init__(f"stopped by {self.name}")

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


def stopped_by(exc: BaseException) -> Stopped | None:
    """The Stopped behind `exc`, if a signal caused it: raised inside an extension module's import
    (paddle's takes seconds), Stopped comes out as "ImportError: initialization failed", with it as
    the cause."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, Stopped):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def stop_on_signals() -> Callable[[], None]:
    """Make SIGTERM and SIGHUP raise Stopped in this (the main) thread; returns what restores the
    previous handlers. Elsewhere than in the main thread nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    stopping = False

    def raise_stopped(signum: int, _frame: object) -> None:
        nonlocal stopping
        if stopping:  # the first one is unwinding: let its cleanup finish
            return
        stopping = True
        raise Stopped(signum)

    previous = {signum: signal.signal(signum, raise_stopped) for signum in STOPPING_SIGNALS}

    def restore() -> None:
        for signum, handler in previous.items():
            signal.signal(signum, handler if handler is not None else signal.SIG_DFL)

    return restore
