"""WindowLoader: training rows of whole songs, or windows that are songs of their own, packed end to end.

Every window is a song: a window starting at bar ``b`` is the tokenizer's ``view`` of the song from bar
``b`` (the pattern tokenizer: the header with the bars left, the instruments, the bars with their patterns
numbered from there, each first use written out), so the model never sees a song without its header nor a
``REF`` to a pattern out of view. A song that fits the context is one window from its start; a longer one
also gets windows from later bar lines, about half a context of the song apart, so every bar is seen with a
header and some bars before it.

Windows are packed end to end into rows of ``block_size + 1`` tokens (the last cut where the row is
full), not padded. Each position carries its own song's conditioning (``cond`` is ``[B, T, COND_DIM]``),
the model keeps attention inside each song (a song starts at BOS), and a target that would be the next
song's BOS is -1 (ignored by the loss). ``get_batch(step)`` is a pure function of ``(seed, step)``: a
resumed run sees the same data order.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from beepbrain.tokens.conditioning import COND_DIM, Conditioning, vectors
from beepbrain.tokens.shards import read_index, read_manifest, read_tokens
from beepbrain.tokens.vocab import BOS

SPLITS = ("train", "val", "test")


class WindowLoader:
    def __init__(self, dataset_dir, split: str = "train", block_size: int = 512, batch_size: int = 8,
                 seed: int = 0):
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
        self.conds = [Conditioning(int(r["rhythm"]), int(r["pitch_channels"]), int(r["noise_channels"]))
                      for r in self.index]
        self.cond_vectors = vectors(self.index["rhythm"], self.index["pitch_channels"],
                                    self.index["noise_channels"])
        self.starts = self._window_starts()  # int64[W, 2]: (song, start bar)
        self._windows: dict[tuple[int, int], np.ndarray] = {}

    def song_tokens(self, song: int) -> np.ndarray:
        row = self.index[song]
        return np.asarray(self.tokens[int(row["offset"]): int(row["offset"]) + int(row["length"])])

    def _window_starts(self) -> np.ndarray:
        """(song, bar) of every window: bar 0 of each song, then bar lines about half a context apart
        while the song goes on past what the window before reaches."""
        out = []
        for song in range(len(self.index)):
            toks = self.song_tokens(song)
            lines = self.tokenizer.bar_lines(toks)
            head = int(lines[0]) + 1 if len(lines) else 1  # BOS, header and instruments
            out.append((song, 0))
            stride = max(1, (self.block_size - head) // 2)
            last = 0
            for b in range(1, len(lines)):
                reach = int(lines[last]) + self.block_size - (head if last else 0)
                if reach >= len(toks):
                    break
                if int(lines[b]) - int(lines[last]) >= stride:
                    out.append((song, b))
                    last = b
        return np.asarray(out, dtype=np.int64).reshape(-1, 2)

    def window(self, song: int, bar: int) -> np.ndarray:
        """The tokens of the window from ``bar`` of ``song``: its view, at most ``block_size + 1`` long."""
        key = (int(song), int(bar))
        got = self._windows.get(key)
        if got is None:
            view = self.tokenizer.view(self.song_tokens(song), self.conds[song], int(bar))
            got = np.asarray(view[: self.block_size + 1], dtype=np.int64)
            self._windows[key] = got
        return got

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
                song, bar = self.starts[int(rng.integers(0, len(self.starts)))]
                window = self.window(song, bar)[: T + 1 - filled]
                row[filled: filled + len(window)] = window
                song_at[filled: filled + len(window)] = filled  # where this window starts
                cond[r, filled: min(filled + len(window), T)] = self.cond_vectors[song]
                filled += len(window)
            x[r] = row[:-1]
            same = song_at[1:] == song_at[:-1]  # the next token is of the same window
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
