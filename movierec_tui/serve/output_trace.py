"""When each byte a session was sent left the server, for measuring what a person waits for.

`benchmarks/ssh_load.py` times a session's start from its client: connection to the first question on
screen. On a shared machine that also counts how long the client took to get the CPU to decrypt and
read it; the server's side of the same moment tells the two apart. With `MOVIEREC_SERVE_TRACE=FILE`
in its environment, `serve ssh` notes for each session the time (CLOCK_MONOTONIC, comparable between
processes of one machine) of every write to the channel with the offset it ended at, for the first
`LIMIT` bytes, and appends them as one JSON line to FILE when the session ends. A client that finds
its question at byte offset X of its stream then knows when the server sent byte X. Off by default:
nothing is recorded, nothing written.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

ENV_SERVE_TRACE = "MOVIEREC_SERVE_TRACE"
LIMIT = 1 << 20  # bytes per session: a start and its first screens; beyond it nothing more is noted


def trace_path_from_env() -> Path | None:
    value = os.environ.get(ENV_SERVE_TRACE, "")
    return Path(value) if value else None


class OutputTrace:
    """One session's writes: `(monotonic seconds, offset after the write)`."""

    def __init__(self, path: Path, peer: tuple[str, int] | None, opened: float) -> None:
        self.path, self.peer = path, peer
        self.opened = opened  # when the TCP connection was accepted
        self.sent = 0
        self.writes: list[tuple[float, int]] = []

    def wrote(self, size: int) -> None:
        if self.sent < LIMIT:
            self.sent += size
            self.writes.append((time.monotonic(), self.sent))

    def save(self) -> None:
        """One line per session, appended whole (a single write of a line well under the pipe/page
        limits; sessions end one at a time in the server's one event loop)."""
        line = {"peer": list(self.peer) if self.peer else None, "opened": self.opened, "writes": self.writes}
        with self.path.open("a") as file:
            file.write(json.dumps(line) + "\n")
