"""The stores every served session shares: one Milvus and one Redis for the whole server.

Milvus Lite lets one process open a data file, and each session is its own process, so when the
settings point at Milvus Lite, `serve` runs Milvus Lite's server on the data file, bound to
loopback, and hands its URI to the sessions. The embedded Redis is started (or joined) here and kept up for
as long as the server runs. Settings that name a Milvus server or a Redis URL are passed through.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from movierec_tui.config import ENV_HOME, ENV_MILVUS_TOKEN, ENV_MILVUS_URI, ENV_REDIS_URL, Settings
from movierec_tui.serve.child import ENV_SERVER_PID
from movierec_tui.serve.lifeline import keep_in_step

log = logging.getLogger(__name__)

MILVUS_START_TIMEOUT = 60.0


class ServeError(Exception):
    """The server cannot start; the message says what is missing and what to do."""

    def __init__(self, message: str, exit_code: int = 3) -> None:
        super().__init__(message)
        self.exit_code = exit_code  # the CLI's codes: 3 a service is unavailable, 4 not set up yet


@dataclass(frozen=True)
class SharedStores:
    """What a session process needs to reach the shared stores."""

    settings: Settings  # with milvus_uri and redis_url pointing at the shared servers

    def session_env(self) -> dict[str, str]:
        env = {ENV_HOME: str(self.settings.home), ENV_MILVUS_URI: self.settings.milvus_uri}
        env[ENV_REDIS_URL] = self.settings.redis_url
        if self.settings.milvus_token:
            env[ENV_MILVUS_TOKEN] = self.settings.milvus_token
        return env


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def milvus_lite_command() -> list[str]:
    """Milvus Lite's server run through `serve.child`, so that it dies with the server (and frees the data file)."""
    return [sys.executable, "-m", "movierec_tui.serve.child", "milvus-lite"]


def _wait_for_milvus(uri: str, process: subprocess.Popen, log_path: Path) -> None:
    from movierec_tui.stores.milvus_store import MilvusStore, MilvusUnavailable

    deadline = time.monotonic() + MILVUS_START_TIMEOUT
    while True:
        if process.poll() is not None:
            tail = log_path.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-1:] or ["no output"]
            if "in use by another" in tail[0]:
                raise ServeError(
                    "the Milvus Lite data file is in use by another movierec-tui process; close it, "
                    "or point MOVIEREC_MILVUS_URI at a Milvus server"
                )
            raise ServeError(f"Milvus Lite's server exited at start ({tail[0]}); see {log_path}")
        try:
            MilvusStore(uri).close()
            return
        except MilvusUnavailable:
            if time.monotonic() > deadline:
                waited = f"{MILVUS_START_TIMEOUT:.0f} s"
                raise ServeError(f"Milvus Lite's server did not answer at {uri} within {waited}") from None
            time.sleep(0.2)


@contextmanager
def shared_stores(settings: Settings) -> Iterator[SharedStores]:
    """Start what needs starting, check that setup was done, and stop it all on the way out."""
    from movierec_tui.status import collect_status
    from movierec_tui.stores.backends import open_backends
    from movierec_tui.stores.redis_server import open_redis

    redis_connection = open_redis(settings.redis_url, settings.redis_dir)
    milvus_server: subprocess.Popen | None = None
    try:
        shared = replace(settings, redis_url=redis_connection.url)
        if settings.uses_milvus_lite:
            port = free_port()
            uri = f"http://127.0.0.1:{port}"
            log_path = settings.home / "milvus-server.log"
            with log_path.open("ab") as server_log:
                milvus_server = subprocess.Popen(
                    [*milvus_lite_command(), settings.effective_milvus_uri, f"127.0.0.1:{port}"],
                    stdin=subprocess.DEVNULL, stdout=server_log, stderr=server_log, start_new_session=True,
                    env=os.environ | {ENV_SERVER_PID: str(os.getpid())},
                )
            keep_in_step(milvus_server.pid)
            _wait_for_milvus(uri, milvus_server, log_path)
            log.info("Milvus Lite server for %s at %s (pid %d)", settings.effective_milvus_uri, uri, milvus_server.pid)
            shared = replace(shared, milvus_uri=uri)
        with open_backends(shared) as backends:
            if not collect_status(shared, backends).ready:
                raise ServeError("setup has not been done for this home; run `movierec-tui setup` first", 4)
        yield SharedStores(shared)
    finally:
        if milvus_server is not None:
            milvus_server.terminate()
            try:
                milvus_server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                milvus_server.kill()
                milvus_server.wait()
        redis_connection.close()


def session_base_env(stores: SharedStores) -> dict[str, str]:
    """The environment of a session process: the stores and nothing else of the server's own."""
    from movierec_tui.logs import QUIET_ENVIRONMENT

    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", str(stores.settings.home)),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        # A forked app's environment is this one, not the zygote's: without these, gRPC's C core (which
        # starts in the app, with its first channel) printed GOAWAY lines over the session's screen.
        **QUIET_ENVIRONMENT,
    }
    return env | stores.session_env()
