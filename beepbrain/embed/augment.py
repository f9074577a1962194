"""Edits of a pattern that keep it "the same pattern": what contrastive training pairs up, and what the
retrieval benchmark asks the vectors to see through. All take and return grid notes (see ``grid``)."""

from __future__ import annotations

import numpy as np

from beepbrain.embed.grid import STEPS

EDITS = ("move", "remove", "add")


def _clip(notes: np.ndarray) -> np.ndarray:
    notes[:, 0] = np.clip(notes[:, 0], 0, STEPS - 1)
    notes[:, 1] = np.clip(notes[:, 1], notes[:, 0] + 1, STEPS)
    return notes


def move_note(notes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One note moved: in time by 1-12 steps (length kept) or in pitch by 1-2 semitones."""
    out = notes.astype(np.int16, copy=True)
    i = rng.integers(len(out))
    if rng.random() < 0.5:
        shift = int(rng.integers(1, 13)) * (1 if rng.random() < 0.5 else -1)
        length = int(out[i, 1] - out[i, 0])
        start = int(np.clip(out[i, 0] + shift, 0, STEPS - 1))
        out[i, 0], out[i, 1] = start, min(STEPS, start + length)
    else:
        out[i, 2] += int(rng.integers(1, 3)) * (1 if rng.random() < 0.5 else -1)
    return np.unique(_clip(out), axis=0)


def remove_note(notes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One note removed (a one-note pattern stays as it is)."""
    if len(notes) <= 1:
        return notes.copy()
    return np.delete(notes, rng.integers(len(notes)), axis=0)


def add_note(notes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One note added: a random onset, the length of a note already there, a pitch in the pattern's range."""
    template = notes[rng.integers(len(notes))]
    start = int(rng.integers(STEPS))
    length = int(template[1] - template[0])
    low, high = int(notes[:, 2].min()), int(notes[:, 2].max())
    pitch = int(rng.integers(low - 2, high + 3))
    new = np.array([[start, min(STEPS, start + length), pitch]], dtype=np.int16)
    return np.unique(np.concatenate([notes, new]).astype(np.int16), axis=0)


def transpose(notes: np.ndarray, semitones: int) -> np.ndarray:
    out = notes.astype(np.int16, copy=True)
    out[:, 2] += semitones
    return out


def edit(notes: np.ndarray, kind: str, rng: np.random.Generator) -> np.ndarray:
    return {"move": move_note, "remove": remove_note, "add": add_note}[kind](notes, rng)


def view(
    notes: np.ndarray, is_noise: bool, rng: np.random.Generator, max_edits: int = 2, max_transpose: int = 7
) -> np.ndarray:
    """A random training view: 0-``max_edits`` edits, then (pitched channels) a transposition."""
    out = notes
    for _ in range(int(rng.integers(0, max_edits + 1))):
        out = edit(out, EDITS[rng.integers(len(EDITS))], rng)
    if not is_noise and max_transpose:
        out = transpose(out, int(rng.integers(-max_transpose, max_transpose + 1)))
    return out
