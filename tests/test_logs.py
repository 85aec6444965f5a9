"""Logging and signals of a process that has imported Paddle."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import movierec_tui

SOURCE_ROOT = Path(movierec_tui.__file__).resolve().parent.parent

CAUGHT_AFTER_QUIETING = """
import paddle
from movierec_tui import logs
logs.quiet_libraries()
mask = next(line for line in open("/proc/self/status") if line.startswith("SigCgt:")).split()[1]
print(int(mask, 16))
"""


def test_paddle_no_longer_catches_sigterm_once_libraries_are_quieted() -> None:
    """`import paddle` installs C++ handlers for SIGTERM (and SIGSEGV, SIGABRT...) that print a
    "FatalError" with a C++ traceback and can block on a full stderr pipe: a served app ignored
    SIGTERM. After `quiet_libraries` those signals have their default action again."""
    run = subprocess.run([sys.executable, "-c", CAUGHT_AFTER_QUIETING], capture_output=True, text=True, timeout=120,
                         env=os.environ | {"PYTHONPATH": str(SOURCE_ROOT)})  # fmt: skip
    assert run.returncode == 0, run.stderr
    caught = int(run.stdout.split()[-1])
    for signum in (signal.SIGTERM, signal.SIGABRT, signal.SIGSEGV):
        assert not caught & (1 << (signum - 1)), f"{signal.Signals(signum).name} is still caught"
