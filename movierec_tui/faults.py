"""A test hook for fault injection: `MOVIEREC_FAULT_AT=<point>` makes the process SIGKILL itself when
it reaches that point, so a test can kill `setup` inside a chosen step deterministically.

The points (see docs/reliability.md): `download` (after the first bytes reached the partial file),
`parse` (at its start), `cards` (after the cards were written, before the step is marked done),
`train` (after the first epoch), `export` (the new model written beside the old one, before the
swap), `index` (vectors inserted into the new collection, before it is indexed and swapped in).
`profile-change` (in the app, after a change of the profile) does not kill: the main thread stays
busy there for ever, as in the frozen apps the fuzzer found (app/stall_watch.py must end the app).
Without the variable every call is a dictionary lookup and nothing else.
"""

from __future__ import annotations

import logging
import os
import signal

ENV_FAULT_AT = "MOVIEREC_FAULT_AT"
POINTS = ("download", "parse", "cards", "train", "export", "index")

log = logging.getLogger(__name__)


def checkpoint(point: str) -> None:
    """Die here, as `kill -9` would kill us, if the test hook asks for this point."""
    if os.environ.get(ENV_FAULT_AT) == point:
        log.warning("test hook %s=%s: killing this process with SIGKILL", ENV_FAULT_AT, point)
        for handler in logging.getLogger().handlers:
            handler.flush()
        os.kill(os.getpid(), signal.SIGKILL)


def stall(point: str) -> None:
    """Keep this thread busy here for ever, never returning to the event loop it runs, if the test
    hook asks for this point."""
    if os.environ.get(ENV_FAULT_AT) == point:
        log.warning("test hook %s=%s: this thread stays busy here for ever", ENV_FAULT_AT, point)
        while True:
            pass
