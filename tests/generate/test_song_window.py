"""The sampler's view of a song longer than the context, with the pattern tokenizer: after every slide
it is a song of its own (BOS, the header, every REF naming a pattern the view writes out), its bars are the
song's own tokens, and the whole song put back together is the prompt followed by what was sampled."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import torch

from beepbrain.format import parse_song
from beepbrain.generate import sampling
from beepbrain.generate.sampling import SamplingConfig
from beepbrain.generate.songs import SongRequest, generate_tokens
from beepbrain.model import CONFIGS, GPT
from beepbrain.tokens import PatternTokenizer
from beepbrain.tokens.pattern_stream import is_hidden
from beepbrain.tokens.specials import BAR, BOS

sys.path.insert(0, str(Path(__file__).parents[1] / "tokens"))
from token_helpers import song_of_many_patterns  # noqa: E402


def test_every_view_the_sampler_slides_to_is_a_song_with_the_songs_own_bars(monkeypatch):
    tok = PatternTokenizer()
    block = 128
    prompt = song_of_many_patterns()
    assert len(tok.encode(prompt).tokens) > 2 * block
    views: list[tuple[int, list[int]]] = []
    slide = sampling.SongWindow.slide

    def recording_slide(self):
        slide(self)
        views.append((self.start, list(self.view)))

    monkeypatch.setattr(sampling.SongWindow, "slide", recording_slide)
    torch.manual_seed(0)
    config = dataclasses.replace(CONFIGS["tiny"], block_size=block)
    model = GPT(config.with_data(tok.vocab_size)).eval()
    request = SongRequest(bars=2, prompt=prompt)
    tokens, cond, _bpb = generate_tokens(model, tok, request, SamplingConfig(seed=3))

    prompt_tokens, _total = tok.prompt_tokens(prompt, 2)
    lines = tok.bar_lines(prompt_tokens).tolist()
    assert len(views) >= 2
    hide_lo, hide_hi = tok.vocab.span("HIDE")
    for start, view in views:
        assert view[0] == BOS and len(view) <= block
        grammar = tok.grammar(cond, beats_per_bar=None)
        grammar.relax(True)  # the view is given: its pinned rows are accepted
        for t in view:
            assert grammar.allows(t), tok.vocab.name(t)
            if tok.vocab.is_family(t, "REF"):  # a pattern the view numbers and shows
                k = int(tok.vocab.value[t])
                assert k <= grammar.stream.count() and not is_hidden(grammar.stream.body_of(k))
            grammar.advance(t)
        bars = view[view.index(BAR) :]
        if start < len(lines):  # the prompt's bars from there on, token for token
            known = prompt_tokens[lines[start] :]
            assert bars[: len(known)] == known[: len(bars)]
    assert any(hide_lo <= t < hide_hi for _s, v in views for t in v)  # some patterns only named
    assert tokens[: len(prompt_tokens)] == prompt_tokens
    assert parse_song(tok.decode(tokens, cond).to_url()).bar_count == prompt.bar_count + 2


def test_a_batch_skips_a_seed_whose_song_cannot_be_finished_and_says_so(tmp_path, monkeypatch, capsys):
    """One song the sampler cannot finish (a bar longer than the context) does not lose the batch: its seed
    is skipped with a line on stderr and the next unused seed is tried; if every try fails, the error is
    raised."""
    from beepbrain.generate import batch
    from beepbrain.generate.sampling import ContextTooShort

    tok = PatternTokenizer()
    torch.manual_seed(0)
    model = GPT(CONFIGS["tiny"].with_data(tok.vocab_size)).eval()
    request = SongRequest(bars=1, pitch_channels=1, drum_channels=0, beats_per_bar=3)
    real = batch.generate_song

    def fails_on_seed_1(model, tokenizer, request, sampling, **kw):
        if sampling.seed == 1:
            raise ContextTooShort("one bar of this song takes more than the model's context of 512 tokens")
        return real(model, tokenizer, request, sampling, **kw)

    monkeypatch.setattr(batch, "generate_song", fails_on_seed_1)
    rows = batch.generate_to_dir(model, tok, request, SamplingConfig(seed=0), 3, tmp_path)
    assert [r["seed"] for r in rows] == [0, 2, 3]
    assert "seed 1 skipped: one bar" in capsys.readouterr().err

    config = dataclasses.replace(CONFIGS["tiny"], block_size=24)  # no bar fits beside the header
    small = GPT(config.with_data(tok.vocab_size)).eval()
    long_request = SongRequest(bars=6, pitch_channels=2, drum_channels=1, beats_per_bar=4)
    try:
        batch.generate_to_dir(small, tok, long_request, SamplingConfig(seed=0), 2, tmp_path / "b")
    except ContextTooShort:
        pass
    else:
        raise AssertionError("a model whose context holds no bar cannot write these songs")
    assert capsys.readouterr().err.count("skipped") == 2
