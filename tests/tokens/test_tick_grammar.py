"""The grammar: random grammar-conforming streams decode to valid songs; encoded songs conform."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from token_helpers import corpus_songs  # noqa: E402

from beepbrain.format import parse_song  # noqa: E402
from beepbrain.tokens import Conditioning, TickTokenizer  # noqa: E402
from beepbrain.tokens.tick_vocab import BAR, BOS, EOS, HOLD, KIND_DRUM, KIND_PITCH, PAD, REST  # noqa: E402


@pytest.fixture(scope="module")
def tokenizer():
    return TickTokenizer()


def sample_stream(grammar, rng, rest_bias=0.5) -> list[int]:
    tokens = []
    while not grammar.done:
        allowed = np.flatnonzero(grammar.mask())
        assert len(allowed) > 0
        if REST in allowed and rng.random() < rest_bias:
            token = REST
        elif HOLD in allowed and rng.random() < 0.5:
            token = HOLD
        else:
            token = int(rng.choice(allowed))
        grammar.advance(token)
        tokens.append(token)
    return tokens


@pytest.mark.parametrize(
    "pitch, noise, beats, bars", [(1, 0, 3, 1), (3, 1, 8, 3), (10, 5, 4, 2), (2, 2, 16, None)]
)
def test_random_conforming_streams_decode(tokenizer, pitch, noise, beats, bars):
    rng = np.random.default_rng(pitch * 100 + noise)
    cond = Conditioning(2, pitch, noise)
    for _ in range(3):
        grammar = tokenizer.grammar(cond, beats_per_bar=beats, bars=bars)
        tokens = sample_stream(grammar, rng)
        assert tokens[0] == BOS and tokens[-1] == EOS
        n_bars = 1 + tokens.count(BAR)
        if bars is not None:
            assert n_bars == bars
        song = tokenizer.decode(np.array(tokens), cond, beats_per_bar=beats)
        again = parse_song(song.to_url())
        assert again.bar_count == n_bars
        assert again.beats_per_bar == max(beats, 3)
        assert again.pitch_channel_count == pitch and again.noise_channel_count == noise
        # The decoded song encodes back to the very same stream (beats >= 3: nothing padded).
        if beats >= 3:
            enc = TickTokenizer(tokenizer.config.__class__(trim_trailing_silence=False)).encode(song)
            assert enc.tokens.tolist() == tokens
            assert enc.losses["notes_exact"] == enc.losses["notes"]


def test_mask_rules(tokenizer):
    cond = Conditioning(1, 1, 1)
    g = tokenizer.grammar(cond, beats_per_bar=3, bars=2)
    kind = tokenizer.vocab.kind
    assert np.flatnonzero(g.mask()).tolist() == [BOS]
    g.advance(BOS)
    m = g.mask()  # pitch channel, first tick: no HOLD
    assert m[REST] and not m[HOLD] and m[kind == KIND_PITCH].all() and not m[kind == KIND_DRUM].any()
    with pytest.raises(ValueError):
        g.advance(HOLD)
    g.advance(tokenizer.vocab.id("P60"))
    m = g.mask()  # drum channel
    assert m[kind == KIND_DRUM].all() and not m[kind == KIND_PITCH].any() and not m[HOLD]
    g.advance(REST)
    assert g.mask()[HOLD]  # the pitch channel's note sounds
    for _ in range(3 * 12 * 2 - 2):
        g.advance(REST)
    assert np.flatnonzero(g.mask()).tolist() == [BAR]  # 2 bars asked: no EOS yet
    g.advance(BAR)
    assert not g.mask()[HOLD]  # notes end at bar lines
    for _ in range(3 * 12 * 2):
        g.advance(REST)
    assert np.flatnonzero(g.mask()).tolist() == [EOS]
    g.advance(EOS)
    assert g.done and np.flatnonzero(g.mask()).tolist() == [PAD]


def test_open_ended_grammar_offers_bar_or_eos(tokenizer):
    g = tokenizer.grammar(Conditioning(1, 1, 0), beats_per_bar=4)
    g.advance(BOS)
    for _ in range(4 * 12):
        g.advance(REST)
    assert set(np.flatnonzero(g.mask()).tolist()) == {BAR, EOS}


def test_encoded_corpus_conforms(corpus_records, tokenizer):
    for song in corpus_songs(corpus_records)[:60]:
        enc = tokenizer.encode(song)
        g = tokenizer.grammar(enc.conditioning, beats_per_bar=enc.beats_per_bar, bars=enc.bars)
        for token in enc.tokens.tolist():
            g.advance(token)
        assert g.done
