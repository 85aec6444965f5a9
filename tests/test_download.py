"""The archive download against a real HTTP server on 127.0.0.1 (never the internet)."""

from __future__ import annotations

import hashlib
import http.client
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from movierec_tui.config import load_settings
from movierec_tui.data_loader.download import DownloadError, download_archive, published_md5, sha256_of
from movierec_tui.pipeline import ENV_DATASET_URL, Reporter, acquire_dataset

PAYLOAD = bytes(range(256)) * 1000
GOOD = hashlib.sha256(PAYLOAD).hexdigest()
GOOD_MD5 = hashlib.md5(PAYLOAD).hexdigest()


class Handler(BaseHTTPRequestHandler):
    """Serves PAYLOAD. /ml.zip honours Range; /no-range.zip ignores it; /short.zip drops the connection
    halfway; /missing.zip is a 404; NAME.md5 is the MD5 GroupLens-style (a wrong one for /bad.zip);
    HEAD gives the size."""

    seen: ClassVar[list[tuple[str, str | None]]] = []  # (path, Range header) of every request

    def do_HEAD(self) -> None:
        Handler.seen.append(("HEAD " + self.path, None))
        self.send_response(200)
        self.send_header("Content-Length", str(len(PAYLOAD)))
        self.end_headers()

    def do_GET(self) -> None:
        wanted = self.headers.get("Range")
        Handler.seen.append((self.path, wanted))
        if self.path.startswith("/missing.zip"):
            self.send_error(404)
            return
        if self.path.endswith(".md5"):
            digest = "0" * 32 if self.path == "/bad.zip.md5" else GOOD_MD5
            body = f"MD5 ({self.path[1:-4]}) = {digest}\n".encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        start = 0
        if wanted and self.path != "/no-range.zip":
            start = int(wanted.removeprefix("bytes=").split("-")[0])
            if start >= len(PAYLOAD):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(PAYLOAD)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(PAYLOAD) - 1}/{len(PAYLOAD)}")
        else:
            self.send_response(200)
        body = PAYLOAD[start:]
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[: len(body) // 2] if self.path == "/short.zip" else body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(autouse=True)
def _clear_log() -> None:
    Handler.seen.clear()


def part_of(dest: Path) -> Path:
    return dest.with_suffix(".part")


def test_download_checks_the_hash_and_reports_progress(server, tmp_path) -> None:
    seen: list[tuple[int, int | None]] = []
    dest = download_archive(tmp_path / "ml.zip", f"{server}/ml.zip", GOOD, progress=lambda d, t: seen.append((d, t)))
    assert dest == tmp_path / "ml.zip"
    assert dest.read_bytes() == PAYLOAD and sha256_of(dest) == GOOD
    assert seen[0] == (0, len(PAYLOAD)) and seen[-1] == (len(PAYLOAD), len(PAYLOAD))
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)
    assert not part_of(dest).exists()
    assert Handler.seen == [("/ml.zip", None)]


def test_uppercase_hash_is_accepted(server, tmp_path) -> None:
    assert download_archive(tmp_path / "ml.zip", f"{server}/ml.zip", GOOD.upper()).read_bytes() == PAYLOAD


def test_wrong_hash_deletes_the_partial_file_and_says_so(server, tmp_path) -> None:
    dest = tmp_path / "ml.zip"
    with pytest.raises(DownloadError) as error:
        download_archive(dest, f"{server}/ml.zip", "0" * 64)
    message = str(error.value)
    assert "SHA-256 mismatch" in message and f"expected {'0' * 64}" in message and f"got {GOOD}" in message
    assert f"the partial file {part_of(dest)} was deleted" in message
    assert "\n" not in message
    assert not part_of(dest).exists() and not dest.exists()


def test_a_partial_file_is_resumed_with_a_range_request(server, tmp_path) -> None:
    dest = tmp_path / "ml.zip"
    part_of(dest).write_bytes(PAYLOAD[:1000])
    seen: list[tuple[int, int | None]] = []
    download_archive(dest, f"{server}/ml.zip", GOOD, progress=lambda d, t: seen.append((d, t)))
    assert Handler.seen == [("/ml.zip", "bytes=1000-")]
    assert dest.read_bytes() == PAYLOAD and not part_of(dest).exists()
    assert seen[0] == (1000, len(PAYLOAD)) and seen[-1] == (len(PAYLOAD), len(PAYLOAD))


def test_a_server_ignoring_range_restarts_from_zero(server, tmp_path) -> None:
    dest = tmp_path / "ml.zip"
    part_of(dest).write_bytes(b"stale bytes that must not stay in front")
    download_archive(dest, f"{server}/no-range.zip", GOOD)
    assert Handler.seen[0][1] is not None  # it asked to resume, got a 200
    assert dest.read_bytes() == PAYLOAD


def test_a_partial_file_longer_than_the_file_is_restarted(server, tmp_path) -> None:
    dest = tmp_path / "ml.zip"
    part_of(dest).write_bytes(PAYLOAD + b"junk")
    download_archive(dest, f"{server}/ml.zip", GOOD)
    assert Handler.seen == [("/ml.zip", f"bytes={len(PAYLOAD) + 4}-"), ("/ml.zip", None)]  # 416, then afresh
    assert dest.read_bytes() == PAYLOAD


def test_a_complete_partial_file_is_verified_and_renamed_without_a_request(server, tmp_path) -> None:
    dest = tmp_path / "ml.zip"
    part_of(dest).write_bytes(PAYLOAD)
    assert download_archive(dest, f"{server}/ml.zip", GOOD).read_bytes() == PAYLOAD
    assert Handler.seen == [] and not part_of(dest).exists()


def test_a_dropped_connection_keeps_the_partial_file_for_resuming(server, tmp_path) -> None:
    dest = tmp_path / "ml.zip"
    with pytest.raises(DownloadError, match=r"connection closed after \d+ of \d+ bytes; run setup again to resume$"):
        download_archive(dest, f"{server}/short.zip", GOOD)
    kept = part_of(dest).stat().st_size
    assert 0 < kept < len(PAYLOAD) and not dest.exists()
    download_archive(dest, f"{server}/ml.zip", GOOD)
    assert Handler.seen[-1] == ("/ml.zip", f"bytes={kept}-")
    assert dest.read_bytes() == PAYLOAD


def test_an_existing_good_archive_is_not_downloaded_again(tmp_path) -> None:
    (tmp_path / "ml.zip").write_bytes(PAYLOAD)
    assert download_archive(tmp_path / "ml.zip", "http://127.0.0.1:9/never", GOOD) == tmp_path / "ml.zip"
    assert Handler.seen == []


def test_an_existing_bad_archive_is_replaced(server, tmp_path) -> None:
    (tmp_path / "ml.zip").write_bytes(b"corrupt")
    download_archive(tmp_path / "ml.zip", f"{server}/ml.zip", GOOD)
    assert (tmp_path / "ml.zip").read_bytes() == PAYLOAD


def test_http_and_network_errors_are_one_line(server, tmp_path) -> None:
    with pytest.raises(
        DownloadError, match=r"^download of .*/missing\.zip failed: HTTP 404 .*run setup again to resume$"
    ):
        download_archive(tmp_path / "ml.zip", f"{server}/missing.zip", GOOD)
    with pytest.raises(DownloadError, match=r"^download of http://127\.0\.0\.1:9/closed\.zip failed: \S"):
        download_archive(tmp_path / "ml.zip", "http://127.0.0.1:9/closed.zip", GOOD)


@pytest.mark.parametrize(
    "failure",
    [
        ConnectionResetError(),
        TimeoutError("timed out"),
        http.client.RemoteDisconnected("Remote end closed\nconnection"),
    ],
)
def test_any_transport_failure_becomes_a_download_error(tmp_path, failure) -> None:
    def opener(*args: object, **kwargs: object) -> object:
        raise failure

    with pytest.raises(DownloadError) as error:
        download_archive(tmp_path / "ml.zip", "http://example.invalid/ml.zip", GOOD, opener=opener)
    message = str(error.value)
    assert message.startswith("download of http://example.invalid/ml.zip failed: ") and "\n" not in message


class Said(Reporter):
    """What setup tells the person, in order."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def message(self, text: str) -> None:
        self.lines.append(text)

    def start(self, step: str, total: float | None) -> None:
        self.lines.append(f"start {step} {total}")

    def skip(self, step: str, note: str = "") -> None:
        self.lines.append(f"skip {step}")


def test_a_release_without_a_known_sha256_is_checked_against_its_published_md5(server, tmp_path, monkeypatch) -> None:
    settings = load_settings(tmp_path / "home", env={})
    monkeypatch.setenv(ENV_DATASET_URL, f"{server}/ml.zip")
    said = Said()
    archive = acquire_dataset(settings, None, said, "ml-latest-small")
    assert archive == settings.data_dir / "ml-latest-small.zip" and archive.read_bytes() == PAYLOAD
    # Its size is said before the download starts, with what it holds.
    assert said.lines[0] == (
        f"Downloading MovieLens latest-small (0.3 MB; 9,742 movies up to 2018, 100,836 ratings) from {server}/ml.zip"
    )
    assert said.lines[1] == f"start download {len(PAYLOAD)}"
    assert [path for path, _ in Handler.seen] == ["HEAD /ml.zip", "/ml.zip.md5", "/ml.zip"]
    # A rerun verifies the archive against the SHA-256 kept beside it, without the network.
    Handler.seen.clear()
    again = Said()
    assert acquire_dataset(settings, None, again, "ml-latest-small") == archive
    assert again.lines == ["skip download"] and Handler.seen == []
    assert (settings.data_dir / "ml-latest-small.zip.sha256").read_text().strip() == GOOD


def test_a_wrong_md5_deletes_the_download(server, tmp_path, monkeypatch) -> None:
    settings = load_settings(tmp_path / "home", env={})
    monkeypatch.setenv(ENV_DATASET_URL, f"{server}/bad.zip")
    with pytest.raises(DownloadError, match=r"MD5 mismatch \(expected 0{32}, got " + GOOD_MD5):
        acquire_dataset(settings, None, Said(), "ml-25m")
    assert not list(settings.data_dir.iterdir())


def test_published_md5_formats_and_failures(server) -> None:
    assert published_md5(f"{server}/ml.zip") == GOOD_MD5
    with pytest.raises(DownloadError, match=r"cannot fetch .*/missing\.zip\.md5 to verify the download: HTTP 404"):
        published_md5(f"{server}/missing.zip")
