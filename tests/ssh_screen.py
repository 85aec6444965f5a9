"""A scripted SSH client that keeps a virtual terminal screen (pyte), for the serve tests and the
SSH load benchmark: connect, type, and wait until the screen shows something."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import signal
import struct
import subprocess
import termios
import time
from collections.abc import Callable

import asyncssh
import pyte
from wcwidth import wcwidth


class _Feed(asyncssh.SSHClientSession):
    def __init__(self, screen: ScreenClient) -> None:
        self.screen = screen

    def data_received(self, data: bytes, datatype: int | None) -> None:
        self.screen.feed(data)

    def connection_lost(self, exc: Exception | None) -> None:
        self.screen.closed.set()
        self.screen.changed.set()


class ScreenClient:
    """One SSH session with a pty of `columns` x `rows`, rendered into `pyte` as a person would see it.

    The output is handed to pyte only when the screen is looked at (`text`, `resize`): pyte is pure
    Python and an app's first screens are ~40 KB, so a client that waits for bytes (`wait_for_bytes`)
    pays for the screen once, not on every packet. What is on screen is the same either way.

    The text of the screen is kept line by line and only the lines pyte marked dirty are read again:
    pyte's `display` reads all 4,800 cells (~3-6 ms), and a client waiting for a keystroke's echo
    looks at the screen after every packet, so 16 such clients spent most of the CPU the load
    benchmark's clients took on it, CPU the server under test then lacked."""

    def __init__(self, columns: int = 120, rows: int = 40) -> None:
        self.columns, self.rows = columns, rows
        self.screen = pyte.Screen(columns, rows)
        self.stream = pyte.ByteStream(self.screen)
        self._lines: list[str] = []  # the screen's text, row by row, as pyte's `display` gives it
        self.changed = asyncio.Event()
        self.closed = asyncio.Event()
        self.raw = bytearray()
        self._unrendered = 0  # bytes at the end of `raw` that pyte has not seen yet
        self.last_output = 0.0
        self._watched: bytes = b""  # see wait_for_bytes
        self._found: tuple[int, float] | None = None
        self.conn: asyncssh.SSHClientConnection | None = None
        self.chan: asyncssh.SSHClientChannel | None = None

    async def connect(self, port: int, *, client_keys=None, username: str = "demo", host: str = "127.0.0.1",
                      pty: bool = True) -> ScreenClient:
        self.conn = await asyncssh.connect(
            host, port, username=username, known_hosts=None, client_keys=client_keys, agent_path=None,
            password=None, kbdint_auth=False,
        )
        self.chan, _ = await self.conn.create_session(
            lambda: _Feed(self), term_type="xterm-256color" if pty else None,
            term_size=(self.columns, self.rows) if pty else None, encoding=None,
        )
        return self

    def feed(self, data: bytes) -> None:
        self.raw += data
        self._unrendered += len(data)
        self.last_output = time.perf_counter()
        if self._watched and self._found is None:
            start = max(0, len(self.raw) - len(data) - len(self._watched) + 1)
            if (offset := self.raw.find(self._watched, start)) >= 0:
                self._found = (offset + len(self._watched), self.last_output)
        self.changed.set()

    def _render(self) -> None:
        if self._unrendered:
            self.stream.feed(bytes(self.raw[len(self.raw) - self._unrendered:]))
            self._unrendered = 0
        if len(self._lines) != self.screen.lines:  # new or resized: pyte marks every row dirty then
            self._lines = [""] * self.screen.lines
        for y in self.screen.dirty:
            if y < self.screen.lines:
                self._lines[y] = self._line_text(y)
        self.screen.dirty.clear()

    def _line_text(self, y: int) -> str:
        """Row `y` as pyte's `display` reads it: each cell's text, the cell after a wide character
        (its stub) skipped."""
        cells = self.screen.buffer[y]
        parts: list[str] = []
        after_wide = False
        for x in range(self.screen.columns):
            if after_wide:
                after_wide = False
                continue
            data = cells[x].data
            parts.append(data)
            after_wide = bool(data) and not data.isascii() and wcwidth(data[0]) == 2
        return "".join(parts)

    @property
    def text(self) -> str:
        self._render()
        return "\n".join(self._lines)

    async def wait_for_bytes(self, marker: bytes, timeout: float = 30.0) -> tuple[int, float]:
        """The offset just after the first `marker` in the output, and when (perf_counter) the packet that
        completed it arrived. Found in the bytes as they come, without rendering the screen: for text an
        app writes in one piece (a line of one style), which a test must check on screen once."""
        self._watched, self._found = marker, None
        start = max(0, len(self.raw) - self._unrendered)  # only output not yet on screen
        if (offset := self.raw.find(marker, start)) >= 0:
            self._found = (offset + len(marker), self.last_output)
        await self._until(lambda: self._found is not None, marker, timeout, lambda: "")
        self._watched = b""
        assert self._found is not None
        return self._found

    def send(self, data: str | bytes) -> None:
        assert self.chan is not None
        self.chan.write(data.encode() if isinstance(data, str) else data)

    def resize(self, columns: int, rows: int) -> None:
        assert self.chan is not None
        self.resize_screen(columns, rows)
        self.chan.change_terminal_size(columns, rows)

    def resize_screen(self, columns: int, rows: int) -> None:
        """The virtual terminal's side of `resize`: what is on screen so far, then the new size."""
        self._render()
        self.screen.resize(rows, columns)  # marks every row dirty: the kept text is read again

    async def wait_for(self, condition: str | Callable[[str], bool], timeout: float = 30.0) -> str:
        """The screen's text once `condition` (a substring, or a test of the text) holds."""
        test = condition if callable(condition) else (lambda text: condition in text)
        await self._until(lambda: test(self.text), condition, timeout, lambda: f"; screen:\n{self.text}")
        return self.text

    async def _until(self, done: Callable[[], bool], what: object, timeout: float, screen: Callable[[], str]) -> None:
        """Rechecks `done` after each output until it holds; fails, saying so, at `timeout` or if the session ends."""
        deadline = time.monotonic() + timeout
        while not done():
            if self.closed.is_set():
                raise AssertionError(f"session closed while waiting for {what!r}{screen()}")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"timed out waiting for {what!r}{screen()}")
            self.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), remaining)

    async def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            await self.conn.wait_closed()


class OpenSSHClient(ScreenClient):
    """The same screen, driven through the real OpenSSH client (`ssh -tt`) on a pseudo-terminal of
    `columns` x `rows`: what a person's terminal sends and shows, including OpenSSH's own choices."""

    def __init__(self, columns: int = 120, rows: int = 40) -> None:
        super().__init__(columns, rows)
        self.process: subprocess.Popen | None = None
        self._master = -1
        self._unsent = bytearray()
        self._writing = False

    @staticmethod
    def command(port: int, *, host: str = "127.0.0.1", bind: str | None = None, identity: str | None = None,
                extra: tuple[str, ...] = ()) -> list[str]:
        """An `ssh` command line that reads no user config, trusts the test's host key and never prompts.
        No escape character: random bytes sent `~&` after a return, and ssh itself went to the
        background and stopped passing keys on (a fuzzer, 2026-12-05), which no server can change."""
        command = ["ssh", "-F", "/dev/null", "-p", str(port), "-o", "StrictHostKeyChecking=no",
                   "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "-o", "BatchMode=yes",
                   "-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none", "-o", "ServerAliveInterval=0",
                   "-e", "none"]
        if bind:
            command += ["-b", bind]
        if identity:
            command += ["-i", identity]
        return [*command, *extra, f"demo@{host}"]

    async def connect(self, port: int, *, client_keys=None, username: str = "demo", host: str = "127.0.0.1",
                      pty: bool = True, bind: str | None = None, identity: str | None = None) -> OpenSSHClient:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", self.rows, self.columns, 0, 0))
        self.process = subprocess.Popen(
            self.command(port, host=host, bind=bind, identity=identity, extra=("-tt",) if pty else ("-T",)),
            stdin=slave, stdout=slave, stderr=slave, start_new_session=True, close_fds=True,
        )
        os.close(slave)
        os.set_blocking(master, False)
        self._master = master
        asyncio.get_running_loop().add_reader(master, self._read)
        return self

    def _read(self) -> None:
        try:
            data = os.read(self._master, 65536)
        except BlockingIOError:
            return
        except OSError:  # EIO: ssh has exited and closed the pty
            data = b""
        if data:
            self.feed(data)
        else:
            asyncio.get_running_loop().remove_reader(self._master)
            self.closed.set()
            self.changed.set()

    def send(self, data: str | bytes) -> None:
        """Queued and written as the pty takes it (a big paste does not fit at once), in order."""
        self._unsent += data.encode() if isinstance(data, str) else data
        self._write_some()

    def _write_some(self) -> None:
        loop = asyncio.get_running_loop()
        while self._unsent:
            try:
                written = os.write(self._master, self._unsent[:4096])
            except BlockingIOError:
                break
            except OSError:  # ssh has gone
                self._unsent.clear()
                break
            del self._unsent[:written]
        if self._unsent and not self._writing:
            loop.add_writer(self._master, self._write_some)
            self._writing = True
        elif not self._unsent and self._writing:
            loop.remove_writer(self._master)
            self._writing = False

    @property
    def unsent(self) -> int:
        return len(self._unsent)

    def resize(self, columns: int, rows: int) -> None:
        self.resize_screen(columns, rows)
        fcntl.ioctl(self._master, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        assert self.process is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGWINCH)

    async def close(self) -> None:
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                self.process.terminate()
            await asyncio.get_running_loop().run_in_executor(None, self.process.wait)
        if self._master >= 0:
            with contextlib.suppress(ValueError, OSError):
                asyncio.get_running_loop().remove_reader(self._master)
                asyncio.get_running_loop().remove_writer(self._master)
            os.close(self._master)
            self._master = -1
