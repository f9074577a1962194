"""Checkpoints: model, optimizer, step, RNG state and MLflow run id in one file, written atomically."""

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
    state = {"python": random.getstate(), "numpy": np.random.get_state(), "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict) -> None:
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
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


def load_checkpoint(path: Path, map_location="cpu") -> dict:
    # The checkpoint holds RNG states (numpy arrays, Python tuples) beside tensors: a trusted local file.
    return torch.load(path, map_location=map_location, weights_only=False)
