"""What ties a process that `serve` started to the server: it ends when the server does, and takes
its session's pseudo-terminal as its controlling terminal.

Used by the processes `serve` starts (serve/child.py) and by the zygote's forks (serve/zygote.py);
a module of its own so that those two do not import each other.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import os
import signal
import sys
import termios

ENV_SERVER_PID = "MOVIEREC_SERVER_PID"
PR_SET_PDEATHSIG = 1


def die_with_server(signum: int) -> None:
    """On Linux the kernel sends `signum` when the server dies, so nothing it started outlives it.
    The signal's default action (ending the process) is restored first: a server started under
    `nohup` passes "ignore SIGHUP" down to everything it starts, and an app ignoring it would spin
    on its dead terminal forever."""
    signal.signal(signum, signal.SIG_DFL)
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signum)
    expected = os.environ.pop(ENV_SERVER_PID, "")
    if expected and os.getppid() != int(expected):  # the server died before the line above
        sys.exit(1)


def take_terminal() -> None:
    """The pty on stdin becomes the controlling terminal, so resizes arrive as SIGWINCH and a hang-up
    as SIGHUP. Needs a new session (setsid) without a terminal yet."""
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)
