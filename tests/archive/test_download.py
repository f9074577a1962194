"""Downloads from a real HTTP server on 127.0.0.1 that misbehaves on purpose."""

from __future__ import annotations

import hashlib
import re
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from beepbrain.archive.download import (
    DownloadError,
    archive_org_files_xml,
    cache_path,
    download,
    md5_from_files_xml,
)


class ArchiveServer(ThreadingHTTPServer):
    """Serves one file at /archive.jsonl.zst; ``faults`` lists what the next requests do wrong."""

    daemon_threads = True

    def __init__(self, body: bytes) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.body = body
        self.faults: list[str] = []
        self.requests: list[tuple[str, str | None]] = []  # (path, Range header)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/archive.jsonl.zst"


class _Handler(BaseHTTPRequestHandler):
    server: ArchiveServer

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:
        srv = self.server
        wanted = self.headers.get("Range")
        srv.requests.append((self.path, wanted))
        fault = srv.faults.pop(0) if srv.faults else "ok"
        if self.path != "/archive.jsonl.zst":
            self.send_error(404)
            return
        if fault == "503":
            self.send_response(503)
            self.send_header("Retry-After", "0")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body, start = srv.body, 0
        m = re.fullmatch(r"bytes=(\d+)-", wanted or "")
        if m and fault != "ignore-range":
            start = int(m.group(1))
            if start >= len(body):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(body)}")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(len(body) - start))
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        rest = body[start:]
        if fault == "drop":  # half the promised bytes, then the connection goes away
            self.wfile.write(rest[: len(rest) // 2])
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
            return
        if fault == "stall":
            self.wfile.write(rest[:1000])
            self.wfile.flush()
            time.sleep(1.5)
        self.wfile.write(rest)


@pytest.fixture
def server(corpus_path):
    srv = ArchiveServer(corpus_path.read_bytes())
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_resumes_after_503_and_a_dropped_connection_then_uses_the_cache(server, tmp_path):
    server.faults = ["503", "drop"]
    seen = []
    path = download(
        server.url,
        tmp_path,
        sha256=sha256(server.body),
        backoff=0.01,
        progress=lambda done, total: seen.append((done, total)),
    )
    assert path.read_bytes() == server.body
    ranges = [r for _, r in server.requests]
    assert ranges[0] is None and ranges[1] is None  # 503, then the full request that got dropped
    assert ranges[2] == f"bytes={len(server.body) // 2}-"  # resumed where the dropped one stopped
    assert seen[-1] == (len(server.body), len(server.body))
    assert not path.with_name(path.name + ".part").exists()

    before = len(server.requests)
    again = download(server.url, tmp_path, sha256=sha256(server.body))
    assert again == path and len(server.requests) == before  # cached: the server saw nothing


def test_a_partial_file_from_an_earlier_run_is_continued(server, tmp_path):
    part = cache_path(server.url, tmp_path).with_name(cache_path(server.url, tmp_path).name + ".part")
    part.parent.mkdir(parents=True)
    part.write_bytes(server.body[:12345])
    path = download(server.url, tmp_path)
    assert path.read_bytes() == server.body
    assert server.requests == [("/archive.jsonl.zst", "bytes=12345-")]


def test_server_ignoring_range_restarts_from_zero(server, tmp_path):
    server.faults = ["drop", "ignore-range"]
    path = download(server.url, tmp_path, backoff=0.01)
    assert path.read_bytes() == server.body
    assert server.requests[1][1] is not None  # a Range was asked for, a 200 came back


def test_timeout_is_retried(server, tmp_path):
    server.faults = ["stall"]
    path = download(server.url, tmp_path, timeout=0.5, backoff=0.01)
    assert path.read_bytes() == server.body
    assert len(server.requests) >= 2


def test_checksum_mismatch_is_an_error_and_nothing_is_cached(server, tmp_path):
    with pytest.raises(DownloadError, match="sha256 mismatch"):
        download(server.url, tmp_path, sha256="0" * 64)
    assert not cache_path(server.url, tmp_path).exists()
    path = download(server.url, tmp_path, md5=hashlib.md5(server.body).hexdigest())
    assert path.read_bytes() == server.body


def test_gives_up_with_a_clear_error(server, tmp_path):
    server.faults = ["503"] * 10
    with pytest.raises(DownloadError, match="giving up after 2 retries: HTTP 503"):
        download(server.url, tmp_path, retries=2, backoff=0.01)


def test_archive_org_checksum_lookup():
    url = "https://archive.org/download/beepbox/beepbox-archive.jsonl.zst"
    assert archive_org_files_xml(url) == (
        "https://archive.org/download/beepbox/beepbox_files.xml",
        "beepbox-archive.jsonl.zst",
    )
    assert archive_org_files_xml("http://127.0.0.1:8000/archive.jsonl.zst") is None
    xml = (
        b'<files><file name="other.zip" source="original"><md5>aa</md5></file>'
        b'<file name="beepbox-archive.jsonl.zst" source="original"><md5>ABC123</md5><size>9</size></file></files>'
    )
    assert md5_from_files_xml(xml, "beepbox-archive.jsonl.zst") == "abc123"
    assert md5_from_files_xml(xml, "missing") is None


def test_ingest_from_a_url_downloads_once(server, tmp_path, corpus_records):
    from beepbrain.corpus.ingest import ingest

    server.faults = ["drop"]
    first = ingest(server.url, tmp_path)
    assert first.balanced and first.records_read == len(corpus_records) and first.source == server.url
    n = len(server.requests)
    again = ingest(server.url, tmp_path)
    assert len(server.requests) == n and again.skipped == len(corpus_records)
