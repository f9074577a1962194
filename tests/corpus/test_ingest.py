"""Ingest into Parquet + DuckDB: every record accounted for, tables equal to what parse_song says."""

from __future__ import annotations

import json
from collections import Counter

import zstandard

from beepbrain.archive.records import song_id
from beepbrain.corpus.catalog import open_catalog
from beepbrain.corpus.ingest import ingest
from beepbrain.corpus.store import table_files
from beepbrain.format import Song


def write_zst(path, records) -> None:
    text = "".join(json.dumps(r) + "\n" for r in records)
    path.write_bytes(zstandard.ZstdCompressor().compress(text.encode()))


def rows(con, sql, params=None):
    return con.execute(sql, params).fetchall()


def test_every_record_lands_in_songs_or_rejects(sample_corpus, corpus_records, parsed_songs):
    data_dir, report = sample_corpus
    assert report.balanced and report.records_read == len(corpus_records)
    good = {t for t, s in parsed_songs.items() if isinstance(s, Song)}
    assert report.songs_new == len(good)
    assert report.rejected == len(corpus_records) - report.songs_new - report.duplicates
    with open_catalog(data_dir) as con:
        ((n_sources,),) = rows(con, "SELECT count(*) FROM sources")
        ((n_rejects,),) = rows(con, "SELECT count(*) FROM rejects")
        assert n_sources + n_rejects == len(corpus_records)
        keys = rows(con, "SELECT record_key FROM sources UNION ALL SELECT record_key FROM rejects")
        assert sorted(k for (k,) in keys) == sorted(
            f"songs.jsonl.zst#{i}" for i in range(1, len(corpus_records) + 1)
        )
        assert {sid for (sid,) in rows(con, "SELECT song_id FROM songs")} == {song_id(t) for t in good}
        rejected = {d for (d,) in rows(con, "SELECT data FROM rejects WHERE stage = 'parse'")}
        assert rejected == {t for t, s in parsed_songs.items() if not isinstance(s, Song)}


def test_tables_agree_with_parse_song(sample_corpus, parsed_songs):
    data_dir, _ = sample_corpus
    songs = {song_id(t): s for t, s in parsed_songs.items() if isinstance(s, Song)}
    with open_catalog(data_dir) as con:
        by_rhythm = dict(rows(con, "SELECT rhythm, count(*) FROM songs GROUP BY rhythm"))
        assert by_rhythm == Counter(s.rhythm for s in songs.values())
        by_channels = dict(
            ((p, n), c)
            for p, n, c in rows(
                con, "SELECT pitch_channels, noise_channels, count(*) FROM songs GROUP BY ALL"
            )
        )
        assert by_channels == Counter((s.pitch_channel_count, s.noise_channel_count) for s in songs.values())
        for sid, tempo, key, scale, bars, beats, loop_start, loop_length, notes in rows(
            con,
            "SELECT song_id, tempo, key, scale, bar_count, beats_per_bar, loop_start, loop_length, "
            "note_count FROM songs",
        ):
            s = songs[sid]
            assert (tempo, key, scale, bars, beats, loop_start, loop_length) == (
                s.tempo,
                s.key,
                s.scale,
                s.bar_count,
                s.beats_per_bar,
                s.loop_start,
                s.loop_length,
            )
            assert notes == sum(len(p.notes) for c in s.channels for p in c.patterns)
        ((note_rows,),) = rows(con, "SELECT count(*) FROM notes")
        assert note_rows == sum(len(p.notes) for s in songs.values() for c in s.channels for p in c.patterns)
        # one song in full: its notes and its sequence
        sid = max(songs, key=lambda k: sum(len(p.notes) for c in songs[k].channels for p in c.patterns))
        s = songs[sid]
        got = rows(
            con,
            'SELECT channel, pattern, note, start, "end", pitches, pins FROM notes '
            "WHERE song_id = $id ORDER BY channel, pattern, note",
            {"id": sid},
        )
        want = [
            (
                c,
                p,
                n,
                note.start,
                note.end,
                note.pitches,
                [{"time": q.time, "interval": q.interval, "size": q.size} for q in note.pins],
            )
            for c, ch in enumerate(s.channels)
            for p, pat in enumerate(ch.patterns, 1)
            for n, note in enumerate(pat.notes)
        ]
        assert got == want
        seq = rows(
            con,
            "SELECT channel, list(pattern ORDER BY bar) FROM sequence WHERE song_id = $id "
            "GROUP BY channel ORDER BY channel",
            {"id": sid},
        )
        assert [b for _, b in seq] == [ch.bars for ch in s.channels]


def test_catalog_contract(sample_corpus):
    data_dir, _ = sample_corpus
    with open_catalog(data_dir, read_only=True) as con:
        tables = {name for (name,) in rows(con, "SELECT view_name FROM duckdb_views() WHERE NOT internal")}
        assert {
            "songs",
            "channels",
            "patterns",
            "notes",
            "sequence",
            "instruments",
            "rejects",
            "sources",
        } <= tables
        columns = {
            c
            for (c,) in rows(
                con, "SELECT column_name FROM information_schema.columns WHERE table_name = 'songs'"
            )
        }
        assert {
            "song_id",
            "data",
            "fork",
            "source_url",
            "author",
            "format_version",
            "tempo",
            "key",
            "scale",
            "rhythm",
            "ticks_per_beat",
            "beats_per_bar",
            "bar_count",
            "loop_start",
            "loop_length",
            "pitch_channels",
            "noise_channels",
            "note_count",
        } <= columns
        assert rows(con, "SELECT DISTINCT ticks_per_beat FROM songs WHERE rhythm = 1") == [(4,)]


def test_rerun_adds_nothing_and_a_larger_source_adds_only_new_records(tmp_path, corpus_records):
    small, large = tmp_path / "small.jsonl.zst", tmp_path / "large.jsonl.zst"
    write_zst(small, corpus_records[:120])
    write_zst(large, corpus_records)
    data = tmp_path / "data"
    first = ingest(small, data)
    files = sorted(p for t in ("songs", "sources", "rejects") for p in table_files(data, t))
    again = ingest(small, data)
    assert (again.songs_new, again.duplicates, again.rejected, again.skipped) == (0, 0, 0, 120)
    assert sorted(p for t in ("songs", "sources", "rejects") for p in table_files(data, t)) == files
    bigger = ingest(large, data)  # another file name: records are recognised by content, not position
    assert bigger.balanced and bigger.skipped == 120
    assert bigger.records_read - bigger.skipped == len(corpus_records) - 120
    with open_catalog(data) as con:
        ((n_sources,),) = rows(con, "SELECT count(*) FROM sources")
        ((n_rejects,),) = rows(con, "SELECT count(*) FROM rejects")
        ((n_songs,),) = rows(con, "SELECT count(*) FROM songs")
    assert n_sources + n_rejects == len(corpus_records)
    assert n_songs == first.songs_new + bigger.songs_new


def test_duplicates_are_stored_once_with_every_source(tmp_path, corpus_records, parsed_songs):
    record = next(r for r in corpus_records if isinstance(parsed_songs[r["data"]], Song))
    other = dict(record, author="someone-else", url="https://example.org/#" + record["data"])
    path = tmp_path / "dups.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in (record, other, record)))
    report = ingest(path, tmp_path / "data")
    assert (report.songs_new, report.duplicates, report.skipped) == (1, 1, 1)  # the 3rd is the 1st again
    with open_catalog(tmp_path / "data") as con:
        assert rows(con, "SELECT count(*) FROM songs") == [(1,)]
        assert rows(con, "SELECT record_key, author FROM sources ORDER BY record_key") == [
            ("dups.jsonl#1", record["author"]),
            ("dups.jsonl#2", "someone-else"),
        ]
        assert rows(con, "SELECT source_count FROM song_sources") == [(2,)]
    # a later source that brings the same song again adds a source, not a song
    later = tmp_path / "later.jsonl"
    later.write_text(json.dumps(dict(record, author="third")) + "\n")
    report = ingest(later, tmp_path / "data")
    assert (report.songs_new, report.duplicates) == (0, 1)


def test_corrupt_source_keeps_the_good_and_rejects_the_rest(tmp_path, corpus_records, parsed_songs):
    good = [r for r in corpus_records if isinstance(parsed_songs[r["data"]], Song)][:30]
    lines = [json.dumps(r) for r in good[:10]]
    lines += ["{broken json", json.dumps(dict(good[0], data="9zzzz-not-a-song", author="x"))]
    lines += [json.dumps(r) for r in good[10:]]
    # compressed as a stream of blocks (as large dumps are), so a cut loses only the last block
    cobj = zstandard.ZstdCompressor().compressobj()
    blob = (
        b"".join(
            cobj.compress((line + "\n").encode()) + cobj.flush(zstandard.COMPRESSOBJ_FLUSH_BLOCK)
            for line in lines
        )
        + cobj.flush()
    )
    path = tmp_path / "corrupt.jsonl.zst"
    path.write_bytes(blob[: len(blob) - 150])  # the last frame is cut short
    report = ingest(path, tmp_path / "data")
    assert report.balanced
    assert report.rejects_by_stage.get("json") == 1 and report.rejects_by_stage.get("parse") == 1
    assert report.rejects_by_stage.get("read") == 1
    with open_catalog(tmp_path / "data") as con:
        ((err, raw),) = rows(con, "SELECT error, raw FROM rejects WHERE stage = 'read'")
        assert f"compressed byte offset {len(blob) - 150}" in err
        ((n_songs,),) = rows(con, "SELECT count(*) FROM songs")
    assert n_songs == report.songs_new >= 25
    assert report.records_read == n_songs + report.duplicates + 3
    # the read reject holds what came through of the first line not read whole
    assert lines[report.records_read - 1].startswith(raw)


def test_ingest_cli_defaults_to_the_bundled_sample(tmp_path, capsys):
    from beepbrain.cli import main

    assert main(["ingest", "--data-dir", str(tmp_path), "--no-prefect", "--workers", "0", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["source"] == "sample" and report["balanced"] and report["songs_new"] > 100
    assert main(["query", "--data-dir", str(tmp_path), "SELECT count(*) FROM songs", "--format", "csv"]) == 0
    assert capsys.readouterr().out.split()[-1] == str(report["songs_new"])
    assert (
        main(
            [
                "ingest",
                "--data-dir",
                str(tmp_path),
                "--no-prefect",
                "--workers",
                "0",
                "--source",
                str(tmp_path / "missing.jsonl"),
            ]
        )
        == 2
    )
    assert "neither an http(s) URL, `archive`, nor an existing file" in capsys.readouterr().err


def test_retry_rejects_moves_records_a_better_decoder_accepts(
    tmp_path, corpus_records, parsed_songs, monkeypatch
):
    import beepbrain.corpus.parse as parse_module
    from beepbrain.format import BeepBoxFormatError

    good = [r for r in corpus_records if isinstance(parsed_songs[r["data"]], Song)][:5]
    path = tmp_path / "five.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in good))
    real = parse_module.parse_song

    def older_decoder(text):  # a decoder that does not know this song yet
        if text == good[0]["data"]:
            raise BeepBoxFormatError("unsupported here")
        return real(text)

    monkeypatch.setattr(parse_module, "parse_song", older_decoder)
    first = ingest(path, tmp_path / "data")
    assert (first.songs_new, first.rejected) == (4, 1)
    assert (
        ingest(path, tmp_path / "data", retry_rejects=True).rejected == 1
    )  # still failing: not logged twice
    monkeypatch.setattr(parse_module, "parse_song", real)
    assert ingest(path, tmp_path / "data").skipped == 5  # without the flag, rejects stay as they are
    retried = ingest(path, tmp_path / "data", retry_rejects=True)
    assert (retried.songs_new, retried.rejected, retried.skipped) == (1, 0, 4)
    with open_catalog(tmp_path / "data") as con:
        assert rows(con, "SELECT count(*) FROM songs") == [(5,)]
        assert rows(con, "SELECT count(*) FROM rejects") == [(0,)]
        assert rows(con, "SELECT count(*) FROM rejects_log") == [(1,)]


def test_a_song_no_column_can_hold_is_rejected_alone(tmp_path, corpus_records, parsed_songs, monkeypatch):
    import beepbrain.corpus.parse as parse_module

    good = [r for r in corpus_records if isinstance(parsed_songs[r["data"]], Song)][:6]
    path = tmp_path / "six.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in good))
    real = parse_module.parse_song

    def decoder_with_a_wild_value(text):
        song = real(text)
        if text == good[2]["data"]:
            song.tempo = 2**40  # too big for the tempo column
        return song

    monkeypatch.setattr(parse_module, "parse_song", decoder_with_a_wild_value)
    report = ingest(path, tmp_path / "data")
    assert (report.songs_new, report.rejected) == (5, 1) and report.balanced
    with open_catalog(tmp_path / "data") as con:
        ((key, error),) = rows(con, "SELECT record_key, error FROM rejects")
    assert key == "six.jsonl#3" and "could not be tabulated" in error
