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
from collections.abc import Callable
from functools import partial
from pathlib import Path

ENV_SERVER_PID = "MOVIEREC_SERVER_PID"
PR_SET_PDEATHSIG = 1
STARTING_NICER = 5  # how far below the server an app starts: follow_server_priority


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


def autogroup(pid: int | str = "self") -> tuple[str, int] | None:
    """The process's autogroup, as its name and its nice (Linux with autogroups), else None."""
    try:
        name, _, nice = Path(f"/proc/{pid}/autogroup").read_text().split()
        return name, int(nice)
    except (OSError, ValueError):
        return None


def autogroup_nice(pid: int | str = "self") -> int | None:
    """The nice of the process's autogroup (Linux with autogroups), else None."""
    group = autogroup(pid)
    return group[1] if group is not None else None


def set_autogroup_nice(nice: int, pid: int | str = "self") -> None:
    """Best effort: a kernel without autogroups, or a negative nice without the privilege, leaves it."""
    with contextlib.suppress(OSError):
        Path(f"/proc/{pid}/autogroup").write_text(str(max(-20, min(19, nice))))


def keep_in_step(child_pid: int) -> None:
    """A helper the server started in a session (so an autogroup) of its own, at the server's group nice:
    the zygote, whose forks sessions wait for, and the Milvus server every app searches (the apps do the
    same themselves: follow_server_priority)."""
    if (nice := autogroup_nice()) is not None and nice != autogroup_nice(child_pid):
        set_autogroup_nice(nice, child_pid)


def follow_server_priority(server_pid: int) -> Callable[[], None]:
    """This app, a new session and so (after setsid) a new autogroup, at the server's group nice: a server
    run at a higher (or lower) priority than other work on the machine takes its apps with it; left alone,
    each app's group starts at 0 whatever the server's is. (Making the apps nicer than the server, so that
    the server relaying every session's SSH keeps its turn, was tried: at 5 nicer the rating updates of 16
    sessions took twice as long on a shared machine, the apps losing to everything else on it.)

    Until its first screen is painted, the app runs STARTING_NICER levels below that: a start costs a
    few hundred ms of CPU and nobody is looking at it yet, while the people already in are rating, and
    a rating made while a crowd connects otherwise shares the cores with every start at once. The
    scheduler still gives a start all the CPU the others leave. Returns what takes the app to the
    server's level (call it once the first screen is painted; a no-op without autogroups, and in the
    server's own group, whose nice is the server's too)."""
    server_group, own_group = autogroup(server_pid), autogroup()
    if server_group is None or own_group is None or own_group[0] == server_group[0]:
        return lambda: None
    set_autogroup_nice(server_group[1] + STARTING_NICER)
    return partial(set_autogroup_nice, server_group[1])
