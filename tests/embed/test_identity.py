"""Which songs hold the same music: the notes fingerprint behind `beepbrain similar`'s identical songs (a
channel's octave is the editor's scroll bar, not a transposition), and the Parquet batches an older release
wrote (before the fingerprints existed, or reading the octave as a transposition) (fast, no training)."""

from __future__ import annotations

import copy
import json

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from beepbrain.embed.identity import fingerprints, form_fingerprint, lowest_pitch, notes_fingerprint
from beepbrain.embed.songs import transpose_song
from beepbrain.format import Note, Pattern, Song, parse_song
from beepbrain.format.song import Channel, Instrument


def _song() -> Song:
    melody = Pattern([Note.simple(24, 0, 12), Note.simple([28, 31], 24, 48)])
    drums = Pattern([Note.simple(2, 0, 6)])
    return Song(
        beats_per_bar=4,
        bar_count=3,
        pitch_channel_count=1,
        noise_channel_count=1,
        channels=[
            Channel(octave=2, instruments=[Instrument.default()], patterns=[melody], bars=[1, 0, 1]),
            Channel(instruments=[Instrument.default(is_noise=True)], patterns=[drums], bars=[1, 1, 1]),
        ],
    )


def test_the_same_notes_played_otherwise_share_a_fingerprint():
    song = _song()
    other = copy.deepcopy(song)
    other.tempo, other.scale = 90, 3
    other.channels[0].instruments = [Instrument.default(type=1)]
    other.channels[0].patterns.append(Pattern([Note.simple(40, 0, 6)]))  # a pattern no bar plays
    assert notes_fingerprint(other) == notes_fingerprint(song) is not None
    # the channel's octave is the editor's scroll bar: moving it moves no note
    scrolled = copy.deepcopy(song)
    scrolled.channels[0].octave = 3
    assert notes_fingerprint(scrolled) == notes_fingerprint(song)


def test_other_music_gets_another_fingerprint():
    song = _song()
    base = notes_fingerprint(song)
    assert notes_fingerprint(transpose_song(song, 2)) != base  # transposed by its notes
    by_key = copy.deepcopy(song)
    by_key.key = 2  # transposed by its key
    assert notes_fingerprint(by_key) != base
    resequenced = copy.deepcopy(song)
    resequenced.channels[0].bars = [1, 1, 0]
    assert notes_fingerprint(resequenced) != base
    bent = copy.deepcopy(song)
    bent.channels[0].patterns[0].notes[0].pins[-1].interval = 2
    assert notes_fingerprint(bent) != base
    other_drum = copy.deepcopy(song)
    other_drum.channels[1].patterns[0].notes[0].pitches = [3]
    assert notes_fingerprint(other_drum) != base
    silent = copy.deepcopy(song)
    for channel in silent.channels:
        channel.bars = [0, 0, 0]
    assert notes_fingerprint(silent) is None


def test_a_song_in_another_key_shares_its_form_and_nothing_else_does():
    song = _song()
    form = form_fingerprint(song)
    up = transpose_song(song, 2)
    by_key = copy.deepcopy(song)
    by_key.key = 5
    down_an_octave = transpose_song(song, -12)
    for moved, shift in ((up, 2), (by_key, 5), (down_an_octave, -12)):
        assert form_fingerprint(moved) == form and lowest_pitch(moved) == lowest_pitch(song) + shift
        assert notes_fingerprint(moved) != notes_fingerprint(song)
    resaved = copy.deepcopy(song)  # the same notes, another instrument: identical notes, another form
    resaved.channels[0].instruments = [Instrument.default(type=1)]
    assert notes_fingerprint(resaved) == notes_fingerprint(song) and form_fingerprint(resaved) != form
    retimed = copy.deepcopy(song)
    retimed.channels[0].patterns[0].notes[0].end = 6
    assert form_fingerprint(retimed) != form
    assert (
        lowest_pitch(song) == 24 and lowest_pitch(Song(channels=[])) is None
    )  # key 0 + pitch 24 (octave 2 aside)
    by_key.channels[0].octave = 6
    assert lowest_pitch(by_key) == 5 + 24


def _resaves(song: Song, octave: int) -> list[tuple[Song, Song]]:
    """(``song`` saved by BeepBox, ``song`` saved with channel 0's octave scroll bar at ``octave``), as a URL
    (whose pitches are coded relative to the octave) and as JSON (``octaveScrollBar``: one below it)."""
    scrolled = copy.deepcopy(song)
    scrolled.channels[0].octave = octave
    obj = song.to_json()
    obj["channels"][0]["octaveScrollBar"] = octave - 1
    return [
        (parse_song(song.to_url()), parse_song(scrolled.to_url())),
        (parse_song(json.dumps(song.to_json())), parse_song(json.dumps(obj))),
    ]


def test_a_resave_with_the_octave_scroll_bar_moved_is_the_same_song_not_a_transposed_one():
    song = _song()  # channel 0 at octave 2
    song.patterns_per_channel, song.loop_length = 1, 3  # as a saved song has them, for the codecs
    for octave in (0, 1, 4, 6):
        for original, resaved in _resaves(song, octave):
            assert resaved.channels[0].octave == octave and original.channels[0].octave == 2
            assert [n.pitches for n in resaved.channels[0].patterns[0].notes] == [[24], [28, 31]]  # absolute
            assert fingerprints(resaved) == fingerprints(original)  # not "transposed": the same notes
            assert lowest_pitch(resaved) == lowest_pitch(original) == 24
    transposed = transpose_song(song, 12)  # moving the notes is a transposition
    assert notes_fingerprint(transposed) != notes_fingerprint(song)
    assert form_fingerprint(transposed) == form_fingerprint(song) and lowest_pitch(transposed) == 36


def test_batches_of_embed_version_1_are_detected(tmp_path):
    """A batch with today's columns but no version (version 1: octaves read as transpositions) is legacy."""
    from beepbrain.embed import store

    folder = store.version_dir(tmp_path, "v1") / "songs"
    folder.mkdir(parents=True)
    row = {
        "song_id": ["a"],
        "patterns": [0],
        "vector": [None],
        "model_version": ["v1"],
        "notes_hash": [None],
        "form_hash": ["f"],
        "lowest_pitch": [None],
    }
    pq.write_table(
        pa.Table.from_pydict(row, schema=store.song_schema().remove_metadata()), folder / "old.parquet"
    )
    pq.write_table(
        pa.Table.from_pydict({**row, "song_id": ["b"]}, schema=store.song_schema()), folder / "new.parquet"
    )
    store.ensure_files(tmp_path, "v1")
    assert store.batch_version(pq.read_schema(folder / "old.parquet")) == 1
    assert store.batch_version(pq.read_schema(folder / "new.parquet")) == store.EMBED_VERSION == 2
    assert store.legacy_batches(tmp_path, "v1") == ["old"]
    assert store.embedded_song_ids(tmp_path, "v1") == {"b"}


def _as_an_older_release_wrote_it(batch, old, kind: str) -> None:
    """Rewrite the song batch ``batch`` (through ``old``) as an older release wrote it: ``no notes_hash``
    (before the identity columns), or ``octave offset`` (embed version 1: every column, no version in the
    metadata, ``lowest_pitch`` 12 x octave too high)."""
    columns = (
        "* EXCLUDE (notes_hash)"
        if kind == "no notes_hash"
        else "* REPLACE ((lowest_pitch + 24)::SMALLINT AS lowest_pitch)"
    )
    with duckdb.connect() as con:
        con.execute(f"COPY (SELECT {columns} FROM read_parquet('{batch}')) TO '{old}' (FORMAT parquet)")
    assert ("notes_hash" in pq.read_schema(old).names) == (kind == "octave offset")
    assert _version(old) == 1
    old.replace(batch)


def _version(path) -> int:
    from beepbrain.embed import store

    return store.batch_version(pq.read_schema(path))


@pytest.mark.parametrize("kind", ["no notes_hash", "octave offset"])
def test_batches_of_an_older_release_are_embedded_again_and_replaced(tmp_path, raw_twitter_dir, kind):
    from beepbrain.corpus.catalog import open_catalog
    from beepbrain.corpus.ingest import ingest
    from beepbrain.embed import store
    from beepbrain.embed.job import embed_catalog
    from beepbrain.embed.model import PatternEncoder
    from beepbrain.embed.registry import LoadedEncoder
    from beepbrain.embed.similar import NotEmbedded, similar_songs

    data = tmp_path / "data"
    ingest(raw_twitter_dir, data)
    encoder = LoadedEncoder(PatternEncoder().eval(), "1", None)
    first = embed_catalog(data, encoder, log=lambda *a: None)
    assert first.songs_new > 0
    with open_catalog(data, read_only=True) as con:
        first_song = con.execute("SELECT data FROM songs ORDER BY song_id LIMIT 1").fetchone()[0]
        texts = dict(con.execute("SELECT song_id, data FROM songs").fetchall())
    songs_dir = store.version_dir(data, "v1") / "songs"
    (batch,) = [f for f in songs_dir.glob("*.parquet") if f.stem != "empty"]
    assert _version(batch) == store.EMBED_VERSION
    _as_an_older_release_wrote_it(batch, tmp_path / "old.parquet", kind)
    assert store.legacy_batches(data, "v1") == [batch.stem]
    assert store.embedded_song_ids(data, "v1") == set()
    with pytest.raises(NotEmbedded, match="older beepbrain .*run `beepbrain embed`"):
        similar_songs(data, "https://www.beepbox.co/#" + first_song)
    logs: list[str] = []
    second = embed_catalog(data, encoder, log=logs.append)
    assert second.songs_new == first.songs_new and any(
        "replaced 1 batch" in line and "octave" in line for line in logs
    )
    assert not batch.exists() and store.legacy_batches(data, "v1") == []
    (new,) = [f for f in songs_dir.glob("*.parquet") if f.stem != "empty"]
    assert _version(new) == store.EMBED_VERSION
    with open_catalog(data, read_only=True) as con:
        total, distinct, hashed = con.execute(
            "SELECT count(*), count(DISTINCT song_id), count(notes_hash) FROM song_embeddings"
        ).fetchone()
        stored = con.execute(
            "SELECT song_id, notes_hash, form_hash, lowest_pitch FROM song_embeddings"
        ).fetchall()
    assert total == distinct == first.songs_new and hashed > 0
    for sid, notes_hash, form_hash, low in stored:  # re-made by today's reading
        assert fingerprints(parse_song(texts[sid])) == {
            "notes_hash": notes_hash,
            "form_hash": form_hash,
            "lowest_pitch": low,
        }
    result = similar_songs(data, "https://www.beepbox.co/#" + first_song, k=3)
    assert len(result.matches) == 3 and result.found.startswith("catalog song")
