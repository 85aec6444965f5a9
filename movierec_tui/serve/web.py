"""`movierec-tui serve web`: the app in a browser, through textual-serve.

textual-serve starts one app process per browser tab with the server's environment, so the shared
stores and a per-process profile namespace are put into this process's environment first.
"""

from __future__ import annotations

import os
import shlex
import sys

from movierec_tui.config import ENV_PROFILE_NAMESPACE, ENV_PROFILE_TTL, ENV_SERVED, PER_PROCESS_NAMESPACE
from movierec_tui.serve.app_process import app_command
from movierec_tui.serve.shared import SharedStores, session_base_env
from movierec_tui.serve.ssh import ANONYMOUS_PROFILE_TTL


def serve_web(stores: SharedStores, host: str, port: int, public_url: str | None) -> None:
    from textual_serve.server import Server

    env = session_base_env(stores) | {
        ENV_PROFILE_NAMESPACE: PER_PROCESS_NAMESPACE,  # each tab its own, private profiles
        ENV_PROFILE_TTL: str(ANONYMOUS_PROFILE_TTL),  # which nobody can reopen once the tab is gone
        ENV_SERVED: "web",
    }
    env.pop("PATH", None)  # keep the server's own PATH and HOME for the shell textual-serve starts
    env.pop("HOME", None)
    os.environ.update(env)
    command = shlex.join(app_command(str(stores.settings.home)))
    server = Server(command, host=host, port=port, title="movierec", public_url=public_url)
    print(f"serving movierec at {server.public_url} (ctrl+c to stop)", file=sys.stderr, flush=True)
    server.serve()
