"""First code of the processes `serve` starts: tie their life to the server's, then become the app
(on its pty), the Milvus Lite server, or the zygote that forks apps (serve/zygote.py).

    python -m movierec_tui.serve.child app --home HOME
    python -m movierec_tui.serve.child web-app --home HOME
    python -m movierec_tui.serve.child milvus-lite DATA_FILE 127.0.0.1:PORT
    python -m movierec_tui.serve.child zygote FD

This runs after exec, in a fresh single-threaded process. Doing it between fork and exec instead
(`preexec_fn`) is unsafe in the server, which has threads: a child forked while another thread held
the allocator's lock aborted at start (seen as SIGABRT when 16 sessions started at once).
"""

from __future__ import annotations

import os
import signal
import sys

# ENV_SERVER_PID is imported from here by the server's modules; it lives in lifeline.py.
from movierec_tui.serve.lifeline import ENV_SERVER_PID as ENV_SERVER_PID
from movierec_tui.serve.lifeline import die_with_server, follow_server_priority, take_terminal


def run_app(args: list[str]) -> None:
    take_terminal()
    server = os.getppid()
    die_with_server(signal.SIGHUP)
    at_server_priority = follow_server_priority(server)
    from movierec_tui.launch import run_served

    sys.argv = ["movierec-tui", *args]
    sys.exit(run_served(args, started=at_server_priority))


def run_web_app(args: list[str]) -> None:
    """A browser tab's app (serve/web.py): pipes instead of a terminal, the same tie to the server."""
    server = os.getppid()
    die_with_server(signal.SIGHUP)
    at_server_priority = follow_server_priority(server)
    from movierec_tui.launch import run_served

    sys.argv = ["movierec-tui", *args]
    sys.exit(run_served(args, started=at_server_priority))


def run_milvus_lite(args: list[str]) -> None:
    """Milvus Lite's server for the data file on the address, until SIGTERM or the server's death
    (its program exits with this process: stores/lite_server.py)."""
    die_with_server(signal.SIGTERM)
    from pathlib import Path

    from movierec_tui.stores.lite_server import serve_forever

    data_file, address = args
    sys.exit(serve_forever(Path(data_file), address))


def run_zygote(args: list[str]) -> None:
    die_with_server(signal.SIGTERM)
    from movierec_tui.serve.zygote import serve_forks

    serve_forks(int(args[0]))


def main() -> None:
    role, args = (sys.argv[1], sys.argv[2:]) if len(sys.argv) > 1 else ("", [])
    roles = {"app": run_app, "web-app": run_web_app, "milvus-lite": run_milvus_lite, "zygote": run_zygote}
    if role not in roles:
        sys.exit("usage: python -m movierec_tui.serve.child app|web-app|milvus-lite|zygote ARGS...")
    roles[role](args)


if __name__ == "__main__":
    main()
