"""Logging to a file under the home dir, and taming PaddlePaddle's logging.

While the TUI owns the terminal, any stray line on stderr corrupts the screen. `import paddle`
installs a root handler at INFO, glog writes to stderr and pymilvus has stderr handlers of its own,
so all of them are silenced and all logging goes to a file.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import warnings
from pathlib import Path

# Read by the libraries' C++ cores when they start, so they must be in the environment of every process
# that runs the app (serve passes them on to the sessions it starts: see serve.shared.session_base_env).
# gRPC's C core (under pymilvus) logs keepalive and GOAWAY chatter ("ENHANCE_YOUR_CALM") straight to
# stderr, which in a served session is the person's screen.
QUIET_ENVIRONMENT = {"GLOG_minloglevel": "2", "FLAGS_call_stack_level": "0", "GRPC_VERBOSITY": "NONE"}
for _name, _value in QUIET_ENVIRONMENT.items():
    os.environ.setdefault(_name, _value)
# paddle.utils.cpp_extension warns on import when ccache is absent; it concerns building C++
# extensions, which this app never does.
warnings.filterwarnings("ignore", message="No ccache found", category=UserWarning)
# cryptography (51 and later) warns, as asyncssh's modules load, that algorithms asyncssh still offers
# (DSA) are deprecated: a line on stderr at every `serve ssh`, about nothing its user chose (its host
# key is Ed25519), and a one-line error of `serve` became eleven lines.
warnings.filterwarnings("ignore", category=UserWarning, module=r"asyncssh(\.|$)")


def quiet_libraries() -> None:
    """Send library logging to our file only.

    `import paddle` adds a root stream handler at INFO, and pymilvus gives its loggers their own
    stderr handlers (it logs every failed RPC, even an expected "alias does not exist"). Both are
    removed; their records then reach the root logger and so the log file.
    """
    root = logging.getLogger()
    for handler in list(root.handlers):
        if not isinstance(handler, logging.FileHandler):
            root.removeHandler(handler)
    for name in ("pymilvus", "pymilvus.milvus_client", "pymilvus.bulk_writer"):
        library = logging.getLogger(name)
        for handler in list(library.handlers):
            library.removeHandler(handler)
        library.propagate = True
    restore_fatal_signals()


# The signals whose handlers `import paddle` replaces, and paddle.disable_signal_handler resets.
PADDLE_SIGNALS = (signal.SIGTERM, signal.SIGSEGV, signal.SIGILL, signal.SIGFPE, signal.SIGABRT, signal.SIGBUS)


def restore_fatal_signals() -> None:
    """`import paddle` installs C++ handlers for SIGTERM, SIGSEGV, SIGABRT... that print a "FatalError"
    with a C++ traceback over the app's screen, and that can block on a full stderr pipe: a served app
    then ignored SIGTERM and kept running. Each signal gets its default action back, or the Python
    handler installed before paddle's import (a command's SIGTERM handler, cli_signals): paddle's
    import and its reset both replace it underneath Python, which still believed it installed."""
    paddle = sys.modules.get("paddle")
    if paddle is not None and hasattr(paddle, "disable_signal_handler"):
        paddle.disable_signal_handler()
        if threading.current_thread() is threading.main_thread():  # only there can handlers be set
            for signum in PADDLE_SIGNALS:
                handler = signal.getsignal(signum)
                if callable(handler):
                    signal.signal(signum, handler)


class ExpectedLibraryErrors(logging.Filter):
    """Libraries that log, at ERROR and with a traceback, failures the caller expects and handles.

    pymilvus logs every failed RPC so (a setup asks whether the `movies` alias exists, and "does not
    exist" is an answer), and Milvus Lite's in-process gRPC server logs each method it does not
    implement (pymilvus probes one and falls back). A successful setup wrote four ERROR tracebacks to
    movierec.log, burying real errors. They are kept as one INFO line; whether a failure is an error is
    decided by our code, which logs its own line when it is."""

    EXPECTED = (("pymilvus", "RPC error"), ("grpc._server", "Method not implemented"))

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.ERROR and any(
            record.name.startswith(name) and text in record.getMessage() for name, text in self.EXPECTED
        ):
            record.msg, record.args = record.getMessage().split("\nTraceback", 1)[0], None
            record.levelno, record.levelname = logging.INFO, "INFO"
            record.exc_info, record.exc_text = None, None
        return True


def log_to_file(path: Path, level: int = logging.INFO) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger()
    quiet_libraries()
    if not any(isinstance(h, logging.FileHandler) and Path(h.baseFilename) == path for h in root.handlers):
        handler = logging.FileHandler(path, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handler.addFilter(ExpectedLibraryErrors())
        root.addHandler(handler)
    root.setLevel(level)
