"""The archive download against a real HTTP server on 127.0.0.1 (never the internet)."""

from __future__ import annotations

import hashlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from movierec_tui.data_loader.download import DownloadError, download_archive, sha256_of

PAYLOAD = bytes(range(256)) * 1000
GOOD = hashlib.sha256(PAYLOAD).hexdigest()


class Handler(BaseHTTPRequestHandler):
    ranges_seen: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        if self.path == "/missing.zip":
            self.send_error(404)
            return
        start = 0
        header = self.headers.get("Range")
        if header:
            Handler.ranges_seen.append(header)
            start = int(header.removeprefix("bytes=").rstrip("-"))
            self.send_response(206)
        else:
            self.send_response(200)
        body = PAYLOAD[start:]
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_download_checks_the_hash_and_reports_progress(server, tmp_path) -> None:
    seen: list[tuple[int, int | None]] = []
    dest = download_archive(tmp_path / "ml.zip", f"{server}/ml.zip", GOOD, progress=lambda d, t: seen.append((d, t)))
    assert dest.read_bytes() == PAYLOAD and sha256_of(dest) == GOOD
    assert seen[-1] == (len(PAYLOAD), len(PAYLOAD))
    assert not (tmp_path / "ml.zip.part").exists()


def test_wrong_hash_deletes_the_partial_file_and_says_so(server, tmp_path) -> None:
    with pytest.raises(DownloadError) as error:
        download_archive(tmp_path / "ml.zip", f"{server}/ml.zip", "0" * 64)
    message = str(error.value)
    assert "SHA-256 mismatch" in message and GOOD in message and "was deleted" in message
    assert "\n" not in message
    assert not (tmp_path / "ml.zip.part").exists() and not (tmp_path / "ml.zip").exists()


def test_a_partial_file_is_resumed_with_a_range_request(server, tmp_path) -> None:
    (tmp_path / "ml.zip.part").write_bytes(PAYLOAD[:1000])
    Handler.ranges_seen.clear()
    dest = download_archive(tmp_path / "ml.zip", f"{server}/ml.zip", GOOD)
    assert Handler.ranges_seen == ["bytes=1000-"]
    assert dest.read_bytes() == PAYLOAD


def test_an_existing_good_archive_is_not_downloaded_again(tmp_path) -> None:
    (tmp_path / "ml.zip").write_bytes(PAYLOAD)
    assert download_archive(tmp_path / "ml.zip", "http://127.0.0.1:9/never", GOOD) == tmp_path / "ml.zip"


def test_http_and_network_errors_are_one_line(server, tmp_path) -> None:
    with pytest.raises(DownloadError, match=r"download of .*/missing.zip failed: .*run setup again to resume"):
        download_archive(tmp_path / "ml.zip", f"{server}/missing.zip", GOOD)
    with pytest.raises(DownloadError, match="failed"):
        download_archive(tmp_path / "ml.zip", "http://127.0.0.1:9/closed.zip", GOOD)
