"""Static conditioning: what the model is told about a song beside its tokens."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

RHYTHM_SLOTS = 5  # BeepBox's rhythms 0-4
PITCH_CHANNEL_SLOTS = 10  # 1-10 pitch channels
NOISE_CHANNEL_SLOTS = 6  # 0-5 drum channels
COND_DIM = RHYTHM_SLOTS + PITCH_CHANNEL_SLOTS + NOISE_CHANNEL_SLOTS  # 21


@dataclass(frozen=True)
class Conditioning:
    """Rhythm (0-4), pitch-channel count (1-10) and drum-channel count (0-5) of a song."""

    rhythm: int
    pitch_channels: int
    noise_channels: int

    def __post_init__(self) -> None:
        for name, value, lo, hi in (
            ("rhythm", self.rhythm, 0, RHYTHM_SLOTS - 1),
            ("pitch_channels", self.pitch_channels, 1, PITCH_CHANNEL_SLOTS),
            ("noise_channels", self.noise_channels, 0, NOISE_CHANNEL_SLOTS - 1),
        ):
            if isinstance(value, bool) or not isinstance(value, int | np.integer) or not lo <= value <= hi:
                raise ValueError(f"conditioning {name}={value!r} not in range [{lo}, {hi}]")
        object.__setattr__(self, "rhythm", int(self.rhythm))
        object.__setattr__(self, "pitch_channels", int(self.pitch_channels))
        object.__setattr__(self, "noise_channels", int(self.noise_channels))

    @property
    def channels(self) -> int:
        return self.pitch_channels + self.noise_channels

    @classmethod
    def of_song(cls, song) -> Conditioning:
        return cls(song.rhythm, song.pitch_channel_count, song.noise_channel_count)

    def vector(self) -> np.ndarray:
        """float32[COND_DIM]: rhythm one-hot, pitch-channel count one-hot, drum-channel count one-hot."""
        return vectors(
            np.array([self.rhythm]), np.array([self.pitch_channels]), np.array([self.noise_channels])
        )[0]


def vectors(rhythm: np.ndarray, pitch_channels: np.ndarray, noise_channels: np.ndarray) -> np.ndarray:
    """float32[N, COND_DIM] conditioning vectors for arrays of rhythms and channel counts (vectorized)."""
    n = len(rhythm)
    out = np.zeros((n, COND_DIM), dtype=np.float32)
    rows = np.arange(n)
    out[rows, np.asarray(rhythm, dtype=np.int64)] = 1.0
    out[rows, RHYTHM_SLOTS + np.asarray(pitch_channels, dtype=np.int64) - 1] = 1.0
    out[rows, RHYTHM_SLOTS + PITCH_CHANNEL_SLOTS + np.asarray(noise_channels, dtype=np.int64)] = 1.0
    return out
