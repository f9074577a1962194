"""MIDI files and music21's scores as ingest sources: every file a record, converted where records are
parsed; good files become songs (fork 'midi' / 'music21'), bad ones stay in rejects with their reason."""

from __future__ import annotations

import io

import mido
import pytest

from beepbrain.archive.payload import midi_bytes
from beepbrain.cli import main
from beepbrain.corpus.catalog import open_catalog
from beepbrain.corpus.ingest import ingest
from beepbrain.format import parse_song
from beepbrain.midi import midi_to_song


def midi(notes: list[tuple[int, int, int]], channel: int = 0, tpq: int = 96) -> bytes:
    """A type-1 file: (start beat, length in beats, key) notes on one track."""
    out = mido.MidiFile(type=1, ticks_per_beat=tpq)
    events = sorted([(s * tpq, 1, k) for s, n, k in notes] + [((s + n) * tpq, 0, k) for s, n, k in notes])
    track, now = mido.MidiTrack(), 0
    for tick, on, key in events:
        track.append(
            mido.Message(
                "note_on" if on else "note_off", channel=channel, note=key, velocity=90, time=tick - now
            )
        )
        now = tick
    out.tracks.append(track)
    buffer = io.BytesIO()
    out.save(file=buffer)
    return buffer.getvalue()


@pytest.fixture
def midi_folder(tmp_path):
    folder = tmp_path / "midi"
    (folder / "more").mkdir(parents=True)
    good = {
        "scale.mid": midi([(i, 1, 60 + i) for i in range(8)]),
        "more/chords.midi": midi([(0, 2, 60), (0, 2, 64), (0, 2, 67), (2, 2, 65)]),
        "more/drums.MID": midi([(i, 1, 36 + 2 * (i % 2)) for i in range(4)], channel=9),
    }
    copy = {"scale2.mid": good["scale.mid"]}  # the same song again: a duplicate, not a new song
    bad = {
        "text.mid": b"this is not a MIDI file\n",
        "truncated.mid": good["scale.mid"][:30],
        "silent.mid": midi([]),
    }
    for name, data in {**good, **copy, **bad}.items():
        (folder / name).write_bytes(data)
    (folder / "notes.txt").write_text("not a MIDI file name: ignored")
    return folder, good, bad


def test_a_folder_of_midi_files_ingests_good_files_and_rejects_bad_ones(midi_folder, tmp_path):
    folder, good, bad = midi_folder
    data_dir = tmp_path / "data"
    report = ingest(folder, data_dir)
    assert report.balanced and report.records_read == 7
    assert (report.songs_new, report.duplicates, report.rejects_by_stage) == (3, 1, {"convert": 3})
    with open_catalog(data_dir) as con:
        songs = con.execute("SELECT source_url, fork, data FROM songs ORDER BY source_url").fetchall()
        assert [(u, f) for u, f, _ in songs] == [
            ("more/chords.midi", "midi"),
            ("more/drums.MID", "midi"),
            ("scale.mid", "midi"),
        ]
        for url, _, data in songs:  # the stored song string is the converted song
            assert parse_song(data).to_url() == midi_to_song(good[url])[0].to_url()
        sources = dict(con.execute("SELECT url, song_id FROM sources").fetchall())
        assert sources["scale2.mid"] == sources["scale.mid"]
        rejects = {
            u: (stage, error, data)
            for u, stage, error, data in con.execute("SELECT url, stage, error, data FROM rejects").fetchall()
        }
    assert set(rejects) == set(bad)
    assert "MThd not found" in rejects["text.mid"][1]
    assert "ends inside" in rejects["truncated.mid"][1]
    assert "no notes" in rejects["silent.mid"][1]
    for name, (_, _, data) in rejects.items():  # the bad file's bytes are kept
        assert midi_bytes(data) == bad[name]

    again = ingest(folder, data_dir)  # nothing new the second time
    assert again.records_read == 7 and again.skipped == 7 and again.songs_new == 0


def test_cli_ingests_a_midi_folder_and_sql_tells_sources_apart(midi_folder, tmp_path, corpus_path, capsys):
    folder, _, _ = midi_folder
    data_dir = tmp_path / "data"
    assert (
        main(
            ["ingest", "--no-prefect", "--workers", "0", "--source", str(folder), "--data-dir", str(data_dir)]
        )
        == 0
    )
    assert (
        main(
            [
                "ingest",
                "--no-prefect",
                "--workers",
                "0",
                "--source",
                str(corpus_path),
                "--data-dir",
                str(data_dir),
            ]
        )
        == 0
    )
    capsys.readouterr()
    assert (
        main(
            [
                "query",
                "--data-dir",
                str(data_dir),
                "--format",
                "csv",
                "SELECT fork, count(*) AS n FROM songs WHERE fork IN ('midi', 'beepbox') GROUP BY fork ORDER BY fork",
            ]
        )
        == 0
    )
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == "fork,n" and lines[2] == "midi,3" and lines[1].startswith("beepbox,")


def test_a_single_midi_file_is_a_source(tmp_path):
    path = tmp_path / "one.mid"
    path.write_bytes(midi([(0, 1, 60), (1, 1, 62)]))
    report = ingest(path, tmp_path / "data")
    assert report.songs_new == 1 and report.balanced


def test_music21_scores_become_songs_marked_with_their_origin(tmp_path):
    pytest.importorskip("music21", reason="music21 is in the [scores] and [dev] extras")
    data_dir = tmp_path / "data"
    report = ingest("music21:schoenberg", data_dir)  # the smallest collection: two short piano pieces
    assert report.balanced and report.records_read == 2 and report.songs_new == 2
    with open_catalog(data_dir) as con:
        rows = con.execute("SELECT fork, author, source_url, data FROM songs ORDER BY source_url").fetchall()
    assert [(f, a) for f, a, _, _ in rows] == [("music21", "schoenberg")] * 2
    assert [u for _, _, u, _ in rows] == [
        "music21:schoenberg/opus19/movement2.mxl",
        "music21:schoenberg/opus19/movement6.mxl",
    ]
    for *_, data in rows:
        song = parse_song(data)
        assert sum(len(p.notes) for c in song.channels for p in c.patterns) > 10


def test_music21_unknown_collection_is_a_clear_error(tmp_path, capsys):
    pytest.importorskip("music21", reason="music21 is in the [scores] and [dev] extras")
    assert (
        main(
            [
                "ingest",
                "--no-prefect",
                "--workers",
                "0",
                "--source",
                "music21:nosuchthing",
                "--data-dir",
                str(tmp_path),
            ]
        )
        != 0
    )
    err = capsys.readouterr().err
    assert "no collection 'nosuchthing'" in err and "bach" in err and "Traceback" not in err


@pytest.mark.slow
def test_midi_files_convert_on_dask_workers_like_in_process(midi_folder, tmp_path):
    from beepbrain.corpus.cluster import dask_client

    folder, _, _ = midi_folder
    local = ingest(folder, tmp_path / "local")
    with dask_client(workers=2) as client:
        report = ingest(folder, tmp_path / "dask", client=client, chunk_size=2)  # several tasks
    assert report.workers == 2 and report.balanced
    assert (report.songs_new, report.duplicates, report.rejects_by_stage) == (
        local.songs_new,
        local.duplicates,
        local.rejects_by_stage,
    )
    sql = "SELECT song_id, data, source_url FROM songs ORDER BY song_id"
    with open_catalog(tmp_path / "local") as a, open_catalog(tmp_path / "dask") as b:
        assert a.execute(sql).fetchall() == b.execute(sql).fetchall()


def test_conversion_errors_name_their_cause():
    pytest.importorskip("music21", reason="music21 is in the [scores] and [dev] extras")
    from beepbrain.archive.payload import music21_payload
    from beepbrain.archive.records import Record
    from beepbrain.corpus.convert import ConversionError, convert

    with pytest.raises(ConversionError, match=r"^music21 could not read or export nosuch/work\.xml"):
        convert(Record("t", 1, 0, data=music21_payload("nosuch/work.xml")))
    with pytest.raises(ConversionError, match=r"^unreadable payload"):
        convert(Record("t", 1, 0, data="midi;base64,@@not base64@@"))
