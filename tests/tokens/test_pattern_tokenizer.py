"""The pattern tokenizer on real songs: lossless where it should be, a grammar every real song obeys, and
streams the grammar allows always decode to songs BeepBox opens."""

from __future__ import annotations

import json

import numpy as np
import pytest

from beepbrain.format import Note, NotePin, Song, new_song, parse_song
from beepbrain.tokens import (
    Conditioning,
    PatternTokenizer,
    PatternTokenizerConfig,
    TickTokenizer,
    load_tokenizer,
    new_tokenizer,
    tokenizer_from_dict,
)
from beepbrain.tokens.augment import channel_variants
from beepbrain.tokens.bpe import BPE


@pytest.fixture(scope="module")
def songs(corpus_records):
    out = []
    for record in corpus_records:
        try:
            out.append(parse_song(record["data"]))
        except ValueError:
            continue
    return out


@pytest.fixture(scope="module")
def tok():
    return PatternTokenizer()


def played(song):
    """(channel, bar) -> sorted (start, end, pitches in stored order) of the notes the song plays there."""
    out = {}
    for c in range(song.channel_count):
        for b in range(song.bar_count):
            p = song.pattern_at(c, b)
            if p is not None and p.notes:
                out[(c, b)] = sorted((n.start, n.end, tuple(dict.fromkeys(n.pitches))) for n in p.notes)
    return out


def test_real_songs_round_trip(songs, tok):
    notes = exact = 0
    for song in songs:
        enc = tok.encode(song)
        back = tok.decode(enc.tokens, enc.conditioning)
        assert np.array_equal(tok.encode(back).tokens, enc.tokens)  # encode -> decode -> encode is stable
        assert parse_song(back.to_url()).to_url() == back.to_url()  # a song BeepBox's format holds
        assert (back.tempo, back.key, back.scale, back.beats_per_bar) == (
            song.tempo,
            song.key,
            song.scale,
            song.beats_per_bar,
        )
        assert [c.instruments[0].type for c in back.channels] == [
            c.instruments[0].type for c in song.channels
        ]
        want, got = played(song), played(back)
        for where, ns in want.items():
            notes += len(ns)
            exact += sum(n in got.get(where, []) for n in ns)
    assert notes > 10_000
    assert exact / notes >= 0.99


def test_repeated_bars_cost_one_token(tok):
    song = new_song(1, 0, bars=4, beats_per_bar=4)
    ch = song.channels[0]
    ch.patterns[0].notes = [Note.simple(24, 0, 12), Note.simple([24, 28, 31], 12, 24)]
    ch.patterns[1].notes = [Note.simple(26, 6, 30)]
    ch.bars = [1, 2, 1, 1]
    names = tok.describe(tok.encode(song).tokens)
    body = names[names.index("BAR") :]
    assert body.count("NEW") == 2 and body.count("REF_1") == 2
    assert body[body.index("POS_12") : body.index("POS_12") + 5] == [
        "POS_12",
        "P_24",
        "P_28",
        "P_31",
        "DUR_12",
    ]


def test_volume_and_bend_shapes_come_back(tok):
    song = new_song(1, 1, bars=1, beats_per_bar=4)
    song.channels[0].patterns[0].notes = [
        Note([30], 0, 24, [NotePin(0, 0, 2), NotePin(2, 12, 3), NotePin(2, 24, 0)]),
        Note([44, 40], 30, 33, [NotePin(0, 0, 1), NotePin(-1, 3, 1)]),  # off-grid (freehand); arpeggio order
    ]
    song.channels[1].patterns[0].notes = [Note.simple([0, 5], 48, 54)]
    enc = tok.encode(song)
    assert enc.losses["notes_exact"] == 3 and enc.losses["pins_altered"] == 0
    back = tok.decode(enc.tokens, enc.conditioning)
    assert back.channels[0].patterns[0].notes == song.channels[0].patterns[0].notes
    assert back.channels[1].patterns[0].notes[0].pitches == [0, 5]


def test_instruments_come_back_exactly_in_full_detail(songs):
    full = PatternTokenizer(PatternTokenizerConfig(instrument_detail="full"))
    same = total = 0
    for song in songs[:80]:
        enc = full.encode(song)
        back = full.decode(enc.tokens, enc.conditioning)
        for a, b in zip(song.channels, back.channels, strict=True):
            total += 1
            same += a.instruments[0] == b.instruments[0]
    assert same == total


def test_every_real_stream_obeys_the_grammar(songs, tok):
    for song in songs[:120]:
        enc = tok.encode(song)
        grammar = tok.grammar(enc.conditioning, beats_per_bar=None)
        for t in enc.tokens:
            assert grammar.allows(t), tok.vocab.name(t)
            grammar.advance(t)
        assert grammar.done


@pytest.mark.parametrize("seed", range(24))
def test_random_walks_of_the_grammar_decode_to_valid_songs(tok, seed):
    rng = np.random.default_rng(seed)
    cond = Conditioning(int(rng.integers(0, 5)), int(rng.integers(1, 4)), int(rng.integers(0, 3)))
    grammar = tok.grammar(
        cond,
        beats_per_bar=int(rng.integers(3, 17)),
        bars=int(rng.integers(1, 4)),
        strict_rhythm=bool(seed % 2),
    )
    tokens = []
    while not grammar.done:
        allowed = np.flatnonzero(grammar.mask())
        token = int(rng.choice(allowed))
        grammar.advance(token)
        tokens.append(token)
    song = tok.decode(tokens, cond)
    assert (song.rhythm, song.pitch_channel_count, song.noise_channel_count) == (
        cond.rhythm,
        cond.pitch_channels,
        cond.noise_channels,
    )
    assert parse_song(song.to_url()).to_url() == song.to_url()
    assert Song.from_json(song.to_json()).to_url() == song.to_url()  # the same song as BeepBox JSON
    again = tok.encode(song).tokens
    assert np.array_equal(tok.encode(tok.decode(again, cond)).tokens, again)


def test_grammar_forces_fixed_header_values_and_instrument_types(tok):
    cond = Conditioning(1, 2, 1)
    grammar = tok.grammar(cond, beats_per_bar=8, bars=2, tempo=97, key=5, instrument_types={1: 1, 2: 4})
    v = tok.vocab
    grammar.advance(v.id("BOS"))
    for name in ("TEMPO_97", "KEY_5"):
        assert np.flatnonzero(grammar.mask()).tolist() == [v.id(name)]
        grammar.advance(v.id(name))
    with pytest.raises(ValueError, match="drum channel"):
        tok.grammar(cond, instrument_types={2: 0})
    with pytest.raises(ValueError, match="cannot fix"):
        TickTokenizer().grammar(cond, tempo=120)


def test_rhythm_grid_is_kept_when_strict(tok):
    cond = Conditioning(1, 1, 0)  # ÷4: 6 parts a step
    rng = np.random.default_rng(3)
    for _ in range(5):
        grammar = tok.grammar(cond, beats_per_bar=4, bars=2, strict_rhythm=True)
        tokens = []
        while not grammar.done:
            t = int(rng.choice(np.flatnonzero(grammar.mask())))
            grammar.advance(t)
            tokens.append(t)
        for note in (n for ch in tok.decode(tokens, cond).channels for p in ch.patterns for n in p.notes):
            assert note.start % 6 == 0 and note.end % 6 == 0 and all(pin.time % 6 == 0 for pin in note.pins)


def test_decode_is_tolerant_of_garbage(tok):
    cond = Conditioning(1, 2, 1)
    rng = np.random.default_rng(0)
    for _ in range(20):
        song = tok.decode(rng.integers(0, tok.vocab_size, size=400), cond)
        assert parse_song(song.to_url()).channel_count == 3


def test_save_load_and_one_loader_for_both_kinds(tmp_path, tok):
    tok.save(tmp_path / "p.json")
    TickTokenizer().save(tmp_path / "t.json")
    assert isinstance(load_tokenizer(tmp_path / "p.json"), PatternTokenizer)
    assert isinstance(load_tokenizer(tmp_path / "t.json"), TickTokenizer)
    old = json.loads((tmp_path / "t.json").read_text())
    old.pop("kind")  # tokenizers saved before the pattern tokenizer existed
    assert isinstance(tokenizer_from_dict(old), TickTokenizer)
    assert new_tokenizer("pattern").vocab.names == tok.vocab.names
    with pytest.raises(ValueError, match="unknown tokenizer kind"):
        new_tokenizer("words")
    (tmp_path / "bad.json").write_text('{"format": "nope"}')
    with pytest.raises(ValueError, match="not a saved BeepBrain tokenizer"):
        load_tokenizer(tmp_path / "bad.json")


def test_transpose_moves_pitches_not_drums(songs, tok):
    song = next(s for s in songs if s.noise_channel_count and tok.lowest_pitch(tok.encode(s).tokens))
    enc = tok.encode(song)
    up = tok.transpose(enc.tokens, 2)
    back = tok.decode(up, enc.conditioning)
    want, got = played(song), played(back)
    for (c, b), notes in want.items():
        shift = 0 if song.is_noise_channel(c) else 2
        assert got[(c, b)] == [(s, e, tuple(p + shift for p in ps)) for s, e, ps in notes]
    assert tok.transpose(enc.tokens, 200) is None
    assert tok.lowest_pitch(up) == tok.lowest_pitch(enc.tokens) + 2


def test_prompt_tokens_raise_the_bar_count(songs, tok):
    song = songs[5]
    prefix, total = tok.prompt_tokens(song, 4)
    enc = tok.encode(song)
    assert total == enc.bars + 4
    assert tok.vocab.id(f"BARS_{total}") in prefix and prefix[-1] != tok.eos_id
    grammar = tok.grammar(enc.conditioning, beats_per_bar=song.beats_per_bar, bars=total)
    for t in prefix:
        grammar.advance(t)
    assert not grammar.done


def test_channel_variants_follow_the_conditioning(songs, tok):
    song = next(s for s in songs if s.pitch_channel_count >= 3 and s.noise_channel_count)
    variants = channel_variants(song, 4, seed="x")
    assert len(variants) == 4
    assert channel_variants(song, 4, seed="x")[0].channels == variants[0].channels  # deterministic
    layouts = set()
    for v in variants:
        enc = tok.encode(v)
        assert enc.conditioning == Conditioning.of_song(v)
        assert all(ch in song.channels for ch in v.channels)
        layouts.add(tuple(id(ch) for ch in v.channels))
    assert len(layouts) == 4


def test_bpe_shortens_and_expands_back(songs, tok):
    streams = [tok.encode(s).tokens for s in songs[:120]]
    bpe = BPE.train(streams[:100], tok.vocab_size, 300)
    held = streams[100:]
    encoded = [bpe.encode(s) for s in held]
    assert sum(map(len, encoded)) < 0.9 * sum(map(len, held))
    assert all(np.array_equal(bpe.expand(e), s) for e, s in zip(encoded, held, strict=True))
    for e in encoded:  # bar lines stay tokens of their own, so windows still start on them
        assert (e == tok.bar_id).sum() == (bpe.expand(e) == tok.bar_id).sum()
    again = BPE.from_dict(json.loads(json.dumps(bpe.to_dict())))
    assert np.array_equal(again.encode(held[0]), encoded[0])


def test_merged_tokenizer_cuts_windows_as_the_base_does(songs, tok, tmp_path):
    """A dataset written with BPE merges trains and scores as the base tokenizer's does: its saved
    tokenizer cuts merged streams into the same views (header, pins, the song's own bars), merged."""
    from beepbrain.tokens.bpe import MergedTokenizer
    from beepbrain.tokens.dataset import build_dataset_from_songs
    from beepbrain.tokens.loader import WindowLoader

    bpe = BPE.train([tok.encode(s).tokens for s in songs[:100]], tok.vocab_size, 300)
    merged = MergedTokenizer(tok, bpe)
    long = [s for s in songs[100:] if len(tok.encode(s).tokens) > 600][:3]
    assert long
    for song in long:
        base, cond = tok.encode(song).tokens, Conditioning.of_song(song)
        stream = merged.encode(song).tokens
        assert len(stream) < len(base) and np.array_equal(bpe.expand(stream), base)
        assert len(merged.bar_lines(stream)) == len(tok.bar_lines(base))
        for bar in (1, len(tok.bar_lines(base)) // 2, len(tok.bar_lines(base)) - 1):
            view = merged.view(stream, cond, bar, 256)
            assert np.array_equal(bpe.expand(view), tok.view(base, cond, bar, 256))
        assert played(merged.decode(stream, cond)) == played(tok.decode(base, cond))
    again = tokenizer_from_dict(json.loads(json.dumps(merged.to_dict())))
    assert isinstance(again, MergedTokenizer) and again.vocab_size == merged.vocab_size
    assert np.array_equal(again.encode(long[0]).tokens, merged.encode(long[0]).tokens)
    with pytest.raises(NotImplementedError, match="no grammar"):
        merged.grammar(Conditioning(1, 1, 1))

    manifest = build_dataset_from_songs(songs[100:160], tmp_path / "merged", tokenizer=merged)
    assert manifest["vocab_size"] == merged.vocab_size
    loader = WindowLoader(tmp_path / "merged", "train", block_size=128, batch_size=4)
    assert loader.windows > len(loader.index)  # songs longer than the context have later windows
    for song, bar in loader.starts[:40]:
        window = bpe.expand(loader.window(song, bar))
        whole = tok.view(bpe.expand(loader.song_tokens(song)), loader.conds[song], int(bar), 128)
        assert window[0] == tok.bos_id and np.array_equal(window, whole[: len(window)])
    x, y, _cond = loader.get_batch_numpy(0)
    assert x.max() < merged.vocab_size and (y >= 0).mean() > 0.5


@pytest.mark.parametrize("scale", [0, 6, 7, 11])
def test_in_scale_keeps_pitch_channel_notes_in_the_header_scale(tok, scale):
    from beepbrain.format import config as fc

    cond = Conditioning(1, 2, 1)
    rng = np.random.default_rng(scale)
    grammar = tok.grammar(cond, beats_per_bar=4, bars=3, scale=scale, in_scale=True)
    tokens = []
    while not grammar.done:
        t = int(rng.choice(np.flatnonzero(grammar.mask())))
        grammar.advance(t)
        tokens.append(t)
    song = tok.decode(tokens, cond)
    assert song.scale == scale
    for c in range(cond.pitch_channels):
        for p in song.channels[c].patterns:
            for n in p.notes:
                assert all(q % 12 in fc.SCALE_PITCH_CLASSES[scale] for q in n.pitches)


def edited_copies(song):
    """Songs no corpus holds: the song transposed up 2 semitones (pitch channels, where every note stays
    in range), and an edited copy (every third note removed, tempo, key and scale changed, channel 1
    given another instrument with a setting changed)."""
    import copy

    from beepbrain.format import Instrument
    from beepbrain.tokens.instrument_tokens import allowed_types

    up = copy.deepcopy(song)
    for c in range(up.pitch_channel_count):
        for pattern in up.channels[c].patterns:
            for note in pattern.notes:
                if max(note.pitches) + 2 + max(0, *(p.interval for p in note.pins)) <= 84:
                    note.pitches = [p + 2 for p in note.pitches]
    edited = copy.deepcopy(song)
    for channel in edited.channels:
        for pattern in channel.patterns:
            pattern.notes = [n for i, n in enumerate(pattern.notes) if i % 3 != 2]
    edited.tempo = min(300, edited.tempo + 7)
    edited.key = (edited.key + 3) % 12
    edited.scale = (edited.scale + 5) % 12
    first = edited.channels[0].instruments[0].type
    other = next(t for t in allowed_types(False) if t != first)
    inst = Instrument.default(other, False)
    inst.volume = 5
    edited.channels[0].instruments = [inst]
    return [parse_song(up.to_url()), parse_song(edited.to_url())]  # what BeepBox would load


def test_transposed_and_edited_songs_round_trip(songs, tok):
    notes = exact = 0
    for song in songs[::4]:
        for variant in edited_copies(song):
            enc = tok.encode(variant)
            back = tok.decode(enc.tokens, enc.conditioning)
            assert np.array_equal(tok.encode(back).tokens, enc.tokens)
            assert (
                Song.from_json(back.to_json()).to_url() == back.to_url() == parse_song(back.to_url()).to_url()
            )
            assert (back.tempo, back.key, back.scale) == (variant.tempo, variant.key, variant.scale)
            assert [c.instruments[0].type for c in back.channels] == [
                c.instruments[0].type for c in variant.channels
            ]
            assert back.channels[0].instruments[0] == variant.channels[0].instruments[0]
            want, got = played(variant), played(back)
            for where, ns in want.items():
                notes += len(ns)
                exact += sum(n in got.get(where, []) for n in ns)
    assert notes > 2_000 and exact / notes >= 0.99


@pytest.mark.parametrize("seed", range(8))
def test_start_with_notes_never_leaves_the_first_bar_silent(tok, seed):
    """Even a scorer that prefers EMPTY everywhere writes some pattern in the first bar."""
    from beepbrain.generate.sampling import SamplingConfig, sample_sequence

    cond = Conditioning(1, 2, 1)
    grammar = tok.grammar(cond, beats_per_bar=4, bars=2, start_with_notes=True)
    logits = np.zeros(tok.vocab_size)
    logits[tok.vocab.id("EMPTY")] = 50.0
    tokens = sample_sequence(grammar, lambda ctx: logits, SamplingConfig(temperature=0, seed=seed))
    song = tok.decode(tokens, cond)
    assert any(song.pattern_at(c, 0) is not None for c in range(cond.channels))
    silent = tok.grammar(cond, beats_per_bar=4, bars=2)
    assert song_is_silent(
        tok.decode(sample_sequence(silent, lambda ctx: logits, SamplingConfig(temperature=0)), cond)
    )


def song_is_silent(song) -> bool:
    return all(
        song.pattern_at(c, b) is None for c in range(song.channel_count) for b in range(song.bar_count)
    )


def test_transpose_refuses_a_copy_whose_bends_leave_the_range(tok):
    """A note bent past the top (or below the bottom) once moved makes the copy invalid, as the grammar
    says; moves that keep the bent note in range are fine, and drum notes' bends are not pitches."""
    song = new_song(1, 1, bars=1, beats_per_bar=4)
    song.channels[0].patterns[0].notes = [Note([78], 0, 24, [NotePin(0, 0, 3), NotePin(4, 24, 3)])]
    song.channels[1].patterns[0].notes = [Note([2], 0, 24, [NotePin(0, 0, 3), NotePin(-2, 24, 3)])]
    enc = tok.encode(song)
    assert tok.transpose(enc.tokens, 2) is not None  # 80 bent to 84: the top
    assert tok.transpose(enc.tokens, 3) is None  # 81 bent to 85: past it
    assert tok.transpose(enc.tokens, -12) is not None
    song.channels[0].patterns[0].notes = [Note([3], 0, 24, [NotePin(0, 0, 3), NotePin(-3, 24, 3)])]
    enc = tok.encode(song)
    assert tok.transpose(enc.tokens, 1) is not None
    assert tok.transpose(enc.tokens, -1) is None  # 2 bent to -1


def test_a_song_and_its_transpositions_share_a_group_key_even_with_bends(tok):
    """The split's group key moves a song's lowest note to pitch 0 whether or not a bend would then leave
    the range: it names the song's transpositions, it is not a song to train on."""
    from beepbrain.tokens.splits import group_key

    song = new_song(1, 0, bars=1, beats_per_bar=4)
    song.channels[0].patterns[0].notes = [Note([30], 0, 24, [NotePin(0, 0, 3), NotePin(-5, 24, 3)])]
    enc = tok.encode(song)
    up = tok.transpose(enc.tokens, 7)
    assert tok.transpose(enc.tokens, -30) is None  # 0 bent to -5: not a song
    assert group_key(enc.tokens, enc.conditioning, tok) == group_key(up, enc.conditioning, tok)
