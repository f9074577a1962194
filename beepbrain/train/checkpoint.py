"""Checkpoints: model, optimizer, step, RNG state and MLflow run id in one file, written atomically.

Every value in a checkpoint is a tensor or a plain Python value (the NumPy RNG state is stored as a list), so
it loads with ``torch.load(weights_only=True)``: a checkpoint fetched from MLflow artifacts cannot run code.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import numpy as np
import torch

CHECKPOINT_NAME = "ckpt.pt"


def run_dir(data: Path, run_id: str) -> Path:
    """DATA_DIR/runs/<run_id>/: where a run keeps its checkpoint."""
    return data / "runs" / run_id


def rng_state() -> dict:
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    numpy_state = [kind, keys.tolist(), int(pos), int(has_gauss), float(cached)]
    state = {"python": random.getstate(), "numpy": numpy_state, "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict) -> None:
    random.setstate(state["python"])
    kind, keys, pos, has_gauss, cached = state["numpy"]
    np.random.set_state((kind, np.asarray(keys, dtype=np.uint32), pos, has_gauss, cached))
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def save_checkpoint(path: Path, state: dict) -> Path:
    """Write `state` to `path` so that a reader only ever sees a whole old or a whole new file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:
        torch.save(state, fh)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    return path


# What checkpoints written before the NumPy state became a list hold beside tensors and plain values.
_LEGACY_GLOBALS = [np.ndarray, np.dtype, type(np.dtype(np.uint32)), np._core.multiarray._reconstruct]


def load_checkpoint(path: Path, map_location="cpu") -> dict:
    """Read a checkpoint with ``weights_only=True`` (tensors and plain values; older checkpoints' NumPy RNG
    arrays are allow-listed by type, nothing else)."""
    with torch.serialization.safe_globals(_LEGACY_GLOBALS):
        return torch.load(path, map_location=map_location, weights_only=True)
