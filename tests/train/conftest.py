"""A small dataset in the on-disk format of docs/CONTRACTS.md section 3, written by hand.

Songs are synthetic token streams with learnable structure (each song repeats a short phrase of its own,
bar line first), tokenized ids drawn from the real tokenizer's vocabulary, whose tokenizer.json sits beside
them: fast to write, and training loss falls quickly on it.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from beepbrain.tokens import TickTokenizer
from beepbrain.tokens.shards import INDEX_DTYPE


def write_split(
    out: Path, split: str, songs: list[tuple[np.ndarray, tuple[int, int, int]]], bar_id: int
) -> dict:
    tokens = np.concatenate([s for s, _ in songs]).astype("<u2")
    tokens.tofile(out / f"{split}.tokens")
    index = np.zeros(len(songs), dtype=INDEX_DTYPE)
    offset = 0
    for row, (stream, (rhythm, pitch, noise)) in zip(index, songs, strict=True):
        row["offset"], row["length"] = offset, len(stream)
        row["rhythm"], row["pitch_channels"], row["noise_channels"] = rhythm, pitch, noise
        offset += len(stream)
    np.save(out / f"{split}.index.npy", index)
    np.save(out / f"{split}.bars.npy", np.flatnonzero(tokens == bar_id).astype(np.int64))
    return {"songs": len(songs), "tokens": int(len(tokens))}


def make_dataset(data_dir: Path, name: str = "syn", songs: int = 40, seed: int = 0) -> Path:
    """DATA_DIR/datasets/NAME with train and val splits; returns the dataset directory."""
    tokenizer = TickTokenizer()
    out = data_dir / "datasets" / name
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    first = tokenizer.bar_id + 1  # ids above the special tokens
    low = max(first, 8)
    high = min(tokenizer.vocab_size, low + 40)

    def song() -> tuple[np.ndarray, tuple[int, int, int]]:
        phrase = rng.integers(low, high, size=int(rng.integers(6, 12)))
        bar = np.concatenate([[tokenizer.bar_id], phrase, phrase[::-1]])
        stream = np.concatenate(
            [[tokenizer.bos_id], np.tile(bar, int(rng.integers(8, 16))), [tokenizer.eos_id]]
        )
        return stream, (int(rng.integers(0, 5)), int(rng.integers(1, 5)), int(rng.integers(0, 3)))

    splits = {
        "train": write_split(out, "train", [song() for _ in range(songs)], tokenizer.bar_id),
        "val": write_split(out, "val", [song() for _ in range(max(2, songs // 8))], tokenizer.bar_id),
    }
    tokenizer.save(out / "tokenizer.json")
    manifest = {
        "name": name,
        "tokenizer": tokenizer.to_dict()["config"],
        "vocab_size": tokenizer.vocab_size,
        "pad_id": tokenizer.pad_id,
        "cond_dim": 21,
        "splits": splits,
        "sql": "synthetic",
        "corpus_version": "synthetic",
        "created": "2026-01-01T00:00:00Z",
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1))
    return out


@pytest.fixture(scope="session")
def dataset_factory():
    return make_dataset


@pytest.fixture(scope="session")
def train_data(tmp_path_factory) -> Path:
    """A data directory with the synthetic dataset `syn`; its MLflow store is shared by the train tests."""
    data = tmp_path_factory.mktemp("train-data")
    make_dataset(data)
    return data


TRAINED_ARGS = dict(
    dataset="syn",
    model="tiny",
    max_steps=40,
    batch_size=4,
    eval_interval=20,
    eval_batches=2,
    checkpoint_interval=20,
    log_interval=10,
    lr=3e-3,
    seed=3,
)


@pytest.fixture(scope="session")
def trained(train_data):
    """One short tiny training shared by the tests that inspect its MLflow run and registered model."""
    from beepbrain.train import TrainConfig, train

    config = TrainConfig(data_dir=str(train_data), **TRAINED_ARGS)
    return train_data, config, train(config)
