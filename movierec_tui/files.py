"""Files written whole or not at all.

Several things are written while another process may read them (the model's weights while an app
loads them, the embedded Valkey's record while a second app looks for it, an export a script picks
up) or must survive a crash (a training checkpoint, a journal entry holding ratings not yet in
Redis). They all follow one pattern, kept here so that it is right once: write a temporary file
beside the target, in the same directory so the rename cannot cross file systems, then rename it
over the target in one step.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def replaced_whole(target: Path, *, durable: bool = False) -> Iterator[Path]:
    """Yield a path beside `target` for the block to write; when the block ends, rename it over
    `target`. A reader sees the old file or the new one, never half of one; a failure in the block
    removes the partial file and leaves `target` as it was. With `durable`, the file and then its
    directory are flushed to disk, so that after return a power loss keeps the new file."""
    target = Path(target)
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        yield partial
        if durable:
            _fsync(partial, os.O_RDONLY)
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    if durable:
        _fsync(target.parent, os.O_RDONLY | os.O_DIRECTORY)


def write_whole(target: Path, data: bytes | str, *, durable: bool = False) -> None:
    """`data` as the whole of `target` (text as UTF-8), by :func:`replaced_whole`."""
    with replaced_whole(target, durable=durable) as partial:
        partial.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)


def _fsync(path: Path, flags: int) -> None:
    descriptor = os.open(path, flags)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
