"""Train/validation/test assignment by content: identical token streams, and streams that are transpositions
of each other, always land in the same split."""

from __future__ import annotations

import hashlib

import numpy as np

from beepbrain.tokens.protocol import Tokenizer

SPLITS = ("train", "val", "test")


def content_key(tokens: np.ndarray, conditioning) -> str:
    """sha256 of a song's conditioning and token stream: equal songs (same string, or same stream) share it."""
    h = hashlib.sha256()
    h.update(bytes([conditioning.rhythm, conditioning.pitch_channels, conditioning.noise_channels]))
    h.update(np.ascontiguousarray(tokens, dtype="<u2").tobytes())
    return h.hexdigest()


def group_key(tokens: np.ndarray, conditioning, tokenizer: Tokenizer) -> str:
    """The content key of the stream transposed so that its lowest pitch-channel note starts on pitch 0:
    a song and its transpositions share it (so augmentation never copies a test song into train)."""
    lowest = tokenizer.lowest_pitch(tokens)
    if lowest:
        moved = tokenizer.transpose(tokens, -lowest, bends=False)  # a key, not a song: bends unchecked
        if moved is not None:
            tokens = moved
    return content_key(tokens, conditioning)


def key_fraction(key: str) -> float:
    """A content key as a number in [0, 1)."""
    return int(key[:15], 16) / 16**15


def assign_split(key: str, val_fraction: float, test_fraction: float) -> str:
    f = key_fraction(key)
    if f < val_fraction:
        return "val"
    if f < val_fraction + test_fraction:
        return "test"
    return "train"


def fill_empty_splits(assigned: dict[str, list[str]], val_fraction: float, test_fraction: float) -> None:
    """Small selections: give an empty val/test split (whose fraction is > 0) the train song whose key lies
    closest to it, while train keeps at least one song. Deterministic in the set of keys."""
    for split, target in (("val", val_fraction / 2), ("test", val_fraction + test_fraction / 2)):
        fraction = val_fraction if split == "val" else test_fraction
        if fraction <= 0 or assigned[split] or len(assigned["train"]) < 2:
            continue
        best = min(assigned["train"], key=lambda k: (abs(key_fraction(k) - target), k))
        assigned["train"].remove(best)
        assigned[split].append(best)


def dedupe(encoded: list) -> tuple[dict[str, object], int]:
    """One song per content key (the first by song id), and how many duplicates were dropped."""
    by_key: dict[str, object] = {}
    duplicates = 0
    for item in sorted(encoded, key=lambda e: (e.key, e.song_id)):
        if item.key in by_key:
            duplicates += 1
        else:
            by_key[item.key] = item
    return by_key, duplicates


def assign_splits(
    by_key: dict[str, object],
    val_fraction: float,
    test_fraction: float,
    fixed_splits: dict[str, str] | None = None,
) -> dict[str, list[str]]:
    """{split: content keys}: by transposition group (a song and its transpositions share a split), empty
    val/test splits of small selections filled; ``fixed_splits`` ({song_id: split}, the rest to train)
    overrides that."""
    if fixed_splits is not None:
        assigned: dict[str, list[str]] = {split: [] for split in SPLITS}
        for key in sorted(by_key):
            assigned[fixed_splits.get(by_key[key].song_id, "train")].append(key)
        return assigned
    groups: dict[str, list[str]] = {}
    for key in sorted(by_key):
        groups.setdefault(by_key[key].group, []).append(key)
    by_group: dict[str, list[str]] = {s: [] for s in SPLITS}
    for group in sorted(groups):
        by_group[assign_split(group, val_fraction, test_fraction)].append(group)
    fill_empty_splits(by_group, val_fraction, test_fraction)
    return {split: [k for g in by_group[split] for k in groups[g]] for split in SPLITS}
