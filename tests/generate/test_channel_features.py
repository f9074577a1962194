"""A model that reads each token's channel (conditioning.position_vectors) is told the same at sampling
time (the KV cache and the full pass agree, also after the view slides) and at scoring time (song_bits is
the full pass's log-likelihood, each position with its channel)."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from beepbrain.format import parse_song
from beepbrain.generate.evaluate import song_bits
from beepbrain.generate.sampling import ModelScorer, SamplingConfig
from beepbrain.generate.songs import SongRequest, generate_tokens
from beepbrain.model import GPT
from beepbrain.model.gpt import GPTConfig
from beepbrain.tokens import PatternTokenizer
from beepbrain.tokens.conditioning import CHANNEL_SLOTS, COND_DIM, Conditioning, token_conditioning

DIM = COND_DIM + CHANNEL_SLOTS


def model_and_tok():
    torch.manual_seed(3)
    tok = PatternTokenizer()
    config = GPTConfig(
        vocab_size=tok.vocab_size, block_size=256, n_layer=1, n_head=2, n_embd=32, cond_dim=DIM
    )
    return GPT(config).eval(), tok


def test_cache_and_full_pass_agree_when_the_model_reads_channels():
    model, tok = model_and_tok()
    request = SongRequest(bars=32, pitch_channels=2, drum_channels=1, beats_per_bar=4)
    scorers = []
    cached, _, _ = generate_tokens(model, tok, request, SamplingConfig(seed=5), scorer_out=scorers)
    full, _, _ = generate_tokens(model, tok, request, SamplingConfig(seed=5), use_cache=False)
    assert cached == full
    assert len(cached) > model.config.block_size and scorers[0].window.slides >= 1


def test_song_bits_reads_each_position_with_its_channel(corpus_records):
    model, tok = model_and_tok()

    def parsed():
        for record in corpus_records:
            try:
                yield parse_song(record["data"])
            except ValueError:
                continue

    song = next(
        s
        for s in parsed()
        if len(tok.encode(s).tokens) <= model.config.block_size
        and len(tok.encode(s).tokens) - tok.bar_lines(tok.encode(s).tokens)[0] > 100  # bars, not header
    )
    enc = tok.encode(song)
    toks = [int(t) for t in enc.tokens]
    cond = token_conditioning(tok, toks[:-1], enc.conditioning, DIM)
    assert (cond[:, COND_DIM:].sum(axis=1) <= 1).all() and cond[:, COND_DIM:].sum() > 50
    with torch.no_grad():
        logits, _ = model(torch.tensor([toks[:-1]]), torch.from_numpy(cond[None]))
    want = F.cross_entropy(logits[0].float(), torch.tensor(toks[1:]), reduction="sum").item() / np.log(2)
    got = song_bits(model, tok, [enc.tokens], [enc.conditioning])[0]
    assert np.isclose(got, want, rtol=1e-4)
    with torch.no_grad():  # told nothing of the channels, the same model scores the song otherwise
        blind, _ = model(
            torch.tensor([toks[:-1]]), torch.from_numpy(np.pad(cond[:, :COND_DIM], ((0, 0), (0, 15)))[None])
        )
    assert not torch.allclose(blind, logits)
    scorer = ModelScorer.for_song(model, tok, Conditioning.of_song(song))
    assert np.allclose(scorer.logits(toks[:50]), logits[0, 49].numpy(), atol=1e-5)
