"""WindowLoader: random bar-aligned token windows from a dataset split, for training."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from beepbrain.tokens.conditioning import COND_DIM, vectors

SPLITS = ("train", "val", "test")


class WindowLoader:
    """Draws ``batch_size`` windows of ``block_size`` tokens, each starting on a bar line.

    A bar longer than a window (many channels, long bars) also gets starts inside it, every ``stride``
    tokens (a whole number of ticks, about half a window) after its bar line, so every token is seen; such
    a window's position 0 holds the last channel of a tick, so position ``p >= 1`` is channel ``(p - 1) %
    channels`` exactly as in a window that starts on the bar line (``intra_bar=False``: bar lines only).

    ``get_batch(step)`` is a pure function of ``(seed, step)``: a resumed run sees the same data order.
    Tokens are memory-mapped; windows are gathered with one vectorized index. Positions past a song's end
    read PAD in ``x`` and -1 (ignored by the loss) in ``y``.
    """

    def __init__(self, dataset_dir, split: str = "train", block_size: int = 512, batch_size: int = 8,
                 seed: int = 0, intra_bar: bool = True):
        if split not in SPLITS:
            raise ValueError(f"split must be one of {SPLITS}, not {split!r}")
        self.dataset_dir = Path(dataset_dir)
        manifest_path = self.dataset_dir / "manifest.json"
        if not manifest_path.exists():
            raise FileNotFoundError(f"no dataset at {self.dataset_dir} (missing manifest.json)")
        self.manifest = json.loads(manifest_path.read_text())
        self.split = split
        self.block_size = int(block_size)
        self.batch_size = int(batch_size)
        self.seed = int(seed)
        self.vocab_size = int(self.manifest["vocab_size"])
        self.pad_id = int(self.manifest["pad_id"])
        self.cond_dim = int(self.manifest.get("cond_dim", COND_DIM))
        tokens_path = self.dataset_dir / f"{split}.tokens"
        self.index = np.load(self.dataset_dir / f"{split}.index.npy")
        self.bars = np.load(self.dataset_dir / f"{split}.bars.npy").astype(np.int64)
        if len(self.index) == 0 or len(self.bars) == 0 or tokens_path.stat().st_size == 0:
            raise ValueError(f"split {split!r} of {self.dataset_dir} holds no songs")
        self.tokens = np.memmap(tokens_path, dtype="<u2", mode="r")
        self.starts, self.start_song = self._window_starts(intra_bar)
        offsets = self.index["offset"].astype(np.int64)
        self.start_song_end = offsets[self.start_song] + self.index["length"].astype(np.int64)[self.start_song]
        self.start_cond = vectors(self.index["rhythm"][self.start_song],
                                  self.index["pitch_channels"][self.start_song],
                                  self.index["noise_channels"][self.start_song])

    def _window_starts(self, intra_bar: bool) -> tuple[np.ndarray, np.ndarray]:
        """Window starts (bar lines, plus tick-aligned starts inside long bars) and the song of each."""
        offsets = self.index["offset"].astype(np.int64)
        song_of_bar = np.searchsorted(offsets, self.bars, side="right") - 1
        if not intra_bar:
            return self.bars, song_of_bar
        song_end = offsets + self.index["length"].astype(np.int64)
        bar_end = np.minimum(np.append(self.bars[1:], len(self.tokens)), song_end[song_of_bar])
        channels = (self.index["pitch_channels"].astype(np.int64)
                    + self.index["noise_channels"].astype(np.int64))[song_of_bar]
        stride = np.maximum(channels, (self.block_size // 2) // channels * channels)
        # tokens of the bar a window from its bar line does not reach (it predicts block_size of them)
        uncovered = np.maximum(bar_end - self.bars - 1 - self.block_size, 0)
        extra = -(-uncovered // stride)
        bar_of_extra = np.repeat(np.arange(len(self.bars)), extra)
        k = np.arange(len(bar_of_extra)) - np.repeat(np.cumsum(extra) - extra, extra) + 1
        inner = self.bars[bar_of_extra] + k * stride[bar_of_extra]
        starts = np.concatenate([self.bars, inner])
        songs = np.concatenate([song_of_bar, song_of_bar[bar_of_extra]])
        order = np.argsort(starts, kind="stable")
        return starts[order], songs[order]

    @property
    def windows(self) -> int:
        """How many distinct window starts the split holds."""
        return len(self.starts)

    @property
    def tokens_total(self) -> int:
        return len(self.tokens)

    def get_batch_numpy(self, step: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        rng = np.random.default_rng([self.seed, int(step)])
        pick = rng.integers(0, len(self.starts), size=self.batch_size)
        starts = self.starts[pick]
        ends = self.start_song_end[pick]
        pos = starts[:, None] + np.arange(self.block_size + 1)[None, :]
        inside = pos < ends[:, None]
        gathered = self.tokens[np.minimum(pos, len(self.tokens) - 1)].astype(np.int64)
        x = np.where(inside[:, :-1], gathered[:, :-1], self.pad_id)
        y = np.where(inside[:, 1:], gathered[:, 1:], -1)
        return x, y, self.start_cond[pick]

    def get_batch(self, step: int):
        """(x int64[B,T], y int64[B,T], cond float32[B,COND_DIM]) torch tensors for training step ``step``."""
        import torch

        x, y, cond = self.get_batch_numpy(step)
        return torch.from_numpy(x), torch.from_numpy(y), torch.from_numpy(cond)

    def __iter__(self):
        step = 0
        while True:
            yield self.get_batch(step)
            step += 1
