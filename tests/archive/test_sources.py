"""Reading records from every kind of source, and losing none of them when the source is damaged."""

from __future__ import annotations

import json

import pytest
import zstandard

from beepbrain.archive.jsonl import decompressed_chunks, read_jsonl
from beepbrain.archive.records import STAGE_JSON, STAGE_READ
from beepbrain.archive.sources import SAMPLE, resolve_source
from beepbrain.archive.twitter import read_twitter_dir
from beepbrain.archive.urls import read_url_list


def test_zstd_records_match_the_file_and_offsets_point_at_their_lines(corpus_path, corpus_records):
    records = list(read_jsonl(corpus_path))
    assert [(r.author, r.fork, r.url, r.data) for r in records] == [
        (d["author"], d["type"], d["url"], d["data"]) for d in corpus_records
    ]
    text = b"".join(decompressed_chunks(corpus_path))
    for r in records[::25]:
        assert json.loads(text[r.offset :].split(b"\n", 1)[0])["data"] == r.data
    assert [r.line for r in records] == list(range(1, len(records) + 1))


def test_plain_jsonl_gives_the_same_records(corpus_path, tmp_path):
    plain = tmp_path / "archive.jsonl"
    plain.write_bytes(b"".join(decompressed_chunks(corpus_path)))
    assert [r.data for r in read_jsonl(plain)] == [r.data for r in read_jsonl(corpus_path)]


def test_bad_lines_become_json_rejects_in_place(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text(
        '{"author": "a", "type": "beepbox", "content": "", "url": "u", "data": "9n31"}\n'
        "not json at all\n\n[1, 2]\n"
        '{"author": "b", "data": 5}\n'
        '{"author": null, "data": "9n31"}'
    )  # no trailing newline
    records = list(read_jsonl(path))
    assert [r.stage for r in records] == [None, STAGE_JSON, STAGE_JSON, STAGE_JSON, None]
    assert [r.line for r in records] == [1, 2, 4, 5, 6]
    assert records[1].raw == "not json at all" and "invalid JSON" in records[1].error
    assert records[4].author == "" and records[4].data == "9n31"


def test_truncated_zstd_keeps_the_good_records_and_names_the_offset(corpus_path, corpus_records, tmp_path):
    data = corpus_path.read_bytes()
    cut = tmp_path / "cut.jsonl.zst"
    cut.write_bytes(data[: len(data) * 2 // 3])
    records = list(read_jsonl(cut))
    good, last = records[:-1], records[-1]
    assert last.stage == STAGE_READ
    assert (
        f"compressed byte offset {len(data) * 2 // 3}" in last.error and "truncated zstd frame" in last.error
    )
    assert [r.data for r in good] == [d["data"] for d in corpus_records[: len(good)]]
    assert len(good) > 100
    # the reject keeps the start of the record it cut off, at that record's offset
    whole = b"".join(decompressed_chunks(corpus_path))
    assert last.raw and whole[last.offset :].startswith(last.raw.encode())
    assert whole[last.offset - 1 : last.offset] == b"\n"


def test_multi_frame_zstd(tmp_path, corpus_records):
    lines = [json.dumps(r) + "\n" for r in corpus_records[:10]]
    c = zstandard.ZstdCompressor()
    path = tmp_path / "frames.jsonl.zst"
    path.write_bytes(c.compress("".join(lines[:4]).encode()) + c.compress("".join(lines[4:]).encode()))
    assert [r.data for r in read_jsonl(path)] == [r["data"] for r in corpus_records[:10]]


def test_url_list(tmp_path, corpus_records):
    path = tmp_path / "songs.txt"
    song = corpus_records[0]["data"]
    path.write_text(
        f"https://www.beepbox.co/#{song}\n\n# a comment line\n{song}\n"
        "https://jummbus.bitbucket.io/#j6N00abc\nhttps://example.org/no-song-here\n"
    )
    records = list(read_url_list(path))
    assert [r.data for r in records[:2]] == [song, song]
    assert [r.fork for r in records] == ["beepbox", "beepbox", "jummbox", "example.org"]
    assert [r.line for r in records] == [1, 4, 5, 6]
    assert records[0].url == f"https://www.beepbox.co/#{song}"


def test_raw_twitter_archive(raw_twitter_dir):
    records = list(read_twitter_dir(raw_twitter_dir))
    tweets = {p.name: json.loads(p.read_text()) for p in (raw_twitter_dir / "tweets").glob("*.json")}
    assert len(records) == sum(len(t["songs"]) for t in tweets.values())
    assert records[0].source == "raw-twitter-sample/tweets/0.json"  # numeric order: 0, 1, 2, ..., 10
    assert records[-1].source.endswith("/23.json")
    for r in records:
        tweet = tweets[r.source.rsplit("/", 1)[1]]
        entry = tweet["songs"][r.line - 1]
        expected = entry["songData"] if isinstance(entry, dict) else entry.split("#", 1)[1]
        assert r.data == expected and r.author == tweet["actualUserName"] and r.content == tweet["message"]
        assert r.fork in ("beepbox", "jummbox")
        assert "#" in r.url


def test_resolve_source_kinds(tmp_path, corpus_path, raw_twitter_dir):
    assert resolve_source(None, tmp_path).name == SAMPLE
    assert resolve_source(corpus_path, tmp_path).kind == "jsonl"
    assert resolve_source(raw_twitter_dir, tmp_path).kind == "twitter"
    urls = tmp_path / "list.txt"
    urls.write_text("https://www.beepbox.co/#9n31\n")
    assert resolve_source(urls, tmp_path).kind == "urls"
    with pytest.raises(FileNotFoundError, match="neither an http"):
        resolve_source(tmp_path / "missing.jsonl", tmp_path)


def test_record_identity_ignores_where_a_record_sits(corpus_path, tmp_path):
    a = list(read_jsonl(corpus_path))
    b = list(read_jsonl(corpus_path, source="renamed"))
    assert [r.record_id for r in a] == [r.record_id for r in b]
    assert a[0].key == "songs.jsonl.zst#1" and b[0].key == "renamed#1"
    assert len({r.record_id for r in a}) == len({(r.author, r.fork, r.content, r.url, r.data) for r in a})


def test_undecodable_text_is_a_json_reject_not_a_crash(tmp_path):
    path = tmp_path / "bytes.jsonl"
    path.write_bytes(
        b'{"author": "a", "data": "9n31"}\n{"author": "\xff\xfe", "data": "9n31"}\n'
        b'{"author": "\\ud800", "data": "9n31"}\n'
    )
    records = list(read_jsonl(path))
    assert [r.stage for r in records] == [None, STAGE_JSON, STAGE_JSON]
    assert "not UTF-8 at byte 44" in records[1].error and "\\xff" in records[1].raw
    assert "invalid unicode" in records[2].error
