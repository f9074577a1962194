"""Grammar-constrained sampling of token sequences from a trained model (or any next-token scorer).

The tokenizer's grammar says which tokens may come next (channel order, bar lines, pitch ranges, the
song's end), so every sampled sequence decodes into a valid song. The model runs with its KV cache: the
tokens since the last call (often several at once: forced tokens such as bar lines need no sampling)
are fed in one call. A song longer than the context window goes on with a sliding window: the cache is
emptied and re-filled with the most recent part of the song, starting at a bar line as training windows
do. The uncached path feeds the same window every step, so both give the same tokens.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SamplingConfig:
    temperature: float = 1.0
    top_k: int = 0  # 0: no limit
    top_p: float = 1.0  # nucleus; 1.0: no limit
    seed: int = 0
    header_temperature: float | None = None  # the song's header (tempo, key, instruments); None: temperature

    def __post_init__(self):
        if self.temperature < 0 or (self.header_temperature is not None and self.header_temperature < 0):
            raise ValueError("temperature must be >= 0 (0 = greedy)")
        if self.top_k < 0:
            raise ValueError("top_k must be >= 0")
        if not 0 < self.top_p <= 1:
            raise ValueError("top_p must be in (0, 1]")


def choose(logits: np.ndarray, mask: np.ndarray, cfg: SamplingConfig, rng: np.random.Generator) -> int:
    """Pick a token from ``logits`` among those ``mask`` allows, by temperature, top-k and top-p."""
    allowed = np.flatnonzero(mask)
    if len(allowed) == 0:
        raise RuntimeError("the grammar allows no token here")
    if len(allowed) == 1:
        return int(allowed[0])
    scores = np.asarray(logits, dtype=np.float64)[allowed]
    if cfg.temperature == 0:
        return int(allowed[int(np.argmax(scores))])
    scores = scores / cfg.temperature
    if cfg.top_k and cfg.top_k < len(scores):  # the k best, in descending order
        order = np.argpartition(-scores, cfg.top_k - 1)[: cfg.top_k]
        order = order[np.argsort(-scores[order], kind="stable")]
    elif cfg.top_p < 1.0:
        order = np.argsort(-scores, kind="stable")
    else:  # plain sampling needs no order
        order = np.arange(len(scores))
    scores = scores[order]
    probs = np.exp(scores - scores.max())
    probs /= probs.sum()
    if cfg.top_p < 1.0:
        keep = int(np.searchsorted(np.cumsum(probs), cfg.top_p) + 1)
        probs = probs[:keep] / probs[:keep].sum()
    cdf = np.cumsum(probs)
    pick = min(int(np.searchsorted(cdf, rng.random() * cdf[-1], side="right")), len(probs) - 1)
    return int(allowed[order[pick]])


class ModelScorer:
    """Next-token logits from a GPT, with or without its KV cache, over a sliding window."""

    def __init__(self, model, cond: np.ndarray, *, use_cache: bool = True,
                 is_window_start: Callable[[int], bool] | None = None, device: str = "cpu"):
        import torch

        self.torch = torch
        self.model = model
        self.block_size = int(model.config.block_size)
        self.cond = torch.as_tensor(np.asarray(cond, dtype=np.float32), device=device).unsqueeze(0)
        self.use_cache = use_cache
        self.is_window_start = is_window_start
        self.device = device
        self.window_start = 0  # index into the context where the model's window begins
        self.cache = None
        self.cached = 0  # tokens of the context already in the cache
        self.forward_tokens = 0  # tokens pushed through the model, for throughput figures

    def _slide(self, context: Sequence[int]) -> None:
        """Move the window so the context fits with room to go on: keep about the last half."""
        n = len(context)
        keep = max(1, self.block_size // 2)
        start = n - keep
        if self.is_window_start is not None:
            # the nearest bar line at or after `start`, as long as it leaves some context
            for i in range(start, n - max(1, keep // 4)):
                if self.is_window_start(context[i]):
                    start = i
                    break
        self.window_start = start
        self.cache = None
        self.cached = 0

    def logits(self, context: Sequence[int]) -> np.ndarray:
        torch = self.torch
        if len(context) - self.window_start > self.block_size:
            self._slide(context)
        with torch.no_grad():
            if self.use_cache:
                if self.cache is None:
                    self.cache = new_cache(self.model, self.device)
                    self.cached = 0
                fresh = context[self.window_start + self.cached:]
                idx = torch.tensor([list(fresh)], dtype=torch.long, device=self.device)
                out, _ = self.model(idx, self.cond, cache=self.cache)
                self.cached += len(fresh)
                self.forward_tokens += len(fresh)
            else:
                window = context[self.window_start:]
                idx = torch.tensor([list(window)], dtype=torch.long, device=self.device)
                out, _ = self.model(idx, self.cond)
                self.forward_tokens += len(window)
        return out[0, -1].float().cpu().numpy()


SINGLE_THREAD_PARAMS = 30_000_000


@contextmanager
def decoding_threads(model) -> Iterator[None]:
    """One CPU thread while decoding a small model token by token: its per-token work is too small to
    share, and on a busy machine torch's thread pool spins (measured: 9x slower with 2 threads under load).
    Bigger models, and models on an accelerator, keep torch's setting."""
    import torch

    small = sum(p.numel() for p in model.parameters()) < SINGLE_THREAD_PARAMS
    on_cpu = next(model.parameters()).device.type == "cpu"
    before = torch.get_num_threads()
    if small and on_cpu and before > 1:
        torch.set_num_threads(1)
    try:
        yield
    finally:
        if torch.get_num_threads() != before:
            torch.set_num_threads(before)


def new_cache(model, device: str = "cpu"):
    """A fresh KV cache for ``model`` (batch of one), holding a whole window."""
    return model.new_cache()


def sample_sequence(
    grammar,
    next_logits: Callable[[list[int]], np.ndarray],
    cfg: SamplingConfig,
    *,
    prefix: Sequence[int] = (),
    max_tokens: int | None = None,
    on_token: Callable[[int], None] | None = None,
) -> list[int]:
    """Sample until the grammar is done: ``prefix`` first (checked against the grammar), then tokens from
    ``next_logits(context)`` masked by the grammar. Forced tokens (one allowed) skip the scorer."""
    from dataclasses import replace

    rng = np.random.default_rng(cfg.seed)
    header_cfg = cfg if cfg.header_temperature is None else replace(cfg, temperature=cfg.header_temperature)
    context: list[int] = []
    for token in prefix:
        if not grammar.mask()[token]:
            raise ValueError(f"prompt token {token} at position {len(context)} breaks the grammar")
        grammar.advance(int(token))
        context.append(int(token))
    while not grammar.done:
        if max_tokens is not None and len(context) >= max_tokens:
            raise RuntimeError(f"song not finished after {max_tokens} tokens")
        mask = grammar.mask()
        allowed = np.flatnonzero(mask)
        if len(allowed) == 1 or not context:
            # forced, or nothing to condition on yet: no model call needed
            token = int(allowed[0]) if len(allowed) == 1 else int(rng.choice(allowed))
        else:
            # a grammar with a header (the pattern tokenizer's) may sample it at its own temperature
            step_cfg = header_cfg if getattr(grammar, "in_header", False) else cfg
            token = choose(next_logits(context), mask, step_cfg, rng)
        grammar.advance(token)
        context.append(token)
        if on_token is not None:
            on_token(token)
    return context
