"""An interpolated n-gram language model over token ids: the baseline the transformer must beat.

Witten-Bell interpolation from order 1 (add-one unigram) up to ``order``, counted with numpy over the flat
token arrays of a dataset split (songs kept apart: each song's context starts with a start symbol).
N-grams are packed into int64 keys, most significant digit first, so every continuation of one context
is a contiguous run of the sorted key array: scoring a whole split and building the next-token
distribution for sampling are both a few ``searchsorted`` calls.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from beepbrain.tokens.shards import load_split_songs, read_manifest


class NGramModel:
    def __init__(self, vocab_size: int, order: int = 4):
        if order < 1:
            raise ValueError("order must be >= 1")
        base = vocab_size + 1  # digit `vocab_size` is the start-of-song symbol
        while order > 1 and base**order >= 2**62:  # keep packed keys in int64
            order -= 1
        self.vocab_size = vocab_size
        self.order = order
        self.base = base
        self.start = vocab_size
        self.unigram = np.ones(vocab_size, dtype=np.float64) / vocab_size
        # per context length k = 1..order-1: sorted unique (k+1)-gram keys with counts, and their contexts
        self.grams: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self.contexts: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

    # -- fitting ---------------------------------------------------------------------------------
    def _padded(self, songs: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """All songs back to back, each preceded by ``order - 1`` start symbols; and the target positions."""
        pad = self.order - 1
        parts, targets, offset = [], [], 0
        for song in songs:
            song = np.asarray(song, dtype=np.int64)
            parts.append(np.full(pad, self.start, dtype=np.int64))
            parts.append(song)
            targets.append(np.arange(offset + pad, offset + pad + len(song)))
            offset += pad + len(song)
        if not parts:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        return np.concatenate(parts), np.concatenate(targets)

    def _keys(self, seq: np.ndarray, pos: np.ndarray, k: int) -> np.ndarray:
        """Packed keys of the k tokens before each position in ``pos`` followed by the token there."""
        key = np.zeros(len(pos), dtype=np.int64)
        for back in range(k, -1, -1):
            key = key * self.base + seq[pos - back]
        return key

    def fit(self, songs: list[np.ndarray]) -> NGramModel:
        seq, pos = self._padded(songs)
        tokens = seq[pos]
        counts = np.bincount(tokens, minlength=self.vocab_size).astype(np.float64)
        self.unigram = (counts + 1.0) / (counts.sum() + self.vocab_size)
        for k in range(1, self.order):
            keys, gram_counts = np.unique(self._keys(seq, pos, k), return_counts=True)
            self.grams[k] = (keys, gram_counts.astype(np.float64))
            ctx = keys // self.base
            ctx_keys, first, types = np.unique(ctx, return_index=True, return_counts=True)
            totals = np.add.reduceat(gram_counts, first).astype(np.float64)
            self.contexts[k] = (ctx_keys, totals, types.astype(np.float64))
        return self

    @classmethod
    def fit_dataset(
        cls, dataset_dir: str | Path, split: str = "train", order: int = 4, vocab_size: int | None = None
    ) -> NGramModel:
        """Fit on one split of a dataset directory (``beepbrain.tokens.shards``, docs/CONTRACTS.md)."""
        songs = load_split_songs(dataset_dir, split)
        if vocab_size is None:
            vocab_size = read_manifest(dataset_dir)["vocab_size"]
        return cls(int(vocab_size), order).fit(songs)

    # -- scoring ---------------------------------------------------------------------------------
    def _lookup(self, keys_sorted: np.ndarray, values: np.ndarray, query: np.ndarray) -> np.ndarray:
        if len(keys_sorted) == 0:
            return np.zeros(len(query))
        idx = np.searchsorted(keys_sorted, query)
        idx_c = np.minimum(idx, len(keys_sorted) - 1)
        hit = keys_sorted[idx_c] == query
        return np.where(hit, values[idx_c], 0.0)

    def token_probs(self, songs: list[np.ndarray]) -> np.ndarray:
        """P(token | context) of every token of ``songs``."""
        seq, pos = self._padded(songs)
        prob = self.unigram[seq[pos]]
        for k in range(1, self.order):
            gram_keys, gram_counts = self.grams[k]
            ctx_keys, totals, types = self.contexts[k]
            keys = self._keys(seq, pos, k)
            c_hw = self._lookup(gram_keys, gram_counts, keys)
            ctx = keys // self.base
            c_h = self._lookup(ctx_keys, totals, ctx)
            n_h = self._lookup(ctx_keys, types, ctx)
            seen = c_h > 0
            prob = np.where(seen, (c_hw + n_h * prob) / np.maximum(c_h + n_h, 1e-300), prob)
        return prob

    def bits_per_token(self, songs: list[np.ndarray]) -> float:
        probs = self.token_probs(songs)
        return float(-np.log2(probs).mean()) if len(probs) else float("nan")

    # -- sampling --------------------------------------------------------------------------------
    def next_probs(self, context: list[int] | np.ndarray) -> np.ndarray:
        """The distribution over the next token after ``context`` (a song's tokens so far)."""
        pad = [self.start] * (self.order - 1)
        ctx_tokens = (
            (pad + [int(t) for t in context[-(self.order - 1) :]])[-(self.order - 1) :]
            if self.order > 1
            else []
        )
        prob = self.unigram.copy()
        for k in range(1, self.order):
            ctx = 0
            for t in ctx_tokens[len(ctx_tokens) - k :]:
                ctx = ctx * self.base + t
            ctx_keys, totals, types = self.contexts[k]
            i = np.searchsorted(ctx_keys, ctx)
            if i >= len(ctx_keys) or ctx_keys[i] != ctx:
                continue
            gram_keys, gram_counts = self.grams[k]
            lo = np.searchsorted(gram_keys, ctx * self.base)
            hi = np.searchsorted(gram_keys, (ctx + 1) * self.base)
            counts = np.zeros(self.vocab_size)
            nxt = gram_keys[lo:hi] % self.base
            counts[nxt] = gram_counts[lo:hi]
            prob = (counts + types[i] * prob) / (totals[i] + types[i])
        return prob


def bits_to_nats(bits: float) -> float:
    return bits * math.log(2)
