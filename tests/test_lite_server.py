"""Milvus Lite's server program (milvus-lite 2.5), as the store and `serve` start it: it never outlives
the process that started it, its output never reaches the terminal, and data it cannot use is one
line saying what to do."""

from __future__ import annotations

import os
import platform
import re
import shutil
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


def test_the_holder_ends_when_the_program_does(tmp_path) -> None:
    """The holder waits for SIGTERM and for the program's end alike: a program that dies takes the
    holder with it, with an exit code saying so, for `serve` to see."""
    from movierec_tui.serve.shared import free_port

    port = free_port()
    holder = lite_server_process(tmp_path / "m.db", port)
    try:
        wait_for(lambda: bool(children(holder.pid)) and _answers(port))
        ((program, _),) = children(holder.pid)
        os.kill(program, signal.SIGKILL)
        assert holder.wait(timeout=10) != 0
    finally:
        holder.kill()
        holder.wait()


# Where a function finds its third argument (waitpid's options) as it starts, for gdb.
THIRD_ARGUMENT = {"x86_64": "$rdx", "aarch64": "$x2"}


@pytest.mark.skipif(
    shutil.which("gdb") is None or platform.machine() not in THIRD_ARGUMENT,
    reason="needs gdb (.ci/run installs it) on x86-64 or arm64",
)
def test_a_sigterm_landing_just_before_the_holder_waits_still_ends_it(tmp_path) -> None:
    """Python runs a signal's handler between bytecodes. A SIGTERM arriving after the last check and
    before the holder blocked waiting for the program (which ends only when the holder lets go)
    left both running: once in CI, the holder was still there 30 s after SIGTERM. gdb stops the
    holder just as it is about to block (a waitpid that waits, or a sigtimedwait), raises SIGTERM
    there, and lets it go; it must end within seconds."""
    from movierec_tui.serve.shared import free_port

    commands = [
        "set startup-with-shell off",
        "set breakpoint pending on",
        "handle SIGTERM nostop noprint pass",
        f"break waitpid if {THIRD_ARGUMENT[platform.machine()]} == 0",
        "break sigtimedwait",
        "run",
        "call (int)raise(15)",
        "detach",
        "shell sleep 120",  # gdb stays, or its end would send the holder its PDEATHSIG (a second SIGTERM)
    ]
    holder_command = [sys.executable, "-m", "movierec_tui.serve.child", "milvus-lite", str(tmp_path / "m.db"),
                      f"127.0.0.1:{free_port()}"]  # fmt: skip
    transcript = tmp_path / "gdb.txt"
    with transcript.open("w") as out:
        gdb = subprocess.Popen(
            ["gdb", "-nx", "-batch", *(part for command in commands for part in ("-ex", command)),
             "--args", *holder_command],
            stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    holder = None
    try:
        wait_for(lambda: ") detached]" in transcript.read_text() or gdb.poll() is not None, timeout=90)
        said = transcript.read_text()
        assert gdb.poll() is None, said
        holder = int(re.search(r"process (\d+)\) detached", said)[1])
        program = int(re.search(r"Milvus Lite serving .* \(pid (\d+)\)", said)[1])
        wait_for(lambda: not running(holder) and not running(program), timeout=15)
    finally:  # gdb, its `shell sleep`, and a holder (and program) still there: one process group
        os.killpg(gdb.pid, signal.SIGKILL)
        gdb.wait()


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
