"""Hostile archives: a record longer than the limit becomes a size-stage reject holding its offset and first
bytes, reading goes on after it, and memory stays bounded however large a line or a zstd bomb is."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import zstandard

from beepbrain.archive.jsonl import read_jsonl
from beepbrain.archive.lines import PREFIX_BYTES, max_record_bytes
from beepbrain.archive.records import STAGE_SIZE
from beepbrain.archive.urls import read_url_list


def _a_song() -> str:
    from beepbrain.format.new import new_song

    return new_song().to_url()


SONG = _a_song()


def line(author: str, data: str = SONG) -> bytes:
    return (
        json.dumps({"author": author, "type": "beepbox", "content": "", "url": "", "data": data}) + "\n"
    ).encode()


def test_an_oversized_line_is_rejected_with_offset_and_prefix_and_reading_goes_on(tmp_path):
    big = line("big", "x" * 5000)
    text = line("a") + big + line("b")
    path = tmp_path / "a.jsonl"
    path.write_bytes(text)
    records = list(read_jsonl(path, max_bytes=2048))
    assert [r.author for r in records if r.error is None] == ["a", "b"]
    (rejected,) = [r for r in records if r.error is not None]
    assert rejected.stage == STAGE_SIZE and rejected.line == 2 and rejected.offset == len(line("a"))
    assert f"{len(big) - 1:,} bytes at byte offset {len(line('a'))}" in rejected.error
    assert rejected.raw.startswith(big[:PREFIX_BYTES].decode()) and len(rejected.raw) < PREFIX_BYTES + 100
    assert records[2].offset == len(line("a")) + len(big) and records[2].line == 3
    # the same oversized record read again has the same id; a different one of the same prefix does not
    again = [r for r in read_jsonl(path, max_bytes=2048) if r.error is not None][0]
    other = tmp_path / "b.jsonl"
    other.write_bytes(line("big", "x" * 5001))
    assert again.record_id == rejected.record_id
    assert next(read_jsonl(other, max_bytes=2048)).record_id != rejected.record_id


def test_a_file_without_newlines_is_one_size_record(tmp_path):
    path = tmp_path / "flat.jsonl"
    path.write_bytes(b"{" * 100_000)
    (record,) = read_jsonl(path, max_bytes=4096)
    assert record.stage == STAGE_SIZE and record.offset == 0 and "100,000 bytes" in record.error


def test_url_lists_are_bounded_too(tmp_path):
    path = tmp_path / "urls.txt"
    path.write_bytes(
        b"https://www.beepbox.co/#" + SONG.encode() + b"\n" + b"y" * 10_000 + b"\nhttps://x/#abc\n"
    )
    records = list(read_url_list(path, max_bytes=2048))
    assert [r.stage for r in records] == [None, STAGE_SIZE, None]
    assert records[1].offset == len(SONG) + 25 and records[2].line == 3


def test_the_limit_is_configurable(monkeypatch):
    assert max_record_bytes() == 2 << 20
    monkeypatch.setenv("BEEPBRAIN_MAX_RECORD_BYTES", "1048576")
    assert max_record_bytes() == 1 << 20


def write_bomb(path, line_mb: int, newline: bool = True) -> None:
    """A small .jsonl.zst holding one good record, then one line of `line_mb` MB, then another good one."""
    cctx = zstandard.ZstdCompressor(level=3)
    with open(path, "wb") as fh, cctx.stream_writer(fh) as out:
        out.write(line("first"))
        out.write(b'{"author": "bomb", "data": "')
        block = b"A" * (1 << 20)
        for _ in range(line_mb):
            out.write(block)
        if newline:
            out.write(b'"}\n')
            out.write(line("last"))


PEAK = textwrap.dedent("""
    import json, resource, sys
    from beepbrain.corpus.ingest import ingest
    ingest(sys.argv[3], sys.argv[2] + "-warm")  # a small, ordinary source first: imports, catalog, ...
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    report = ingest(sys.argv[1], sys.argv[2])
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"before_mb": before / 1024, "peak_mb": peak / 1024, "report": report.as_dict()}))
""")


def test_a_zstd_bomb_ingests_in_bounded_memory(tmp_path):
    """A 300 MB line (a few KB of zstd) is rejected while the process grows by far less than the line."""
    source = tmp_path / "bomb.jsonl.zst"
    write_bomb(source, 300)
    assert source.stat().st_size < 100_000
    small = tmp_path / "small.jsonl"
    small.write_bytes(line("first") + line("last"))
    out = subprocess.run(
        [sys.executable, "-c", PEAK, str(source), str(tmp_path / "data"), str(small)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    report = result["report"]
    assert report["balanced"] and report["rejects_by_stage"] == {"size": 1} and report["records_read"] == 3
    assert result["peak_mb"] - result["before_mb"] < 100, result  # the line alone is 300 MB

    from beepbrain.corpus.catalog import open_catalog

    with open_catalog(tmp_path / "data") as con:
        offset, error, raw = con.execute('SELECT "offset", error, raw FROM rejects').fetchone()
    assert (
        offset == len(line("first")) and "exceeds the limit" in error and raw.startswith('{"author": "bomb"')
    )
