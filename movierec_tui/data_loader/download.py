"""Downloading the official MovieLens 1M archive: streamed to a `.part` file, resumed with an HTTP
Range request when possible, and renamed into place only after its SHA-256 matches.

A wrong hash deletes the partial file, so a retry never builds on bad bytes; a dropped connection
keeps it, so a retry resumes. Standard library only: this runs before anything else is set up.
"""

from __future__ import annotations

import hashlib
import http.client
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

OFFICIAL_URL = "https://files.grouplens.org/datasets/movielens/ml-1m.zip"
OFFICIAL_SHA256 = "a6898adb50b9ca05aa231689da44c217cb524e7ebd39d264c56e2832f2c54e20"
OFFICIAL_SIZE = 5917549
CHUNK = 64 * 1024
TIMEOUT = 30.0  # seconds without progress before a socket read gives up
_RETRY = "run setup again to resume"

Progress = Callable[[int, int | None], None]


class DownloadError(Exception):
    """The download failed or its bytes are wrong; one line naming the URL or the hashes."""


class _RangeNotSatisfiable(Exception):
    """The server refused to resume (HTTP 416): the partial file is as long as the file, or longer."""


def sha256_of(path: Path) -> str:
    """Hex SHA-256 of a file, read in blocks so a large archive never sits in memory whole."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def download_archive(
    dest: Path,
    url: str = OFFICIAL_URL,
    sha256: str = OFFICIAL_SHA256,
    progress: Progress | None = None,
    opener: Callable[..., Any] = urllib.request.urlopen,
) -> Path:
    """Fetch `url` to `dest`, verified by `sha256`; returns `dest`.

    `opener` is `urllib.request.urlopen` or anything with its signature (tests serve from 127.0.0.1).
    """
    dest = Path(dest)
    expected = sha256.lower()
    if dest.is_file() and sha256_of(dest) == expected:
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_suffix(".part")
    # A finished download interrupted before its rename needs no request at all.
    if not (partial.is_file() and sha256_of(partial) == expected):
        hint = OFFICIAL_SIZE if url == OFFICIAL_URL else None
        try:
            _fetch(url, partial, progress, opener, hint)
        except _RangeNotSatisfiable:
            partial.unlink(missing_ok=True)
            _fetch(url, partial, progress, opener, hint)
        actual = sha256_of(partial)
        if actual != expected:
            partial.unlink(missing_ok=True)
            raise DownloadError(
                f"{url}: SHA-256 mismatch (expected {expected}, got {actual}); the partial file {partial} was deleted"
            )
    partial.replace(dest)  # same folder, so atomic: `dest` is either absent or complete and verified
    return dest


def _fetch(url: str, partial: Path, progress: Progress | None, opener: Callable[..., Any], hint: int | None) -> None:
    """Append to (resume) or rewrite (restart) `partial` with the bytes of `url`."""
    have = partial.stat().st_size if partial.is_file() else 0
    request = urllib.request.Request(url, headers={"Range": f"bytes={have}-"} if have else {})
    done, total = have, None
    try:
        with opener(request, timeout=TIMEOUT) as response:
            status = getattr(response, "status", None) or response.getcode()
            content_range = response.headers.get("Content-Range")
            if status == 206 and _range_start(content_range) != have:
                partial.unlink(missing_ok=True)
                raise DownloadError(f"download of {url} failed: the server resumed at the wrong offset; run it again")
            resumed = have > 0 and status == 206
            done = have if resumed else 0
            total = _total(content_range, response.headers.get("Content-Length"), done)
            shown = total or hint  # the hint only feeds the progress bar, never the length check below
            if progress is not None:
                progress(done, shown)
            with _local(partial):
                out = partial.open("ab" if resumed else "wb")
            try:
                while block := response.read(CHUNK):
                    with _local(partial):
                        out.write(block)
                        out.flush()
                    done += len(block)
                    if progress is not None:
                        progress(done, shown)
            finally:
                with _local(partial):
                    out.close()
    except urllib.error.HTTPError as exc:
        exc.close()
        if exc.code == 416 and have:
            raise _RangeNotSatisfiable from None
        raise DownloadError(f"download of {url} failed: HTTP {exc.code} {_one_line(exc.reason)}; {_RETRY}") from None
    except LocalFileError as exc:
        raise exc.error from None
    except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as exc:
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        raise DownloadError(f"download of {url} failed: {_one_line(reason)}; {_RETRY}") from None
    if total is not None and done < total:
        raise DownloadError(f"download of {url} failed: the connection closed after {done} of {total} bytes; {_RETRY}")


class LocalFileError(Exception):
    """Wraps an OSError of the local partial file (disk full, permissions) so that it is not taken
    for a network failure: it is re-raised as that OSError, naming the file."""

    def __init__(self, error: OSError) -> None:
        super().__init__(str(error))
        self.error = error


@contextmanager
def _local(path: Path) -> Iterator[None]:
    try:
        yield
    except OSError as exc:
        if exc.filename is None:
            exc.filename = str(path)
        raise LocalFileError(exc) from None


def _range_start(content_range: str | None) -> int | None:
    """The first byte of a `Content-Range: bytes START-END/TOTAL` header, if it parses."""
    if not content_range:
        return None
    unit, _, spec = content_range.strip().partition(" ")
    start = spec.partition("-")[0]
    return int(start) if unit.lower() == "bytes" and start.isdigit() else None


def _total(content_range: str | None, content_length: str | None, start: int) -> int | None:
    if content_range and "/" in content_range:
        size = content_range.rsplit("/", 1)[1].strip()
        if size.isdigit():
            return int(size)
    if content_length and content_length.strip().isdigit():
        return start + int(content_length)
    return None


def _one_line(reason: object) -> str:
    text = " ".join(str(reason).split())
    return text or type(reason).__name__
