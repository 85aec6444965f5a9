"""The command's one error path: whatever goes wrong ends as one red line on stderr and an exit code.

Every command, today's and any added later, runs inside `OneLineErrors.main`, which turns
- a usage error (an unknown flag or command, a bad value, a missing argument, contradictory flags)
  into one line with a `--help` hint, instead of click's usage box, and exit 2;
- the project's own exceptions (`launch.failure_of`, and `serve`'s ServeError) into their line and
  code;
- SIGTERM and SIGHUP (cli_signals.Stopped, once every store is closed on the way out) into "stopped
  by SIGTERM" and 128 + the signal's number;
so a command only raises; it never formats an error or picks a code itself. The codes (README,
"Exit codes"): 0 ok, 2 bad input or data, 3 a service unavailable, 4 not set up yet, 130 interrupted,
129 and 143 stopped by SIGHUP and SIGTERM.
Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import typer
from typer.core import TyperGroup

from movierec_tui.cli_signals import Stopped, stopped_by
from movierec_tui.launch import EXIT_BAD_INPUT, Failure, failure_of, report_failure, report_known

EXIT_INTERRUPTED = 130

# The click typer runs on: its own copy (typer._click) since typer 0.2x, click itself before; its
# exceptions are not click's, so they are taken from where typer's BadParameter lives.
_exceptions = sys.modules[typer.BadParameter.__module__]
UsageError: type[Exception] = _exceptions.UsageError
ClickException: type[Exception] = _exceptions.ClickException


class UsageProblem(UsageError):
    """Flags that are each fine but do not go together (`--genre +Horror --genre -Horror`); the
    message says which, as the person typed them."""


def fail(message: str, code: int, cause: BaseException | None = None) -> typer.Exit:
    """One red line for the person; the log also gets the exception behind it (`cause`)."""
    report_failure(message, cause)
    return typer.Exit(code)


def failure(exc: BaseException) -> Failure | None:
    """The line, the exit code and the exception for the log of an error a person can cause or meet;
    None for a bug."""
    from movierec_tui.serve.shared import ServeError

    if isinstance(exc, ServeError):
        return str(exc), exc.exit_code, None
    return failure_of(exc)


def usage_line(exc: Exception, group: TyperGroup, args: Sequence[str]) -> str:
    """click's message on one line, and where to read how the command is used."""
    ctx = getattr(exc, "ctx", None)
    message = " ".join(exc.format_message().split()).rstrip(".")
    where = ctx.command_path if ctx is not None else command_path(group, args)
    return f"{message} See `{where} --help`" if message.endswith("?") else f"{message}; see `{where} --help`"


def command_path(group: TyperGroup, args: Sequence[str]) -> str:
    """ "movierec-tui serve ssh": the command the arguments name, for an error raised in a command's
    body (click gives those no context)."""
    path, command = [group.name or "movierec-tui"], group
    for arg in args:
        commands = getattr(command, "commands", {})
        if arg in commands:
            path.append(arg)
            command = commands[arg]
    return " ".join(path)


class OneLineErrors(TyperGroup):
    """The top-level group: runs the command line in click's non-standalone mode, so that errors
    reach this method instead of click's and typer's printers, and exits with the code."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:  # a caller that handles errors itself
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except UsageError as exc:
            report_failure(usage_line(exc, self, sys.argv[1:] if args is None else args))
            sys.exit(EXIT_BAD_INPUT)
        except typer.Abort:
            report_failure("interrupted")
            sys.exit(EXIT_INTERRUPTED)
        except ClickException as exc:  # a file click could not open, say
            report_failure(" ".join(exc.format_message().split()))
            sys.exit(exc.exit_code)
        except (Exception, Stopped) as exc:
            stopped = stopped_by(exc)
            if stopped is not None:  # SIGTERM, SIGHUP; even if it was turned into another error on its way out
                report_failure(str(stopped))
                sys.exit(stopped.exit_code)
            exit_code = report_known(exc, failure)
            if exit_code is None:
                raise
            sys.exit(exit_code)
        # Non-standalone click returns an Exit's code, or the command's return value (None here);
        # typer turns ctrl+c into Exit(130).
        if code == EXIT_INTERRUPTED:
            report_failure("interrupted")
        sys.exit(code if isinstance(code, int) else 0)
