"""WindowLoader: random bar-aligned token windows from a dataset split, for training."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from beepbrain.tokens.conditioning import COND_DIM, vectors

SPLITS = ("train", "val", "test")


class WindowLoader:
    """Draws ``batch_size`` windows of ``block_size`` tokens, each starting on a bar line.

    ``get_batch(step)`` is a pure function of ``(seed, step)``: a resumed run sees the same data order.
    Tokens are memory-mapped; windows are gathered with one vectorized index. Positions past a song's end
    read PAD in ``x`` and -1 (ignored by the loss) in ``y``.
    """

    def __init__(self, dataset_dir, split: str = "train", block_size: int = 512, batch_size: int = 8,
                 seed: int = 0):
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
        offsets = self.index["offset"].astype(np.int64)
        song_of_bar = np.searchsorted(offsets, self.bars, side="right") - 1
        self.bar_song_end = offsets[song_of_bar] + self.index["length"].astype(np.int64)[song_of_bar]
        self.bar_cond = vectors(self.index["rhythm"][song_of_bar], self.index["pitch_channels"][song_of_bar],
                                self.index["noise_channels"][song_of_bar])

    @property
    def windows(self) -> int:
        """How many distinct window starts the split holds (one per bar)."""
        return len(self.bars)

    @property
    def tokens_total(self) -> int:
        return len(self.tokens)

    def get_batch_numpy(self, step: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        rng = np.random.default_rng([self.seed, int(step)])
        pick = rng.integers(0, len(self.bars), size=self.batch_size)
        starts = self.bars[pick]
        ends = self.bar_song_end[pick]
        pos = starts[:, None] + np.arange(self.block_size + 1)[None, :]
        inside = pos < ends[:, None]
        gathered = self.tokens[np.minimum(pos, len(self.tokens) - 1)].astype(np.int64)
        x = np.where(inside[:, :-1], gathered[:, :-1], self.pad_id)
        y = np.where(inside[:, 1:], gathered[:, 1:], -1)
        return x, y, self.bar_cond[pick]

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
