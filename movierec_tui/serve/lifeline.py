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
# How much nicer a session's app is than the server. Every byte of every session passes through the
# server's one process (SSH, the flood's refusals, the ptys); each app is a session of its own, and so on
# Linux an autogroup of its own with a full share of the CPU: 16 apps starting at once left the server one
# seventeenth of it, and it sat runnable but waiting ~90% of the time (schedstat) while the apps' first
# screens queued behind it. At 5 (weight 335 against 1024) the server and the stores it started keep
# their turn; an idle server takes nothing from the apps.
APP_NICE = 5


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


def yield_to_server() -> None:
    """Lower this app's priority by APP_NICE: its process nice (what counts where autogroups are off or
    inside a cgroup) and, after setsid made it a new autogroup, that group's nice (what counts beside other
    sessions). Best effort: a system that refuses either leaves the app as it was."""
    with contextlib.suppress(OSError):
        os.nice(APP_NICE)
    with contextlib.suppress(OSError), open("/proc/self/autogroup", "w") as autogroup:
        autogroup.write(str(APP_NICE))
