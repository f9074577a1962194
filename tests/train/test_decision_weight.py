"""The loss's weight on each channel's item decision (``TrainConfig.decision_weight``): only the pattern
tokenizer's EMPTY / REF / NEW targets are weighted, and with weight 1 the loss is the model's own."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from beepbrain.tokens import PatternTokenizer, TickTokenizer
from beepbrain.tokens.pattern_vocab import EMPTY, NEW
from beepbrain.train.config import TrainConfig
from beepbrain.train.loop import target_weights, weighted_loss


def test_only_item_decisions_are_weighted():
    tok = PatternTokenizer()
    w = target_weights(tok, 4.0, tok.vocab_size, "cpu")
    ref_first, ref_end = tok.vocab.span("REF")
    decisions = {EMPTY, NEW, *range(ref_first, ref_end)}
    assert set(torch.nonzero(w == 4.0).flatten().tolist()) == decisions
    assert (w[[t for t in range(tok.vocab_size) if t not in decisions]] == 1.0).all()
    assert target_weights(tok, 1.0, tok.vocab_size, "cpu") is None  # the model's own loss
    assert target_weights(TickTokenizer(), 4.0, TickTokenizer().vocab_size, "cpu") is None  # no items
    with pytest.raises(ValueError, match="decision_weight"):
        TrainConfig(dataset="x", decision_weight=0)


def test_weighted_loss_is_the_weighted_mean_of_the_targets_cross_entropy():
    torch.manual_seed(0)
    logits = torch.randn(2, 5, 8)
    targets = torch.tensor([[1, 2, -1, 3, 1], [0, -1, 2, 2, 4]])
    ones = torch.ones(8)
    plain = F.cross_entropy(logits.reshape(-1, 8), targets.reshape(-1), ignore_index=-1)
    assert torch.isclose(weighted_loss(logits, targets, ones), plain)
    weights = ones.clone()
    weights[2] = 3.0
    ce = F.cross_entropy(logits.reshape(-1, 8), targets.reshape(-1), ignore_index=-1, reduction="none")
    flat = targets.reshape(-1)
    w = torch.where(flat == 2, 3.0, 1.0) * (flat >= 0)
    assert torch.isclose(weighted_loss(logits, targets, weights), (ce * w).sum() / w.sum())
