"""Milvus Lite's server program (milvus-lite 2.5), as the store and `serve` start it: it never outlives
the process that started it, its output never reaches the terminal, and data it cannot use is one
line saying what to do."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from milvus_backends import lite_server_process
from processes import children

from movierec_tui.stores.errors import MilvusUnavailable
from movierec_tui.stores.milvus_store import MilvusStore


def running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_for(condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL])
def test_the_program_ends_with_the_process_that_started_it(tmp_path, how) -> None:
    """`serve` starts the server through a Python process that holds the data file's lock; ended
    politely (SIGTERM) or not (SIGKILL), the program goes too, and the file can be opened again."""
    from movierec_tui.serve.shared import free_port

    port = free_port()
    holder = lite_server_process(tmp_path / "m.db", port)
    try:
        wait_for(lambda: bool(children(holder.pid)) and _answers(port))
        ((program, command),) = children(holder.pid)
        assert "milvus_lite/lib/milvus" in command
        holder.send_signal(how)
        holder.wait(timeout=30)
        wait_for(lambda: not running(program), timeout=10)
    finally:
        holder.kill()
        holder.wait()
    store = MilvusStore(str(tmp_path / "m.db"))  # the lock is free again
    store.close()


def _answers(port: int) -> bool:
    import socket

    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


def test_milvus_lite_3_data_is_one_line_saying_what_to_do(tmp_path) -> None:
    """milvus-lite 3 kept its data in a directory named like the file milvus-lite 2.5 uses."""
    old = tmp_path / "milvus.db"
    (old / "collections").mkdir(parents=True)
    with pytest.raises(MilvusUnavailable) as error:
        MilvusStore(str(old))
    message = str(error.value)
    assert "\n" not in message and "Milvus Lite 3" in message and "`movierec-tui index`" in message, message


def test_the_programs_output_goes_to_a_log_beside_the_data_not_to_the_terminal(tmp_path) -> None:
    """The program logs at ERROR what the store expects and handles (a search of a collection that
    has gone); on the app's stderr that would be drawn over the screen."""
    data = tmp_path / "m.db"
    script = (
        "import numpy as np, sys\n"
        "from pathlib import Path\n"
        "from movierec_tui import logs\n"
        "from movierec_tui.stores.milvus_store import MilvusStore\n"
        f"logs.log_to_file(Path({str(tmp_path / 'app.log')!r}))  # as every command does\n"
        f"store = MilvusStore({str(data)!r})\n"
        "v = np.eye(4, 8, dtype=np.float32)\n"
        "name = store.write_collection('a', np.arange(1, 5), v, [('Drama',)] * 4, [1990] * 4, [0] * 4)\n"
        "store.client.drop_collection(name)  # gone behind the store's back, as after an index run elsewhere\n"
        "try:\n"
        "    store.search(v[0], 2)\n"
        "except Exception as exc:\n"
        "    print(type(exc).__name__, flush=True)\n"
        "store.close()\n"
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "MilvusUnavailable"
    assert run.stderr == ""
    assert "Can not find" in (tmp_path / "m.log").read_text()


def test_a_store_per_client_in_one_process_closes_on_its_own(tmp_path) -> None:
    """pymilvus shares one connection between clients of a URI and closing one closes it for all;
    each store has its own, and the server runs until the last store of its file closes."""
    data = str(tmp_path / "m.db")
    first, second = MilvusStore(data), MilvusStore(data)
    vectors = np.eye(4, 8, dtype=np.float32)
    first.write_collection("a", np.arange(1, 5), vectors, [("Drama",)] * 4, [1990] * 4, [0] * 4)
    first.close()
    assert second.search(vectors[1], 1)[0][0] == 2
    second.close()
    with pytest.raises(MilvusUnavailable):
        second.count()  # its connection is closed: a one-line error, not a library exception
