"""WindowLoader: training rows of whole songs, or windows that are songs of their own, packed end to end.

Every window is a song: a window starting at bar ``b`` is the tokenizer's ``window`` of the song from bar
``b`` for this context (the pattern tokenizer: the header with the bars left, the instruments, the patterns
played before ``b`` pinned ahead of the bars, those the window's bars play again written out first as far
as ``pin_budget`` allows, then the bars, ending before a bar that plays a pattern the pins could not show),
so the model never sees a song without its header nor a ``REF`` to a pattern out of view. Pinned rows are
given, so their targets are -1. A song that fits the context is one window from its start; a longer one
also gets windows from later bar lines, about half of what a window holds of the song apart and never
past the first bar the window before did not hold whole, so every bar is seen with a header and some bars
before it.

Windows are packed end to end into rows of ``block_size + 1`` tokens (the last cut where the row is
full), not padded. Each position carries its own song's conditioning (``cond`` is ``[B, T, COND_DIM]``),
the model keeps attention inside each song (a song starts at BOS), and a target that would be the next
song's BOS is -1 (ignored by the loss). ``get_batch(step)`` is a pure function of ``(seed, step)``: a
resumed run sees the same data order.

Which window a row takes next is drawn over the window starts. With ``song_balance`` 0 every window is
alike, so a song of K windows is drawn K times as often as a short one (and its header learned K times);
with 1 every song is alike (each of its K windows 1/K); between, K**-song_balance per window.

With ``fill`` > 0 (the pattern tokenizer) that share of windows are fill tasks (``tokens/fill.py``): the
window's bars as a song with holes drawn as ``draw_holes`` draws them, then the holes' content; the
layout's markers are given, so their targets are -1 too. The rest stay plain songs, so the one model
learns to write songs, continue them, fill bars and add channels.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from beepbrain.tokens.conditioning import COND_DIM, Conditioning, vectors
from beepbrain.tokens.fill import marker_mask
from beepbrain.tokens.pattern_stream import pin_budget, pinned_mask
from beepbrain.tokens.shards import read_index, read_manifest, read_tokens
from beepbrain.tokens.specials import BOS, EOS

SPLITS = ("train", "val", "test")


class WindowLoader:
    def __init__(
        self,
        dataset_dir,
        split: str = "train",
        block_size: int = 512,
        batch_size: int = 8,
        seed: int = 0,
        fill: float = 0.0,
        song_balance: float = 0.0,
    ):
        from beepbrain.tokens.load import load_tokenizer

        if split not in SPLITS:
            raise ValueError(f"split must be one of {SPLITS}, not {split!r}")
        self.dataset_dir = Path(dataset_dir)
        self.manifest = read_manifest(self.dataset_dir)
        self.split = split
        self.block_size = int(block_size)
        self.batch_size = int(batch_size)
        self.seed = int(seed)
        self.vocab_size = int(self.manifest["vocab_size"])
        self.pad_id = int(self.manifest["pad_id"])
        self.cond_dim = int(self.manifest.get("cond_dim", COND_DIM))
        self.tokenizer = load_tokenizer(self.dataset_dir / "tokenizer.json")
        self.index = read_index(self.dataset_dir, split)
        self.tokens = read_tokens(self.dataset_dir, split)
        if len(self.index) == 0 or len(self.tokens) == 0:
            raise ValueError(f"split {split!r} of {self.dataset_dir} holds no songs")
        self.conds = [
            Conditioning(int(r["rhythm"]), int(r["pitch_channels"]), int(r["noise_channels"]))
            for r in self.index
        ]
        self.cond_vectors = vectors(
            self.index["rhythm"], self.index["pitch_channels"], self.index["noise_channels"]
        )
        self._pins = getattr(getattr(self.tokenizer, "vocab", None), "pin", None) is not None
        self._windows: dict[tuple[int, int], np.ndarray] = {}
        self.starts = self._window_starts()  # int64[W, 2]: (song, start bar)
        self.fill = float(fill)
        if not 0.0 <= self.fill <= 1.0:
            raise ValueError(f"fill must be a share in [0, 1], not {fill}")
        if self.fill and getattr(getattr(self.tokenizer, "vocab", None), "fill", None) is None:
            raise ValueError("fill tasks need a pattern tokenizer with fill tokens: rebuild the dataset")
        self._parts: dict[tuple[int, int], object] = {}
        self.song_balance = float(song_balance)
        if not 0.0 <= self.song_balance <= 1.0:
            raise ValueError(f"song_balance must be in [0, 1], not {song_balance}")
        self._drawn = np.cumsum(self.draw_chances()) if self.song_balance else None  # None: rng.integers

    def song_tokens(self, song: int) -> np.ndarray:
        row = self.index[song]
        return np.asarray(self.tokens[int(row["offset"]) : int(row["offset"]) + int(row["length"])])

    def _window_starts(self) -> np.ndarray:
        """(song, bar) of every window: bar 0 of each song, then, while a window stops short of the song's
        end, a later bar line about half a window on, never past the first bar the window before did
        not hold whole (a window ends before a bar that plays a pattern it cannot show), so every bar is
        a target of some window."""
        out = []
        for song in range(len(self.index)):
            toks = self.song_tokens(song)
            lines = self.tokenizer.bar_lines(toks)
            head = int(lines[0]) + 1 if len(lines) else 1  # BOS, header and instruments
            later = head + (pin_budget(self.block_size, head) if self._pins else 0)  # a later window's start
            stride = max(1, (self.block_size - later) // 2)
            out.append((song, 0))
            bar = 0
            while True:
                window = self.window(song, bar)
                shown = len(self.tokenizer.bar_lines(window))
                if (len(window) and window[-1] == EOS) or not shown:  # the song's end, or a header that
                    break  # fills the context alone (a later window would be the same header)
                held = bar + max(1, shown - 1)  # bars held whole
                far = int(np.searchsorted(lines, int(lines[bar]) + stride))  # half a window on
                bar = max(bar + 1, min(far, held))
                if bar >= len(lines):
                    break
                out.append((song, bar))
        return np.asarray(out, dtype=np.int64).reshape(-1, 2)

    def window(self, song: int, bar: int) -> np.ndarray:
        """The tokens of the window from ``bar`` of ``song``: the tokenizer's ``window`` (its view, at most
        ``block_size + 1`` tokens, every pattern a ``REF`` names written inside it: ``shown_only``)."""
        key = (int(song), int(bar))
        got = self._windows.get(key)
        if got is None:
            tok, cond = self.tokenizer, self.conds[song]
            view = tok.view(self.song_tokens(song), cond, int(bar), self.block_size)
            got = np.asarray(tok.window(view, cond, self.block_size, shown_only=True), dtype=np.int64)
            self._windows[key] = got
        return got

    def fill_window(self, song: int, bar: int, rng: np.random.Generator) -> np.ndarray:
        """A fill task from ``bar`` of ``song``: as many of the view's bars as leave room in the context for
        the layout's markers, with holes drawn by ``draw_holes``; at most ``block_size + 1`` tokens."""
        from beepbrain.tokens.fill import draw_holes, fill_layout
        from beepbrain.tokens.pattern_stream import split_stream

        key = (int(song), int(bar))
        channels = self.conds[song].channels
        parts = self._parts.get(key)
        if parts is None:
            view = self.tokenizer.view(self.song_tokens(song), self.conds[song], int(bar))
            ends = np.append(self.tokenizer.bar_lines(view), len(view))  # where bar k starts; the end
            parts = self._parts[key] = (split_stream(view, self.tokenizer.vocab, channels), ends)
        parts, lines = parts
        vocab = self.tokenizer.vocab
        budget = self.block_size * 7 // 8
        bars = max(1, int(np.searchsorted(lines, budget, side="right")) - 1)
        bars = min(bars, len(parts.bars))
        while True:
            rows = parts.bars[:bars]
            holes = draw_holes(rows, channels, rng, limit=vocab.fill_holes)
            tokens = fill_layout(parts, holes, vocab, channels, rows=rows)
            if len(tokens) <= self.block_size + 1 or bars == 1:
                return np.asarray(tokens[: self.block_size + 1], dtype=np.int64)
            bars = max(1, bars * 3 // 4)

    def draw_chances(self, song_balance: float | None = None) -> np.ndarray:
        """float64[W]: the chance that a draw takes each window start at ``song_balance`` (default this
        loader's). A song with K windows gives each K**-song_balance before normalizing (0: every window
        alike, so a long song weighs K times a short one; 1: every song alike)."""
        balance = self.song_balance if song_balance is None else float(song_balance)
        per_song = np.bincount(self.starts[:, 0], minlength=len(self.index)).astype(np.float64)
        weights = per_song[self.starts[:, 0]] ** -balance
        return weights / weights.sum()

    def _draw_start(self, rng: np.random.Generator) -> tuple[int, int]:
        if self._drawn is None:
            song, bar = self.starts[int(rng.integers(0, len(self.starts)))]
        else:
            u = rng.random() * self._drawn[-1]
            at = min(int(np.searchsorted(self._drawn, u, side="right")), len(self.starts) - 1)
            song, bar = self.starts[at]
        return int(song), int(bar)

    @property
    def windows(self) -> int:
        """How many distinct windows the split holds."""
        return len(self.starts)

    @property
    def tokens_total(self) -> int:
        return len(self.tokens)

    def get_batch_numpy(self, step: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(x int64[B,T], y int64[B,T], cond float32[B,T,COND_DIM]): rows of windows packed end to end."""
        rng = np.random.default_rng([self.seed, int(step)])
        B, T = self.batch_size, self.block_size
        x = np.full((B, T), self.pad_id, dtype=np.int64)
        y = np.full((B, T), -1, dtype=np.int64)
        cond = np.zeros((B, T, self.cond_vectors.shape[1]), dtype=np.float32)
        for r in range(B):
            row = np.full(T + 1, self.pad_id, dtype=np.int64)
            song_at = np.full(T + 1, -1, dtype=np.int64)
            filled = 0
            while filled < T + 1:
                song, bar = self._draw_start(rng)
                if self.fill and rng.random() < self.fill:
                    window = self.fill_window(song, bar, rng)[: T + 1 - filled]
                else:
                    window = self.window(song, bar)[: T + 1 - filled]
                row[filled : filled + len(window)] = window
                song_at[filled : filled + len(window)] = filled  # where this window starts
                cond[r, filled : min(filled + len(window), T)] = self.cond_vectors[song]
                filled += len(window)
            x[r] = row[:-1]
            same = song_at[1:] == song_at[:-1]  # the next token is of the same window
            if self.fill:  # the fill layout's markers are given, not predicted
                same &= ~marker_mask(row[1:], self.tokenizer.vocab)
            if self._pins:  # so are a window's pinned rows
                same &= ~pinned_mask(row, self.tokenizer.vocab)[1:]
            y[r] = np.where(same, row[1:], -1)
        return x, y, cond

    def get_batch(self, step: int):
        """(x int64[B,T], y int64[B,T], cond float32[B,T,COND_DIM]) torch tensors for training step ``step``."""
        import torch

        x, y, cond = self.get_batch_numpy(step)
        return torch.from_numpy(x), torch.from_numpy(y), torch.from_numpy(cond)

    def __iter__(self):
        step = 0
        while True:
            yield self.get_batch(step)
            step += 1


def pad_share(y) -> float:
    """The share of a batch's targets that are not a song's next token (padding, song boundaries)."""
    y = np.asarray(y)
    return float((y < 0).mean()) if y.size else 0.0


__all__ = ["BOS", "SPLITS", "WindowLoader", "pad_share"]
