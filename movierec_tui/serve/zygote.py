"""A warm process that forks the session apps, so a new session skips ~2.5 s of imports.

A fresh app process spends most of its start importing Paddle, pymilvus and Textual (about 1.7 s of
CPU, and ~400 MB that every session would hold privately). The zygote imports all of that once,
before any connection, store or model is opened; each session is then a fork of it, which starts
in a fraction of a second and shares those pages copy-on-write. Forking happens here, in a process
that has done nothing but import, never in the server (whose threads make fork unsafe).

Requests travel over a SOCK_SEQPACKET socket pair: one message with the app's argv, environment and
working dir as JSON plus the pty's file descriptor (SCM_RIGHTS); the answer is the new pid. The
zygote reaps its children; the server learns that one ended from its pty (and a pidfd).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import importlib
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING

from movierec_tui.launch import ENV_STARTED_FD
from movierec_tui.serve.app_process import Launched
from movierec_tui.serve.lifeline import ENV_SERVER_PID, keep_in_step

if TYPE_CHECKING:
    from movierec_tui.engine import Preloaded

log = logging.getLogger(__name__)

READY = b"ready"
# What an app imports before its first screen; `logs` first, as it quiets the libraries after it.
# pymilvus is imported by the store only when it connects, so it is named here: left to each session,
# it (and pandas under it) cost every app about 1.2 s of CPU, most of the startup of 16 at once.
# `movierec_tui.app.main` by name: the package `movierec_tui.app` loads it lazily, and left to each
# session its import (Textual's widgets, the app's modules) cost 1.6 s of a lone session's start.
# gRPC's channel modules (imported when the first channel is made) and the Textual modules an app
# imports only once it runs (the pilot, the scrollbars) were also left to every app.
PRELOADED = ("movierec_tui.logs", "movierec_tui.launch", "movierec_tui.app.main", "movierec_tui.engine",
             "movierec_tui.model.encoder", "movierec_tui.stores.backends", "movierec_tui.status",
             "movierec_tui.pipeline", "pymilvus", "grpc._channel", "grpc._interceptor", "textual.pilot",
             "textual.scrollbar")  # fmt: skip
START_TIMEOUT = 60.0
MAX_REQUEST = 1 << 16
END_GRACE = 3.0  # seconds the apps get to exit after a hang-up when the zygote stops


class ZygoteUnavailable(Exception):
    """The zygote is not running; sessions fall back to starting their own interpreter."""


class ZygoteChild:
    """A session app forked by the zygote: not our child, so its end is watched through a pidfd."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        try:
            self._pidfd: int | None = os.pidfd_open(pid)
        except ProcessLookupError:  # it ended (and was reaped) before we looked: nothing to wait for
            self._pidfd = None

    async def wait(self) -> int | None:
        if self._pidfd is None:
            return None
        loop = asyncio.get_running_loop()
        exited: asyncio.Future[None] = loop.create_future()
        loop.add_reader(self._pidfd, lambda: exited.done() or exited.set_result(None))
        try:
            await exited
        finally:
            loop.remove_reader(self._pidfd)
        with contextlib.suppress(OSError):
            os.close(self._pidfd)
        self._pidfd = None
        return None


class Zygote:
    """The server's handle: `start()` once, then `spawn(...)` is a `Launcher` for `AppProcess`."""

    def __init__(self, env: Mapping[str, str], log_path: str) -> None:
        self.env = dict(env)
        self.log_path = log_path
        self.process: subprocess.Popen | None = None
        self._socket: socket.socket | None = None
        self._lock = asyncio.Lock()

    def start(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        with open(self.log_path, "ab") as zygote_log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "movierec_tui.serve.child", "zygote", str(theirs.fileno())],
                pass_fds=[theirs.fileno()],
                env=self.env | {ENV_SERVER_PID: str(os.getpid())},
                stdin=subprocess.DEVNULL,
                stdout=zygote_log,
                stderr=zygote_log,
                start_new_session=True,
            )
        theirs.close()
        keep_in_step(self.process.pid)
        ours.settimeout(START_TIMEOUT)
        try:
            greeting = ours.recv(64)
        except OSError:
            greeting = b""
        if greeting != READY:
            ours.close()
            self.stop()
            raise ZygoteUnavailable(f"the session zygote did not start; see {self.log_path}")
        ours.setblocking(False)
        self._socket = ours
        log.info("session zygote ready (pid %d)", self.process.pid)

    async def spawn(
        self, argv: list[str], env: Mapping[str, str], cwd: str, terminal: int, started: int | None = None
    ) -> Launched:
        if self._socket is None or self.process is None or self.process.poll() is not None:
            raise ZygoteUnavailable("the session zygote is not running")
        request = json.dumps({"argv": argv, "env": dict(env), "cwd": cwd}).encode()
        fds = [terminal] if started is None else [terminal, started]
        loop = asyncio.get_running_loop()
        async with self._lock:  # one request in flight: each answer belongs to the last request
            socket.send_fds(self._socket, [request], fds)
            answer = await asyncio.wait_for(loop.sock_recv(self._socket, 256), 10)
        if not answer:
            raise ZygoteUnavailable("the session zygote has exited")
        return ZygoteChild(int(json.loads(answer)["pid"]))

    def stop(self) -> None:
        """Closing the socket ends the zygote's loop; it then ends and reaps the apps it forked."""
        if self._socket is not None:
            self._socket.close()
            self._socket = None
        if self.process is None:
            return
        for ask in (None, self.process.terminate, self.process.kill):
            if ask is not None:
                ask()
            try:
                self.process.wait(timeout=END_GRACE + 2)
                return
            except subprocess.TimeoutExpired:
                continue


# -- the zygote process itself (run by `python -m movierec_tui.serve.child zygote FD`) ----------------


_forked: set[int] = set()  # apps forked and not yet reaped


def _reap_children(*_: object) -> None:
    with contextlib.suppress(ChildProcessError):
        while (pid := os.waitpid(-1, os.WNOHANG)[0]) > 0:
            _forked.discard(pid)


def _stop(*_: object) -> None:
    raise SystemExit(0)


def _end_children() -> None:
    """Hang up on the apps still running and reap them all, so none is left as a zombie for init."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    for pid in list(_forked):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGHUP)
    deadline = time.monotonic() + END_GRACE
    while _forked and time.monotonic() < deadline:
        _reap_children()
        time.sleep(0.02)
    for pid in list(_forked):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
        _forked.discard(pid)


def _become_app(
    terminal: int, started: int | None, request: dict, zygote_pid: int, preloaded: Preloaded | None
) -> None:
    """In the forked child: the pty becomes stdin/stdout/stderr and the controlling terminal, the
    environment is the session's (naming the `started` pipe, if any: serve/start_gate.py), then the
    app runs; this never returns into the zygote's loop."""
    from movierec_tui.serve.lifeline import die_with_server, follow_server_priority, take_terminal

    code = 1
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGCHLD})
        os.setsid()
        for target in (0, 1, 2):
            os.dup2(terminal, target)
        if terminal > 2:
            os.close(terminal)
        take_terminal()
        os.environ.clear()
        os.environ.update(request["env"])
        if started is not None:
            os.environ[ENV_STARTED_FD] = str(started)
        server = int(os.environ.get(ENV_SERVER_PID, zygote_pid))  # the session's: the server's pid
        os.environ[ENV_SERVER_PID] = str(zygote_pid)
        die_with_server(signal.SIGHUP)
        at_server_priority = follow_server_priority(server)
        os.chdir(request["cwd"])
        from movierec_tui.launch import run_served

        sys.argv = ["movierec-tui", *request["argv"]]
        try:
            code = run_served(request["argv"], preloaded, started=at_server_priority)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


def prepare() -> Preloaded | None:
    """Import what every app needs and load the model and catalogue they share (serve/warm.py), for
    the home the environment names (the zygote's environment is the sessions')."""
    for module in PRELOADED:
        importlib.import_module(module)
    from movierec_tui.launch import prepare_settings
    from movierec_tui.serve.warm import load_warm_start

    try:
        preloaded: Preloaded | None = load_warm_start(prepare_settings(None))
    except Exception:  # settings the apps will report themselves, one line each: fork without a warm start
        log.warning("the zygote loads nothing for its forks", exc_info=True)
        preloaded = None
    _parse_app_css()
    # Everything on the heap now is shared with every fork; a full collection in an app would walk it
    # all, writing to each object's header, and so copy every page of it into that app (memory and
    # CPU per session). Frozen objects are never looked at by the collector again.
    gc.collect()
    gc.freeze()
    return preloaded


def _parse_app_css() -> None:
    """The app's CSS, parsed here once for all forks (serve/shared_css.py); without it each parses its own."""
    from movierec_tui.app.main import MovieRecApp
    from movierec_tui.serve import shared_css
    from movierec_tui.widgets.theme import THEMES

    shared_css.install()
    try:
        log.info("zygote parsed the app's CSS: %d rule lists", shared_css.warm(MovieRecApp, THEMES))
    except Exception:  # an app meets the same CSS and reports it; the forks then parse their own
        log.warning("the zygote could not parse the app's CSS", exc_info=True)


def serve_forks(fd: int) -> None:
    """The zygote's life: prepare, say so, then fork one app per request."""
    preloaded = prepare()
    channel = socket.socket(fileno=fd)
    signal.signal(signal.SIGCHLD, _reap_children)
    signal.signal(signal.SIGTERM, _stop)  # the server died (PR_SET_PDEATHSIG) or stopped us
    channel.sendall(READY)
    try:
        _fork_on_request(channel, preloaded)
    finally:
        _end_children()


def _fork_on_request(channel: socket.socket, preloaded: Preloaded | None) -> None:
    while True:
        try:
            message, fds, _, _ = socket.recv_fds(channel, MAX_REQUEST, 2)
        except OSError:
            break
        if not message:  # the server closed its end
            break
        try:
            request = json.loads(message)
            terminal, *more = fds  # the pty, then the "started" pipe if the server sent one
            started = more[0] if more else None
        except (ValueError, TypeError):
            for extra in fds:
                os.close(extra)
            channel.sendall(b"")
            continue
        sys.stdout.flush()
        sys.stderr.flush()
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGCHLD})  # no reaping before the pid is recorded
        pid = os.fork()
        if pid == 0:
            channel.close()
            _become_app(terminal, started, request, os.getppid(), preloaded)
        _forked.add(pid)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGCHLD})
        for fd in fds:
            os.close(fd)
        channel.sendall(json.dumps({"pid": pid}).encode())
