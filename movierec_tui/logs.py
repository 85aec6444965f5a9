"""Logging to a file under the home dir, and taming PaddlePaddle's logging.

While the TUI owns the terminal, any stray line on stderr corrupts the screen. `import paddle`
installs a root handler at INFO and glog writes to stderr, so both are silenced before and after
the import and all our logging goes to a file.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

os.environ.setdefault("GLOG_minloglevel", "2")
os.environ.setdefault("FLAGS_call_stack_level", "0")


def quiet_paddle() -> None:
    """Remove handlers `import paddle` adds to the root logger; call after importing paddle."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if not isinstance(handler, logging.FileHandler):
            root.removeHandler(handler)


def log_to_file(path: Path, level: int = logging.INFO) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger()
    quiet_paddle()
    if not any(isinstance(h, logging.FileHandler) and Path(h.baseFilename) == path for h in root.handlers):
        handler = logging.FileHandler(path, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    root.setLevel(level)
