"""`movierec-tui serve web`: the app in a browser, through textual-serve.

textual-serve runs one app process per browser tab. Four things are changed here:

- **No app outlives its tab.** textual-serve asked the app to quit and then waited for it without a
  limit; an app still starting when a visitor left (a headless screenshot closes the page as soon as
  it loads) kept running at 34-53% CPU, ignored SIGTERM and outlived the server. Here each app is the
  leader of its own process group, started through `serve.child` (so the kernel ends it if the server
  dies), and a tab that closes gets `QUIT_GRACE` seconds to quit before its group is hung up on and
  then killed. The server ends every app when it stops. An app's output is read to its end (dropped
  once the tab has gone): one still drawing as its tab closed used to block on the full pipe.
- **Every asset is served from here.** The page linked its font from fonts.googleapis.com, so every
  visitor told a third party about the visit and offline or LAN demos lost the font. textual-serve
  ships the same font (Roboto Mono), which the page now loads from the server's /static/.
- **A tab's messages are read strictly** (`web_messages`): textual-serve passed on whatever a tab
  sent, and one message of a size nobody's screen has ran the machine out of memory. Sizes are
  clamped as over SSH and a storm of them reaches the app as one (`LatestSize`); a message the page
  never sends is logged once and dropped, where it used to end the tab with a traceback. What a tab
  types goes through SSH's filter (`terminal_input`): control sequences no terminal sends to this
  app, which ended the app, resized it past the clamp or typed keys, are dropped, and pastes are
  bounded.
- **Tabs are limited per address** (`max_per_ip`) as well as in all (`max_tabs`): one script could
  open all the apps the server runs, and every other visitor was told it was full.

The shared stores and a per-process profile namespace reach the apps through the environment.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from aiohttp import WSMsgType, web

from movierec_tui.config import (
    ANONYMOUS_PROFILE_TTL,
    ENV_PROFILE_NAMESPACE,
    ENV_PROFILE_TTL,
    ENV_SERVED,
    PER_PROCESS_NAMESPACE,
)
from movierec_tui.serve.child import ENV_SERVER_PID
from movierec_tui.serve.shared import SharedStores, session_base_env
from movierec_tui.serve.terminal_input import TerminalInput
from movierec_tui.serve.terminal_size import RESIZE_DELAY
from movierec_tui.serve.web_messages import BadMessage, Focus, Keys, Ping, Resize, read_message, size_from_query

if TYPE_CHECKING:
    from textual_serve.app_service import AppService

log = logging.getLogger(__name__)
T = TypeVar("T", bytes, str)
Send = Callable[[T], Awaitable[None]]  # a WebSocket's send_bytes or send_str

QUIT_GRACE = 3.0  # seconds an app gets to quit after its tab closed, then SIGHUP, then SIGKILL
MAX_TABS = 16  # apps at once; each is a process of its own (about 170 MB)
# Tabs at once from one address: a script opening MAX_TABS of them locked every other visitor out.
# Behind a reverse proxy every tab comes from the proxy's address: raise it to MAX_TABS there.
MAX_TABS_PER_IP = 4
FONT_LINK = '<link\n      rel="stylesheet"\n      href="https://fonts.googleapis.com/css?family=Roboto%20Mono"\n    />'
LOCAL_FONT = """<style>
      @font-face {
        font-family: "Roboto Mono";
        src: url("{{ config.static.url }}fonts/RobotoMono-VariableFont_wght.ttf") format("truetype");
        font-style: normal;
      }
      @font-face {
        font-family: "Roboto Mono";
        src: url("{{ config.static.url }}fonts/RobotoMono-Italic-VariableFont_wght.ttf") format("truetype");
        font-style: italic;
      }
    </style>"""


def web_app_command(home: str) -> list[str]:
    return [sys.executable, "-m", "movierec_tui.serve.child", "web-app", "--home", home]


def _local_font_loader(templates: Path):
    """textual-serve's page template, with its Google Fonts link replaced by the font it ships."""
    import jinja2

    class LocalAssets(jinja2.FileSystemLoader):
        def get_source(self, environment, template):
            source, filename, uptodate = super().get_source(environment, template)
            if template == "app_index.html":
                if FONT_LINK not in source:
                    raise RuntimeError(f"{filename}: the font link to replace has changed; update serve/web.py")
                source = source.replace(FONT_LINK, LOCAL_FONT)
            return source, filename, uptodate

    return LocalAssets(str(templates))


def make_server(argv: list[str], host: str, port: int, public_url: str | None, max_tabs: int = MAX_TABS,
                max_per_ip: int = MAX_TABS_PER_IP):
    """A textual-serve Server that owns its apps' lives, serves every asset itself and runs at most
    `max_tabs` apps, `max_per_ip` of them for one address."""
    import aiohttp_jinja2
    from textual_serve.app_service import AppService
    from textual_serve.server import Server

    class TabApp(AppService):
        """One tab's app, for the visitor at `address`: its own process group, ended for sure when
        the tab closes."""

        def __init__(self, address: str, websocket: web.WebSocketResponse, *args, **kwargs) -> None:
            super().__init__(*args, write_bytes=while_open(websocket, websocket.send_bytes),
                             write_str=while_open(websocket, websocket.send_str), close=websocket.close,
                             **kwargs)  # fmt: skip
            self.address = address
            self.input = TerminalInput()  # what the tab types, made safe as over SSH
            self.typing_late: asyncio.Task[bool] | None = None  # a string's start, sent as keys after its wait

        async def type_in(self, text: str) -> None:
            """The tab's keys to its app, through the same filter as an SSH session's, which says
            what it changed in the log as it does for SSH."""
            data, notes = self.input.feed_noting(text.encode("utf-8"))
            for note in notes:
                log.warning("tab from %s: %s", self.address, note)
            if data:
                await self.send_bytes(data)
            self.input.flush_later(self._type_late)

        def _type_late(self, data: bytes) -> None:
            self.typing_late = asyncio.create_task(self.send_bytes(data))

        async def _open_app_process(self, width: int = 80, height: int = 24):
            environment = self._build_environment(width=width, height=height)
            environment[ENV_SERVER_PID] = str(os.getpid())
            self._process = await asyncio.create_subprocess_exec(
                *argv, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE, env=environment, start_new_session=True,
            )
            self._stdin = self._process.stdin
            return self._process

        async def stop(self) -> None:
            """Ask the app to quit; if it has not within QUIT_GRACE, hang up on its group, then kill it."""
            process = self._process
            if self._task is None or process is None:
                return
            task, self._task = self._task, None
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.send_meta({"type": "quit"}), 1)
            for signum in (None, signal.SIGHUP, signal.SIGKILL):
                if signum is not None:
                    with contextlib.suppress(ProcessLookupError, PermissionError):
                        os.killpg(process.pid, signum)
                    log.warning("web app %d did not quit; sent %s", process.pid, signal.Signals(signum).name)
                try:
                    await asyncio.wait_for(asyncio.shield(process.wait()), QUIT_GRACE)
                    break
                except TimeoutError:
                    continue
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    class WebServer(Server):
        def __init__(self) -> None:
            super().__init__(" ".join(argv), host=host, port=port, title="movierec", public_url=public_url)
            self.tabs: set[TabApp] = set()

        async def _make_app(self) -> web.Application:
            app = await super()._make_app()
            aiohttp_jinja2.setup(app, loader=_local_font_loader(self.templates_path))
            return app

        async def on_shutdown(self, app: web.Application) -> None:
            await asyncio.gather(*(tab.stop() for tab in list(self.tabs)), return_exceptions=True)

        async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
            websocket = web.WebSocketResponse(heartbeat=15)
            await websocket.prepare(request)
            address = request.remote or "?"
            if refusal := self.refusal(address):
                log.warning("tab from %s refused: %s", address, refusal)
                await websocket.close(code=1013, message=refusal.encode())
                return websocket
            tab = TabApp(address, websocket, self.command, download_manager=self.download_manager, debug=self.debug)
            self.tabs.add(tab)
            resizes = LatestSize(tab)
            try:
                await tab.start(*size_from_query(request.query))
                log.info("tab from %s: app %d", address, tab._process.pid if tab._process else 0)
                await self.pass_messages(websocket, tab, resizes, address)
            except (asyncio.CancelledError, ConnectionError):
                pass
            except Exception:
                log.exception("web tab from %s failed", address)
            finally:
                resizes.cancel()
                await asyncio.shield(tab.stop())
                if tab._process is not None:  # how it ended: 0 (quit), or a signal if it had to be ended
                    changes = tab.input.changes()
                    log.info("tab from %s ended: app %d exited with %s%s", address, tab._process.pid,
                             tab._process.returncode, f" ({changes})" if changes else "")  # fmt: skip
                self.tabs.discard(tab)
                with contextlib.suppress(Exception):
                    await websocket.close()
            return websocket

        def refusal(self, address: str) -> str:
            """Why a new tab from `address` gets no app, or "" if it gets one."""
            if len(self.tabs) >= max_tabs:
                return f"movierec is full ({len(self.tabs)} tabs); try again in a few minutes"
            open_here = sum(tab.address == address for tab in self.tabs)
            if open_here >= max_per_ip:
                return f"{open_here} movierec tabs are open from your address; close one first"
            return ""

        @staticmethod
        async def pass_messages(websocket: web.WebSocketResponse, tab: TabApp, resizes: LatestSize,
                                address: str) -> None:
            """The tab's messages, read by `web_messages` (textual-serve's own reader trusted them),
            passed on to its app; the first message that is not one the page sends is logged, and
            every such message is dropped."""
            warned = False
            async for frame in websocket:
                if frame.type != WSMsgType.TEXT:
                    continue
                try:
                    message = read_message(frame.data)
                except BadMessage as problem:
                    if not warned:
                        log.warning("tab from %s sent a message the page does not send (%s); dropped, "
                                    "and any more like it", address, problem)  # fmt: skip
                        warned = True
                    continue
                match message:
                    case Keys(text):
                        await tab.type_in(text)
                    case Resize():
                        resizes.update(message)
                    case Ping(text):
                        await websocket.send_json(["pong", text])
                    case Focus(focused):
                        await (tab.focus() if focused else tab.blur())

    return WebServer()


def while_open(websocket: web.WebSocketResponse, send: Send[T]) -> Send[T]:
    """`send` to the tab while it is open; once it has closed, what its app still writes is dropped.
    textual-serve reads an app's output until a send to its tab fails, and then no more: an app with
    more to draw than the pipe holds (a window change under way as the tab closed) blocked writing,
    never read the quit, could not run its SIGHUP handler and was killed (SIGKILL: nothing kept)."""

    async def send_or_drop(data: T) -> None:
        if websocket.closed:
            return
        with contextlib.suppress(ConnectionError):  # closed while sending
            await send(data)

    return send_or_drop


class LatestSize:
    """Passes a tab's window changes to its app RESIZE_DELAY after the first of a run of them, at
    the latest size: as over SSH, a storm of them costs the app one layout instead of hundreds."""

    def __init__(self, tab: AppService) -> None:
        self.tab = tab
        self.latest: Resize | None = None
        self.sending: asyncio.Task | None = None

    def update(self, size: Resize) -> None:
        self.latest = size
        if self.sending is None or self.sending.done():
            self.sending = asyncio.create_task(self._send())

    async def _send(self) -> None:
        while self.latest is not None:  # a change that arrives while one is being sent goes next
            await asyncio.sleep(RESIZE_DELAY)
            size, self.latest = self.latest, None
            await self.tab.set_terminal_size(size.columns, size.rows)

    def cancel(self) -> None:
        if self.sending is not None:
            self.sending.cancel()


def serve_web(stores: SharedStores, host: str, port: int, public_url: str | None, max_tabs: int = MAX_TABS,
              max_per_ip: int = MAX_TABS_PER_IP) -> None:
    env = session_base_env(stores) | {
        ENV_PROFILE_NAMESPACE: PER_PROCESS_NAMESPACE,  # each tab its own, private profiles
        ENV_PROFILE_TTL: str(ANONYMOUS_PROFILE_TTL),  # which nobody can reopen once the tab is gone
        ENV_SERVED: "web",
    }
    env.pop("PATH", None)  # keep the server's own PATH and HOME
    env.pop("HOME", None)
    os.environ.update(env)
    server = make_server(web_app_command(str(stores.settings.home)), host, port, public_url, max_tabs, max_per_ip)
    print(f"serving movierec at {server.public_url} (ctrl+c to stop)", file=sys.stderr, flush=True)
    server.serve()
