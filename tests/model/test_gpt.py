"""The transformer: shapes, loss masking, the KV cache against the full pass, parameter counts."""

from __future__ import annotations

import pytest
import torch

from beepbrain.model import COND_DIM, CONFIGS, GPT, GPTConfig, KVCache, count_params

VOCAB = 97


def make_model(**overrides) -> GPT:
    torch.manual_seed(0)
    config = GPTConfig(vocab_size=VOCAB, block_size=64, n_layer=2, n_head=2, n_embd=32, **overrides)
    return GPT(config).eval()


def batch(B=2, T=40, seed=1):
    g = torch.Generator().manual_seed(seed)
    idx = torch.randint(2, VOCAB, (B, T), generator=g)  # no BOS inside: one song a row
    cond = torch.zeros(B, COND_DIM)
    cond[0, [1, 7, 16]] = 1
    cond[1, [0, 5, 18]] = 1
    return idx, cond


def test_forward_shapes_and_loss_ignores_padding():
    model = make_model()
    idx, cond = batch()
    logits, loss = model(idx, cond)
    assert logits.shape == (2, 40, VOCAB) and loss is None
    targets = torch.roll(idx, -1, dims=1)
    _, full = model(idx, cond, targets)
    masked = targets.clone()
    masked[:, 20:] = -1
    _, part = model(idx, cond, masked)
    manual = torch.nn.functional.cross_entropy(logits[:, :20].reshape(-1, VOCAB), targets[:, :20].reshape(-1))
    assert torch.allclose(part, manual, atol=1e-6)
    assert not torch.allclose(part, full)


def test_conditioning_changes_the_output():
    model = make_model()
    idx, cond = batch()
    a, _ = model(idx, cond)
    b, _ = model(idx, cond.flip(0))
    assert not torch.allclose(a, b, atol=1e-4)


def test_kv_cache_matches_full_pass():
    model = make_model()
    idx, cond = batch(T=50)
    with torch.no_grad():
        full, _ = model(idx, cond)
        cache = model.new_cache()
        pieces = [model(idx[:, :17], cond, cache=cache)[0]]  # prefill
        pieces += [model(idx[:, t : t + 1], cond, cache=cache)[0] for t in range(17, 30)]  # one by one
        pieces.append(model(idx[:, 30:], cond, cache=cache)[0])  # a chunk after single steps
    assert len(cache) == 50
    assert torch.allclose(torch.cat(pieces, dim=1), full, atol=1e-5)


def test_sliding_cache_single_steps_equal_chunks():
    """Past the window, chunked and one-token decoding compute the same sliding-window attention."""
    model = make_model()
    idx, cond = batch(T=60)
    with torch.no_grad():
        one = KVCache(model.config, window=12)
        steps = torch.cat([model(idx[:, t : t + 1], cond, cache=one)[0] for t in range(60)], dim=1)
        chunked = KVCache(model.config, window=12)
        chunks = torch.cat([model(idx[:, t : t + 5], cond, cache=chunked)[0] for t in range(0, 60, 5)], dim=1)
    assert one.pos == chunked.pos == 60
    assert torch.allclose(steps, chunks, atol=1e-5)


def test_positions_are_relative_so_the_cache_slides():
    """One layer: the last logits after sliding equal a fresh full pass over the last `window` tokens."""
    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=VOCAB, block_size=16, n_layer=1, n_head=2, n_embd=32)).eval()
    idx, cond = batch(T=45)
    with torch.no_grad():
        cache = model.new_cache()
        for t in range(45):
            last, _ = model(idx[:, t : t + 1], cond, cache=cache)
        fresh, _ = model(idx[:, -16:], cond)
    assert cache.pos == 45 and cache.cached(0) == 15
    assert torch.allclose(last[:, -1], fresh[:, -1], atol=1e-4)


def test_too_long_input_is_refused():
    model = make_model()
    idx, cond = batch(T=65)
    with pytest.raises(ValueError, match="block size"):
        model(idx, cond)


def test_tiny_overfits_a_batch():
    torch.manual_seed(0)
    model = GPT(CONFIGS["tiny"].with_data(VOCAB))
    idx, cond = batch(B=4, T=64)
    targets = torch.roll(idx, -1, dims=1)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(150):
        _, loss = model(idx, cond, targets)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[0] > 4.0  # about ln(97) at the start
    assert losses[-1] < losses[0] / 10


def test_parameter_counts():
    tiny = count_params(CONFIGS["tiny"].with_data(400))
    small = count_params(CONFIGS["small"].with_data(400))
    base = count_params(CONFIGS["base"].with_data(400))
    print(f"parameters: tiny {tiny:,}, small {small:,}, base {base:,}")
    assert tiny < 500_000 < small < 10_000_000
    # GPT-2 small's body (12 layers, 12 heads, 768 wide): 85M + a small song vocabulary.
    assert 80_000_000 < base < 120_000_000
    assert CONFIGS["base"].block_size == 512


def test_base_count_matches_formula():
    c = CONFIGS["base"].with_data(400)
    per_layer = 12 * c.n_embd**2 + 2 * c.n_embd  # qkv, proj, mlp (no biases) + two LayerNorm weights
    assert c.padded_vocab_size == 448  # 400 rounded up to a multiple of 64
    expected = c.n_layer * per_layer + c.padded_vocab_size * c.n_embd + c.cond_dim * c.n_embd + c.n_embd
    assert count_params(c) == expected


def test_padded_vocabulary_is_invisible():
    model = make_model()  # vocabulary 97, embedding rows 128
    assert model.wte.weight.shape[0] == 128
    idx, cond = batch()
    logits, _ = model(idx, cond)
    assert logits.shape[-1] == VOCAB


def test_bf16_autocast_trains():
    """The mixed-precision path used on CUDA (run here with CPU autocast): finite loss and gradients."""
    model = make_model()
    model.train()
    idx, cond = batch()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        logits, loss = model(idx, cond, torch.roll(idx, -1, dims=1))
    assert logits.dtype == torch.bfloat16 and loss.dtype == torch.float32
    loss.backward()
    assert torch.isfinite(loss) and all(torch.isfinite(p.grad).all() for p in model.parameters())


def test_packed_songs_attend_only_inside_their_own_song():
    """A row of two songs (each starting at BOS) gives each the logits it gets alone, with its own
    conditioning per position."""
    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=VOCAB, block_size=32, n_layer=2, n_head=2, n_embd=32)).eval()
    g = torch.Generator().manual_seed(1)
    a = torch.randint(2, VOCAB, (1, 12), generator=g)
    b = torch.randint(2, VOCAB, (1, 9), generator=g)
    a[0, 0] = b[0, 0] = 1
    ca, cb = torch.zeros(1, 21), torch.zeros(1, 21)
    ca[0, 1], cb[0, 3] = 1.0, 1.0
    packed = torch.cat([a, b], dim=1)
    cond = torch.cat([ca[:, None].expand(1, 12, 21), cb[:, None].expand(1, 9, 21)], dim=1)
    with torch.no_grad():
        both = model(packed, cond)[0]
        alone_a, alone_b = model(a, ca)[0], model(b, cb)[0]
    assert torch.allclose(both[:, :12], alone_a, atol=1e-5)
    assert torch.allclose(both[:, 12:], alone_b, atol=1e-5)
