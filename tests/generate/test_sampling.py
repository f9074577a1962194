"""The sampler: masking, temperature/top-k/top-p, determinism, and KV cache == full recompute."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from beepbrain.generate.sampling import ModelScorer, SamplingConfig, choose, sample_sequence
from beepbrain.model import GPT, GPTConfig

BAR = 3


class BarGrammar:
    """A small grammar: BAR, then `per_bar` tokens from 6..vocab-1, repeated `bars` times."""

    def __init__(self, vocab: int, per_bar: int, bars: int):
        self.vocab, self.per_bar, self.bars = vocab, per_bar, bars
        self.n = 0

    @property
    def done(self) -> bool:
        return self.n == self.bars * (self.per_bar + 1)

    def mask(self) -> np.ndarray:
        m = np.zeros(self.vocab, dtype=bool)
        if self.n % (self.per_bar + 1) == 0:
            m[BAR] = True
        else:
            m[6:] = True
        return m

    def advance(self, token: int) -> None:
        assert self.mask()[token]
        self.n += 1


def test_choose_respects_mask_topk_and_greedy():
    rng = np.random.default_rng(0)
    logits = np.array([5.0, 4.0, 3.0, 2.0, 1.0])
    mask = np.array([False, True, True, True, True])
    assert choose(logits, mask, SamplingConfig(temperature=0), rng) == 1
    picks = {choose(logits, mask, SamplingConfig(top_k=2), rng) for _ in range(200)}
    assert picks == {1, 2}
    picks = {choose(logits, mask, SamplingConfig(top_p=0.5), rng) for _ in range(200)}
    assert picks == {1}
    picks = {choose(logits, mask, SamplingConfig(temperature=5.0), rng) for _ in range(400)}
    assert picks == {1, 2, 3, 4}
    with pytest.raises(ValueError):
        SamplingConfig(top_p=0)


def _model(block_size=32):
    torch.manual_seed(0)
    return GPT(
        GPTConfig(vocab_size=20, cond_dim=21, block_size=block_size, n_layer=2, n_head=2, n_embd=32)
    ).eval()


def _sample(model, use_cache, seed=1, bars=3):
    cond = np.zeros(21, dtype=np.float32)
    cond[[1, 7, 16]] = 1
    scorer = ModelScorer(model, cond, use_cache=use_cache)
    tokens = sample_sequence(
        BarGrammar(20, 8, bars), scorer.logits, SamplingConfig(temperature=1.0, seed=seed)
    )
    return tokens, scorer


def test_cache_matches_full_recompute():
    model = _model(block_size=32)
    cached, _ = _sample(model, True)
    full, _ = _sample(model, False)
    assert len(cached) == 3 * 9 and cached == full
    with pytest.raises(ValueError, match="SongWindow"):  # a longer song needs a window that moves
        _sample(model, True, bars=4)


def test_same_seed_same_tokens_other_seed_differs():
    model = _model()
    a, _ = _sample(model, True, seed=5)
    b, _ = _sample(model, True, seed=5)
    c, _ = _sample(model, True, seed=6)
    assert a == b and a != c
    grammar = BarGrammar(20, 8, 3)
    for t in a:  # every token obeyed the grammar
        grammar.advance(t)
    assert grammar.done


def test_prefix_is_kept_and_checked():
    model = _model()
    cond = np.zeros(21, dtype=np.float32)
    scorer = ModelScorer(model, cond)
    prefix = [BAR, 7, 8, 9, 10, 11, 12, 13, 14]
    out = sample_sequence(BarGrammar(20, 8, 3), scorer.logits, SamplingConfig(seed=0), prefix=prefix)
    assert out[:9] == prefix and len(out) == 27
    with pytest.raises(ValueError, match="breaks the grammar"):
        sample_sequence(BarGrammar(20, 8, 3), scorer.logits, SamplingConfig(), prefix=[7])


def test_header_temperature_samples_the_header_on_its_own():
    """Greedy notes with a header sampled at temperature 1: headers differ by seed, and without a header
    temperature every seed writes the same greedy header."""
    from beepbrain.generate.sampling import SamplingConfig, sample_sequence
    from beepbrain.tokens import Conditioning, PatternTokenizer

    tok = PatternTokenizer()
    cond = Conditioning(1, 1, 0)

    def header(cfg):
        grammar = tok.grammar(cond, beats_per_bar=4, bars=1)
        tokens = sample_sequence(grammar, lambda ctx: np.zeros(tok.vocab_size), cfg)
        return tuple(tokens[: tokens.index(tok.bar_id)])

    greedy = {header(SamplingConfig(temperature=0, seed=s)) for s in range(4)}
    varied = {header(SamplingConfig(temperature=0, header_temperature=1.0, seed=s)) for s in range(4)}
    assert len(greedy) == 1 and len(varied) == 4


def test_shape_temperature_samples_each_notes_shape_on_its_own():
    """Greedy notes with a note's shape (its pitches after the first, volume, pins) sampled at temperature 1:
    the shapes change with the seed while the header stays the greedy one (greedy alone: one song for every
    seed); a negative shape temperature is refused."""
    from beepbrain.tokens import Conditioning, PatternTokenizer
    from beepbrain.tokens.pattern_grammar import Phase

    tok = PatternTokenizer()
    cond = Conditioning(1, 1, 0)

    def song(cfg):
        grammar = tok.grammar(cond, beats_per_bar=4, bars=2)
        shape, rest = [], []  # the note-shape tokens, and the others
        rng = np.random.default_rng(0)
        logits = rng.normal(size=tok.vocab_size)  # one fixed preference over tokens, so greedy is one song

        def scorer(ctx):
            return logits

        tokens = sample_sequence(grammar, scorer, cfg, on_token=lambda t: None)
        replay = tok.grammar(cond, beats_per_bar=4, bars=2)
        for t in tokens:
            (
                shape
                if replay.phase in (Phase.PITCH, Phase.START_VOL, Phase.PIN, Phase.PIN_VOL, Phase.BEND)
                else rest
            ).append(t)
            replay.advance(t)
        return tuple(tokens[: tokens.index(tok.bar_id)]), tuple(shape)

    greedy = {song(SamplingConfig(temperature=0, seed=s)) for s in range(4)}
    shaped = [song(SamplingConfig(temperature=0, shape_temperature=1.0, seed=s)) for s in range(6)]
    assert len(greedy) == 1
    assert {header for header, _shape in shaped} == {header for header, _shape in greedy}
    assert len({shape for _header, shape in shaped}) > 1  # shapes vary by seed
    with pytest.raises(ValueError, match="temperature"):
        SamplingConfig(shape_temperature=-1)


def test_kind_temperature_keeps_each_kinds_share_and_sharpens_within_it():
    """One kind of token whose probability is on one token (a pattern's END) against one spread over many
    (the next note's position): one temperature below 1 takes share from the spread kind; with the kind
    chosen at 1 each kind keeps the model's share, and the values inside a kind are still sharpened."""
    from beepbrain.generate.sampling import _by_kind, token_kinds
    from beepbrain.tokens import PatternTokenizer

    # token 0: one "END" with 0.4; tokens 1-6: six positions sharing 0.6 unevenly
    probs = np.array([0.4, 0.2, 0.15, 0.1, 0.07, 0.05, 0.03])
    kinds = np.array([0, 1, 1, 1, 1, 1, 1])
    logits = np.log(probs) + 3.0  # any offset

    def dist(cfg, with_kinds=True):
        rng = np.random.default_rng(0)
        picks = [
            choose(logits, np.ones(7, bool), cfg, rng, kinds if with_kinds else None) for _ in range(20000)
        ]
        return np.bincount(picks, minlength=7) / len(picks)

    plain = dist(SamplingConfig(temperature=0.5))
    assert plain[0] > 0.55  # one temperature: the single token wins share
    by_kind = dist(SamplingConfig(temperature=0.5, kind_temperature=1.0))
    assert abs(by_kind[0] - 0.4) < 0.015  # each kind keeps the model's share
    within = by_kind[1:] / by_kind[1:].sum()
    assert within[0] > 0.2 / 0.6 + 0.1  # the likeliest position is sharpened inside its kind
    exact = np.exp(_by_kind(logits, kinds, 1.0, 1.0))
    assert np.allclose(exact, probs)  # both at 1: the model's own distribution
    assert np.allclose(np.exp(_by_kind(logits, kinds, 0.5, 0.5)).sum(), 1.0)
    kinds_of = token_kinds(PatternTokenizer().vocab)
    assert len(set(kinds_of[:4].tolist())) == 4  # every special token a kind of its own
    with pytest.raises(ValueError, match="temperature"):
        SamplingConfig(kind_temperature=-1)
