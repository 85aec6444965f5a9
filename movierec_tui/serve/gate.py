"""The SSH port's listening sockets, with connection limits applied at accept().

A flood of connections from one address (issue 15: 200 held open, each refused one reopened a second
later, so ~180 refusals a second) goes through the server's one event loop, which also carries every
person's session. Refused after asyncio and asyncssh had built a transport and a connection object for
it, each cost the loop far more than the refusal itself. Here a connection over a limit is closed as it
is accepted: one accept() and one close(), without a transport, a protocol, an SSH banner or a key
exchange. Only admitted sockets are handed on (to asyncssh, by the caller).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import socket
import struct
from collections.abc import Callable

log = logging.getLogger(__name__)

BACKLOG = 100  # as asyncssh's listen() had it
ACCEPTS_PER_WAKEUP = BACKLOG  # at most this many accept()s before the loop runs other callbacks
RETRY_AFTER_RESOURCE_ERROR = 1.0  # s; out of file descriptors or memory: stop accepting for a moment
RESET_ON_CLOSE = struct.pack("ii", 1, 0)  # SO_LINGER on, 0 s: close() sends RST and keeps no TIME_WAIT state

Admit = Callable[[str], "str | None"]  # address -> None if admitted (and counted), else why not
HandOver = Callable[[socket.socket, str], None]  # an admitted, non-blocking socket and its address
Refused = Callable[[str, str], None]  # address, why


class ConnectionGate:
    """Listens on `host`:`port`; every accepted connection is first put to `admit`. A refused one is
    reset at once (RST: the client learns at once, and the server keeps no state for it); an admitted
    one goes to `hand_over`, which owns it from then on (and tells the admitter when it closes)."""

    def __init__(self, admit: Admit, hand_over: HandOver, refused: Refused) -> None:
        self.admit = admit
        self.hand_over = hand_over
        self.refused = refused
        self.listeners: list[socket.socket] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._retry: asyncio.TimerHandle | None = None

    @property
    def port(self) -> int:
        return self.listeners[0].getsockname()[1] if self.listeners else 0

    async def listen(self, host: str, port: int) -> None:
        """Bind every address `host` resolves to ("" or "0.0.0.0"/"::" for all), on one port (with
        port 0, the one the first bind got); OSError if any cannot be bound."""
        self._loop = asyncio.get_running_loop()
        infos = await self._loop.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        addresses = list(dict.fromkeys((family, address) for family, _, _, _, address in infos))
        try:
            for family, address in addresses:
                listener = socket.socket(family, socket.SOCK_STREAM)
                self.listeners.append(listener)
                listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                if family == socket.AF_INET6:  # else "::" would also take the IPv4 port another listener binds
                    listener.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                listener.bind((address[0], self.port or address[1], *address[2:]))
                listener.listen(BACKLOG)
                listener.setblocking(False)
        except OSError:
            self.close()
            raise
        self._start_accepting()

    def _start_accepting(self) -> None:
        assert self._loop is not None
        self._retry = None
        for listener in self.listeners:
            self._loop.add_reader(listener.fileno(), self._accept, listener)

    def _stop_accepting(self) -> None:
        if self._loop is not None:
            for listener in self.listeners:
                self._loop.remove_reader(listener.fileno())

    def _accept(self, listener: socket.socket) -> None:
        for _ in range(ACCEPTS_PER_WAKEUP):
            try:
                sock, address = listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                if exc.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                    log.error("cannot accept SSH connections (%s); pausing for %.0f s", exc, RETRY_AFTER_RESOURCE_ERROR)
                    self._stop_accepting()
                    assert self._loop is not None
                    self._retry = self._loop.call_later(RETRY_AFTER_RESOURCE_ERROR, self._start_accepting)
                    return
                continue  # the client gave up while it waited in the backlog (ECONNABORTED and the like)
            ip = str(address[0])
            why = self.admit(ip)
            if why is not None:
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, RESET_ON_CLOSE)
                sock.close()
                self.refused(ip, why)
                continue
            sock.setblocking(False)
            self.hand_over(sock, ip)

    def close(self) -> None:
        """Stop listening; connections already handed over are not touched."""
        self._stop_accepting()
        if self._retry is not None:
            self._retry.cancel()
            self._retry = None
        for listener in self.listeners:
            listener.close()
        self.listeners.clear()
