"""`kill -9` during training, then setup again: training continues after the last finished epoch.

A real `movierec-tui setup` subprocess on the synthetic dataset is killed with SIGKILL as soon as
its first epoch checkpoint is on disk (the kill can land anywhere in the next epoch); the rerun
must start from the checkpoint's epoch, finish, install the model and remove the checkpoint.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import paddle
import redis

import movierec_tui
from movierec_tui.model.train import CHECKPOINT_FILE

SOURCE_ROOT = Path(movierec_tui.__file__).resolve().parent.parent
EPOCHS = 40
REDIS_DB = 7


def test_setup_killed_while_training_continues_from_the_last_finished_epoch(tmp_path, synthetic, redis_server) -> None:
    home = tmp_path / "home"
    url = redis_server.url.rsplit("/", 1)[0] + f"/{REDIS_DB}"
    redis.Redis.from_url(url).flushdb()
    env = dict(os.environ, MOVIEREC_HOME=str(home), MOVIEREC_REDIS_URL=url, PYTHONPATH=str(SOURCE_ROOT),
               MOVIEREC_TRAIN_THREADS="1")  # fmt: skip
    for name in ("MOVIEREC_MILVUS_URI", "MOVIEREC_FAULT_AT"):
        env.pop(name, None)
    command = [sys.executable, "-m", "movierec_tui", "setup", "--from", str(synthetic.path),
               "--epochs", str(EPOCHS), "--batch-size", "64"]  # fmt: skip
    checkpoint = home / "training" / CHECKPOINT_FILE
    first = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 600
        while not checkpoint.exists() and first.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert checkpoint.exists(), "no checkpoint was written"
        os.kill(first.pid, signal.SIGKILL)
    finally:
        first.kill()
        first.wait()
    done = int(paddle.load(str(checkpoint))["epochs_done"])  # a whole checkpoint, whenever the kill came
    assert 1 <= done < EPOCHS
    assert not (home / "model" / "model.json").exists()

    second = subprocess.run(command, env=env, capture_output=True, text=True, timeout=1200)
    assert second.returncode == 0, second.stderr
    log = (home / "movierec.log").read_text(encoding="utf-8")
    assert f"training continues after epoch {done} of {EPOCHS}" in log
    assert (home / "model" / "model.json").exists() and not checkpoint.parent.exists()
    redis.Redis.from_url(url).flushdb()
