"""The encoder: a rendered pattern (``grid``) to a ``dim``-dimensional vector.

The grid's two planes x 96 time steps become the features of each pitch row; convolutions then run
across pitch: one over neighbouring rows, two dilated ones relating rows a major third and an octave apart
(chords, octave doublings), each added to its input. Max and mean pooling over pitch make the vector blind
to where the pattern sits in pitch: a transposition renders to the same grid anyway (the window starts at
its lowest note), and an edit that moves the lowest note only shifts the grid, which the pooling absorbs.
Time is not pooled, so rhythm and the order of events count. A flag tells drums from pitched channels.
Convolutions over pitch with wide feature vectors are matrix products, which a CPU does fast.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn

from beepbrain.embed.grid import PLANES, ROWS, STEPS


@dataclass
class EmbedConfig:
    dim: int = 256
    width: int = 128
    hidden: int = 512
    steps: int = STEPS
    rows: int = ROWS

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> EmbedConfig:
        return cls(**d)


class PatternEncoder(nn.Module):
    def __init__(self, config: EmbedConfig | None = None) -> None:
        super().__init__()
        self.config = config = config or EmbedConfig()
        if config.steps != STEPS or config.rows != ROWS:
            raise ValueError(
                f"this encoder reads {STEPS}x{ROWS} grids, the config says {config.steps}x{config.rows}"
            )
        w = config.width
        self.rows = nn.Conv1d(PLANES * STEPS, w, 3, padding=1)
        self.third = nn.Conv1d(w, w, 3, dilation=4, padding=4)
        self.octave = nn.Conv1d(w, w, 3, dilation=12, padding=12)
        self.head = nn.Sequential(
            nn.Linear(2 * w + 1, config.hidden), nn.GELU(), nn.Linear(config.hidden, config.dim)
        )

    def forward(self, grids: torch.Tensor, is_noise: torch.Tensor) -> torch.Tensor:
        """grids (B, PLANES, STEPS, ROWS) float, is_noise (B,) -> (B, dim)."""
        x = F.gelu(self.rows(grids.flatten(1, 2)))  # (B, width, ROWS)
        x = x + F.gelu(self.third(x))
        x = x + F.gelu(self.octave(x))
        pooled = torch.cat([x.amax(dim=2), x.mean(dim=2), is_noise.float().unsqueeze(1)], dim=1)
        return self.head(pooled)

    def num_params(self) -> int:
        return sum(p.numel() for p in self.parameters())
