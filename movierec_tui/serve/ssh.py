"""`movierec-tui serve ssh`: the app as an SSH demo, one app process per session.

Safe by default: loopback unless told otherwise; public-key auth against an authorized_keys file,
or no auth at all only when `--allow-anonymous` is given (and logged as such); no passwords. A
session can only run the app: shell requests start it, while exec, subsystems (sftp, scp), port,
agent and X11 forwarding are refused. The SSH username is not an account on this machine; it is
only written to the log. Profiles are kept apart per SSH key (so a person finds their saved
profiles again) or, anonymously, per session.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
import logging
import os
import re
import socket
import time
import uuid
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from movierec_tui import logs  # noqa: F401  # before asyncssh, which warns as it loads (see logs.py)

# isort: split
import asyncssh

from movierec_tui.config import ANONYMOUS_PROFILE_TTL, ENV_PROFILE_NAMESPACE, ENV_PROFILE_TTL, ENV_SERVED
from movierec_tui.files import replaced_whole
from movierec_tui.serve.app_process import MAX_PENDING_INPUT, AppProcess, Launched, spawn_directly
from movierec_tui.serve.child import ENV_SERVER_PID
from movierec_tui.serve.gate import ConnectionGate
from movierec_tui.serve.output_trace import OutputTrace, trace_path_from_env
from movierec_tui.serve.start_gate import StartGate
from movierec_tui.serve.terminal_input import TerminalInput
from movierec_tui.serve.terminal_size import RESIZE_DELAY, clamp_size
from movierec_tui.serve.zygote import Zygote, ZygoteUnavailable

log = logging.getLogger(__name__)

DEFAULT_TERM = "xterm-256color"
TERM_PATTERN = re.compile(r"[A-Za-z0-9._+-]{1,64}")
LOGIN_TIMEOUT = 30
MAX_EARLY_INPUT = 4096  # typed before the app runs; beyond it, the client waits (its input is not read)
# A logged-in connection without a running app (like `ssh -N`, or after its app has quit) is closed after
# this long: held open, such connections would fill the connection limits for nothing. (Before login,
# LOGIN_TIMEOUT applies: a person may be reading the host-key prompt or typing a key's passphrase.)
NO_SESSION_TIMEOUT = 10.0

NEEDS_A_TERMINAL = (
    "movierec is a full-screen terminal app and needs a terminal.\r\n"
    "Connect with: ssh -t -p {port} demo@<this host>\r\n"
)


@dataclass(frozen=True)
class SSHServeConfig:
    host: str = "127.0.0.1"
    port: int = 2222
    authorized_keys: Path | None = None
    allow_anonymous: bool = False
    max_sessions: int = 16
    max_per_ip: int = 4
    idle_timeout: float = 900.0
    prefork: bool = True  # fork sessions from a warm zygote (see serve.zygote) instead of a new interpreter
    # Open TCP connections, whatever their state (logging in, logged in without a session, in a session):
    # per address, and in all. 0 derives them from the session limits: one address flooding the port is
    # then cut off at its own limit, and everyone else still finds room.
    max_connections_per_ip: int = 0
    max_connections: int = 0
    no_session_timeout: float = NO_SESSION_TIMEOUT
    output_trace: Path | None = field(default_factory=trace_path_from_env)  # see serve/output_trace.py
    # Apps starting at once (serve/start_gate.py); 0: no limit (as many as sessions).
    starts_at_once: int = 0

    def __post_init__(self) -> None:
        if self.allow_anonymous == (self.authorized_keys is not None):
            raise ValueError("serve ssh needs exactly one of --authorized-keys FILE and --allow-anonymous")
        if not self.max_connections_per_ip:
            object.__setattr__(self, "max_connections_per_ip", self.max_per_ip + 4)
        if not self.max_connections:
            object.__setattr__(self, "max_connections", self.max_sessions + 64)
        if not self.starts_at_once:
            object.__setattr__(self, "starts_at_once", self.max_sessions)


def load_or_create_host_key(path: Path) -> asyncssh.SSHKey:
    """Generated once and kept, so clients that trusted the demo keep trusting it after a restart."""
    if path.exists():
        try:
            return asyncssh.read_private_key(path)
        except (OSError, asyncssh.KeyImportError) as exc:
            raise ValueError(f"{path}: not a usable SSH host key ({exc}); move it away to make a new one") from None
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = asyncssh.generate_private_key("ssh-ed25519")
    with replaced_whole(path) as partial:
        partial.unlink(missing_ok=True)
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # never readable by others
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(key.export_private_key())
    path.with_name(path.name + ".pub").write_bytes(key.export_public_key())
    log.info("new SSH host key %s (%s)", path, key.get_fingerprint())
    return key


def read_authorized_keys(path: Path) -> asyncssh.SSHAuthorizedKeys:
    try:
        return asyncssh.read_authorized_keys(str(path))
    except (OSError, ValueError, asyncssh.KeyImportError) as exc:
        raise ValueError(f"{path}: cannot read authorized keys ({exc})") from None


def printable(text: str, limit: int = 40) -> str:
    """A client-chosen string made safe for a log line."""
    return repr(text[:limit])


@dataclass
class Registry:
    """Live sessions and connections, for the limits and for a clean shutdown."""

    config: SSHServeConfig
    sessions: dict[int, AppSession] = field(default_factory=dict)
    per_ip: Counter[str] = field(default_factory=Counter)
    connections_per_ip: Counter[str] = field(default_factory=Counter)
    port: int = 0  # the port actually listened on, for messages
    refusals_logged: dict[str, float] = field(default_factory=dict)  # address -> when a refusal was last logged
    ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    def refusal(self, ip: str) -> str | None:
        """Why a new session from `ip` cannot start now, as a message for the person, or None."""
        if len(self.sessions) >= self.config.max_sessions:
            places = self.config.max_sessions
            return (
                f"Sorry, the movierec demo is full right now (all {places} place{'s' * (places != 1)} are taken). "
                "Please try again in a few minutes.\r\n"
            )
        if self.per_ip[ip] >= self.config.max_per_ip:
            most = self.config.max_per_ip
            return (
                f"Sorry, your address already has {most} movierec session{'s' * (most != 1)} open, the most "
                "allowed. Please close one first.\r\n"
            )
        return None

    def admit_connection(self, ip: str) -> str | None:
        """Count a new TCP connection from `ip`, or say why it is refused (for the log). Asked as the
        connection is accepted (serve/gate.py), before any SSH traffic: a refused one costs nearly nothing."""
        if self.connections_per_ip[ip] >= self.config.max_connections_per_ip:
            return f"{self.connections_per_ip[ip]} connections from this address already"
        if self.connections_per_ip.total() >= self.config.max_connections:
            return f"{self.connections_per_ip.total()} connections open in all"
        self.connections_per_ip[ip] += 1
        return None

    def connection_closed(self, ip: str) -> None:
        self.connections_per_ip[ip] -= 1
        if self.connections_per_ip[ip] <= 0:
            del self.connections_per_ip[ip]

    def add(self, session: AppSession) -> int:
        session_id = next(self.ids)
        self.sessions[session_id] = session
        self.per_ip[session.ip] += 1
        return session_id

    def remove(self, session_id: int, ip: str) -> None:
        if self.sessions.pop(session_id, None) is not None:
            self.per_ip[ip] -= 1
            if self.per_ip[ip] <= 0:
                del self.per_ip[ip]


class AppSession(asyncssh.SSHServerSession):
    """One SSH session channel: a pty request, then a shell request that starts the app."""

    def __init__(self, server: DemoServer) -> None:
        self.server = server
        self.registry = server.registry
        self.ip = server.ip
        self.chan: asyncssh.SSHServerChannel | None = None
        self.term = DEFAULT_TERM
        self.size: tuple[int, int] | None = None  # columns, rows; None until a pty is requested
        self.app: AppProcess | None = None
        self.session_id: int | None = None
        self.started_at = time.monotonic()
        self.last_input = time.monotonic()
        self.idle_check: asyncio.TimerHandle | None = None
        self.resize_due: asyncio.TimerHandle | None = None
        self.end_reason = "client left"
        self.farewell = ""
        self.ending: asyncio.Future[None] | None = None  # kept so the task is not garbage-collected
        self.starting: asyncio.Future[None] | None = None
        self.early_input = bytearray()
        self.input = TerminalInput()
        self.reading_paused = False
        self.trace: OutputTrace | None = None

    # -- requests ---------------------------------------------------------------------------------

    def connection_made(self, chan: asyncssh.SSHServerChannel) -> None:
        self.chan = chan

    def pty_requested(self, term_type: str, term_size: tuple[int, int, int, int], term_modes) -> bool:
        self.term = term_type if TERM_PATTERN.fullmatch(term_type or "") else DEFAULT_TERM
        self.size = clamp_size(term_size[0], term_size[1])
        return True

    def shell_requested(self) -> bool:
        return True

    def exec_requested(self, command: str) -> bool:
        log.warning("refused exec %s from %s", printable(command), self.ip)
        return False

    def subsystem_requested(self, subsystem: str) -> bool:
        log.warning("refused subsystem %s from %s", printable(subsystem), self.ip)
        return False

    def break_received(self, msec: int) -> bool:
        return False

    def signal_received(self, signal: str) -> None:
        """Signals from the client are not forwarded: input can only drive the app."""

    # -- running the app --------------------------------------------------------------------------

    def session_started(self) -> None:
        assert self.chan is not None
        port = self.registry.port
        if self.size is None:
            self.chan.write(NEEDS_A_TERMINAL.format(port=port).encode())
            self.chan.exit(1)
            return
        refusal = self.registry.refusal(self.ip)
        if refusal is not None:
            log.warning("session from %s refused: %s", self.ip, refusal.strip())
            self.chan.write(refusal.encode())
            self.chan.exit(1)
            return
        self.session_id = self.registry.add(self)
        self.server.session_opened()
        columns, rows = self.size
        env = dict(self.server.base_env)
        env |= {"TERM": self.term, ENV_PROFILE_NAMESPACE: self.server.profile_namespace(), ENV_SERVED: "ssh"}
        env[ENV_SERVER_PID] = str(os.getpid())
        if not self.server.key_id:  # nobody can reopen an anonymous session's profiles: keep them a day
            env[ENV_PROFILE_TTL] = str(ANONYMOUS_PROFILE_TTL)
        colorterm = self.chan.get_environment().get("COLORTERM", "")
        if colorterm in ("truecolor", "24bit"):
            env["COLORTERM"] = colorterm
        if self.server.config.output_trace is not None:
            self.trace = OutputTrace(self.server.config.output_trace, self.server.peer, self.server.connected_at)
        self._to_client(b"\x1b[2J\x1b[HStarting movierec\xe2\x80\xa6\r\n")
        self.app = AppProcess(
            ["--home", env["MOVIEREC_HOME"]], env, env["MOVIEREC_HOME"], columns, rows,
            on_output=self._to_client, on_exit=self._app_exited, launcher=self.server.launch,
            on_input_drained=self._resume_reading,
        )
        self.starting = asyncio.ensure_future(self._start_app())
        self._schedule_idle_check()

    async def _start_app(self) -> None:
        assert self.app is not None
        slot = await self.server.starts.admit()  # a few apps start at once (serve/start_gate.py)
        if self.chan is None or self.farewell:  # the client left, or the server is stopping, meanwhile
            slot.release()
            self._app_exited(None)  # ends the session (with the farewell) as an app's exit would
            return
        try:
            await self.app.start(slot.app_end)
        except Exception as exc:  # could not fork or exec: this session fails, the server goes on
            slot.release()
            log.error("could not start the app for session %d: %s", self.session_id, exc)
            if self.chan is not None:
                self.chan.write(b"Sorry, the app could not be started. Please try again later.\r\n")
                self.chan.exit(1)
            self._release()
            return
        slot.spawned()
        log.info(
            "session %d started: pid %d, %s, user %s, %s, %dx%d",
            self.session_id, self.app.pid, self.ip, printable(self.server.username), self.server.identity,
            self.app.columns, self.app.rows,
        )
        if self.chan is None:  # the client left while the app was starting
            await self.app.terminate()
            return
        self._resize_app()  # to a size changed while it started
        if self.early_input:
            self.app.write(bytes(self.early_input))
            self.early_input.clear()
        if self.app.input_backlog == 0:
            self._resume_reading()

    def _to_client(self, data: bytes) -> None:
        """The app's output; dropped once the client is gone (the app is being hung up on)."""
        if self.chan is not None:
            if self.trace is not None:  # noted before: the client may have it before write() returns
                self.trace.wrote(len(data))
            with contextlib.suppress(BrokenPipeError, ConnectionError):
                self.chan.write(data)

    def _app_running(self) -> bool:
        return self.app is not None and self.app.process is not None and not self.app.ended

    def data_received(self, data: bytes, datatype: int | None) -> None:
        self.last_input = time.monotonic()
        data, notes = self.input.feed_noting(data)
        for note in notes:
            log.warning("session %s from %s: %s", self.session_id, self.ip, note)
        self._deliver(data)
        self.input.flush_later(self._deliver)

    def _deliver(self, data: bytes) -> None:
        """Filtered input to the app, or kept for it while it starts; the client waits if it lags."""
        if self._app_running():
            self.app.write(data)
            backlog = self.app.input_backlog
        else:  # typed while the app starts: delivered once it runs
            self.early_input += data
            backlog = len(self.early_input) * MAX_PENDING_INPUT // MAX_EARLY_INPUT
        if backlog >= MAX_PENDING_INPUT and self.chan is not None and not self.reading_paused:
            self.chan.pause_reading()  # SSH flow control then makes the client wait; nothing is dropped
            self.reading_paused = True

    def _resume_reading(self) -> None:
        if self.reading_paused and self.chan is not None:
            self.reading_paused = False
            self.chan.resume_reading()

    def terminal_size_changed(self, width: int, height: int, pixwidth: int, pixheight: int) -> None:
        self.size = clamp_size(width, height)
        if self._app_running() and self.resize_due is None:  # a starting app gets the size once it runs
            self.resize_due = asyncio.get_running_loop().call_later(RESIZE_DELAY, self._resize_app)

    def _resize_app(self) -> None:
        self.resize_due = None
        if self._app_running() and self.size is not None and self.size != (self.app.columns, self.app.rows):
            self.app.resize(*self.size)

    def pause_writing(self) -> None:
        if self._app_running():
            self.app.pause_output()

    def resume_writing(self) -> None:
        if self._app_running():
            self.app.resume_output()

    def eof_received(self) -> bool:
        return True  # keep the channel open: the app decides when the session ends

    # -- ending -----------------------------------------------------------------------------------

    def _schedule_idle_check(self) -> None:
        timeout = self.server.config.idle_timeout
        if timeout <= 0 or self.chan is None:
            return
        remaining = self.last_input + timeout - time.monotonic()
        if remaining > 0:
            loop = asyncio.get_running_loop()
            self.idle_check = loop.call_later(remaining + 0.05, self._schedule_idle_check)
            return
        minutes = f"{timeout / 60:.0f} minutes" if timeout >= 120 else f"{timeout:.0f} seconds"
        farewell = f"\r\nYou were idle for {minutes}, so movierec closed. Bye!\r\n"
        self.ending = asyncio.ensure_future(self.end(farewell, f"idle for {timeout:.0f} s"))

    def will_end(self, farewell: str, reason: str) -> None:
        """Say goodbye with `farewell` when the session ends; a session still waiting to start its app
        ends without starting it."""
        self.farewell, self.end_reason = farewell, reason

    async def end(self, farewell: str, reason: str) -> None:
        """Stop the app (the server is shutting down, or the person went idle), say why, and close."""
        self.will_end(farewell, reason)
        if self.starting is not None:
            await self.starting
        if self.app is not None:
            await self.app.terminate()

    def _app_exited(self, returncode: int | None) -> None:
        if self.chan is not None:  # still connected: the app quit, or `end` stopped it
            if self.end_reason == "client left":
                self.end_reason = "app exited" if returncode is None else f"app exited with {returncode}"
            with contextlib.suppress(Exception):
                if self.farewell:  # leave the app's alternate screen, reset colours, show the cursor
                    self.chan.write(b"\x1b[?1049l\x1b[0m\x1b[?25h" + self.farewell.encode())
                self.chan.exit(0 if returncode in (0, None) or self.farewell else 1)
        self._release()

    def connection_lost(self, exc: Exception | None) -> None:
        self.chan = None  # an app still starting is ended by _start_app
        if self._app_running():
            self.ending = asyncio.ensure_future(self.app.terminate())

    def _release(self) -> None:
        if self.trace is not None:
            with contextlib.suppress(OSError):
                self.trace.save()
            self.trace = None
        for timer in (self.idle_check, self.resize_due):
            if timer is not None:
                timer.cancel()
        self.idle_check = self.resize_due = None
        if self.session_id is not None:
            self.registry.remove(self.session_id, self.ip)
            changes = self.input.changes()
            log.info(
                "session %d ended after %.0f s: %s%s", self.session_id, time.monotonic() - self.started_at,
                self.end_reason, f" ({changes})" if changes else "",
            )
            self.session_id = None
            self.server.session_closed()


class DemoServer(asyncssh.SSHServer):
    """One client connection: authentication, and refusal of everything but app sessions."""

    def __init__(self, demo: SSHDemo) -> None:
        self.config = demo.config
        self.registry = demo.registry
        self.base_env = demo.base_env
        self.authorized = demo.authorized
        self.launch = demo.launch
        self.starts = demo.starts
        self.ip = "?"
        self.peer: tuple[str, int] | None = None
        self.connected_at = time.monotonic()
        self.username = ""
        self.key_id: str | None = None
        self.conn: asyncssh.SSHServerConnection | None = None
        self.counted = False
        self.open_sessions = 0
        self.no_session_timer: asyncio.TimerHandle | None = None

    @property
    def identity(self) -> str:
        return f"key {self.key_id}" if self.key_id else "anonymous"

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        """The connection was admitted, and counted, as it was accepted (SSHDemo._admit); this
        object releases its place when it closes."""
        self.conn = conn
        peer = conn.get_extra_info("peername")
        self.ip = str(peer[0]) if peer else "?"
        self.peer = (self.ip, int(peer[1])) if peer else None
        self.counted = True

    def auth_completed(self) -> None:
        self._expect_a_session()

    def _expect_a_session(self) -> None:
        loop = asyncio.get_running_loop()
        self.no_session_timer = loop.call_later(self.config.no_session_timeout, self._close_if_no_session)

    def _close_if_no_session(self) -> None:
        self.no_session_timer = None
        if self.open_sessions == 0 and self.conn is not None:
            log.info("connection from %s closed: no session after %.0f s", self.ip, self.config.no_session_timeout)
            self.conn.close()

    def session_opened(self) -> None:
        self.open_sessions += 1
        if self.no_session_timer is not None:
            self.no_session_timer.cancel()
            self.no_session_timer = None

    def session_closed(self) -> None:
        self.open_sessions -= 1
        if self.open_sessions == 0 and self.conn is not None and self.no_session_timer is None:
            self._expect_a_session()

    def connection_lost(self, exc: Exception | None) -> None:
        self.conn = None
        if self.no_session_timer is not None:
            self.no_session_timer.cancel()
            self.no_session_timer = None
        if self.counted:
            self.registry.connection_closed(self.ip)
            self.counted = False

    # -- authentication ---------------------------------------------------------------------------

    def begin_auth(self, username: str) -> bool:
        self.username = username
        return not self.config.allow_anonymous

    def password_auth_supported(self) -> bool:
        return False

    def kbdint_auth_supported(self) -> bool:
        return False

    def host_based_auth_supported(self) -> bool:
        return False

    def public_key_auth_supported(self) -> bool:
        return self.authorized is not None

    def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        if self.authorized is None:
            return False
        try:  # re-read each time, so keys added or removed take effect without a restart
            current = read_authorized_keys(self.config.authorized_keys) if self.config.authorized_keys else None
        except ValueError as exc:
            log.error("%s", exc)
            current = None
        keys = current or self.authorized
        if keys.validate(key, self.ip, self.ip) is None:
            log.warning("unknown key %s from %s refused", key.get_fingerprint(), self.ip)
            return False
        self.key_id = hashlib.sha256(key.public_data).hexdigest()[:16]
        return True

    def profile_namespace(self) -> str:
        """Same key, same saved profiles; anonymous sessions each get a space nobody else can open."""
        return f"ssh-{self.key_id}" if self.key_id else f"anon-{uuid.uuid4().hex[:12]}"

    # -- everything that is not an app session is refused -----------------------------------------

    def session_requested(self) -> AppSession:
        return AppSession(self)

    def connection_requested(self, dest_host: str, dest_port: int, orig_host: str, orig_port: int) -> bool:
        log.warning("refused port forwarding to %s:%s from %s", printable(dest_host), dest_port, self.ip)
        return False

    def server_requested(self, listen_host: str, listen_port: int) -> bool:
        log.warning("refused remote port forwarding from %s", self.ip)
        return False

    def unix_connection_requested(self, dest_path: str) -> bool:
        return False

    def unix_server_requested(self, listen_path: str) -> bool:
        return False

    def tun_requested(self, unit: int | None) -> bool:
        return False

    def tap_requested(self, unit: int | None) -> bool:
        return False


class SSHDemo:
    """The listening server; `start()`, then `close()` ends every session and stops listening."""

    def __init__(self, config: SSHServeConfig, base_env: dict[str, str], host_key: asyncssh.SSHKey) -> None:
        self.config = config
        self.base_env = base_env
        self.host_key = host_key
        self.registry = Registry(config)
        self.authorized = read_authorized_keys(config.authorized_keys) if config.authorized_keys else None
        self.gate = ConnectionGate(self.registry.admit_connection, self._hand_over, self._log_refusal)
        self.options: asyncssh.SSHServerConnectionOptions | None = None
        self.opening: set[asyncio.Task] = set()  # admitted sockets becoming asyncssh connections
        self.zygote: Zygote | None = None
        self.starts = StartGate(config.starts_at_once)

    async def launch(
        self, argv: list[str], env: Mapping[str, str], cwd: str, terminal: int, started: int | None = None
    ) -> Launched:
        """Fork the app from the zygote when there is one; a new interpreter otherwise (or if it fails)."""
        if self.zygote is not None:
            try:
                return await self.zygote.spawn(argv, env, cwd, terminal, started)
            except (ZygoteUnavailable, OSError, TimeoutError, ValueError) as exc:
                log.warning("zygote failed (%s); starting this session's app directly", exc)
        return await spawn_directly(argv, env, cwd, terminal, started)

    @property
    def port(self) -> int:
        return self.gate.port

    def _log_refusal(self, ip: str, why: str) -> None:
        """At most one line per address and minute: a flood must not flood the log too."""
        now = time.monotonic()
        if now - self.registry.refusals_logged.get(ip, -60.0) >= 60:
            self.registry.refusals_logged[ip] = now
            log.warning("connections from %s refused: %s (logged once a minute)", ip, why)

    def _hand_over(self, sock: socket.socket, ip: str) -> None:
        """An admitted connection becomes asyncssh's; its DemoServer releases the place when it closes, or
        this does if asyncssh never got as far as making one."""
        loop = asyncio.get_running_loop()
        options = self.options
        assert options is not None
        made = False

        def connection() -> asyncssh.SSHServerConnection:
            nonlocal made
            made = True
            return asyncssh.SSHServerConnection(loop, options)

        def opened(task: asyncio.Task) -> None:
            self.opening.discard(task)
            if task.cancelled() or task.exception() is not None:
                sock.close()
                if not made:
                    self.registry.connection_closed(ip)

        task = loop.create_task(loop.connect_accepted_socket(connection, sock))
        self.opening.add(task)
        task.add_done_callback(opened)

    async def start(self) -> None:
        if self.config.prefork:
            zygote = Zygote(self.base_env, str(Path(self.base_env["MOVIEREC_HOME"]) / "zygote.log"))
            try:  # from this (the main) thread: the zygote's PR_SET_PDEATHSIG watches the thread that forked it
                zygote.start()
                self.zygote = zygote
            except (ZygoteUnavailable, OSError) as exc:
                log.warning("%s; each session will start its own interpreter", exc)
        if self.config.allow_anonymous:
            log.warning(
                "ANONYMOUS access is on: anyone who can reach %s:%d gets an app session, without a key",
                self.config.host, self.config.port,
            )
        # Built once, used by every connection (asyncssh's listen() does the same); the listening is ours
        # (serve/gate.py), so that a connection over the limits is refused before asyncssh sees it.
        self.options = await asyncssh.SSHServerConnectionOptions.construct(
            server_factory=lambda: DemoServer(self),
            server_host_keys=[self.host_key],
            encoding=None,
            line_editor=False,
            allow_pty=True,
            agent_forwarding=False,
            x11_forwarding=False,
            allow_scp=False,
            sftp_factory=None,
            login_timeout=LOGIN_TIMEOUT,
            keepalive_interval=30,
            keepalive_count_max=4,
        )
        await self.gate.listen(self.config.host, self.config.port)
        self.registry.port = self.port
        log.info("serving movierec over SSH on %s:%d (host key %s)", self.config.host, self.port,
                 self.host_key.get_fingerprint())

    async def close(self) -> None:
        self.gate.close()
        sessions = list(self.registry.sessions.values())
        farewell = "\r\nThe movierec server is shutting down. Bye!\r\n"
        for session in sessions:  # before the sessions waiting to start go on: they must not start an app
            session.will_end(farewell, "server stopped")
        self.starts.open_all()
        await asyncio.gather(*(s.end(farewell, "server stopped") for s in sessions))
        if self.zygote is not None:
            self.zygote.stop()
            self.zygote = None


async def run_until_stopped(config: SSHServeConfig, base_env: dict[str, str], host_key: asyncssh.SSHKey) -> None:
    """Serve until SIGINT or SIGTERM, then end every session cleanly."""
    import signal

    demo = SSHDemo(config, base_env, host_key)
    try:
        await demo.start()
    except OSError as exc:
        from movierec_tui.serve.shared import ServeError

        raise ServeError(f"cannot listen on {config.host}:{config.port}: {exc.strerror or exc}") from None
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    auth = "anonymous" if config.allow_anonymous else f"keys in {config.authorized_keys}"
    log.info("connect with: ssh -p %d demo@%s  (%s; ctrl+c stops the server)", demo.port, config.host, auth)
    await stop.wait()
    log.info("stopping: ending %d session(s)", len(demo.registry.sessions))
    await demo.close()
