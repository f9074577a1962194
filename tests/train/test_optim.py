"""Weight-decay groups and the learning-rate schedule."""

from __future__ import annotations

import pytest

from beepbrain.model import CONFIGS, GPT
from beepbrain.train import TrainConfig
from beepbrain.train.optim import configure_optimizer, lr_at


def test_decay_groups_split_matrices_from_the_rest():
    model = GPT(CONFIGS["tiny"].with_data(50))
    opt = configure_optimizer(model, lr=1e-3, weight_decay=0.1, betas=(0.9, 0.95), device_type="cpu")
    decay, no_decay = opt.param_groups
    assert decay["weight_decay"] == 0.1 and no_decay["weight_decay"] == 0.0
    assert all(p.dim() == 2 for p in decay["params"])
    assert not any(p is model.wte.weight for p in decay["params"])  # embedding (tied with the head)
    assert any(p is model.wte.weight for p in no_decay["params"])
    assert any(p is model.blocks[0].attn.qkv.weight for p in decay["params"])
    assert any(p is model.ln_f.weight for p in no_decay["params"])
    counted = sum(p.numel() for g in opt.param_groups for p in g["params"])
    assert counted == model.num_params()  # every parameter once, the tied one included


def test_schedule_warms_up_then_decays_to_the_floor():
    rates = [lr_at(s, peak=1.0, warmup=10, total=100, min_ratio=0.1) for s in range(120)]
    assert rates[0] == pytest.approx(0.1) and rates[9] == pytest.approx(1.0)
    assert all(a <= b for a, b in zip(rates[:10], rates[1:10], strict=False))
    assert all(a >= b for a, b in zip(rates[10:100], rates[11:100], strict=False))
    assert rates[55] == pytest.approx(0.55)
    assert rates[100] == rates[119] == pytest.approx(0.1)


def test_config_checks():
    with pytest.raises(ValueError, match="unknown model config"):
        TrainConfig(dataset="x", model="huge")
    with pytest.raises(ValueError, match="batch_size"):
        TrainConfig(dataset="x", batch_size=0)
    assert TrainConfig(dataset="x", model="base").peak_lr == 6e-4
    assert TrainConfig(dataset="x", max_steps=1000).warmup == 50
