"""A `serve web` tab as a script can open one: textual-serve's WebSocket without a browser, with the
same virtual screen as the SSH tests (`ScreenClient`), so a test can send what the page never would
and still read what a person would see."""

from __future__ import annotations

import asyncio
import contextlib
import json

import aiohttp
from ssh_screen import ScreenClient


class WebTabClient(ScreenClient):
    """One tab of `columns` x `rows`: the app's output (binary frames) on the screen; keys, window
    changes and any other text frames sent in the order they were given."""

    def __init__(self, columns: int = 120, rows: int = 40) -> None:
        super().__init__(columns, rows)
        self.http: aiohttp.ClientSession | None = None
        self.socket: aiohttp.ClientWebSocketResponse | None = None
        self.outbox: asyncio.Queue[str] = asyncio.Queue()
        self.tasks: list[asyncio.Task] = []
        self.close_code: int | None = None  # and why, as the server said it:
        self.close_reason = ""

    async def open(self, url: str, query: str | None = None, source: str = "127.0.0.1") -> WebTabClient:
        """Opens the tab's WebSocket at `url` (http://host:port) from the address `source`, asking
        for `query` (the page's own, `width=&height=` of the screen, unless given)."""
        query = query if query is not None else f"width={self.columns}&height={self.rows}"
        self.http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(local_addr=(source, 0)))
        self.socket = await self.http.ws_connect(url.replace("http:", "ws:") + "/ws?" + query, max_msg_size=0)
        self.tasks = [asyncio.create_task(self._read()), asyncio.create_task(self._write())]
        return self

    async def _read(self) -> None:
        assert self.socket is not None
        try:
            while True:
                frame = await self.socket.receive()
                if frame.type == aiohttp.WSMsgType.BINARY:
                    self.feed(frame.data)
                elif frame.type == aiohttp.WSMsgType.CLOSE:
                    self.close_code, self.close_reason = frame.data, frame.extra or ""
                    break
                elif frame.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING, aiohttp.WSMsgType.ERROR):
                    break
        finally:
            self.closed.set()
            self.changed.set()

    async def _write(self) -> None:
        assert self.socket is not None
        while True:
            text = await self.outbox.get()
            with contextlib.suppress(ConnectionError):
                await self.socket.send_str(text)

    def send_frame(self, text: str) -> None:
        """Any text frame, as a script could send it."""
        self.outbox.put_nowait(text)

    def send(self, data: str | bytes) -> None:
        self.send_frame(json.dumps(["stdin", data.decode() if isinstance(data, bytes) else data]))

    def resize(self, columns: int, rows: int) -> None:
        self.resize_screen(columns, rows)
        self.send_frame(json.dumps(["resize", {"width": columns, "height": rows}]))

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        if self.socket is not None:
            await self.socket.close()
        if self.http is not None:
            await self.http.close()
