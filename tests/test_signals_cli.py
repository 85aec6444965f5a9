"""A command ended by SIGTERM or SIGHUP closes its stores on the way out: the embedded Valkey it keeps
is stopped (saving) and its record removed, it exits with one line and 128 + the signal, and the home
works afterwards. Before, the default action ended the process on the spot and its Valkey ran on.

Real processes: `python -m movierec_tui` on a tiny synthetic home with its own embedded Valkey and
Milvus Lite (no MOVIEREC_REDIS_URL: the command must be the Valkey's keeper)."""

from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from synthetic import write_synthetic
from test_redis_keeper import valkey_pids, wait_until

import movierec_tui
from movierec_tui.stores.redis_server import OWNER_LOCK, RECORD

SOURCE_ROOT = Path(movierec_tui.__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(bool(os.environ.get("MOVIEREC_TEST_REDIS_URL")), reason="embedded Valkey only")


def command_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOVIEREC_")}
    return env | {"MOVIEREC_HOME": str(home), "PYTHONPATH": str(SOURCE_ROOT), "PYTHONUNBUFFERED": "1",
                  "GLOG_minloglevel": "2"}  # fmt: skip


def start(home: Path, *args: str, stdin: int | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "movierec_tui", *args], env=command_env(home), cwd=SOURCE_ROOT, text=True,
        stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip


def run(home: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "movierec_tui", *args], env=command_env(home), cwd=SOURCE_ROOT, text=True,
        capture_output=True, timeout=300,
    )  # fmt: skip


def read_until(process: subprocess.Popen, text: str) -> str:
    """stdout's lines up to the first holding `text` (the command's progress lines)."""
    assert process.stdout is not None
    seen = []
    for line in process.stdout:
        seen.append(line)
        if text in line:
            return "".join(seen)
    raise AssertionError(f"{text!r} never came; stdout:\n{''.join(seen)}\nstderr:\n{process.stderr.read()}")


def lock_is_free(data_dir: Path) -> bool:
    descriptor = os.open(data_dir / OWNER_LOCK, os.O_RDWR)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False
    finally:
        os.close(descriptor)


def assert_stopped_cleanly(process: subprocess.Popen, signum: int, data_dir: Path) -> None:
    _, stderr = process.communicate(timeout=60)
    name = signal.Signals(signum).name
    assert process.returncode == 128 + signum, (process.returncode, stderr)
    assert stderr.strip().splitlines()[-1] == f"error: stopped by {name}", stderr
    assert "Traceback" not in stderr, stderr
    assert valkey_pids(data_dir) == []  # its server stopped with it...
    assert not (data_dir / RECORD).exists()  # ...so its record went too
    assert lock_is_free(data_dir)


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory):
    """A home set up on the synthetic dataset, with its own embedded Valkey (stopped)."""
    root = tmp_path_factory.mktemp("signals")
    data = write_synthetic(root / "data")
    result = run(root / "home", "setup", "--from", str(data.path), "--epochs", "2", "--batch-size", "64")
    assert result.returncode == 0, result.stderr
    assert valkey_pids(root / "home" / "redis") == []
    yield root / "home"
    for pid in valkey_pids(root / "home" / "redis"):  # left by a test that failed
        os.kill(pid, signal.SIGKILL)


def test_sigterm_in_setup_stops_its_valkey_and_leaves_the_home_working(home: Path, tmp_path: Path) -> None:
    """Stopped while training a new model: the installed model, its index and the cards still answer,
    as after a SIGKILL (tests/test_faults_cli.py), but the store is closed, not left running."""
    data = write_synthetic(tmp_path / "data", seed=1)  # other data: every step to do again
    process = start(home, "setup", "--from", str(data.path), "--epochs", "500", "--batch-size", "64")
    read_until(process, "train: started")
    wait_until(lambda: len(valkey_pids(home / "redis")) == 1)
    time.sleep(0.5)  # inside an epoch
    process.send_signal(signal.SIGTERM)
    assert_stopped_cleanly(process, signal.SIGTERM, home / "redis")
    answer = run(home, "recommend", "--rate", "Toy Story=5", "-k", "3", "--json")
    assert answer.returncode == 0, answer.stderr
    assert len(json.loads(answer.stdout)["results"]) == 3


def test_sighup_in_a_batch_recommend_stops_its_valkey(home: Path) -> None:
    """A logout under `recommend --batch -` waiting for its next profile."""
    process = start(home, "recommend", "--batch", "-", "-k", "2", stdin=subprocess.PIPE)
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write(json.dumps({"ratings": {"Toy Story": 5}}) + "\n")
    process.stdin.flush()
    assert len(json.loads(process.stdout.readline())["results"]) == 2  # the stores are open, it waits
    assert len(valkey_pids(home / "redis")) == 1
    process.send_signal(signal.SIGHUP)
    assert_stopped_cleanly(process, signal.SIGHUP, home / "redis")
