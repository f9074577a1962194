"""Contrastive training of the encoder (InfoNCE over two edited, transposed views of each pattern).

Each step draws ``batch_size`` distinct patterns, makes two random views of each (``augment.view``), and
asks every view to pick its partner among the other ``2 * batch_size - 1`` views by cosine similarity at
``temperature``. So the vector learns to ignore light edits and transpositions and to tell patterns apart.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

from beepbrain.embed.augment import view
from beepbrain.embed.grid import PatternNotes, render_batch
from beepbrain.embed.model import EmbedConfig, PatternEncoder
from beepbrain.train.optim import lr_at


@dataclass
class EmbedTrainConfig:
    steps: int = 120
    batch_size: int = 128
    lr: float = 2e-3
    weight_decay: float = 0.01
    temperature: float = 0.1
    max_edits: int = 2
    max_transpose: int = 7
    warmup: int = 20
    seed: int = 0
    max_seconds: float | None = None  # stop early after this much training time
    checkpoint_interval: int = 100
    holdout: float = 0.0  # fraction of songs (by id) kept out of training, for measuring
    # also keep out every val and test song of the datasets under DATA_DIR/datasets (and their twins), so
    # that evaluation's Fréchet distance measures songs the encoder never saw (embed/tracked.py)
    holdout_datasets: bool = True
    model: EmbedConfig = field(default_factory=EmbedConfig)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["model"] = self.model.to_dict()
        return d

    @classmethod
    def from_dict(cls, d: dict) -> EmbedTrainConfig:
        d = dict(d)
        d["model"] = EmbedConfig.from_dict(d.get("model") or {})
        return cls(**d)


@dataclass
class EmbedTrainResult:
    model: PatternEncoder
    steps: int
    losses: list[float]
    seconds: float
    patterns: int


def info_nce(a: torch.Tensor, b: torch.Tensor, temperature: float) -> torch.Tensor:
    """Symmetric InfoNCE: row i of ``a`` and row i of ``b`` are a pair, every other row a negative."""
    z = F.normalize(torch.cat([a, b]), dim=1)
    sim = z @ z.T / temperature
    sim.fill_diagonal_(float("-inf"))
    n = a.shape[0]
    target = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)])
    return F.cross_entropy(sim, target)


def views_batch(
    patterns: list[PatternNotes], idx: np.ndarray, rng: np.random.Generator, cfg: EmbedTrainConfig
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    a = [view(patterns[i].notes, patterns[i].is_noise, rng, cfg.max_edits, cfg.max_transpose) for i in idx]
    b = [view(patterns[i].notes, patterns[i].is_noise, rng, cfg.max_edits, cfg.max_transpose) for i in idx]
    noise = torch.tensor([patterns[i].is_noise for i in idx])
    return torch.from_numpy(render_batch(a)), torch.from_numpy(render_batch(b)), noise


def train_encoder(
    patterns: list[PatternNotes], cfg: EmbedTrainConfig, *, on_step=None, on_checkpoint=None, log=print
) -> EmbedTrainResult:
    """Train a fresh encoder on ``patterns``. ``on_step(step, loss, lr)`` after every step,
    ``on_checkpoint(step, model)`` every ``checkpoint_interval`` steps."""
    if len(patterns) < 2:
        raise ValueError(
            f"contrastive training needs at least 2 distinct patterns, the corpus has {len(patterns)}"
        )
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    model = PatternEncoder(cfg.model)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    batch = min(cfg.batch_size, len(patterns))
    losses: list[float] = []
    t0 = time.perf_counter()
    step = 0
    model.train()
    for step in range(cfg.steps):
        idx = rng.choice(len(patterns), size=batch, replace=False)
        a, b, noise = views_batch(patterns, idx, rng, cfg)
        lr = lr_at(step, peak=cfg.lr, warmup=cfg.warmup, total=cfg.steps, min_ratio=0.1)
        for group in opt.param_groups:
            group["lr"] = lr
        loss = info_nce(model(a, noise), model(b, noise), cfg.temperature)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        losses.append(loss.item())
        if on_step is not None:
            on_step(step, losses[-1], lr)
        if step % 25 == 0 or step == cfg.steps - 1:
            log(f"embed step {step + 1}/{cfg.steps}: loss {losses[-1]:.3f} ({time.perf_counter() - t0:.0f}s)")
        if (
            on_checkpoint is not None
            and cfg.checkpoint_interval
            and (step + 1) % cfg.checkpoint_interval == 0
        ):
            on_checkpoint(step + 1, model)
        if cfg.max_seconds is not None and time.perf_counter() - t0 > cfg.max_seconds:
            log(f"embed: stopping at step {step + 1}, past max_seconds={cfg.max_seconds}")
            break
    model.eval()
    return EmbedTrainResult(model, len(losses), losses, time.perf_counter() - t0, len(patterns))
