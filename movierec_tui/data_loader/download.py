"""Downloading the official MovieLens 1M archive: streamed to a `.part` file, resumed with an HTTP
Range request when possible, and renamed into place only after its SHA-256 matches. A wrong hash
deletes the partial file, so a retry never builds on bad bytes."""

from __future__ import annotations

import hashlib
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

OFFICIAL_URL = "https://files.grouplens.org/datasets/movielens/ml-1m.zip"
OFFICIAL_SHA256 = "a6898adb50b9ca05aa231689da44c217cb524e7ebd39d264c56e2832f2c54e20"
OFFICIAL_SIZE = 5_917_549
CHUNK = 64 * 1024

Progress = Callable[[int, int | None], None]


class DownloadError(Exception):
    """The download failed or its bytes are wrong; one line naming the URL or the hashes."""


def sha256_of(path: Path) -> str:
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
    opener: Callable[..., object] = urllib.request.urlopen,
) -> Path:
    if dest.exists() and sha256_of(dest) == sha256:
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(dest.name + ".part")
    have = partial.stat().st_size if partial.exists() else 0
    request = urllib.request.Request(url, headers={"Range": f"bytes={have}-"} if have else {})
    try:
        with opener(request, timeout=30) as response:  # type: ignore[attr-defined]
            resumed = have > 0 and getattr(response, "status", 200) == 206
            if not resumed:
                have = 0
            length = response.headers.get("Content-Length")
            total = have + int(length) if length else None
            with partial.open("ab" if resumed else "wb") as out:
                done = have
                while block := response.read(CHUNK):
                    out.write(block)
                    done += len(block)
                    if progress is not None:
                        progress(done, total)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DownloadError(f"download of {url} failed: {reason}; run setup again to resume") from None
    actual = sha256_of(partial)
    if actual != sha256:
        partial.unlink(missing_ok=True)
        raise DownloadError(
            f"{url}: SHA-256 mismatch (expected {sha256}, got {actual}); the partial file {partial} was deleted"
        )
    partial.replace(dest)
    return dest
