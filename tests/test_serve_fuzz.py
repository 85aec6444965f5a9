"""Seeded fuzzing of a served session, over SSH (both clients) and in a web tab: bursts drawn from an
alphabet of what reaches a session (the app's keys, clicks, control sequences whole and cut,
phrases a person types), with window changes between bursts. Each session must show no traceback
and, while it runs, keep answering: a window change gets a repaint within 30 s. The fuzzers that
found the faults in docs/reliability.md were scratch versions of this; their sessions also froze
(a core at 100%, nothing drawn), which a traceback check cannot see. An app frozen for 20 s is now
ended by its stall watch (app/stall_watch.py), which says "stopped answering": that fails too, and so
does a line in the served home's movierec.log from a pump that kept its own queue filled (what the
freeze's stack showed; widgets/fair_pump.py now gives the loop its turns and logs the run), or from a
dialog opened on too many others (widgets/dialog.py; stacked dialogs slowed repaints until a web tab
stopped answering, 2026-12-06). A web tab's app must end with exit 0 once its tab closes, by itself
or at the hang-up that follows, not killed (one drawing as its tab closed blocked on its output and
was killed, 2026-12-06).

In CI each alphabet runs one seed per client. To hunt, give more seeds and tokens, and keep the
hour it takes: `MOVIEREC_FUZZ_SEEDS=3400-3409 MOVIEREC_FUZZ_TOKENS=20000 pytest tests/test_serve_fuzz.py`.
A failed session's bytes are kept in the test's temp dir; with `py-spy` on the PATH a frozen app's
stacks are dumped there too.
"""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import test_serve
import test_serve_hostile
from ssh_screen import ScreenClient
from test_serve import ANONYMOUS, run
from test_serve_hostile import (
    APP_KEYS,
    CLIENTS,
    FIRST_SCREEN,
    NEVER_ASKED,
    NO_TERMINAL_SENDS,
    ended_without_a_kill,
    mouse_event,
    tab_at_its_first_screen,
    web_apps,
)
from web_tab import WebTabClient

from movierec_tui.serve.ssh import SSHDemo
from movierec_tui.widgets.dialog import STACKED_TOO_DEEP
from movierec_tui.widgets.fair_pump import KEEPS_HANDLING

served, host_key = test_serve.served, test_serve.host_key  # the same fixtures, for this module
web_server = test_serve_hostile.web_server

# What a person types into the chat, or pastes there; keys of the app (but q, which quits) between them.
PHRASES = ("back", "25", "student", "loved alien", "hated titanic", "fargo 4", "heat 5", "undo", "more like heat",
           "only westerns after 2008", "no horror", "clear filters", "comedies from the 90s", "save fz", "load fz",
           "x" * 200, "é ü ß 映画 🎬", "", " ", "1", "55555", "what's popular?", "lotr", "star wars 1-3",
           "rate all of them 5", "help")  # fmt: skip
KEYS = tuple(key for key in APP_KEYS if b"q" not in key)


def seeds(default: int) -> list[int]:
    """`MOVIEREC_FUZZ_SEEDS` ("3400-3409" or "1,5,9"), else the one seed CI runs."""
    given = os.environ.get("MOVIEREC_FUZZ_SEEDS", "").strip()
    if not given:
        return [default]
    if "-" in given:
        first, last = given.split("-")
        return list(range(int(first), int(last) + 1))
    return [int(seed) for seed in given.split(",")]


TOKENS = int(os.environ.get("MOVIEREC_FUZZ_TOKENS", "2000"))
# Lines of the served app's log that fail a session: a pump that kept its own queue filled, dialogs
# stacked past what the app ever opens (each stops a session only slowly: a loaded machine, a long run)
TELLING = (KEEPS_HANDLING.encode(), STACKED_TOO_DEEP.encode())


def controls_token(rng: random.Random) -> bytes:
    """A key of the app, a click, or a control sequence no terminal sends or no one asked for,
    whole or cut anywhere (its end may come in a later burst, or never)."""
    roll = rng.random()
    if roll < 0.3:
        return mouse_event(rng, 120, 40)
    if roll < 0.55:
        sequence = rng.choice((*NO_TERMINAL_SENDS, *NEVER_ASKED)).encode()
        return sequence if rng.random() < 0.7 else sequence[: rng.randint(1, len(sequence))]
    return rng.choice(KEYS)


def phrases_token(rng: random.Random) -> bytes:
    """A phrase and enter, or a key of the app."""
    if rng.random() < 0.5:
        return rng.choice(PHRASES).encode() + b"\r"
    return rng.choice(KEYS)


ALPHABETS: dict[str, Callable[[random.Random], bytes]] = {"controls": controls_token, "phrases": phrases_token}
CASES = [(alphabet, seed) for alphabet, default in (("controls", 5300), ("phrases", 5500)) for seed in seeds(default)]


async def fuzz(client: ScreenClient, alphabet: str, seed: int, running: Callable[[], bool]) -> None:
    """`TOKENS` tokens in 16-byte bursts 10 ms apart, the window changed after one burst in twenty;
    then, while the app runs, a window change must be answered."""
    rng = random.Random(seed)
    data = b"".join(ALPHABETS[alphabet](rng) for _ in range(TOKENS))
    # A tab's keys are text: its bursts are cut between characters, an SSH session's anywhere.
    typed: bytes | str = data.decode() if isinstance(client, WebTabClient) else data
    size = (client.columns, client.rows)
    for burst, start in enumerate(range(0, len(typed), 16)):
        if client.closed.is_set() or (burst % 20 == 0 and not running()):
            break
        try:
            client.send(typed[start : start + 16])
        except BrokenPipeError:  # the palette's Quit typed: the app's right
            break
        if rng.random() < 0.05:
            size = (rng.randint(20, 160), rng.randint(5, 50))
            client.resize(*size)
        await asyncio.sleep(0.01)
    deadline = time.monotonic() + 120
    while getattr(client, "unsent", 0) and running() and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    await asyncio.sleep(2)
    if running() and not client.closed.is_set():
        before = len(client.raw)
        client.resize(101 if size != (101, 31) else 102, 31)  # a size it does not have: it must repaint
        deadline = time.monotonic() + 30
        while len(client.raw) == before and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        assert len(client.raw) > before, "the session stopped answering: no repaint 30 s after a window change"


async def fuzz_and_check(client: ScreenClient, alphabet: str, seed: int, app_pid: Callable[[], int | None],
                         log: Path, failed: Path) -> None:  # fmt: skip
    """`fuzz` the session while its app runs (`app_pid`), then no traceback and no error on screen, and
    none of the `TELLING` lines in the app's `log` (a cycle of messages, dialogs stacked without end:
    each would have frozen it); on failure the session's bytes (and a frozen app's stacks) are kept in `failed`."""
    logged_before = log.stat().st_size if log.exists() else 0
    try:
        await fuzz(client, alphabet, seed, lambda: app_pid() is not None)
        error = None
    except AssertionError as failure:
        error = failure
    raw = bytes(client.raw)
    problems = [str(error)] if error else []
    # "stopped answering": the app froze and its stall watch ended it (the stack is in the server's movierec.log)
    problems += [f"{word!r} on screen" for word in ("Traceback", "Error", "stopped answering") if word.encode() in raw]
    if log.exists():
        with log.open("rb") as logged:
            logged.seek(logged_before)
            problems += [line.decode(errors="replace") for line in logged if any(words in line for words in TELLING)]
    if not problems:
        return
    failed.mkdir(parents=True, exist_ok=True)
    (failed / "session.raw").write_bytes(raw)
    pid = app_pid()
    if error and pid and shutil.which("py-spy"):
        stacks = subprocess.run(["py-spy", "dump", "--locals", "--pid", str(pid)], capture_output=True, text=True)
        (failed / "stacks.txt").write_text(stacks.stdout + stacks.stderr)
    pytest.fail(f"{'; '.join(problems)} (the session's bytes: {failed})\n{client.text}")


@pytest.mark.timeout(max(300, TOKENS // 10))
@pytest.mark.parametrize(("alphabet", "seed"), CASES)
@pytest.mark.parametrize("kind", sorted(CLIENTS))
def test_a_fuzzed_ssh_session_shows_no_traceback_and_keeps_answering(served, host_key, kind: str, alphabet: str,
                                                                     seed: int, tmp_path: Path) -> None:  # fmt: skip
    async def scenario(demo: SSHDemo) -> None:
        client = await CLIENTS[kind]().connect(demo.port)
        await client.wait_for(FIRST_SCREEN)

        def app_pid() -> int | None:
            sessions = list(demo.registry.sessions.values())
            return sessions[0].app.pid if sessions and sessions[0].app else None

        await fuzz_and_check(client, alphabet, seed, app_pid, served.settings.log_file, tmp_path / "failed")
        await client.close()

    run(served, host_key, ANONYMOUS, scenario, timeout=max(120, TOKENS // 12))


@pytest.mark.timeout(max(300, TOKENS // 10))
@pytest.mark.parametrize(("alphabet", "seed"), CASES)
def test_a_fuzzed_web_tab_shows_no_traceback_and_keeps_answering(served, web_server, alphabet: str, seed: int,
                                                                 tmp_path: Path) -> None:  # fmt: skip
    server, url = web_server
    log = served.settings.log_file
    logged_before = log.stat().st_size if log.exists() else 0

    async def scenario() -> int:
        client, app = await tab_at_its_first_screen(server, url)

        def app_pid() -> int | None:
            apps = web_apps(server)
            return apps[0] if apps else None

        await fuzz_and_check(client, alphabet, seed, app_pid, log, tmp_path / "failed")
        await client.close()
        return app

    app = asyncio.run(asyncio.wait_for(scenario(), max(120, TOKENS // 12)))
    ended_without_a_kill(app, log, logged_before)  # the tab closed, or the palette's Quit was typed
