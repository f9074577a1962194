"""A dataset's files on disk: the one module that writes and reads them (docs/CONTRACTS.md section 3).

``DATA_DIR/datasets/NAME/`` holds ``manifest.json``, ``tokenizer.json`` and, per split (train, val, test),
``{split}.tokens`` (flat little-endian uint16 token ids, songs back to back), ``{split}.index.npy`` (one
row per song: offset and length into the tokens, then the song's conditioning) and ``{split}.bars.npy``
(the offsets of every BOS and bar-line token). Every dataset BeepBrain has written keeps its index in
``INDEX_DTYPE`` (a structured array), so that is the only index it reads.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from beepbrain.tokens.conditioning import Conditioning
from beepbrain.tokens.specials import BAR, BOS

MANIFEST = "manifest.json"
MANIFEST_FORMAT = "beepbrain-dataset"
TOKEN_DTYPE = np.dtype("<u2")
INDEX_DTYPE = np.dtype(
    [
        ("offset", "<i8"),
        ("length", "<i8"),
        ("rhythm", "i1"),
        ("pitch_channels", "i1"),
        ("noise_channels", "i1"),
    ]
)


def manifest_path(dataset_dir) -> Path:
    return Path(dataset_dir) / MANIFEST


def tokens_path(dataset_dir, split: str) -> Path:
    return Path(dataset_dir) / f"{split}.tokens"


def index_path(dataset_dir, split: str) -> Path:
    return Path(dataset_dir) / f"{split}.index.npy"


def bars_path(dataset_dir, split: str) -> Path:
    return Path(dataset_dir) / f"{split}.bars.npy"


def is_dataset(dataset_dir) -> bool:
    """Whether ``dataset_dir`` holds a dataset (its manifest)."""
    return manifest_path(dataset_dir).exists()


def read_manifest(dataset_dir, hint: str = "") -> dict:
    """The dataset's manifest; a FileNotFoundError naming the directory (and ``hint``) when there is none."""
    path = manifest_path(dataset_dir)
    if not path.exists():
        raise FileNotFoundError(f"no dataset at {Path(dataset_dir)} (missing {MANIFEST}){hint}")
    return json.loads(path.read_text())


def write_manifest(dataset_dir, manifest: dict) -> None:
    manifest_path(dataset_dir).write_text(json.dumps(manifest, indent=1) + "\n")


def write_split(out, split: str, streams: Iterable[tuple[np.ndarray, Conditioning]]) -> dict:
    """Write one split's tokens, index and bar lines, streaming (``streams`` may be a generator of
    ``(tokens, conditioning)``); returns its counts: songs, tokens, bars."""
    rows: list[tuple[int, int, int, int, int]] = []
    bars: list[np.ndarray] = []
    offset = 0
    with open(tokens_path(out, split), "wb") as fh:
        for tokens, cond in streams:
            tokens = np.ascontiguousarray(tokens, dtype=TOKEN_DTYPE)
            fh.write(tokens.tobytes())
            rows.append((offset, len(tokens), cond.rhythm, cond.pitch_channels, cond.noise_channels))
            bars.append(offset + np.flatnonzero((tokens == BOS) | (tokens == BAR)).astype(np.int64))
            offset += len(tokens)
    np.save(index_path(out, split), np.array(rows, dtype=INDEX_DTYPE))
    np.save(bars_path(out, split), np.concatenate(bars) if bars else np.zeros(0, dtype=np.int64))
    return {"songs": len(rows), "tokens": offset, "bars": int(sum(len(b) for b in bars))}


def has_split(dataset_dir, split: str) -> bool:
    return tokens_path(dataset_dir, split).exists() and index_path(dataset_dir, split).exists()


def read_index(dataset_dir, split: str) -> np.ndarray:
    """The split's index: ``INDEX_DTYPE`` rows (offset, length, rhythm, pitch_channels, noise_channels)."""
    return np.load(index_path(dataset_dir, split))


def read_tokens(dataset_dir, split: str) -> np.ndarray:
    """The split's tokens, memory-mapped read-only (an empty split: an empty array)."""
    path = tokens_path(dataset_dir, split)
    if path.stat().st_size == 0:
        return np.zeros(0, dtype=TOKEN_DTYPE)
    return np.memmap(path, dtype=TOKEN_DTYPE, mode="r")


def conditionings(index: np.ndarray) -> list[Conditioning]:
    """Each song's conditioning, from its index rows."""
    return [Conditioning(int(r["rhythm"]), int(r["pitch_channels"]), int(r["noise_channels"])) for r in index]


def load_split_songs(dataset_dir, split: str) -> list[np.ndarray]:
    """The token array (int64) of every song of one split."""
    if not has_split(dataset_dir, split):
        raise FileNotFoundError(f"dataset split {split!r} not found in {Path(dataset_dir)}")
    tokens = read_tokens(dataset_dir, split)
    index = read_index(dataset_dir, split)
    return [
        np.array(tokens[o : o + n], dtype=np.int64)
        for o, n in zip(index["offset"], index["length"], strict=True)
    ]
