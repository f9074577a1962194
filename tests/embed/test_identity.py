"""Which songs hold the same music: the notes fingerprint behind `beepbrain similar`'s identical songs, and
the Parquet batches written before it existed (fast, no training)."""

from __future__ import annotations

import copy

import duckdb
import pyarrow.parquet as pq
import pytest

from beepbrain.embed.identity import form_fingerprint, lowest_pitch, notes_fingerprint
from beepbrain.embed.songs import transpose_song
from beepbrain.format import Note, Pattern, Song
from beepbrain.format.song import Channel, Instrument


def _song() -> Song:
    melody = Pattern([Note.simple(24, 0, 12), Note.simple([28, 31], 24, 48)])
    drums = Pattern([Note.simple(2, 0, 6)])
    return Song(beats_per_bar=4, bar_count=3, pitch_channel_count=1, noise_channel_count=1,
                channels=[Channel(octave=2, instruments=[Instrument.default()], patterns=[melody], bars=[1, 0, 1]),
                          Channel(instruments=[Instrument.default(is_noise=True)], patterns=[drums], bars=[1, 1, 1])])


def test_the_same_notes_played_otherwise_share_a_fingerprint():
    song = _song()
    other = copy.deepcopy(song)
    other.tempo, other.scale = 90, 3
    other.channels[0].instruments = [Instrument.default(type=1)]
    other.channels[0].patterns.append(Pattern([Note.simple(40, 0, 6)]))  # a pattern no bar plays
    assert notes_fingerprint(other) == notes_fingerprint(song) is not None
    # the same notes written one octave lower with the channel one octave higher sound the same
    moved = copy.deepcopy(song)
    moved.channels[0].octave = 3
    for note in moved.channels[0].patterns[0].notes:
        note.pitches = [p - 12 for p in note.pitches]
    assert notes_fingerprint(moved) == notes_fingerprint(song)


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
    by_octave = copy.deepcopy(song)
    by_octave.channels[0].octave = 1
    for moved, shift in ((up, 2), (by_key, 5), (by_octave, -12)):
        assert form_fingerprint(moved) == form and lowest_pitch(moved) == lowest_pitch(song) + shift
        assert notes_fingerprint(moved) != notes_fingerprint(song)
    resaved = copy.deepcopy(song)  # the same notes, another instrument: identical notes, another form
    resaved.channels[0].instruments = [Instrument.default(type=1)]
    assert notes_fingerprint(resaved) == notes_fingerprint(song) and form_fingerprint(resaved) != form
    retimed = copy.deepcopy(song)
    retimed.channels[0].patterns[0].notes[0].end = 6
    assert form_fingerprint(retimed) != form
    assert lowest_pitch(song) == 24 + 24 and lowest_pitch(Song(channels=[])) is None


def test_batches_without_notes_hash_are_embedded_again_and_replaced(tmp_path, raw_twitter_dir):
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
    songs_dir = store.version_dir(data, "v1") / "songs"
    (batch,) = [f for f in songs_dir.glob("*.parquet") if f.stem != "empty"]
    old = tmp_path / "old.parquet"  # the batch as the previous release wrote it
    with duckdb.connect() as con:
        con.execute(f"COPY (SELECT * EXCLUDE (notes_hash) FROM read_parquet('{batch}')) TO '{old}' (FORMAT parquet)")
    assert "notes_hash" not in pq.read_schema(old).names
    old.replace(batch)
    assert store.embedded_song_ids(data, "v1") == set()
    with pytest.raises(NotEmbedded, match="older beepbrain .*run `beepbrain embed`"):
        similar_songs(data, "https://www.beepbox.co/#" + first_song)
    logs: list[str] = []
    second = embed_catalog(data, encoder, log=logs.append)
    assert second.songs_new == first.songs_new and any("notes_hash" in line for line in logs)
    assert not batch.exists() and store.legacy_batches(data, "v1") == []
    with open_catalog(data, read_only=True) as con:
        total, distinct, hashed = con.execute(
            "SELECT count(*), count(DISTINCT song_id), count(notes_hash) FROM song_embeddings").fetchone()
    assert total == distinct == first.songs_new and hashed > 0
    result = similar_songs(data, "https://www.beepbox.co/#" + first_song, k=3)
    assert len(result.matches) == 3 and result.found.startswith("catalog song")
