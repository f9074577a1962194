"""Songs to vectors: one per pattern (the encoder's output, L2-normalized) and one per song (the mean of
its pattern vectors weighted by the bars that play each, normalized again)."""

from __future__ import annotations

import numpy as np
import torch

from beepbrain.embed.grid import PatternNotes, render_batch, song_patterns


def encode(
    model, patterns: list[PatternNotes] | list[tuple[np.ndarray, bool]], batch_size: int = 256
) -> np.ndarray:
    """float32 (n, dim), unit length rows: the vectors of ``patterns`` (PatternNotes or (notes, is_noise))."""
    pairs = [(p.notes, p.is_noise) if isinstance(p, PatternNotes) else p for p in patterns]
    dim = model.config.dim
    if not pairs:
        return np.zeros((0, dim), dtype=np.float32)
    out = []
    with torch.no_grad():
        for i in range(0, len(pairs), batch_size):
            chunk = pairs[i : i + batch_size]
            grids = torch.from_numpy(render_batch([n for n, _ in chunk]))
            noise = torch.tensor([bool(z) for _, z in chunk])
            out.append(torch.nn.functional.normalize(model(grids, noise), dim=1).numpy())
    return np.concatenate(out).astype(np.float32)


def song_vector(vectors: np.ndarray, bars: np.ndarray) -> np.ndarray | None:
    """The song's vector from its pattern vectors and the bars that play each; None for a silent song."""
    if len(vectors) == 0:
        return None
    v = (vectors * np.asarray(bars, dtype=np.float32)[:, None]).sum(axis=0)
    norm = float(np.linalg.norm(v))
    return (v / norm).astype(np.float32) if norm > 0 else None


def embed_song(model, song) -> tuple[list[PatternNotes], np.ndarray, np.ndarray | None]:
    """(patterns, their vectors, the song vector) of a parsed song."""
    patterns = list(song_patterns(song))
    vectors = encode(model, patterns)
    return patterns, vectors, song_vector(vectors, np.array([p.bars for p in patterns]))
