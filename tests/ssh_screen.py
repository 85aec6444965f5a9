"""A scripted SSH client that keeps a virtual terminal screen (pyte), for the serve tests and the
SSH load benchmark: connect, type, and wait until the screen shows something."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable

import asyncssh
import pyte


class _Feed(asyncssh.SSHClientSession):
    def __init__(self, screen: ScreenClient) -> None:
        self.screen = screen

    def data_received(self, data: bytes, datatype: int | None) -> None:
        self.screen.feed(data)

    def connection_lost(self, exc: Exception | None) -> None:
        self.screen.closed.set()
        self.screen.changed.set()


class ScreenClient:
    """One SSH session with a pty of `columns` x `rows`, rendered into `pyte` as a person would see it."""

    def __init__(self, columns: int = 120, rows: int = 40) -> None:
        self.columns, self.rows = columns, rows
        self.screen = pyte.Screen(columns, rows)
        self.stream = pyte.ByteStream(self.screen)
        self.changed = asyncio.Event()
        self.closed = asyncio.Event()
        self.raw = bytearray()
        self.last_output = 0.0
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
        self.stream.feed(data)
        self.last_output = time.perf_counter()
        self.changed.set()

    @property
    def text(self) -> str:
        return "\n".join(self.screen.display)

    def send(self, data: str | bytes) -> None:
        assert self.chan is not None
        self.chan.write(data.encode() if isinstance(data, str) else data)

    def resize(self, columns: int, rows: int) -> None:
        assert self.chan is not None
        self.screen.resize(rows, columns)
        self.chan.change_terminal_size(columns, rows)

    async def wait_for(self, condition: str | Callable[[str], bool], timeout: float = 30.0) -> str:
        """The screen's text once `condition` (a substring, or a test of the text) holds."""
        test = condition if callable(condition) else (lambda text: condition in text)
        deadline = time.monotonic() + timeout
        while True:
            text = self.text
            if test(text):
                return text
            if self.closed.is_set():
                raise AssertionError(f"session closed while waiting for {condition!r}; screen:\n{text}")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"timed out waiting for {condition!r}; screen:\n{text}")
            self.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), remaining)

    async def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            await self.conn.wait_closed()
