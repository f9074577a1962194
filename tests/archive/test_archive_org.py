"""`--source archive`: the dump's file is looked up in the archive.org item's `_files.xml`, with the name the
archive's own scripts write (`beepbox-archive.jsonl.zstd`) as the fallback; served here by a local HTTP
server laid out like archive.org (`/download/<item>/<file>`)."""

from __future__ import annotations

import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from beepbrain.archive.archive_org import ARCHIVE_ORG_ENV, DUMP_NAME, ITEM, resolve_dump
from beepbrain.archive.download import DownloadError
from beepbrain.archive.sources import resolve_source


class ArchiveOrg(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, files: dict[str, bytes]) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.files = files  # path -> body
        self.requests: list[str] = []

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: ArchiveOrg

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:
        self.server.requests.append(self.path)
        body = self.server.files.get(self.path)
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def files_xml(entries: list[tuple[str, bytes]], md5: str | None = None) -> bytes:
    rows = "".join(
        f'<file name="{name}" source="original"><size>{len(body)}</size>'
        f"<md5>{md5 or hashlib.md5(body).hexdigest()}</md5><format>Unknown</format></file>"
        for name, body in entries
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><files>{rows}<file name="{ITEM}_meta.xml" source="metadata">'
        f"<format>Metadata</format></file></files>".encode()
    )


@pytest.fixture()
def serve(monkeypatch):
    servers = []

    def start(files: dict[str, bytes]) -> ArchiveOrg:
        server = ArchiveOrg(files)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        monkeypatch.setenv(ARCHIVE_ORG_ENV, server.base)
        return server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def dump(corpus_path) -> bytes:
    return corpus_path.read_bytes()  # a real .jsonl.zst of archive records


DUMP_PATH = f"/download/{ITEM}/{DUMP_NAME}"
LIST_PATH = f"/download/{ITEM}/{ITEM}_files.xml"


def test_the_file_list_names_the_dump_and_its_md5(serve, dump, tmp_path):
    server = serve({LIST_PATH: files_xml([(DUMP_NAME, dump)]), DUMP_PATH: dump})
    found = resolve_dump()
    assert found.url == server.base + DUMP_PATH and found.from_file_list
    assert found.md5 == hashlib.md5(dump).hexdigest()
    src = resolve_source("archive", tmp_path)
    assert src.path.read_bytes() == dump and src.kind == "jsonl" and src.name == found.url
    assert json.loads(src.path.with_name(src.path.name + ".json").read_text())["md5"] == found.md5


def test_without_a_file_list_the_known_name_is_used(serve, dump, tmp_path):
    server = serve({DUMP_PATH: dump})  # no _files.xml: 404
    found = resolve_dump()
    assert found.url == server.base + DUMP_PATH and not found.from_file_list and found.md5 is None
    assert resolve_source("archive", tmp_path).path.read_bytes() == dump
    assert LIST_PATH in server.requests


def test_a_dump_under_another_name_is_found_in_the_list(serve, dump, tmp_path):
    other = f"/download/{ITEM}/beepbox-archive-2026.jsonl.zst"
    server = serve(
        {LIST_PATH: files_xml([("beepbox-archive-2026.jsonl.zst", dump), ("notes.txt", b"x")]), other: dump}
    )
    assert resolve_dump().url == server.base + other
    assert resolve_source("archive", tmp_path).path.read_bytes() == dump


def test_the_listed_md5_is_checked(serve, dump, tmp_path):
    serve({LIST_PATH: files_xml([(DUMP_NAME, dump)], md5="0" * 32), DUMP_PATH: dump})
    with pytest.raises(DownloadError, match="md5 mismatch"):
        resolve_source("archive", tmp_path)


@pytest.mark.parametrize("with_list", [True, False])
def test_ingest_source_archive_end_to_end(with_list, serve, dump, tmp_path, capsys):
    from beepbrain.cli import main

    files = {DUMP_PATH: dump}
    if with_list:
        files[LIST_PATH] = files_xml([(DUMP_NAME, dump)])
    server = serve(files)
    assert (
        main(
            [
                "ingest",
                "--source",
                "archive",
                "--data-dir",
                str(tmp_path),
                "--no-prefect",
                "--workers",
                "0",
                "--json",
            ]
        )
        == 0
    )
    report = json.loads(capsys.readouterr().out)
    assert report["source"] == server.base + DUMP_PATH and report["balanced"] and report["songs_new"] > 100
