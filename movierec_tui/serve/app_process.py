"""One served session's app: a `movierec-tui` process on its own pseudo-terminal.

A process per session (not a thread) keeps sessions apart: one person's crash, memory or stuck
search cannot touch another's, and the app runs exactly as it does locally. The child is the leader
of a new session and, first thing after exec (`serve.child`), takes the pty as its controlling
terminal, so window-size changes reach it as SIGWINCH and hang-up ends it; on Linux it also asks to
die with the server (PR_SET_PDEATHSIG), so even a killed server leaves no app behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import fcntl
import logging
import os
import signal
import struct
import subprocess
import sys
import termios
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from movierec_tui.launch import ENV_STARTED_FD

log = logging.getLogger(__name__)

MAX_PENDING_INPUT = 64 * 1024  # bytes typed or pasted faster than the app reads; beyond this the client waits
READ_CHUNK = 64 * 1024
TERMINATE_GRACE = 3.0


def _set_size(fd: int, columns: int, rows: int) -> None:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", max(rows, 1), max(columns, 1), 0, 0))


def _quiet_terminal(fd: int) -> None:
    """No echo, no line editing, no signal keys until the app takes over the terminal: keys typed while
    it starts must not print over the screen, and ctrl+z must not stop a process nobody can resume.
    And never XON/XOFF flow control, which Textual leaves on when it gives the terminal back at exit:
    a ctrl+s (0x13) typed then, or in random bytes, stopped the app's last writes for good, and the
    session hung in its exit."""
    attrs = termios.tcgetattr(fd)
    attrs[0] &= ~(termios.IXON | termios.IXOFF | termios.IXANY)
    attrs[3] &= ~(termios.ECHO | termios.ICANON | termios.ISIG | termios.IEXTEN)
    termios.tcsetattr(fd, termios.TCSANOW, attrs)


class Launched(Protocol):
    """A started app process, whoever its parent is."""

    pid: int

    async def wait(self) -> int | None:
        """Its exit status once it has exited (None when another process reaped it)."""
        ...


class Launcher(Protocol):
    """Starts the app on `terminal`; `started`, when given, is the write end of the pipe on which the
    app says its first screen is painted (serve/start_gate.py): the app must inherit it."""

    async def __call__(
        self, argv: list[str], env: Mapping[str, str], cwd: str, terminal: int, started: int | None = None
    ) -> Launched: ...


@dataclass
class ChildProcess:
    process: subprocess.Popen

    @property
    def pid(self) -> int:
        return self.process.pid

    async def wait(self) -> int | None:
        return await asyncio.get_running_loop().run_in_executor(None, self.process.wait)


async def spawn_directly(
    argv: list[str], env: Mapping[str, str], cwd: str, terminal: int, started: int | None = None
) -> Launched:
    """A new interpreter that imports everything itself (about 3 s of CPU before the first screen)."""
    if started is not None:
        env = {**env, ENV_STARTED_FD: str(started)}
    process = subprocess.Popen(
        [sys.executable, "-m", "movierec_tui.serve.child", "app", *argv],
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        env=dict(env),
        cwd=cwd,
        start_new_session=True,  # serve.child then takes the pty as controlling terminal
        close_fds=True,
        pass_fds=() if started is None else (started,),
    )
    return ChildProcess(process)


class AppProcess:
    """Spawned by `start`; output goes to `on_output`, `on_exit(returncode)` is called once at the end."""

    def __init__(
        self,
        argv: list[str],
        env: Mapping[str, str],
        cwd: str,
        columns: int,
        rows: int,
        on_output: Callable[[bytes], None],
        on_exit: Callable[[int | None], None],
        launcher: Launcher = spawn_directly,
        on_input_drained: Callable[[], None] | None = None,
    ) -> None:
        self.argv, self.env, self.cwd = argv, dict(env), cwd
        self.launcher = launcher
        self.columns, self.rows = columns, rows
        self.resizes = 0  # after it started: each one costs the app a layout and a repaint of the whole screen
        self.on_output, self.on_exit = on_output, on_exit
        self.on_input_drained = on_input_drained
        self.process: Launched | None = None
        self._master = -1
        self._pending = bytearray()
        self._reading = False
        self._writing = False
        self._ended = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._reaper: asyncio.Future[None] | None = None

    @property
    def ended(self) -> bool:
        return self._ended

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    async def start(self, started: int | None = None) -> None:
        """Spawn the app; `started`: see `Launcher`."""
        self._loop = asyncio.get_running_loop()
        master, slave = os.openpty()
        try:
            _set_size(slave, self.columns, self.rows)
            _quiet_terminal(slave)
            self.process = await self.launcher(self.argv, self.env, self.cwd, slave, started)
        except BaseException:
            os.close(master)
            raise
        finally:
            os.close(slave)
        os.set_blocking(master, False)
        self._master = master
        self.resume_output()

    # -- output: pty -> session -------------------------------------------------------------------

    def pause_output(self) -> None:
        """The client is slow: stop reading, so the app blocks on its own writes instead of us buffering."""
        if self._reading and self._loop is not None:
            self._loop.remove_reader(self._master)
            self._reading = False

    def resume_output(self) -> None:
        if not self._reading and not self._ended and self._loop is not None:
            self._loop.add_reader(self._master, self._read)
            self._reading = True

    def _read(self) -> None:
        try:
            data = os.read(self._master, READ_CHUNK)
        except BlockingIOError:
            return
        except OSError as exc:  # EIO: every process holding the pty's other end has exited
            if exc.errno != errno.EIO:
                log.warning("reading the session pty failed: %s", exc)
            data = b""
        if data:
            self.on_output(data)
        else:
            self._finish()

    # -- input: session -> pty --------------------------------------------------------------------

    @property
    def input_backlog(self) -> int:
        """Bytes written but not yet taken by the pty. Nothing is dropped: a caller that sees more than
        MAX_PENDING_INPUT stops reading from its client until `on_input_drained` says the app caught up."""
        return len(self._pending)

    def write(self, data: bytes) -> None:
        if self._ended:
            return
        self._pending += data
        self._flush_input()

    def _flush_input(self) -> None:
        while self._pending and not self._ended:
            try:
                written = os.write(self._master, self._pending)
            except BlockingIOError:
                break
            except OSError:
                self._pending.clear()
                break
            del self._pending[:written]
        want_writer = bool(self._pending) and not self._ended
        if want_writer != self._writing and self._loop is not None:
            if want_writer:
                self._loop.add_writer(self._master, self._flush_input)
            else:
                self._loop.remove_writer(self._master)
            self._writing = want_writer
        if not self._pending and self.on_input_drained is not None:
            self.on_input_drained()

    def resize(self, columns: int, rows: int) -> None:
        self.columns, self.rows = columns, rows
        self.resizes += 1
        if not self._ended:
            _set_size(self._master, columns, rows)  # the kernel sends SIGWINCH to the app

    # -- ending -----------------------------------------------------------------------------------

    def _finish(self) -> None:
        """The pty has closed: stop watching it and reap the app without blocking other sessions."""
        if self._ended:
            return
        self._ended = True
        if self._loop is not None:
            if self._reading:
                self._loop.remove_reader(self._master)
            if self._writing:
                self._loop.remove_writer(self._master)
        self._reading = self._writing = False
        os.close(self._master)
        self._reaper = asyncio.ensure_future(self._reap())

    async def _reap(self) -> None:
        assert self.process is not None
        try:
            returncode = await asyncio.wait_for(self.process.wait(), TERMINATE_GRACE)
        except TimeoutError:
            self._signal_group(signal.SIGKILL)
            returncode = await self.process.wait()
        self.on_exit(returncode)

    def _signal_group(self, signum: int) -> None:
        assert self.process is not None
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signum)

    async def terminate(self) -> None:
        """Hang up on the app, as a closed terminal would; returns once it and its group are gone."""
        if self.process is None:
            return
        if not self._ended:
            self._signal_group(signal.SIGHUP)
            self._finish()
        assert self._reaper is not None
        await asyncio.shield(self._reaper)
