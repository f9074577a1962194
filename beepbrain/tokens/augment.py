"""Channel augmentation: a song's pitch channels in other orders, and the song with some channels left out.

The copies share the song's patterns (nothing is deep-copied: tokenizers only read them); the conditioning
follows from each copy's channel counts. Drum channels stay after the pitch channels, as BeepBox keeps them.
"""

from __future__ import annotations

import copy
import hashlib
import itertools

import numpy as np


def with_channels(song, pitch: list[int], noise: list[int]):
    """A shallow copy of ``song`` holding its pitch channels ``pitch`` and drum channels ``noise`` (indices
    into ``song.channels``), in that order."""
    out = copy.copy(song)
    out.channels = [song.channels[i] for i in (*pitch, *noise)]
    out.pitch_channel_count = len(pitch)
    out.noise_channel_count = len(noise)
    return out


def channel_variants(song, count: int, seed: str | int = 0) -> list:
    """Up to ``count`` distinct copies of ``song``: pitch channels reordered, one pitch channel left out,
    or the drums left out. Deterministic in (song layout, ``seed``); never the song itself."""
    if count <= 0:
        return []
    pitch = list(range(song.pitch_channel_count))
    noise = list(range(song.pitch_channel_count, song.channel_count))
    options: list[tuple[tuple[int, ...], tuple[int, ...]]] = []
    for order in itertools.islice(itertools.permutations(pitch), 1, 24):  # skip the identity
        options.append((order, tuple(noise)))
    if len(pitch) > 1:
        for drop in pitch:
            options.append((tuple(p for p in pitch if p != drop), tuple(noise)))
    if noise:
        options.append((tuple(pitch), ()))
    if not options:
        return []
    digest = hashlib.sha256(str(seed).encode()).digest()
    rng = np.random.default_rng(int.from_bytes(digest[:8], "little"))
    picks = rng.permutation(len(options))[:count]
    return [with_channels(song, list(options[i][0]), list(options[i][1])) for i in sorted(picks)]
