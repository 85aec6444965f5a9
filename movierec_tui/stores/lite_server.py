"""Milvus Lite's server for one data file: the `milvus` program of milvus-lite 2.5, started by us.

milvus-lite 2.5 is a C++ Milvus in one program, serving one data file over a Unix socket or a TCP
port; pymilvus talks to it like to any Milvus. pymilvus can start it itself for a path ending in
".db", but we start it, for three reasons:

- its output goes to a log file: the program logs at ERROR level what our store expects and
  handles (a search of a collection that another `index` run has just dropped), and while the app
  runs, anything on stderr is drawn over the person's screen;
- pymilvus would import the `milvus_lite` package, whose `__init__` imports setuptools'
  `pkg_resources` (gone from setuptools 82): we only need the program's path;
- `serve` runs the same server on a loopback TCP port for all its sessions.

The server lives while the process that started it holds a POSIX lock on `.<file>.lock` beside the
data file (the lock pymilvus's milvus_lite takes too, so two processes never open one file): the
program watches that lock and exits within milliseconds of its release, so it cannot outlive the
process that started it, even one killed with SIGKILL.
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib.util
import itertools
import logging
import os
import re
import signal
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import IO

from movierec_tui.stores.errors import MilvusUnavailable

log = logging.getLogger(__name__)

START_TIMEOUT = 30.0  # seconds for the program to answer on its socket or port
STOP_TIMEOUT = 5.0
CHECK_EVERY = 1.0  # seconds: serve_forever looks at its program at least this often
LOG_LEVEL = "ERROR"
# The data file's name as the program accepts it (milvus_lite/server.py checks the same).
VALID_NAME = re.compile(r"^[A-Za-z0-9.\-_]{1,36}$")
_socket_numbers = itertools.count()


class LiteDataLocked(MilvusUnavailable):
    """Another process has the data file open."""


def program_dir() -> Path:
    """The milvus_lite package's `lib` dir, holding the `milvus` program and its libraries; found
    without importing the package (its `__init__` needs pkg_resources)."""
    spec = importlib.util.find_spec("milvus_lite")
    if spec is None or not spec.submodule_search_locations:
        raise MilvusUnavailable("Milvus Lite is not installed (pip install milvus-lite==2.5.1)")
    return Path(next(iter(spec.submodule_search_locations))) / "lib"


def lock_path(data_file: Path) -> Path:
    return data_file.parent / f".{data_file.name}.lock"


def check_data_file(data_file: Path) -> None:
    """A one-line error for a data file Milvus Lite cannot open, before its program is started."""
    if data_file.is_dir():
        raise MilvusUnavailable(
            f"{data_file} is a directory: data of Milvus Lite 3, which this version does not read; "
            "`movierec-tui index` writes a new index (or set MOVIEREC_MILVUS_URI to a file ending in .db)"
        )
    if not VALID_NAME.match(data_file.name):
        raise MilvusUnavailable(
            f"Milvus Lite cannot use the file name {data_file.name!r}: at most 36 letters, digits, '.', '-' or '_'"
        )
    if not data_file.parent.is_dir():
        raise MilvusUnavailable(f"cannot open the Milvus Lite data file {data_file}: {data_file.parent} does not exist")


class LiteServer:
    """The program serving `data_file` on `address` ("127.0.0.1:PORT"), or on a Unix socket of its own
    when address is None. Its output goes to `output` (a file, or None: this process's stdout/stderr).

    One per data file and process: a second lock on the same file taken and closed by this process
    would release the first (POSIX locks belong to the process), and the program would exit."""

    def __init__(
        self, data_file: Path, address: str | None = None, output: IO[bytes] | int | None = subprocess.DEVNULL
    ) -> None:
        self.data_file = Path(data_file).absolute()
        self.address = address
        self.output = output
        unique = f"movierec-milvus-{os.getpid()}-{next(_socket_numbers)}.sock"
        self.socket_path = None if address else Path(tempfile.gettempdir()) / unique
        self.process: subprocess.Popen | None = None
        self._lock_fd: int | None = None

    @property
    def uri(self) -> str:
        return f"unix:{self.socket_path}" if self.socket_path else f"http://{self.address}"

    def start(self) -> None:
        """Take the data file's lock, start the program and wait until it answers."""
        check_data_file(self.data_file)
        self._lock()
        try:
            program = program_dir()
            env = os.environ | {"LD_LIBRARY_PATH": f"{program}:{os.environ.get('LD_LIBRARY_PATH', '')}"}
            self.process = subprocess.Popen(
                [str(program / "milvus"), str(self.data_file), self.address or self.uri, LOG_LEVEL,
                 str(lock_path(self.data_file))],
                cwd=self.data_file.parent, env=env, stdin=subprocess.DEVNULL, stdout=self.output, stderr=self.output,
            )  # fmt: skip
            self._wait_until_answering()
        except BaseException:
            self.stop()
            raise

    def _lock(self) -> None:
        fd = os.open(lock_path(self.data_file), os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise LiteDataLocked(
                f"cannot open the Milvus Lite data file {self.data_file}: it is in use by another movierec-tui "
                "process (one process per data file). Close it, use `movierec-tui serve`, or set "
                "MOVIEREC_MILVUS_URI to a Milvus server."
            ) from None
        self._lock_fd = fd

    def _wait_until_answering(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if self.process.poll() is not None:
                raise MilvusUnavailable(
                    f"Milvus Lite exited at start (code {self.process.returncode}) on {self.data_file}; "
                    "see its log, or move the file aside and run `movierec-tui index`"
                )
            if self._answers():
                return
            if time.monotonic() > deadline:
                raise MilvusUnavailable(f"Milvus Lite did not answer within {START_TIMEOUT:.0f} s on {self.data_file}")
            time.sleep(0.02)

    def _answers(self) -> bool:
        try:
            if self.socket_path is not None:
                with socket.socket(socket.AF_UNIX) as probe:
                    probe.connect(str(self.socket_path))
            else:
                host, _, port = (self.address or "").rpartition(":")
                socket.create_connection((host, int(port)), timeout=1).close()
        except OSError:
            return False
        return True

    def stop(self) -> None:
        """Release the lock (the program then exits by itself), and make sure it did."""
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # closing releases the lock
            self._lock_fd = None
        if self.process is not None:
            try:
                self.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None
        if self.socket_path is not None:
            with contextlib.suppress(FileNotFoundError):
                self.socket_path.unlink()
        log.info("Milvus Lite program of %s stopped", self.data_file)

    def wait(self) -> int:
        assert self.process is not None
        return self.process.wait()


class SharedLiteServers:
    """One server per data file in this process, however many stores use it; stopped with the last."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._servers: dict[Path, tuple[LiteServer, int]] = {}

    def acquire(self, data_file: Path) -> LiteServer:
        """The running server of `data_file`, started if needed; its output goes to a log beside it."""
        key = Path(data_file).absolute()
        with self._lock:
            if key in self._servers:
                server, users = self._servers[key]
            else:
                check_data_file(key)
                with open(key.parent / f"{key.stem}.log", "ab") as log:  # the program keeps its own copy
                    server = LiteServer(key, output=log)
                    server.start()
                users = 0
            self._servers[key] = (server, users + 1)
            return server

    def release(self, data_file: Path) -> None:
        key = Path(data_file).absolute()
        with self._lock:
            server, users = self._servers.get(key, (None, 0))
            if server is None:
                return
            if users > 1:
                self._servers[key] = (server, users - 1)
                return
            del self._servers[key]
        server.stop()


shared_servers = SharedLiteServers()


def serve_forever(data_file: Path, address: str) -> int:
    """`serve`'s shared Milvus: the server on a TCP address until SIGTERM (or until this process dies:
    the program then exits with the lock). Returns the exit code; the reason is on stderr."""
    server = LiteServer(data_file, address, output=None)

    def stop(signum: int, frame: object) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)  # while starting: every wait there is a short one
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # not ignored (inherited), or the program's end is never seen
    try:
        server.start()
        print(f"Milvus Lite serving {server.data_file} at {server.uri} (pid {server.process.pid})", flush=True)
        return _until_ended_or_terminated(server.process)
    except MilvusUnavailable as exc:
        print(exc, flush=True)
        return 3
    finally:
        server.stop()


def _until_ended_or_terminated(program: subprocess.Popen) -> int:
    """Wait for the program's end (its exit code) or a SIGTERM (0).

    Not with a handler and `program.wait()`: Python runs a handler between bytecodes, and a SIGTERM
    arriving after the last check but before the wait blocked went unseen, leaving this process
    waiting for a program that ends only when this process lets go of the lock (seen once in CI;
    tests/test_lite_server.py makes it happen with gdb). Blocked, the signals stay pending until
    sigtimedwait takes them, whenever they arrive. SIGTERM arriving before the block runs the
    handler."""
    watched = {signal.SIGTERM, signal.SIGCHLD}
    signal.pthread_sigmask(signal.SIG_BLOCK, watched)
    while (code := program.poll()) is None:
        taken = signal.sigtimedwait(watched, CHECK_EVERY)
        if taken is not None and taken.si_signo == signal.SIGTERM:
            return 0
    return code
