"""The command under faults: SIGKILL inside every setup step, a full disk, an unusable home dir, a
Milvus that is locked or unreachable.

Everything runs through the real command (`python -m movierec_tui` in a subprocess) against the
session's Redis (its own database), a Milvus Lite dir of its own and the synthetic dataset, served
as a zip by a local HTTP server. The kill points come from the test hook MOVIEREC_FAULT_AT (see
movierec_tui/faults.py and docs/reliability.md): the process SIGKILLs itself inside the chosen step.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import threading
import zipfile
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import redis
from synthetic import write_synthetic

import movierec_tui
from movierec_tui.faults import POINTS

SOURCE_ROOT = Path(movierec_tui.__file__).resolve().parent.parent  # run the code under test, not an install
TRAIN_FLAGS = ("--epochs", "2", "--batch-size", "64")
REDIS_DB = 5


def zip_dataset(folder: Path, archive: Path) -> str:
    """The synthetic files as an ml-1m.zip (stored, not deflated, so the download takes several
    chunks); returns its SHA-256."""
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as zf:
        for name in ("movies", "users", "ratings"):
            zf.write(folder / f"{name}.dat", f"ml-1m/{name}.dat")
    return hashlib.sha256(archive.read_bytes()).hexdigest()


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def mirror(tmp_path_factory):
    """Two different synthetic datasets (A, then B) as zips on a local HTTP server: url -> sha256."""
    root = tmp_path_factory.mktemp("mirror")
    served = root / "www"
    served.mkdir()
    hashes = {}
    for name, seed in (("a", 0), ("b", 1)):
        data = write_synthetic(root / name, seed=seed)
        hashes[name] = zip_dataset(data.path, served / f"{name}.zip")
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(QuietHandler, directory=str(served)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    yield {f"{base}/{name}.zip": sha for name, sha in hashes.items()}
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture()
def redis_url(redis_server):
    url = redis_server.url.rsplit("/", 1)[0] + f"/{REDIS_DB}"
    client = redis.Redis.from_url(url)
    client.flushdb()
    yield url
    client.flushdb()
    client.close()


def movierec(home: Path, *args: str, redis_url: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    full_env = dict(
        os.environ,
        MOVIEREC_HOME=str(home),
        MOVIEREC_REDIS_URL=redis_url,
        PYTHONPATH=str(SOURCE_ROOT),
        PYTHONUNBUFFERED="1",
        COLUMNS="200",
        **(env or {}),
    )
    for name in ("MOVIEREC_MILVUS_URI", "MOVIEREC_FAULT_AT", "MOVIEREC_DATASET_URL", "MOVIEREC_DATASET_SHA256"):
        if name not in (env or {}):
            full_env.pop(name, None)
    return subprocess.run(
        [sys.executable, "-m", "movierec_tui", *args], env=full_env, capture_output=True, text=True, timeout=300
    )


def recommend(home: Path, redis_url: str) -> dict:
    """`recommend --json` must work; returns its output."""
    result = movierec(home, "recommend", "--rate", "Toy Story=5", "-k", "5", "--json", redis_url=redis_url)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert len(data["results"]) == 5
    return data


def test_setup_killed_in_every_step_keeps_the_previous_state_and_resumes(tmp_path, mirror, redis_url) -> None:
    """Set up from dataset A; then set up from dataset B and SIGKILL the run inside each step in turn.
    After every kill the previous model, index and cards still answer `recommend`, and each rerun
    skips the steps already done; the last run only indexes, and then B's model answers."""
    home = tmp_path / "home"
    (url_a, sha_a), (url_b, sha_b) = mirror.items()
    source_a = {"MOVIEREC_DATASET_URL": url_a, "MOVIEREC_DATASET_SHA256": sha_a}
    source_b = {"MOVIEREC_DATASET_URL": url_b, "MOVIEREC_DATASET_SHA256": sha_b}

    first = movierec(home, "setup", *TRAIN_FLAGS, redis_url=redis_url, env=source_a)
    assert first.returncode == 0, first.stderr
    # A successful setup logs no errors (pymilvus and Milvus Lite used to log four ERROR tracebacks).
    logged = (home / "movierec.log").read_text(encoding="utf-8")
    assert " ERROR " not in logged and "Traceback" not in logged, logged
    version_a = recommend(home, redis_url)["model_version"]
    archive = home / "data" / "ml-1m.zip"

    expected_skips = {
        "download": [],
        "parse": [],  # the partial download is fetched again (this server ignores Range) and verified
        "cards": ["download"],
        "train": ["download"],  # cards were written but not yet marked done: written again
        "export": ["download", "cards"],
        "index": ["download", "cards"],  # trains again (the export was killed), stages the model, dies indexing
    }
    for point in POINTS:
        fault = {**source_b, "MOVIEREC_FAULT_AT": point}
        killed = movierec(home, "setup", *TRAIN_FLAGS, redis_url=redis_url, env=fault)
        assert killed.returncode == -9, (point, killed.returncode, killed.stderr)
        skipped = re.findall(r"(\w+):? already done", killed.stdout)  # a progress line: "12:00:01 cards: already done"
        assert skipped == expected_skips[point], (point, killed.stdout)
        if point == "download":
            assert (home / "data" / "ml-1m.part").stat().st_size > 0
            assert hashlib.sha256(archive.read_bytes()).hexdigest() == sha_a  # the old archive is untouched
        assert recommend(home, redis_url)["model_version"] == version_a, f"killed in {point}"
        assert (home / "model.next").exists() == (point == "index")

    resumed = movierec(home, "setup", *TRAIN_FLAGS, redis_url=redis_url, env=source_b)
    assert resumed.returncode == 0, resumed.stderr
    assert "already done: cards, train" in resumed.stdout
    assert "index: already done" not in resumed.stdout
    after = recommend(home, redis_url)
    assert after["model_version"] != version_a
    assert not (home / "model.next").exists()
    status = json.loads(movierec(home, "status", "--json", redis_url=redis_url).stdout)
    assert status["ready"] is True and status["vectors"] == status["cards"] == 160

    # --force redoes every step; killed while indexing, B's model and index still answer.
    forced = movierec(
        home, "setup", "--force", *TRAIN_FLAGS, redis_url=redis_url, env={**source_b, "MOVIEREC_FAULT_AT": "index"}
    )
    assert forced.returncode == -9
    assert recommend(home, redis_url)["model_version"] == after["model_version"]


def test_a_full_disk_during_the_download_is_one_line_naming_the_file(tmp_path, mirror, redis_url) -> None:
    """A real ENOSPC: the partial download file is a link to /dev/full, where every write fails."""
    (url, sha), *_ = mirror.items()
    home = tmp_path / "home"
    (home / "data").mkdir(parents=True)
    partial_file = home / "data" / "ml-1m.part"
    partial_file.symlink_to("/dev/full")
    env = {"MOVIEREC_DATASET_URL": url, "MOVIEREC_DATASET_SHA256": sha}
    result = movierec(home, "setup", *TRAIN_FLAGS, redis_url=redis_url, env=env)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip() == f"error: cannot write or read {partial_file}: No space left on device"
    assert not (home / "data" / "ml-1m.zip").exists()


def test_a_home_dir_that_cannot_be_made_is_one_line_naming_it(tmp_path, redis_url) -> None:
    """Tests run as root, which chmod cannot stop; a home dir under a regular file fails for root too."""
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    for command in (["setup"], ["status"], ["recommend", "--rate", "Alien=5"]):
        result = movierec(blocker / "home", *command, redis_url=redis_url)
        assert result.returncode == 2, (command, result.stderr)
        assert result.stderr.strip() == f"error: cannot write or read {blocker / 'home'}: Not a directory"


def test_an_unreachable_milvus_server_at_startup_is_exit_3_and_one_line(tmp_path, redis_url) -> None:
    """The app command (no subcommand); `setup` and `recommend` open the stores the same way."""
    result = movierec(tmp_path / "home", "--milvus-uri", "http://127.0.0.1:9", redis_url=redis_url)
    assert result.returncode == 3, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: Milvus at http://127.0.0.1:9 is not reachable ("), lines
    assert "MOVIEREC_MILVUS_URI" in lines[0]


def test_a_milvus_lite_file_locked_by_another_process_is_exit_3_naming_the_cause(tmp_path, redis_url) -> None:
    home = tmp_path / "home"
    home.mkdir()
    hold = "from movierec_tui.stores.milvus_store import MilvusStore; import time; "
    hold += f"MilvusStore({str(home / 'milvus-lite.db')!r}); print('ready', flush=True); time.sleep(60)"
    holder = subprocess.Popen([sys.executable, "-c", hold], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        result = movierec(home, redis_url=redis_url)  # the app command
        assert result.returncode == 3, result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "in use by another movierec-tui process" in lines[0], lines
        assert "movierec-tui serve" in lines[0] and "MOVIEREC_MILVUS_URI" in lines[0]
    finally:
        holder.kill()
        holder.wait()


def test_a_home_indexed_by_milvus_lite_3_says_to_index_and_setup_replaces_it(tmp_path, redis_url, synthetic) -> None:
    """A home set up before milvus-lite 2.5: its index is a directory of Milvus Lite 3 (`milvus.db/`),
    which this version does not read. `recommend` says in one line to run `index`, `status` says the
    same, and `setup` indexes again (its other steps done) and removes the old directory."""
    home = tmp_path / "home"
    first = movierec(home, "setup", "--from", str(synthetic.path), *TRAIN_FLAGS, redis_url=redis_url)
    assert first.returncode == 0, first.stderr
    # The home as the previous version left it: the same model and cards, the index in Milvus Lite 3's layout.
    (home / "milvus-lite.db").unlink()
    old = home / "milvus.db"
    (old / "collections" / "movies_0a1b2c3d_1796000000").mkdir(parents=True)
    (old / "aliases.json").write_text('{"default": {"movies": "movies_0a1b2c3d_1796000000"}}')

    result = movierec(home, "recommend", "--rate", "Toy Story=5", redis_url=redis_url)
    assert result.returncode == 3, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(old) in lines[0] and "run `movierec-tui index`" in lines[0], lines
    status = json.loads(movierec(home, "status", "--json", redis_url=redis_url).stdout)
    said = [p for p in status["problems"] if str(old) in p and "run `movierec-tui index`" in p]
    assert status["ready"] is False and said, status

    again = movierec(home, "setup", "--from", str(synthetic.path), *TRAIN_FLAGS, redis_url=redis_url)
    assert again.returncode == 0, again.stderr
    assert "already done: download, parse, cards, train" in again.stdout or "cards, train" in again.stdout, again.stdout
    assert not old.exists() and (home / "milvus-lite.db").is_file()
    recommend(home, redis_url)


def test_the_app_without_a_terminal_says_so_and_points_to_recommend(isolated_env, tmp_path: Path) -> None:
    """`movierec-tui < /dev/null > out.txt` used to spin at 100% CPU forever, drawing nowhere."""
    out = tmp_path / "out.txt"
    with out.open("w") as stdout:
        run = subprocess.run(
            [sys.executable, "-m", "movierec_tui"], stdin=subprocess.DEVNULL, stdout=stdout, stderr=subprocess.PIPE,
            text=True, cwd=SOURCE_ROOT, env=os.environ | {"PYTHONPATH": str(SOURCE_ROOT)}, timeout=60,
        )
    assert run.returncode == 2
    assert "needs a terminal" in run.stderr and "movierec-tui recommend" in run.stderr
    assert "Traceback" not in run.stderr + out.read_text()
