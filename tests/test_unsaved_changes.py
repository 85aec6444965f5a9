"""Nothing a person entered is lost: profile changes made while Redis is down go to the journal in the
home dir and reach Redis when it is back (in the same app, or the next one on the home); quitting with
changes not in Redis asks first; SIGTERM and SIGHUP keep them on disk. Real app (Pilot), a real
Valkey killed with -9, the real journal on disk."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import pty
import re
import select
import shutil
import signal
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pyte
import pytest
import redis
from test_app import SIZE, bot_messages, say, settle, snapshot_app, until
from test_faults_app import own_redis, type_line  # noqa: F401 (a fixture)
from textual.widgets import Static

import movierec_tui
from movierec_tui.app import MovieRecApp
from movierec_tui.app.quitting import STALLED_EXIT
from movierec_tui.app.stall_watch import HUNG_UP_LIMIT, STALL_LIMIT
from movierec_tui.config import Settings
from movierec_tui.engine import Recommender
from movierec_tui.profile import Profile
from movierec_tui.stores.backends import Backends
from movierec_tui.stores.cards import LAST_PROFILE_KEY, CardStore
from movierec_tui.stores.journal import ProfileJournal
from movierec_tui.stores.redis_server import RedisConnection, _client
from movierec_tui.widgets.quit_prompt import QuitPrompt

SOURCE_ROOT = Path(movierec_tui.__file__).resolve().parent.parent


@pytest.fixture()
def home(own_home) -> Settings:
    return own_home


@pytest.fixture()
def on_own_redis(home, backends, own_redis):  # noqa: F811 (the fixture imported above)
    """(a function making a fresh Recommender on `home` and the test's Valkey, the Valkey's url,
    kill it with -9, restart it on the same port and data dir)."""
    url, servers, restart = own_redis
    connections: list[RedisConnection] = []

    def recommender() -> Recommender:
        connection = RedisConnection(_client(url), url, embedded=False)
        connections.append(connection)
        return Recommender(home, Backends(connection, CardStore(connection.client), backends.milvus))

    def kill() -> None:
        server = servers[-1]
        server._process.send_signal(signal.SIGKILL)  # the test owns this process
        server._process.wait()
        server._process = None

    yield recommender, url, kill, restart
    for connection in connections:
        connection.client.close()


def in_redis(url: str, name: str) -> Profile | None:
    client = redis.Redis.from_url(url, decode_responses=True, socket_connect_timeout=0.5)
    try:
        raw = client.get(f"profile:{name}")
    except redis.ConnectionError:
        return None
    finally:
        client.close()
    return Profile.from_json(raw) if raw else None


def journalled(home: Settings) -> dict[str, Profile]:
    """What the home's journal holds: Redis key -> profile."""
    return {entry.key: Profile.from_json(entry.profile_json) for entry in ProfileJournal(home.journal_dir).entries()}


def the_one_journalled(home: Settings) -> tuple[str, Profile]:
    """The Redis key and profile of the home's journal's only entry."""
    kept = journalled(home)
    assert len(kept) == 1
    (key, profile), = kept.items()  # fmt: skip
    return key, profile


def said(app: MovieRecApp, words: str) -> bool:
    return any(words in message for message in bot_messages(app))


async def rate(pilot, *lines: str) -> None:
    """Once the app is ready: no more questions, then these lines."""
    await settle(pilot)
    for line in ("back", *lines):
        await say(pilot, line)


async def press_quit(pilot) -> None:
    """q where it quits: on the cards (in the chat input it is typed)."""
    pilot.app.cards.focus()
    await pilot.press("q")
    await pilot.pause(0.1)


def test_changes_while_redis_is_down_go_to_the_journal_and_reach_redis_when_it_is_back(on_own_redis, home) -> None:
    """In one app: Valkey is killed, two more ratings are typed: they are journalled on disk at once
    (the app says so in one line), and written into Redis when Valkey is back, without a word from
    the person; the journal is then empty."""
    make, url, kill, restart = on_own_redis

    async def scenario() -> None:
        app = MovieRecApp(make(), profile_name="erin", cursor_blink=False)
        async with app.run_test(size=SIZE) as pilot:
            await rate(pilot, "loved alien")
            await until(pilot, lambda: (p := in_redis(url, "erin")) is not None and len(p.ratings) == 1)

            kill()
            await type_line(pilot, "loved star wars")
            await type_line(pilot, "hated scream")
            await until(pilot, lambda: len(journalled(home).get("profile:erin", Profile()).ratings) == 3, timeout=20)
            assert journalled(home)["profile:erin"].ratings == app.profile.ratings
            await until(pilot, lambda: said(app, "kept erin on this computer"))
            assert app.profile_sync.unsaved() is not None  # not in Redis: quitting would ask

            restart()
            await until(pilot, lambda: (p := in_redis(url, "erin")) is not None and p.ratings == app.profile.ratings,
                        timeout=45)  # fmt: skip
            await until(pilot, lambda: not journalled(home) and said(app, "Saved 'erin' to Redis"), timeout=15)
            await until(pilot, lambda: app.profile_sync.unsaved() is None)
            await press_quit(pilot)
            assert app.return_code == 0 and not isinstance(app.screen, QuitPrompt)  # all in Redis: no question

    asyncio.run(scenario())


def test_an_app_started_while_redis_is_down_waits_then_shows_its_cards(on_own_redis) -> None:
    """Redis is down when the app starts: it says it waits for the stores (and a served app then tells
    its server its first screen is up, so nobody waits behind it), retries, and shows the cards once
    Valkey is back."""
    make, _url, kill, restart = on_own_redis
    kill()

    async def scenario() -> None:
        app = MovieRecApp(make(), cursor_blink=False)
        told: list[bool] = []
        app.startup.on_first_screen = lambda: told.append(True)
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: app.cards.empty_message == "Waiting for the stores…", timeout=20)
            assert not app.ready and told == [True]
            restart()
            await until(pilot, lambda: app.ready and bool(app.refresher.results), timeout=45)
            assert told == [True]  # once only

    asyncio.run(scenario())


def test_quitting_with_changes_only_on_disk_asks_and_the_next_app_replays_them(on_own_redis, home) -> None:
    """Valkey is killed and stays down: q asks; "save and quit" cannot reach Redis and says so, the
    question stays; escape goes back to the app; q then q quits, the ratings stay in the journal.
    Valkey comes back: a new app on the same home writes them into Redis at start and says so."""
    make, url, kill, restart = on_own_redis

    async def first_run() -> dict[int, float]:
        app = MovieRecApp(make(), profile_name="gus", cursor_blink=False)
        async with app.run_test(size=SIZE) as pilot:
            await rate(pilot, "loved alien")
            await until(pilot, lambda: in_redis(url, "gus") is not None)
            kill()
            await type_line(pilot, "loved star wars")
            await until(pilot, lambda: len(journalled(home).get("profile:gus", Profile()).ratings) == 2, timeout=20)

            await press_quit(pilot)
            assert isinstance(app.screen, QuitPrompt) and app.return_code is None
            await pilot.press("enter")  # save and quit: Redis is still down
            await until(pilot, lambda: "still not reachable" in str(app.screen.query_one("#quit-status").render()),
                        timeout=15)  # fmt: skip
            assert app.return_code is None
            await pilot.press("escape")
            await pilot.pause(0.1)
            assert not isinstance(app.screen, QuitPrompt) and app.return_code is None

            await press_quit(pilot)
            assert isinstance(app.screen, QuitPrompt)
            await pilot.press("q")  # quit anyway
            await pilot.pause(0.1)
            assert app.return_code == 0
            return dict(app.profile.ratings)

    ratings = asyncio.run(first_run())
    assert journalled(home)["profile:gus"].ratings == ratings and len(ratings) == 2
    restart()
    assert len(in_redis(url, "gus").ratings) == 1  # Redis has only what it had before the kill

    async def second_run() -> None:
        app = MovieRecApp(make(), profile_name="gus", cursor_blink=False)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            assert app.profile.ratings == ratings
            assert said(app, "Saved 'gus' to Redis: the last session kept the latest changes on this computer.")
            assert app.profile_sync.unsaved() is None

    asyncio.run(second_run())
    assert in_redis(url, "gus").ratings == ratings
    assert not journalled(home)


@pytest.fixture()
def on_session_redis(home, backends):
    """A fresh Recommender on `home` (an empty journal), the session's Redis and `ready`'s Milvus."""
    return Recommender(home, backends)


def test_no_question_when_everything_is_in_redis_and_an_unnamed_profile_is_asked_for_a_name(on_session_redis) -> None:
    recommender = on_session_redis
    store = recommender.backends.cards
    store.client.delete("profile:hana", "profile:ivo")

    async def nothing_entered() -> None:
        app = MovieRecApp(recommender, cursor_blink=False)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await press_quit(pilot)
            assert app.return_code == 0

    async def all_saved() -> None:
        app = MovieRecApp(recommender, profile_name="hana", cursor_blink=False)
        async with app.run_test(size=SIZE) as pilot:
            await rate(pilot, "loved alien")
            await settle(pilot)
            assert store.load_profile("hana") is not None
            await press_quit(pilot)
            assert app.return_code == 0

    async def unnamed() -> None:
        app = MovieRecApp(recommender, cursor_blink=False)
        async with app.run_test(size=SIZE) as pilot:
            await rate(pilot, "loved alien", "add scream to my watchlist")
            await settle(pilot)
            await press_quit(pilot)
            assert isinstance(app.screen, QuitPrompt) and app.return_code is None
            # what would be lost, the list too: not "(1 rating)"
            shown = " ".join(str(widget.render()) for widget in app.screen.query(Static))
            assert "This profile (1 rating, 1 to watch) has no name" in shown
            await pilot.press("escape")  # back: nothing happens
            await pilot.pause(0.1)
            assert not isinstance(app.screen, QuitPrompt) and app.return_code is None
            await press_quit(pilot)
            await pilot.press(*"no way!", "enter")  # not a name: said so, the question stays
            await pilot.pause(0.1)
            assert isinstance(app.screen, QuitPrompt) and app.return_code is None
            await pilot.press(*["backspace"] * 7, *"ivo", "enter")
            await until(pilot, lambda: app.return_code == 0)
            assert Profile.from_json(store.load_profile("ivo")).ratings == app.profile.ratings

    asyncio.run(nothing_entered())
    asyncio.run(all_saved())
    asyncio.run(unnamed())
    store.client.delete("profile:hana", "profile:ivo")


def test_quit_typed_in_the_chat_does_what_ctrl_q_does(on_session_redis) -> None:
    """ "quit", "exit", "bye" in the chat: asked first with an unnamed profile, as ctrl+q; with nothing
    to lose, the app exits. They were "I didn't understand" ("bye": "Did you mean Bye Bye, Love?")."""
    recommender = on_session_redis

    async def unnamed() -> None:
        app = MovieRecApp(recommender, cursor_blink=False)
        async with app.run_test(size=SIZE) as pilot:
            await rate(pilot, "loved alien", "bye")
            assert isinstance(app.screen, QuitPrompt) and app.return_code is None
            await pilot.press("escape")
            await pilot.pause(0.1)
            assert not isinstance(app.screen, QuitPrompt) and app.return_code is None

    async def nothing_entered() -> None:
        app = MovieRecApp(recommender, cursor_blink=False)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            app.chat_input.focus()
            await pilot.press(*"quit", "enter")
            await until(pilot, lambda: app.return_code == 0)

    asyncio.run(unnamed())
    asyncio.run(nothing_entered())


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_sigterm_or_sighup_keeps_unsaved_ratings_on_disk_and_the_next_app_saves_them(
    on_session_redis, home, signum
) -> None:
    """A real signal to this process while the app runs with ratings not saved anywhere: the app's
    handler writes them to the journal (under a new name) and exits normally; the next app on the
    home writes them into Redis."""
    recommender = on_session_redis

    async def interrupted() -> dict[int, float]:
        app = MovieRecApp(recommender, cursor_blink=False)
        async with app.run_test(size=SIZE) as pilot:
            await rate(pilot, "loved alien")
            await say(pilot, "hated scream")
            await settle(pilot)
            # Only ever sent with the app's handler in place (else the signal would end pytest).
            assert signal.getsignal(signum) not in (signal.SIG_DFL, signal.SIG_IGN, None)
            os.kill(os.getpid(), signum)
            await until(pilot, lambda: app.return_code is not None, timeout=5)
            assert app.return_code == 0 and app.quitting.signalled == signum
            return dict(app.profile.ratings)

    ratings = asyncio.run(interrupted())
    key, profile = the_one_journalled(home)
    assert key.startswith("profile:unsaved-") and profile.ratings == ratings and len(ratings) == 2
    assert signal.getsignal(signum) == signal.SIG_DFL  # the handler went with the app's loop

    async def next_start() -> None:
        app = MovieRecApp(recommender, cursor_blink=False)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            # what happened, not "while Redis was not reachable"; and how to go on with it
            assert said(app, f"The last session ended before its profile had a name: it is saved as '{name}'. "
                             f"Say “load {name}” to go on with it.")  # fmt: skip
            await say(pilot, f"load {name}")
            assert app.profile.ratings == ratings and app.profile_sync.saved_as == name

    name = key.removeprefix("profile:")
    asyncio.run(next_start())
    assert Profile.from_json(recommender.backends.cards.load_profile(name)).ratings == ratings
    assert not journalled(home)
    recommender.backends.cards.client.delete(key)


def test_several_unnamed_profiles_kept_at_exit_are_named_at_the_next_start(on_session_redis, home) -> None:
    """Two sessions that each ended before their profile had a name: the next start writes both into
    Redis and names both, with how to load one; a named profile in the journal is said apart."""
    recommender = on_session_redis
    journal = ProfileJournal(home.journal_dir)
    names = ["unsaved-20261201-100000", "unsaved-20261202-110000", "kim"]
    for number, name in enumerate(names, start=1):
        journal.record(f"profile:{name}", Profile(ratings={number: 4.0}).to_json())

    async def next_start() -> None:
        app = MovieRecApp(recommender, cursor_blink=False)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            assert said(app, "Earlier sessions ended before their profiles had names: they are saved as "
                             f"'{names[0]}', '{names[1]}'. Say “load NAME” to go on with one.")  # fmt: skip
            assert said(app, "Saved 'kim' to Redis: the last session kept the latest changes on this computer.")
            assert not said(app, "not reachable")

    asyncio.run(next_start())
    assert not journalled(home)
    for number, name in enumerate(names, start=1):
        assert Profile.from_json(recommender.backends.cards.load_profile(name)).ratings == {number: 4.0}
        recommender.backends.cards.client.delete(f"profile:{name}")


def test_sigterm_with_everything_saved_writes_nothing(on_session_redis, home) -> None:
    recommender = on_session_redis

    async def scenario() -> None:
        app = MovieRecApp(recommender, cursor_blink=False)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            os.kill(os.getpid(), signal.SIGTERM)
            await until(pilot, lambda: app.return_code is not None, timeout=5)

    asyncio.run(scenario())
    assert not journalled(home) and not home.journal_dir.exists()


# -- the real app in a terminal that hangs up ------------------------------------------------------


class Terminal:
    """A pseudo-terminal of 120x40 whose master end this test holds, rendered with pyte."""

    def __init__(self) -> None:
        self.master, self.slave = pty.openpty()
        fcntl.ioctl(self.slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        self.screen = pyte.Screen(120, 40)
        self.stream = pyte.ByteStream(self.screen)
        self.raw = bytearray()

    def read(self, timeout: float) -> bool:
        """Take what the app wrote within `timeout` seconds; False once the app's side is closed."""
        if not select.select([self.master], [], [], timeout)[0]:
            return True
        try:
            data = os.read(self.master, 65536)
        except OSError:  # EIO: every process on the terminal has ended
            return False
        self.raw += data
        self.stream.feed(data)
        return bool(data)

    def wait_for(self, text: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while text not in "\n".join(self.screen.display):
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"timed out waiting for {text!r}:\n" + "\n".join(self.screen.display)
            self.read(min(remaining, 0.2))

    def type(self, line: str) -> None:
        os.write(self.master, line.encode() + b"\r")

    def hang_up(self) -> None:
        """As when the SSH session or the terminal window goes: the kernel sends SIGHUP to the app."""
        os.close(self.master)


@contextlib.contextmanager
def the_real_app(ready, home: Path, terminal: Terminal, **env: str) -> Iterator[subprocess.Popen]:
    """`movierec-tui` on a copy of the ready home, in `terminal` (its controlling terminal), as a first
    start: no last profile to resume (another test may have left one in the shared Redis); killed on
    the way out if it still runs."""
    shutil.copytree(ready.home, home, ignore=shutil.ignore_patterns("journal", "*.log", "redis"))
    with redis.Redis.from_url(ready.redis_url) as client:
        client.delete(LAST_PROFILE_KEY)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOVIEREC_")} | env
    env |= {"MOVIEREC_HOME": str(home), "MOVIEREC_REDIS_URL": ready.redis_url, "PYTHONPATH": str(SOURCE_ROOT),
            "TERM": "xterm-256color", "GLOG_minloglevel": "2"}  # fmt: skip
    app = subprocess.Popen(
        [sys.executable, "-m", "movierec_tui"], stdin=terminal.slave, stdout=terminal.slave, stderr=terminal.slave,
        env=env, start_new_session=True, preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0),
    )  # fmt: skip
    os.close(terminal.slave)
    try:
        yield app
    finally:
        if app.poll() is None:
            app.kill()
            app.wait()


@pytest.mark.parametrize("ending", ["hang-up", "SIGTERM"])
def test_the_real_app_ended_by_a_hang_up_or_sigterm_keeps_the_ratings_and_exits(tmp_path, ready, ending) -> None:
    """`movierec-tui` in a real pseudo-terminal; two ratings under no name; then the terminal goes away
    (its master end closed: the kernel hangs up on the app) or the app gets SIGTERM. The ratings are
    in the journal, the app exits with 0 within seconds, having closed its stores, and neither the
    terminal nor the log shows a traceback. (Before: a hang-up left the app blocked in Textual's
    exit for ever, stores open.)"""
    home = tmp_path / "home"
    terminal = Terminal()
    with the_real_app(ready, home, terminal) as app:
        terminal.wait_for("How old are you?", timeout=120)
        for line in ("back", "loved alien", "hated scream"):
            terminal.type(line)
        terminal.wait_for("Ratings (2)", timeout=30)
        if ending == "hang-up":
            terminal.hang_up()
        else:
            app.send_signal(signal.SIGTERM)
            while terminal.read(0.2):  # the app restores the terminal as it leaves
                pass
            terminal.hang_up()
        assert app.wait(timeout=20) == 0
    key, profile = the_one_journalled(replace(ready, home=home))
    assert key.startswith("profile:unsaved-") and len(profile.ratings) == 2
    log = (home / "movierec.log").read_text()
    assert f"{'SIGHUP' if ending == 'hang-up' else 'SIGTERM'}: quitting" in log
    assert re.search(r"Milvus Lite program of \S+ stopped", log)  # the stores were closed
    assert "Traceback" not in log and b"Traceback" not in terminal.raw


@pytest.mark.parametrize("terminal_there", [True, False], ids=["terminal stays", "terminal hangs up"])
def test_the_real_app_whose_loop_stops_turning_keeps_the_ratings_and_ends(tmp_path, ready, terminal_there) -> None:
    """The frozen apps the fuzzer found: the main thread busy inside one turn of the event loop for
    good, so neither keys nor a hang-up's handler ever ran (a served one was killed 3 s after the
    hang-up, its ratings lost). The test hook keeps the main thread busy at the first profile change
    (a rating). Within `STALL_LIMIT` s the app keeps the profile in the journal, gives the terminal
    back (its modes as before the app, the alternate screen left) with a line that names what was
    kept, logs the main thread's stack, closes its stores and exits with 70. If the terminal hangs
    up meanwhile, it does so within 3 s of the hang-up (before a served app's server would kill it)."""
    home = tmp_path / "home"
    terminal = Terminal()
    modes_before = termios.tcgetattr(terminal.master)
    with the_real_app(ready, home, terminal, MOVIEREC_FAULT_AT="profile-change") as app:
        terminal.wait_for("How old are you?", timeout=120)
        terminal.type("loved alien")
        if terminal_there:
            started = time.monotonic()
            terminal.wait_for("stopped answering", timeout=STALL_LIMIT + 30)
            assert STALL_LIMIT - 2 < time.monotonic() - started < STALL_LIMIT + 20
        else:
            time.sleep(HUNG_UP_LIMIT + 0.5)  # stalled by now (the rating is taken at once)
            terminal.hang_up()
            started = time.monotonic()
            app.wait(timeout=20)
            assert time.monotonic() - started < 3
        assert app.wait(timeout=20) == STALLED_EXIT
    key, profile = the_one_journalled(replace(ready, home=home))
    name = key.removeprefix("profile:")
    assert name.startswith("unsaved-") and len(profile.ratings) == 1
    log = (home / "movierec.log").read_text()
    assert "event loop has not turned for" in log and "in stall" in log  # the stack, down to where it is stuck
    assert ("(the terminal hung up)" in log) != terminal_there
    assert re.search(r"Milvus Lite program of \S+ stopped", log)  # the stores were closed
    if terminal_there:
        said = f"movierec stopped answering and had to close. Your profile is kept as '{name}': say “load {name}”"
        assert said.encode() in terminal.raw
        assert termios.tcgetattr(terminal.master)[3] == modes_before[3]  # echo and line editing back
        assert terminal.raw.rfind(b"\x1b[?1049l") > terminal.raw.rfind(b"\x1b[?1049h")


# -- the question, drawn at 80x24 ------------------------------------------------------------------


def test_snapshot_quit_prompt_unnamed_80x24(snap_compare, on_session_redis) -> None:
    async def rate_then_quit(pilot) -> None:
        await rate(pilot, "loved alien", "hated scream")
        await settle(pilot)
        await press_quit(pilot)

    app = snapshot_app(on_session_redis)
    assert snap_compare(app, terminal_size=(80, 24), run_before=rate_then_quit)


def test_snapshot_quit_prompt_named_80x24(snap_compare, on_session_redis) -> None:
    async def ask(pilot) -> None:
        await settle(pilot)
        why = "Redis is not reachable, so they are kept on this computer only"
        pilot.app.push_screen(QuitPrompt("alice", "3 ratings", why, save=lambda name: None, cursor_blink=False))
        await pilot.pause(0.1)

    assert snap_compare(snapshot_app(on_session_redis), terminal_size=(80, 24), run_before=ask)


def test_quitting_from_the_command_palette_just_opened_asks_and_never_crashes(on_session_redis) -> None:
    """ctrl+p then at once ctrl+c (as random bytes on an SSH session may send): the question replaces the
    palette before the palette's search of its commands has run; that search must not outlive it (it
    used to look for its list in the removed palette and end the app with a traceback)."""
    recommender = on_session_redis
    store = recommender.backends.cards

    async def scenario() -> None:
        app = MovieRecApp(recommender, cursor_blink=False)
        async with app.run_test(size=SIZE) as pilot:
            await rate(pilot, "loved alien")
            await settle(pilot)
            for _ in range(5):
                app.action_command_palette()
                await app.action_quit()
                await pilot.pause(0.2)
                assert isinstance(app.screen, QuitPrompt) and app.return_code is None
                await pilot.press("escape")
                await pilot.pause(0.1)
            assert app.return_code is None and app.is_running

    asyncio.run(scenario())
    store.client.delete("profile:unnamed")


def test_exiting_with_nothing_unsaved_right_after_opening_the_palette_ends_cleanly(on_session_redis) -> None:
    """ctrl+p then at once ctrl+q with nothing to save (200 KB of random bytes on an SSH session sent it):
    the app exits before the palette's search of its commands has run; the search must find the palette
    closed and stop, not end the session with a traceback (NoMatches: no CommandList)."""

    async def scenario() -> None:
        app = MovieRecApp(on_session_redis, cursor_blink=False)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            app.action_command_palette()
            await app.action_quit()  # in the same tick: the search is still to run
            await pilot.pause(0.3)
        assert app.return_code == 0

    asyncio.run(scenario())  # a failed worker would be raised here, as WorkerFailed
