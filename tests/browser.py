"""A real headless Chromium (Debian's `chromium`) for the `serve web` tests, driven through the
DevTools protocol over a WebSocket (aiohttp, already a dependency of textual-serve): open a page,
record every request it makes, close it.

Requests are recorded by intercepting them (the Fetch domain): Network.requestWillBeSent did not
report a stylesheet linked from another site, interception sees every request the page makes.
Anything not for `allowed` is failed there, so a test never sends a request off this machine."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import shutil
import time
from pathlib import Path

import aiohttp

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync")  # fmt: skip


def screenshot_command(url: str, profile: Path, picture: Path) -> list[str]:
    """A visit that closes as soon as the page has loaded (before the app behind it has started)."""
    return [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", f"--screenshot={picture}", "--window-size=1200,800", url]


async def page_requests(url: str, profile: Path, allowed: tuple[str, ...], settle: float = 2.0,
                        timeout: float = 60.0) -> tuple[list[str], int]:
    """The URLs the page at `url` requested (documents, scripts, styles, fonts, images, WebSockets),
    recorded until its WebSocket has carried data and then `settle` seconds of nothing new; and how
    many WebSocket frames arrived (so the app behind the page did draw)."""
    browser = await asyncio.create_subprocess_exec(
        CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "--remote-debugging-port=0", "about:blank",
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert browser.stderr is not None
        endpoint = ""
        while not endpoint:
            line = (await asyncio.wait_for(browser.stderr.readline(), 30)).decode(errors="replace")
            assert line, "chromium exited before opening its DevTools endpoint"
            if found := re.search(r"DevTools listening on (ws://\S+)", line):
                endpoint = found.group(1)
        debug_port = int(endpoint.split(":")[2].split("/")[0])
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{debug_port}/json/list") as listing:
                page = next(t for t in await listing.json() if t["type"] == "page")
            async with http.ws_connect(page["webSocketDebuggerUrl"], max_msg_size=0) as devtools:
                numbers = iter(range(1, 1 << 30))

                async def send(method: str, **params: object) -> None:
                    await devtools.send_str(json.dumps({"id": next(numbers), "method": method, "params": params}))

                await send("Fetch.enable", patterns=[{"urlPattern": "*"}])
                await send("Network.enable")
                await send("Page.navigate", url=url)
                requests: list[str] = []
                frames, last_news, deadline = 0, time.monotonic(), time.monotonic() + timeout
                while time.monotonic() < deadline and not (frames and time.monotonic() - last_news > settle):
                    with contextlib.suppress(TimeoutError):
                        message = json.loads((await asyncio.wait_for(devtools.receive(), 0.5)).data)
                        method, params = message.get("method", ""), message.get("params", {})
                        if method == "Fetch.requestPaused":
                            requests.append(params["request"]["url"])
                            last_news = time.monotonic()
                            request_id = params["requestId"]
                            if params["request"]["url"].startswith(allowed):
                                await send("Fetch.continueRequest", requestId=request_id)
                            else:
                                await send("Fetch.failRequest", requestId=request_id, errorReason="BlockedByClient")
                        elif method == "Network.webSocketCreated":
                            requests.append(params["url"])
                        elif method == "Network.webSocketFrameReceived":
                            frames += 1
                await send("Page.close")
        return requests, frames
    finally:
        with contextlib.suppress(ProcessLookupError):
            browser.terminate()
        await browser.wait()
