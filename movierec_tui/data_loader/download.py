"""Downloading an official MovieLens archive by name: streamed to a `.part` file, resumed with an
HTTP Range request when possible, and renamed into place only after its hash matches (the SHA-256
this project knows, else the MD5 GroupLens publishes beside each zip as `NAME.zip.md5`).

A wrong hash deletes the partial file, so a retry never builds on bad bytes; a dropped connection
keeps it, so a retry resumes. Standard library only: this runs before anything else is set up.
"""

from __future__ import annotations

import hashlib
import http.client
import re
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BASE_URL = "https://files.grouplens.org/datasets/movielens/"
OFFICIAL_URL = BASE_URL + "ml-1m.zip"
OFFICIAL_SHA256 = "a6898adb50b9ca05aa231689da44c217cb524e7ebd39d264c56e2832f2c54e20"
OFFICIAL_SIZE = 5917549


@dataclass(frozen=True)
class Release:
    """A MovieLens release `setup --dataset NAME` downloads."""

    name: str  # "ml-25m": the archive is NAME.zip
    title: str  # "MovieLens 25M"
    approx_size: str  # said before the download starts when the server does not give the size
    content: str  # what is in it, in words
    sha256: str | None = None  # known here; else the .md5 published beside the zip is checked
    size: int | None = None  # exact bytes, where known

    @property
    def url(self) -> str:
        return f"{BASE_URL}{self.name}.zip"


RELEASES: dict[str, Release] = {
    r.name: r
    for r in (
        Release("ml-1m", "MovieLens 1M", "5.9 MB", "3,883 movies up to 2000, 1 million ratings", OFFICIAL_SHA256,
                OFFICIAL_SIZE),
        Release("ml-latest-small", "MovieLens latest-small", "about 1 MB", "9,742 movies up to 2018, 100,836 ratings"),
        Release("ml-25m", "MovieLens 25M", "about 250 MB", "62,423 movies up to 2019, 25 million ratings"),
        Release("ml-32m", "MovieLens 32M", "about 240 MB", "87,585 movies up to 2023, 32 million ratings"),
    )
}  # fmt: skip
DEFAULT_RELEASE = "ml-1m"
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
    return _digest_of(path, "sha256")


def _digest_of(path: Path, algorithm: str) -> str:
    digest = hashlib.new(algorithm)
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
    algorithm: str = "sha256",
) -> Path:
    """Fetch `url` to `dest`, verified by the hex digest `sha256` (of `algorithm`: "sha256", or "md5"
    for a release whose SHA-256 this project does not know); returns `dest`.

    `opener` is `urllib.request.urlopen` or anything with its signature (tests serve from 127.0.0.1).
    """
    dest = Path(dest)
    expected = sha256.lower()
    if dest.is_file() and _digest_of(dest, algorithm) == expected:
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_suffix(".part")
    # A finished download interrupted before its rename needs no request at all.
    if not (partial.is_file() and _digest_of(partial, algorithm) == expected):
        hint = OFFICIAL_SIZE if url == OFFICIAL_URL else None
        try:
            _fetch(url, partial, progress, opener, hint)
        except _RangeNotSatisfiable:
            partial.unlink(missing_ok=True)
            _fetch(url, partial, progress, opener, hint)
        actual = _digest_of(partial, algorithm)
        if actual != expected:
            partial.unlink(missing_ok=True)
            label = {"sha256": "SHA-256", "md5": "MD5"}.get(algorithm, algorithm)
            raise DownloadError(
                f"{url}: {label} mismatch (expected {expected}, got {actual}); the partial file {partial} was deleted"
            )
    partial.replace(dest)  # same folder, so atomic: `dest` is either absent or complete and verified
    return dest


def published_md5(url: str, opener: Callable[..., Any] = urllib.request.urlopen) -> str:
    """The MD5 GroupLens publishes beside an archive (`URL.md5`, "HASH  NAME" or "MD5 (NAME) = HASH")."""
    try:
        with opener(urllib.request.Request(url + ".md5"), timeout=TIMEOUT) as response:
            text = response.read(4096).decode("ascii", errors="replace")
    except urllib.error.HTTPError as exc:
        exc.close()
        raise DownloadError(f"cannot fetch {url}.md5 to verify the download: HTTP {exc.code}; {_RETRY}") from None
    except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as exc:
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        raise DownloadError(f"cannot fetch {url}.md5 to verify the download: {_one_line(reason)}; {_RETRY}") from None
    match = re.search(r"\b[0-9a-fA-F]{32}\b", text)
    if match is None:
        raise DownloadError(f"{url}.md5 holds no MD5 hash: {_one_line(text[:80])!r}")
    return match.group().lower()


def remote_size(url: str, opener: Callable[..., Any] = urllib.request.urlopen) -> int | None:
    """The archive's size in bytes from a HEAD request, or None if the server does not say."""
    try:
        with opener(urllib.request.Request(url, method="HEAD"), timeout=TIMEOUT) as response:
            length = response.headers.get("Content-Length")
    except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError):
        return None
    return int(length) if length and length.strip().isdigit() else None


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
