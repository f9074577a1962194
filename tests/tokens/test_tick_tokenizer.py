"""The tick tokenizer: round trips on the test corpus, conditioning, degenerate songs, save/load, transposition."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from token_helpers import Note, corpus_songs, make_song, note_set  # noqa: E402

from beepbrain.format import parse_song  # noqa: E402
from beepbrain.tokens import COND_DIM, Conditioning, TickTokenizer, TickTokenizerConfig  # noqa: E402
from beepbrain.tokens.tick_vocab import BAR, BOS, EOS, HOLD, REST  # noqa: E402


@pytest.fixture(scope="module")
def tokenizer():
    return TickTokenizer()


@pytest.fixture(scope="module")
def songs(corpus_records):
    songs = corpus_songs(corpus_records)
    assert len(songs) > 150  # the test corpus parses
    return songs


def test_round_trip_whole_corpus(songs, tokenizer):
    """decode(encode(song)) is a valid song; its notes equal the original's on the grid, except exactly
    the notes the loss counters report as altered or dropped."""
    exact_total = notes_total = 0
    for song in songs:
        encoded = tokenizer.encode(song)
        decoded = tokenizer.decode(encoded.tokens, encoded.conditioning)
        reparsed = parse_song(decoded.to_url())
        assert note_set(reparsed) == note_set(decoded)
        original = note_set(song)  # trimmed bars hold only dropped notes
        got = note_set(decoded)
        losses = encoded.losses
        assert sum(original.values()) == losses["notes"]
        assert sum(got.values()) == losses["notes_kept"] == losses["notes"] - losses["notes_dropped"]
        assert sum((original & got).values()) == losses["notes_exact"]
        assert decoded.bar_count == encoded.bars == song.bar_count - losses["bars_trimmed"]
        assert decoded.beats_per_bar == song.beats_per_bar
        assert Conditioning.of_song(decoded) == encoded.conditioning
        exact_total += losses["notes_exact"]
        notes_total += losses["notes"]
    assert exact_total / notes_total > 0.9  # the grid keeps nearly every note


def test_stream_layout(tokenizer):
    song = make_song(
        2,
        1,
        bars=2,
        notes={
            0: [(0, Note.simple([60, 64, 67], 0, 24))],
            1: [(1, Note.simple(40, 12, 18))],
            2: [(0, Note.simple(3, 0, 4))],
        },
    )
    enc = tokenizer.encode(song)
    t = enc.tokens
    channels, ticks = 3, 8 * 12
    assert len(t) == 1 + 2 * (channels * ticks + 1)
    assert t[0] == BOS and t[1 + channels * ticks] == BAR and t[-1] == EOS
    bar0 = t[1 : 1 + channels * ticks].reshape(ticks, channels)
    assert tokenizer.vocab.name(bar0[0, 0]) == "P60+4+7"
    assert (bar0[1:12, 0] == HOLD).all() and (bar0[12:, 0] == REST).all()
    assert tokenizer.vocab.name(bar0[0, 2]) == "D3" and bar0[1, 2] == HOLD and bar0[2, 2] == REST
    bar1 = t[2 + channels * ticks : -1].reshape(ticks, channels)
    assert tokenizer.vocab.name(bar1[6, 1]) == "P40" and (bar1[7:9, 1] == HOLD).all()
    assert list(enc.bar_offsets) == [0, 1 + channels * ticks]


def test_grid_losses_are_counted(tokenizer):
    song = make_song(
        1,
        0,
        bars=1,
        notes={
            0: [
                (0, Note.simple(60, 1, 7)),  # off the 2-part grid
                (0, Note.simple(62, 8, 30)),  # truncated by the next note
                (0, Note.simple([50, 51, 53, 56], 24, 30)),  # chord shape without a token...
                (0, Note.simple(70, 24, 26)),  # ...on the tick of an exact note: the chord collides
                (0, Note.simple(72, 48, 60, size=2)),  # quiet
            ]
        },
    )
    losses = tokenizer.encode(song).losses
    assert losses["notes"] == 5
    assert losses["off_grid"] == 1
    assert losses["collided"] == 1 and losses["notes_dropped"] == 1
    assert losses["truncated"] == 1
    assert losses["chords_reduced"] == 1 and losses["pitches_dropped"] >= 1
    assert losses["volume"] == 1
    assert losses["notes_altered"] == 2 and losses["notes_exact"] == 2


def test_conditioning_one_hots():
    cond = Conditioning(rhythm=3, pitch_channels=10, noise_channels=0)
    v = cond.vector()
    assert v.shape == (COND_DIM,) == (21,) and v.dtype == np.float32
    assert v.sum() == 3
    assert v[3] == 1 and v[5 + 9] == 1 and v[15 + 0] == 1
    v = Conditioning(0, 1, 5).vector()
    assert v[0] == 1 and v[5] == 1 and v[20] == 1
    for bad in ((5, 1, 0), (0, 0, 0), (0, 11, 0), (0, 1, 6), (0, 1, -1)):
        with pytest.raises(ValueError):
            Conditioning(*bad)


def test_conditioning_matches_song(songs, tokenizer):
    for song in songs[:40]:
        cond = tokenizer.encode(song).conditioning
        v = cond.vector()
        assert np.flatnonzero(v).tolist() == [
            song.rhythm,
            5 + song.pitch_channel_count - 1,
            15 + song.noise_channel_count,
        ]


@pytest.mark.parametrize("pitch, noise, bars", [(1, 0, 1), (10, 5, 1), (10, 5, 3), (3, 1, 16)])
def test_degenerate_songs(tokenizer, pitch, noise, bars):
    notes = {c: [(bars - 1, Note.simple(c % 12, 0, 12))] for c in range(0, pitch + noise, 3)}
    for song in (make_song(pitch, noise, bars=bars), make_song(pitch, noise, bars=bars, notes=notes)):
        enc = tokenizer.encode(song)
        assert enc.tokens[0] == BOS and enc.tokens[-1] == EOS
        assert len(enc.tokens) == 1 + enc.bars * ((pitch + noise) * 8 * 12 + 1)
        dec = tokenizer.decode(enc.tokens, enc.conditioning)
        assert parse_song(dec.to_url()).channel_count == pitch + noise
        assert note_set(dec) == note_set(song, enc.bars)


def test_bars_past_128_are_cut_and_counted(tokenizer):
    song = make_song(1, 0, bars=4, notes={0: [(b, Note.simple(60, 0, 12)) for b in range(4)]})
    song.bar_count = 130  # as a JummBox song may be
    for channel in song.channels:
        channel.bars = [1, 2, 3, 4] * 32 + [1, 2]
    enc = tokenizer.encode(song)
    assert enc.bars == 128 and enc.losses["bars_cut"] == 2
    assert (
        enc.losses["notes"] == 130 and enc.losses["notes_dropped"] == 2 and enc.losses["notes_exact"] == 128
    )


def test_empty_song_is_one_silent_bar(tokenizer):
    enc = tokenizer.encode(make_song(2, 1, bars=8))
    assert enc.bars == 1 and enc.losses["bars_trimmed"] == 7
    assert set(enc.tokens[1:-1].tolist()) == {REST}


def test_beats_per_bar_and_ticks(songs):
    tok = TickTokenizer(TickTokenizerConfig(ticks_per_beat=4))
    song = make_song(1, 0, bars=1, beats_per_bar=3, notes={0: [(0, Note.simple(60, 0, 6))]})
    enc = tok.encode(song)
    assert len(enc.tokens) == 1 + 3 * 4 + 1
    assert tok.decode(enc.tokens, enc.conditioning).beats_per_bar == 3
    with pytest.raises(ValueError):
        TickTokenizerConfig(ticks_per_beat=5)


def test_save_load(tmp_path, tokenizer):
    path = tokenizer.save(tmp_path / "tok.json")
    loaded = TickTokenizer.load(path)
    assert loaded.vocab.names == tokenizer.vocab.names and loaded.config == tokenizer.config
    small = TickTokenizer(TickTokenizerConfig(ticks_per_beat=6, pitch_shapes=[(), (7,)], drum_shapes=[()]))
    small.save(tmp_path / "small.json")
    again = TickTokenizer.load(tmp_path / "small.json")
    assert again.vocab_size == small.vocab_size == 6 + (85 + 78) + 12
    assert again.vocab.id("P77+7") == small.vocab.id("P77+7")
    (tmp_path / "bad.json").write_text('{"format": "other"}')
    with pytest.raises(ValueError):
        TickTokenizer.load(tmp_path / "bad.json")


def test_transpose(tokenizer):
    song = make_song(
        1, 1, bars=1, notes={0: [(0, Note.simple([60, 64, 67], 0, 24))], 1: [(0, Note.simple(2, 0, 6))]}
    )
    enc = tokenizer.encode(song)
    up = tokenizer.transpose(enc.tokens, 5)
    dec = tokenizer.decode(up, enc.conditioning)
    assert note_set(dec) == {(0, 0, 0, 24, (65, 69, 72)): 1, (1, 0, 0, 6, (2,)): 1}
    assert tokenizer.transpose(enc.tokens, 20) is None  # 67 + 20 > 84


def test_decode_is_robust(tokenizer):
    cond = Conditioning(1, 2, 1)
    rng = np.random.default_rng(0)
    for _ in range(20):
        junk = rng.integers(0, tokenizer.vocab_size, size=int(rng.integers(0, 3000)))
        song = tokenizer.decode(junk, cond)
        assert parse_song(song.to_url()).channel_count == 3


def test_finer_grid_keeps_beepbox_rhythms(songs):
    """At 24 ticks per beat (one per part) nothing is off the grid; at 12, only ÷8 and freehand rhythms are."""
    fine, coarse = TickTokenizer(TickTokenizerConfig(ticks_per_beat=24)), TickTokenizer()
    for song in songs[:80]:
        assert fine.encode(song).losses["off_grid"] == 0
        if song.rhythm in (0, 1, 2):  # steps of 8, 6, 4 parts
            assert coarse.encode(song).losses["off_grid"] == 0
