"""`serve ssh` end to end: a real asyncssh server on 127.0.0.1, real app processes on ptys, a shared
milvus-lite server and the test Redis; an asyncssh client reads the screen through a virtual terminal."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import asyncssh
import pytest
import redis
from conftest import TEST_TRAIN_CONFIG
from processes import command_line, descendants
from ssh_screen import ScreenClient

from movierec_tui.config import Settings, load_settings
from movierec_tui.faults import ENV_FAULT_AT
from movierec_tui.pipeline import Reporter, run_setup
from movierec_tui.profile import Profile
from movierec_tui.serve.lifeline import (
    STARTING_NICER,
    autogroup_nice,
    follow_server_priority,
    keep_in_step,
    set_autogroup_nice,
)
from movierec_tui.serve.shared import SharedStores, session_base_env, shared_stores
from movierec_tui.serve.ssh import SSHDemo, SSHServeConfig, load_or_create_host_key
from movierec_tui.serve.start_gate import StartGate
from movierec_tui.stores.backends import open_backends
from movierec_tui.stores.journal import ProfileJournal

SCENARIO_TIMEOUT = 120


def home_of_its_own(tmp_path_factory: pytest.TempPathFactory, ready: Settings, synthetic) -> Settings:
    """A set-up home with its own Milvus Lite dir (a served one must not be open in this process),
    reusing the model trained for the shared fixture and the test Redis."""
    home = tmp_path_factory.mktemp("served-home")
    shutil.copytree(ready.model_dir, home / "model")
    settings = load_settings(home, env={"MOVIEREC_REDIS_URL": ready.redis_url})
    with open_backends(settings) as backends:  # the shared fixture's config, so that its model is reused
        run_setup(settings, backends, synthetic.path, Reporter(), TEST_TRAIN_CONFIG)
    return settings


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, ready: Settings, synthetic) -> SharedStores:
    """The shared stores `serve` runs, for a home of its own."""
    with shared_stores(home_of_its_own(tmp_path_factory, ready, synthetic)) as stores:
        yield stores


@pytest.fixture(scope="module")
def host_key(tmp_path_factory: pytest.TempPathFactory) -> asyncssh.SSHKey:
    return load_or_create_host_key(tmp_path_factory.mktemp("ssh") / "host_ed25519")


def run(served: SharedStores, host_key, config: SSHServeConfig, scenario: Callable[[SSHDemo], Awaitable[None]],
        timeout: float = SCENARIO_TIMEOUT, env: dict[str, str] | None = None) -> SSHDemo:  # fmt: skip
    """Start a server on a free port (its sessions' environment with `env` added), run the scenario
    against it (for up to `timeout` s), and always shut it down."""

    async def main() -> SSHDemo:
        demo = SSHDemo(config, session_base_env(served) | (env or {}), host_key)
        await demo.start()
        try:
            await asyncio.wait_for(scenario(demo), timeout)
        finally:
            await demo.close()
        return demo

    return asyncio.run(main())


ANONYMOUS = SSHServeConfig(port=0, allow_anonymous=True)


def card_titles(text: str) -> list[str]:
    """Titles of the numbered cards on screen ("  3  Starship 12 ...")."""
    return re.findall(r"▕ {1,3}\d{1,3} {2}(\S.*?) {2,}", text)


def cluster_share(titles: list[str], stems: tuple[str, ...]) -> float:
    return sum(t.startswith(stems) for t in titles) / max(1, len(titles))


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def listening_port(server: subprocess.Popen) -> int:
    """The port a `serve ssh` process says it listens on, read from its log once it is listening (the
    "connect with: ssh -p PORT" line comes after the socket is bound); its output if it never says so."""
    seen = []
    for line in server.stderr:
        seen.append(line)
        if found := re.search(r"connect with: ssh -p (\d+) ", line):
            return int(found.group(1))
    raise AssertionError(f"the server exited ({server.wait()}) without listening:\n{''.join(seen)[-3000:]}")


async def until(condition: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.05)


def test_a_session_shows_the_app_follows_keystrokes_and_resizes(served, host_key) -> None:
    async def scenario(demo: SSHDemo) -> None:
        client = await ScreenClient(120, 40).connect(demo.port)
        await client.wait_for("How old are you?")
        before = card_titles(await client.wait_for(lambda text: len(card_titles(text)) >= 5))
        client.send("back\r")  # no more questions
        for title in ("Star Wars", "alien", "the matrix"):
            client.send(f"loved {title}\r")
        await client.wait_for("Ratings (3)")
        after = card_titles(await client.wait_for(lambda text: cluster_share(card_titles(text), ("Starship",)) >= 0.8))
        assert after != before and cluster_share(before, ("Starship",)) < 0.8

        client.resize(90, 30)  # window-change reaches the app as SIGWINCH: it repaints at the new size
        await client.wait_for(lambda text: "palette" in text.splitlines()[29])
        client.send("\x1b")  # escape to the card list, where q quits; the session ends with the app
        await asyncio.sleep(0.3)
        client.send("q")  # three ratings under no name: the app asks first
        await client.wait_for("Quit with unsaved changes?")
        client.send("\x11")  # ctrl+q: quit without saving
        await asyncio.wait_for(client.closed.wait(), 15)
        await until(lambda: not demo.registry.sessions)

    run(served, host_key, ANONYMOUS, scenario)


def test_a_sessions_start_walks_redis_keyspace_once(served, host_key) -> None:
    """The server checked setup before it served anyone; each app probing it again walked every key
    in Redis twice more (counting the cards, counting everyone's saved profiles): work that grows with
    the catalogue and the audience, on the one Redis all sessions share. What is left is the one walk
    that lists this person's own saved profiles for the palette (the test's keyspace fits in one
    SCAN batch, so one walk is one call)."""
    client = redis.Redis.from_url(served.settings.redis_url)

    def scans() -> int:
        return int(client.info("commandstats").get("cmdstat_scan", {}).get("calls", 0))

    async def first_screen(demo: SSHDemo) -> ScreenClient:
        session = await ScreenClient(120, 40).connect(demo.port)
        await session.wait_for("How old are you?")
        await session.wait_for(lambda text: len(card_titles(text)) >= 5)
        return session

    async def scenario(demo: SSHDemo) -> None:
        first = await first_screen(demo)  # by then the zygote has read the catalogue, once for all
        before = scans()
        second = await first_screen(demo)
        assert scans() - before <= 1
        await second.close()
        await first.close()

    try:
        run(served, host_key, ANONYMOUS, scenario)
    finally:
        client.close()


def test_two_sessions_keep_their_profiles_apart(served, host_key) -> None:
    async def scenario(demo: SSHDemo) -> None:
        alice, bob = ScreenClient(), ScreenClient()
        await asyncio.gather(alice.connect(demo.port), bob.connect(demo.port))
        await asyncio.gather(alice.wait_for("How old are you?"), bob.wait_for("How old are you?"))
        alice.send("loved alien\r")
        bob.send("loved scream\r")
        await asyncio.gather(alice.wait_for("Ratings (1)"), bob.wait_for("Ratings (1)"))
        alice.send("save mine\r")
        await alice.wait_for("Saved as mine")
        bob.send("load mine\r")
        await bob.wait_for("no saved profile named 'mine'")
        assert "Ratings (1)" in bob.text  # bob kept his own profile
        await asyncio.gather(alice.close(), bob.close())

    run(served, host_key, ANONYMOUS, scenario)
    with open_backends(served.settings) as backends:
        keys = sorted(backends.redis.client.scan_iter(match="profile@*:mine"))
        assert len(keys) == 1 and keys[0].startswith("profile@anon-")
        assert 0 < backends.redis.client.ttl(keys[0]) <= 86400  # nobody can reopen it after the session


def test_the_output_trace_says_when_the_server_sent_what_the_client_read(served, host_key, tmp_path: Path) -> None:
    """`MOVIEREC_SERVE_TRACE`: per session, when each byte left the server, so ssh_load.py can tell the
    server's part of a start from its own client's (serve/output_trace.py)."""
    trace = tmp_path / "trace.jsonl"
    seen: dict[str, float | int] = {}

    async def scenario(demo: SSHDemo) -> None:
        client = ScreenClient(120, 40)
        seen["connecting"] = time.monotonic()
        await client.connect(demo.port)
        seen["port"] = client.conn.get_extra_info("sockname")[1]
        offset, arrived = await client.wait_for_bytes(b"How old are you?")
        seen["offset"], seen["arrived"] = offset, time.monotonic() - (time.perf_counter() - arrived)
        await client.wait_for("How old are you?")  # the bytes found are the question on screen
        await client.close()
        await until(lambda: not demo.registry.sessions)

    run(served, host_key, SSHServeConfig(port=0, allow_anonymous=True, output_trace=trace), scenario)
    (line,) = [json.loads(text) for text in trace.read_text().splitlines()]
    assert line["peer"] == ["127.0.0.1", seen["port"]]
    times, ends = zip(*line["writes"], strict=True)
    assert list(times) == sorted(times) and list(ends) == sorted(ends) and ends[0] > 0
    sent = next(t for t, end in line["writes"] if end >= seen["offset"])  # the write that held the question
    assert seen["connecting"] <= line["opened"] <= times[0] <= sent <= seen["arrived"]


def in_a_group_at_3(server: Callable[[], bool]) -> bool:
    """`server`'s answer, run in a forked child that is a session, so an autogroup, of its own at nice 3:
    a process's group is what the priority tests change, and a process started without a session (as
    pytest under some CI runners) sits in the kernel's root group, which has none."""
    pid = os.fork()
    if pid == 0:
        try:
            os.setsid()
            set_autogroup_nice(3)
            os._exit(0 if server() else 1)
        finally:
            os._exit(2)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0


def test_a_sessions_app_runs_at_the_servers_priority(served, host_key) -> None:
    """Each app is a session, so an autogroup, of its own: once its first screen is painted it runs at the
    server's group nice, whatever that is (here set to 3 for the test), instead of at 0 or at the lower
    priority it starts at (the next test)."""
    if Path("/proc/sys/kernel/sched_autogroup_enabled").read_text().strip() != "1":
        pytest.skip("no autogroups on this kernel")
    seen: dict[str, str] = {}

    async def scenario(demo: SSHDemo) -> None:
        client = await ScreenClient().connect(demo.port)
        await client.wait_for("How old are you?")
        (session,) = demo.registry.sessions.values()
        await until(lambda: autogroup_nice(session.app.pid) == 3)  # once the cards, rows and panel are painted
        seen["autogroup"] = Path(f"/proc/{session.app.pid}/autogroup").read_text()
        await client.close()
        await until(lambda: not demo.registry.sessions)

    def server() -> bool:
        run(served, host_key, ANONYMOUS, scenario)
        group, app_nice = seen["autogroup"].split()[0::2]
        return group != Path("/proc/self/autogroup").read_text().split()[0] and app_nice == "3"

    assert in_a_group_at_3(server)


def test_an_app_starts_below_the_servers_priority_until_its_first_screen() -> None:
    """follow_server_priority, in a forked "app" of a "server" whose group is at 3: the app's own group
    starts STARTING_NICER below (so a crowd's starts yield to the ratings of the people already in), and
    what it returns takes it to the server's level (called when the first screen is painted). A process
    still in the server's group changes nothing: that would change the server's priority too."""
    if Path("/proc/sys/kernel/sched_autogroup_enabled").read_text().strip() != "1":
        pytest.skip("no autogroups on this kernel")

    def server() -> bool:
        server_pid = os.getpid()
        follow_server_priority(server_pid)()  # in the server's own group: that group's nice is left alone
        if autogroup_nice() != 3:
            return False
        app = os.fork()
        if app == 0:
            try:
                os.setsid()  # a group of its own, at 0, as a forked app after its setsid
                at_server_priority = follow_server_priority(server_pid)
                starting = autogroup_nice()
                at_server_priority()
                os._exit(0 if (starting, autogroup_nice()) == (3 + STARTING_NICER, 3) else 1)
            finally:
                os._exit(2)
        return os.waitstatus_to_exitcode(os.waitpid(app, 0)[1]) == 0

    assert in_a_group_at_3(server)


def test_the_servers_helpers_keep_its_group_priority() -> None:
    """The zygote and the Milvus server are sessions (autogroups) of their own: keep_in_step gives their
    group the server's group nice, so a server run at a higher priority does not wait on them at a lower."""
    if Path("/proc/sys/kernel/sched_autogroup_enabled").read_text().strip() != "1":
        pytest.skip("no autogroups on this kernel")

    def server() -> bool:
        helper = subprocess.Popen(["sleep", "30"], start_new_session=True)
        try:
            set_autogroup_nice(7, helper.pid)
            apart = autogroup_nice(helper.pid) == 7 and autogroup_nice() == 3
            keep_in_step(helper.pid)
            return apart and autogroup_nice(helper.pid) == 3
        finally:
            helper.kill()
            helper.wait()

    assert in_a_group_at_3(server)


def test_no_output_trace_unless_asked(monkeypatch) -> None:
    monkeypatch.delenv("MOVIEREC_SERVE_TRACE", raising=False)
    assert SSHServeConfig(port=0, allow_anonymous=True).output_trace is None
    monkeypatch.setenv("MOVIEREC_SERVE_TRACE", "/tmp/x.jsonl")
    assert SSHServeConfig(port=0, allow_anonymous=True).output_trace == Path("/tmp/x.jsonl")


def test_everything_but_the_app_is_refused(served, host_key) -> None:
    async def scenario(demo: SSHDemo) -> None:
        async with asyncssh.connect("127.0.0.1", demo.port, username="root", known_hosts=None,
                                    agent_path=None) as conn:
            with pytest.raises(asyncssh.ChannelOpenError):
                await conn.run("id", check=False)
            with pytest.raises(asyncssh.ChannelOpenError):
                await conn.start_sftp_client()
            with pytest.raises(asyncssh.ChannelOpenError):
                await conn.open_connection("127.0.0.1", demo.port)
            with pytest.raises(asyncssh.ChannelListenError):
                await conn.forward_remote_port("127.0.0.1", 0, "127.0.0.1", demo.port)
            without_pty = await conn.run(check=False)  # a shell without a terminal: told how to connect
            assert "needs a terminal" in without_pty.stdout and without_pty.exit_status == 1
        assert not demo.registry.sessions

    run(served, host_key, ANONYMOUS, scenario)


def test_only_authorized_keys_get_in(served, host_key, tmp_path: Path) -> None:
    known, stranger = asyncssh.generate_private_key("ssh-ed25519"), asyncssh.generate_private_key("ssh-ed25519")
    authorized = tmp_path / "authorized_keys"
    authorized.write_bytes(known.export_public_key())
    config = SSHServeConfig(port=0, authorized_keys=authorized)

    async def scenario(demo: SSHDemo) -> None:
        with pytest.raises(asyncssh.PermissionDenied):
            await asyncssh.connect("127.0.0.1", demo.port, username="demo", known_hosts=None,
                                   client_keys=[stranger], agent_path=None)
        with pytest.raises(asyncssh.PermissionDenied):  # passwords are never accepted
            await asyncssh.connect("127.0.0.1", demo.port, username="demo", known_hosts=None, client_keys=None,
                                   agent_path=None, password="demo")
        client = await ScreenClient().connect(demo.port, client_keys=[known])
        await client.wait_for("How old are you?")
        (session,) = demo.registry.sessions.values()
        assert session.server.identity.startswith("key ")
        await client.close()

    run(served, host_key, config, scenario)


def test_each_key_gets_its_own_last_profile_back(served, host_key, tmp_path: Path) -> None:
    """Resuming over SSH: the profile a key used last reopens for that key, not for another one."""
    alice, bob = asyncssh.generate_private_key("ssh-ed25519"), asyncssh.generate_private_key("ssh-ed25519")
    authorized = tmp_path / "authorized_keys"
    authorized.write_bytes(alice.export_public_key() + bob.export_public_key())
    config = SSHServeConfig(port=0, authorized_keys=authorized)

    async def scenario(demo: SSHDemo) -> None:
        first = await ScreenClient().connect(demo.port, client_keys=[alice])
        await first.wait_for("How old are you?")
        first.send("loved alien\r")
        await first.wait_for("Ratings (1)")
        first.send("save mine\r")
        await first.wait_for("Saved as mine")
        await first.close()
        again, other = ScreenClient(), ScreenClient()
        await asyncio.gather(again.connect(demo.port, client_keys=[alice]), other.connect(demo.port, client_keys=[bob]))
        await again.wait_for(lambda text: "Welcome back" in text and "Ratings (1)" in text)
        await other.wait_for(lambda text: "How old are you?" in text and "Ratings (0)" in text)
        assert "Welcome back" not in other.text
        await asyncio.gather(again.close(), other.close())

    run(served, host_key, config, scenario)


def test_session_limits_refuse_politely(served, host_key) -> None:
    async def scenario(demo: SSHDemo) -> None:
        first = await ScreenClient().connect(demo.port)
        second = await ScreenClient().connect(demo.port)
        await second.wait_for("Sorry, the movierec demo is full right now (all 1 place are taken)")
        await asyncio.wait_for(second.closed.wait(), 10)
        assert len(demo.registry.sessions) == 1
        await first.close()

    run(served, host_key, SSHServeConfig(port=0, allow_anonymous=True, max_sessions=1), scenario)

    async def per_address(demo: SSHDemo) -> None:
        first = await ScreenClient().connect(demo.port)
        second = await ScreenClient().connect(demo.port)
        await second.wait_for("your address already has 1 movierec session open")
        await first.close()

    run(served, host_key, SSHServeConfig(port=0, allow_anonymous=True, max_per_ip=1), per_address)


def test_a_killed_client_or_an_idle_one_leaves_no_process(served, host_key) -> None:
    pids: list[int] = []

    async def scenario(demo: SSHDemo) -> None:
        client = await ScreenClient().connect(demo.port)
        await client.wait_for("How old are you?")
        (session,) = demo.registry.sessions.values()
        pids.append(session.app.pid)
        client.conn.abort()  # the connection drops without any goodbye
        await until(lambda: gone(pids[0]) and not demo.registry.sessions)

    async def idle_scenario(demo: SSHDemo) -> None:
        idle = await ScreenClient().connect(demo.port)  # never types: ended whether the app is up yet or not
        await until(lambda: any(s.app and s.app.pid for s in demo.registry.sessions.values()))
        (session,) = demo.registry.sessions.values()
        pids.append(session.app.pid)
        await idle.wait_for("You were idle for 3 seconds", timeout=20)
        await asyncio.wait_for(idle.closed.wait(), 10)
        await until(lambda: gone(pids[1]) and not demo.registry.sessions)

    run(served, host_key, ANONYMOUS, scenario)
    run(served, host_key, SSHServeConfig(port=0, allow_anonymous=True, idle_timeout=3, prefork=False), idle_scenario)
    assert len(pids) == 2 and all(gone(pid) for pid in pids)


def test_a_frozen_sessions_app_keeps_the_rating_when_the_person_leaves(served, host_key) -> None:
    """The frozen sessions the fuzzer found, served: the app's main thread stuck inside one turn of its
    event loop (here the test hook's, at the rating), so its SIGHUP handler never runs. The person
    leaves 3 s later; the app's stall watch sees the hang-up, keeps the rating in the journal and
    ends the app before the server's kill, 3 s after the hang-up, would have lost it."""
    journal = ProfileJournal(served.settings.journal_dir)
    before = {entry.key for entry in journal.entries()}
    ended: list[float] = []

    async def scenario(demo: SSHDemo) -> None:
        client = await ScreenClient().connect(demo.port)
        await client.wait_for("How old are you?")
        (session,) = demo.registry.sessions.values()
        pid = session.app.pid
        client.send("loved alien\r")
        await asyncio.sleep(3)  # stuck by now: the rating is taken at once
        left = time.monotonic()
        await client.close()
        await until(lambda: gone(pid) and not demo.registry.sessions, timeout=10)
        ended.append(time.monotonic() - left)

    run(served, host_key, ANONYMOUS, scenario, env={ENV_FAULT_AT: "profile-change"})
    kept = {e.key: Profile.from_json(e.profile_json) for e in journal.entries() if e.key not in before}
    assert [len(profile.ratings) for key, profile in kept.items() if ":unsaved-" in key] == [1]
    assert ended[0] < 3, ended  # before the server's kill
    log = (served.settings.home / "movierec.log").read_text()
    assert "event loop has not turned for 2 (the terminal hung up) s" in log


@pytest.mark.parametrize("prefork", [True, False], ids=["forked", "own-interpreter"])
def test_apps_start_one_at_a_time_each_when_the_one_before_has_painted(served, host_key, prefork) -> None:
    """With one start at a time, the second of two people connecting together waits for the first's
    screen, and gets in as soon as that app says it is painted (the gate's time limit is a minute,
    longer than this test may take: only the app's signal through the zygote or a new interpreter
    can let the second in)."""
    firsts: list[float] = []

    async def scenario(demo: SSHDemo) -> None:
        demo.starts = StartGate(1, max_hold=60)
        clients = [ScreenClient(), ScreenClient()]
        await asyncio.gather(*(c.connect(demo.port) for c in clients))

        async def first_screen(client: ScreenClient) -> None:
            await client.wait_for(lambda text: len(card_titles(text)) >= 5 and "How old are you?" in text)
            firsts.append(time.monotonic())

        await asyncio.wait_for(asyncio.gather(*(first_screen(c) for c in clients)), 50)
        await until(lambda: demo.starts.starting == 0)  # the second's rows too are painted: its slot is back
        assert demo.starts.admitted == 2 and demo.starts.waited == 1
        await asyncio.gather(*(c.close() for c in clients))

    run(served, host_key, SSHServeConfig(port=0, allow_anonymous=True, prefork=prefork), scenario)
    assert len(firsts) == 2


def test_a_person_who_leaves_while_waiting_to_start_gets_no_app(served, host_key) -> None:
    left: list = []

    async def scenario(demo: SSHDemo) -> None:
        demo.starts = StartGate(1, max_hold=60)
        first = await ScreenClient().connect(demo.port)
        sessions = demo.registry.sessions.values()
        await until(lambda: any(s.app is not None and s.app.process for s in sessions))  # forked, holding the slot
        second = await ScreenClient().connect(demo.port)
        await until(lambda: demo.starts.queued == 1)
        left.extend(s for s in sessions if s.app is not None and s.app.process is None)
        await second.close()
        await first.wait_for(lambda text: len(card_titles(text)) >= 5)
        await until(lambda: len(demo.registry.sessions) == 1 and demo.starts.starting == 0)
        await first.close()

    run(served, host_key, ANONYMOUS, scenario)
    assert len(left) == 1 and left[0].app.process is None  # its turn came after it left: nothing was started


def test_stopping_the_server_ends_the_sessions_still_waiting_to_start(served, host_key) -> None:
    clients: list[ScreenClient] = []

    async def scenario(demo: SSHDemo) -> None:
        demo.starts = StartGate(1, max_hold=60)
        clients.extend([await ScreenClient().connect(demo.port) for _ in range(3)])
        sessions = demo.registry.sessions.values()
        await until(lambda: demo.starts.queued == 2 and any(s.app is not None and s.app.process for s in sessions))
        waiting.extend(s for s in sessions if s.app is not None and s.app.process is None)
        await demo.close()
        await asyncio.gather(*(asyncio.wait_for(c.closed.wait(), 10) for c in clients))

    waiting: list = []
    demo = run(served, host_key, ANONYMOUS, scenario)
    assert all("shutting down" in c.text for c in clients)
    assert len(waiting) == 2 and all(s.app.process is None for s in waiting)  # none started only to be stopped
    assert not demo.registry.sessions


def test_stopping_the_server_ends_every_session(served, host_key) -> None:
    pids: list[int] = []
    clients: list[ScreenClient] = []

    async def scenario(demo: SSHDemo) -> None:
        clients.extend([await ScreenClient().connect(demo.port) for _ in range(2)])
        await asyncio.gather(*(c.wait_for("How old are you?") for c in clients))
        pids.extend(s.app.pid for s in demo.registry.sessions.values())
        await demo.close()
        await asyncio.gather(*(asyncio.wait_for(c.closed.wait(), 10) for c in clients))

    run(served, host_key, ANONYMOUS, scenario)
    assert len(pids) == 2 and all(gone(pid) for pid in pids)
    assert all("shutting down" in c.text for c in clients)


def test_the_host_key_is_private_and_kept(tmp_path: Path) -> None:
    path = tmp_path / "ssh" / "host_ed25519"
    key = load_or_create_host_key(path)
    assert path.stat().st_mode & 0o777 == 0o600 and path.parent.stat().st_mode & 0o077 == 0
    assert load_or_create_host_key(path).get_fingerprint() == key.get_fingerprint()  # the same key after a restart
    path.write_text("not a key")
    with pytest.raises(ValueError, match="not a usable SSH host key"):
        load_or_create_host_key(path)


def test_serve_ssh_refuses_to_start_without_an_auth_choice(tmp_path: Path) -> None:
    for neither_or_both in ({}, {"allow_anonymous": True, "authorized_keys": tmp_path}):
        with pytest.raises(ValueError, match="exactly one of --authorized-keys FILE and --allow-anonymous"):
            SSHServeConfig(port=0, **neither_or_both)


def test_serve_cli_needs_an_auth_choice_and_a_set_up_home(tmp_path: Path, redis_server) -> None:
    from typer.testing import CliRunner

    from movierec_tui.cli import app

    runner = CliRunner()
    neither = runner.invoke(app, ["serve", "ssh", "--home", str(tmp_path)])
    assert neither.exit_code == 2 and "exactly one of --authorized-keys FILE and --allow-anonymous" in neither.output
    empty = runner.invoke(
        app, ["serve", "ssh", "--allow-anonymous", "--home", str(tmp_path / "empty"), "--redis-url", redis_server.url]
    )
    assert empty.exit_code == 4 and "run `movierec-tui setup` first" in empty.output
    assert "Traceback" not in empty.output


def test_serve_web_serves_the_page_on_loopback(served, tmp_path: Path) -> None:
    """`serve web` as a real process, behind the already-running Milvus server (the URI setting)."""
    import signal
    import subprocess
    import sys
    import urllib.request

    from movierec_tui.serve.shared import free_port

    port = free_port()
    env = dict(os.environ, MOVIEREC_MILVUS_URI=served.settings.milvus_uri, MOVIEREC_REDIS_URL=served.settings.redis_url)
    server = subprocess.Popen(
        [sys.executable, "-m", "movierec_tui", "serve", "web", "--port", str(port),
         "--home", str(served.settings.home)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
                    page = response.read().decode()
                break
            except OSError:
                assert server.poll() is None, server.stdout.read()
                assert time.monotonic() < deadline, "serve web did not answer"
                time.sleep(0.3)
        assert "movierec" in page and f"ws://127.0.0.1:{port}/ws" in page
    finally:
        server.send_signal(signal.SIGINT)
        output, _ = server.communicate(timeout=30)
    assert f"serving movierec at http://127.0.0.1:{port}" in output


def test_a_killed_server_takes_its_apps_and_milvus_server_with_it(tmp_path_factory, ready, synthetic) -> None:
    """SIGKILL leaves the server no chance to clean up: the kernel ends what it started (PDEATHSIG).
    The server starts with SIGHUP ignored, as under `nohup`: the apps must still die."""
    import signal
    import sys

    settings = home_of_its_own(tmp_path_factory, ready, synthetic)
    server = subprocess.Popen(  # port 0: the server binds a free port itself, so no other process can take it first
        [sys.executable, "-m", "movierec_tui", "serve", "ssh", "--allow-anonymous", "--port", "0",
         "--home", str(settings.home), "--redis-url", settings.redis_url],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        preexec_fn=lambda: signal.signal(signal.SIGHUP, signal.SIG_IGN),
    )
    try:
        port = listening_port(server)

        async def scenario() -> list[str]:
            client = await ScreenClient().connect(port)
            await client.wait_for("How old are you?")
            started = descendants(server.pid)
            commands = [command_line(pid) for pid in started]
            server.kill()
            await until(lambda: all(gone(pid) for pid in started), timeout=20)
            await asyncio.wait_for(client.closed.wait(), 20)
            return commands

        started = asyncio.run(scenario())
        # Four: the Python process serving Milvus Lite (serve/child.py milvus-lite) and milvus-lite's
        # `milvus` program it started, the zygote and the app it forked. The program has no
        # PDEATHSIG of its own: it ends when its parent's lock on the data file is released, which
        # the kernel does when that parent dies; `until` above waits for all four to be gone.
        assert len(started) == 4 and sum("milvus_lite/lib/milvus " in c for c in started) == 1, started
    finally:
        server.kill()
        server.wait()
