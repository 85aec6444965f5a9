"""Starting the app: from settings to a running `MovieRecApp`, for the CLI and for `serve`'s sessions.

Both the `movierec-tui` command and the app processes that `serve` starts (serve/child.py, and the
zygote's forks) come through here, so neither imports the other: the CLI parses flags and draws
progress bars, the server starts processes, and what it takes to open the stores, check that setup
was done, load the model and run the app is written once.

It also holds what both report on failure: the exit codes and the one line each of the project's
own errors becomes (`failure_of`), never a traceback. The heavy imports (Textual, Paddle, pymilvus)
happen inside the functions, so the CLI's other commands do not pay for them.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape

from movierec_tui import logs
from movierec_tui.config import ENV_SERVED, ConfigError, Settings, load_settings

if TYPE_CHECKING:  # only for annotations: importing the stores here would slow every CLI command
    from movierec_tui.engine import Preloaded
    from movierec_tui.stores.backends import Backends

log = logging.getLogger("movierec_tui")
log.addHandler(logging.NullHandler())  # before the log file is open, nothing reaches stderr via lastResort

EXIT_BAD_INPUT = 2
EXIT_SERVICE = 3
EXIT_NOT_SET_UP = 4

NOT_SET_UP_FOR_SERVING = "this server has not been set up; try again later"
NEEDS_A_TERMINAL = (
    "movierec-tui is a full-screen app and needs a terminal; in a script or a pipe use "
    "`movierec-tui recommend` (see `movierec-tui recommend --help`)"
)

err_console = Console(stderr=True)

SetUp = Callable[[Settings, "Backends"], None]
Failure = tuple[str, int, BaseException | None]  # the one line, the exit code, the exception for the log


# A served app's "my first screen is painted" pipe (serve/start_gate.py): the number of the write end.
ENV_STARTED_FD = "MOVIEREC_STARTED_FD"


class NotSetUp(Exception):
    """Setup was never done and this process may not do it (a served session)."""


class NoTerminal(Exception):
    """The app was started without a terminal to read keys from and draw on."""


def has_terminal() -> bool:
    """The app reads keys from stdin and draws on stdout or stderr: both ends must be a terminal."""
    return sys.stdin.isatty() and (sys.stdout.isatty() or sys.stderr.isatty())


def prepare_settings(home: Path | None, milvus_uri: str | None = None, redis_url: str | None = None) -> Settings:
    """Settings from flags > environment > config.toml > defaults, with the home dir made and the log
    file open. Raises ConfigError or OSError (see `failure_of`)."""
    settings = load_settings(home).with_overrides(milvus_uri=milvus_uri, redis_url=redis_url)
    settings.home.mkdir(parents=True, exist_ok=True)
    logs.log_to_file(settings.log_file)
    return settings


def run_app(
    settings: Settings,
    *,
    profile_name: str | None = None,
    served: str = "",
    set_up: SetUp | None = None,
    loading: Callable[[], AbstractContextManager[object]] = nullcontext,
    preloaded: Preloaded | None = None,
    on_first_screen: Callable[[], None] | None = None,
) -> None:
    """Open the stores, make sure setup was done (running `set_up` if it was not, or raising NotSetUp
    when there is none; a served session's server made sure before it served anyone), load the model
    (inside `loading()`, e.g. a spinner) and run the app until it quits; the stores are closed at the
    end. `served`: "ssh" or "web" when `serve` started this process for someone else (no cursor
    blink: each blink is a repaint sent over the network).
    Without a terminal (and not behind serve web's pipes) it raises NoTerminal instead: the app's input
    thread would spin on end-of-file at 100% CPU. `preloaded`: the model and catalogue a zygote loaded
    for all its forks (engine.Preloaded), used where still current. `on_first_screen`: called once
    when the app's first screen (cards, rows and profile) is painted, or it is waiting for a store."""
    from movierec_tui.app import MovieRecApp
    from movierec_tui.engine import Recommender
    from movierec_tui.status import collect_status
    from movierec_tui.stores.backends import open_backends
    from movierec_tui.widgets.terminal_driver import forgiving

    # One connection to each store serves the readiness check, setup and the app.
    backends = open_backends(settings)
    try:
        # A served session's server checked setup before it let anyone in (serve/shared.py), and a
        # store that fails later is the app's to report. Probed again, each start cost ~25 ms of CPU
        # (the app's and the stores') and two walks of Redis's whole keyspace (every card, everyone's
        # saved profiles), which grow with the catalogue and the audience.
        ready = bool(served) or collect_status(settings, backends).ready
        # After the local command's probe, so that a store's error comes first (served sessions skip it).
        if served != "web" and not has_terminal():
            raise NoTerminal(NEEDS_A_TERMINAL)
        if not ready:
            if set_up is None:
                raise NotSetUp(NOT_SET_UP_FOR_SERVING)
            set_up(settings, backends)
        with loading():
            recommender = Recommender(settings, backends, preloaded)
    except BaseException:
        backends.close()
        raise
    with recommender:  # without a profile named, the one used last is reopened (app/resume.py)
        app = MovieRecApp(
            recommender, profile_name=profile_name, tune_gc=True, served=served, cursor_blink=not served, resume=True
        )
        app.startup.on_first_screen = on_first_screen
        app.driver_class = forgiving(app.driver_class)  # input that is not UTF-8 must not end it
        app.run()


def run_served(
    argv: list[str], preloaded: Preloaded | None = None, started: Callable[[], None] | None = None
) -> int:
    """The app of one session that `serve` started, on the session's terminal: `argv` is what the
    server passes (`--home HOME`, optionally `--profile NAME`); the environment says how it is served.
    `started`: what to do once its first screen is painted (the server's own part: an app starts at a
    lower priority, serve/lifeline.py), besides telling a start gate that asked.
    Never sets up (the server did). Returns the exit code; a failure is one line on the terminal."""
    parser = argparse.ArgumentParser(prog="movierec-tui", add_help=False)
    parser.add_argument("--home", type=Path, default=None)
    parser.add_argument("--profile", default=None)
    args = parser.parse_args(argv)
    try:
        settings = prepare_settings(args.home)
        run_app(settings, profile_name=args.profile, served=os.environ.get(ENV_SERVED, ""), preloaded=preloaded,
                on_first_screen=all_of(started, started_signal()))
    except Exception as exc:
        code = report_known(exc)
        if code is None:
            raise
        return code
    return 0


def all_of(*calls: Callable[[], None] | None) -> Callable[[], None] | None:
    """One call that makes each of `calls` that is there, in order; None when none is."""
    present = [call for call in calls if call is not None]
    if not present:
        return None

    def each() -> None:
        for call in present:
            call()

    return each


def started_signal() -> Callable[[], None] | None:
    """What tells the server that started this app that its first screen is painted, so that the next
    app may start (serve/start_gate.py): one byte on the pipe it handed over, then the pipe closed.
    None when no server asked (the environment names no pipe)."""
    value = os.environ.pop(ENV_STARTED_FD, "")
    if not value.isdigit():
        return None
    fd = int(value)

    def signal_started() -> None:
        nonlocal fd
        if fd < 0:
            return
        try:
            os.write(fd, b"s")
        except OSError:  # the server is gone or stopped waiting: nothing to tell
            pass
        finally:
            with contextlib.suppress(OSError):
                os.close(fd)
            fd = -1

    return signal_started


def failure_of(exc: BaseException) -> Failure | None:
    """The one line, the exit code and the exception for the log (with its traceback, for a store's)
    of an error a person can cause or meet (bad data, a bad flag, a store that is down, no setup
    yet); None for anything else (a bug: let it show)."""
    from movierec_tui.data_loader.download import DownloadError
    from movierec_tui.data_loader.errors import DataError
    from movierec_tui.model.encoder import ModelMissing
    from movierec_tui.profile import ProfileError
    from movierec_tui.stores.errors import StoreError, library_failure
    from movierec_tui.titles import AmbiguousTitle, TitleNotFound
    from movierec_tui.vocabulary import VocabularyError

    bad_input = DataError | VocabularyError | TitleNotFound | AmbiguousTitle | ProfileError | ConfigError | NoTerminal
    if isinstance(exc, bad_input):
        return str(exc), EXIT_BAD_INPUT, None
    if isinstance(exc, StoreError):  # Milvus or Redis: down, unreachable, or refusing a request
        return str(exc), EXIT_SERVICE, exc
    if isinstance(exc, DownloadError):
        return str(exc), EXIT_SERVICE, None
    if isinstance(exc, ModelMissing | NotSetUp):
        return str(exc), EXIT_NOT_SET_UP, None
    if isinstance(exc, OSError):
        return describe_os_error(exc), EXIT_BAD_INPUT, None
    message = library_failure(exc)  # a store library's own exception that was not wrapped
    return (message, EXIT_SERVICE, exc) if message is not None else None


def report_known(exc: BaseException, describe: Callable[[BaseException], Failure | None] | None = None) -> int | None:
    """Reports an error a person can cause or meet (`describe`, by default `failure_of`) as its one
    line and returns its exit code; None for a bug, which the caller re-raises."""
    known = (describe or failure_of)(exc)
    if known is None:
        return None
    message, code, cause = known
    report_failure(message, cause)
    return code


def describe_os_error(exc: OSError) -> str:
    """One line naming the path and the cause, e.g. a full disk or a home dir that cannot be written."""
    what = exc.strerror or str(exc) or type(exc).__name__
    if exc.filename is None:
        return what
    other = f" -> {exc.filename2}" if exc.filename2 else ""
    return f"cannot write or read {exc.filename}{other}: {what}"


def report_failure(message: str, cause: BaseException | None = None) -> None:
    """The failure's one red line on stderr (the terminal of a served session), and in the log with
    the exception behind it, if any."""
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    log.error("%s", message, exc_info=cause)
