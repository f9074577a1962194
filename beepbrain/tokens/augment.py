"""Augmentation: a song's pitch channels in other orders, and the song with some channels left out; and a
split's token streams with its augmented copies (other keys, other octaves, the channel variants).

The channel copies share the song's patterns (nothing is deep-copied: tokenizers only read them); the
conditioning follows from each copy's channel counts. Drum channels stay after the pitch channels, as BeepBox
keeps them.
"""

from __future__ import annotations

import copy
import hashlib
import itertools

import numpy as np

from beepbrain.tokens.protocol import Tokenizer

MAX_TRANSPOSE = 12
MAX_OCTAVES = 3


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


def split_streams(
    items: list,
    tokenizer: Tokenizer,
    transpose: int,
    counter: list[int],
    channels: bool = False,
    octaves: int = 0,
):
    """The songs of a split, then (``channels``) their channel variants, then (``transpose`` > 0) copies in
    keys +-1..``transpose`` semitones away (``tokenizer.change_key``: the pattern tokenizer's notes stay
    as written, relative to the key), then (``octaves`` > 0) copies with every pitch channel moved
    +-1..``octaves`` octaves where the notes stay in range; counts copies in counter[0]."""
    for item in items:
        yield item.tokens, item.conditioning
    if channels:
        for item in items:
            for tokens, cond in item.variants:
                counter[0] += 1
                yield tokens, cond
    shifts = [s for d in range(1, transpose + 1) for s in (d, -d)]
    for item in items:
        seen = {tokenizer.key_of(item.tokens)}
        for shift in shifts:
            moved = tokenizer.change_key(item.tokens, shift)
            key = tokenizer.key_of(moved) if moved is not None else None
            if moved is not None and (key not in seen or not tokenizer.HAS_HEADER):
                seen.add(key)
                counter[0] += 1
                yield moved, item.conditioning
    for item in items:
        for octave in [s for d in range(1, octaves + 1) for s in (d, -d)]:
            moved = tokenizer.transpose(item.tokens, 12 * octave)
            if moved is not None and not np.array_equal(moved, item.tokens):
                counter[0] += 1
                yield moved, item.conditioning
