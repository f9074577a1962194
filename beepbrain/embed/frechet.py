"""The Fréchet distance between two sets of pattern vectors (as FID does for images): fit a Gaussian to
each set, ``|mu_a - mu_b|^2 + tr(S_a + S_b - 2 (S_a S_b)^(1/2))``. Used by `beepbrain evaluate` to say how
far generated songs sit from the train split, next to held-out songs and random notes."""

from __future__ import annotations

import numpy as np

from beepbrain.embed.grid import STEPS, PatternNotes, song_patterns


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Fréchet distance between Gaussians fitted to the rows of ``a`` and of ``b`` (each at least 2 rows)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if len(a) < 2 or len(b) < 2:
        raise ValueError(f"the Fréchet distance needs at least 2 vectors a side, got {len(a)} and {len(b)}")
    mu = a.mean(axis=0) - b.mean(axis=0)
    sa, sb = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    # tr((Sa Sb)^1/2) = sum of sqrt of the eigenvalues of Sa^1/2 Sb Sa^1/2 (symmetric, PSD)
    w, v = np.linalg.eigh(sa)
    root = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    middle = np.linalg.eigvalsh(root @ sb @ root)
    cross = float(np.sqrt(np.clip(middle, 0, None)).sum())
    return float(mu @ mu + np.trace(sa) + np.trace(sb) - 2 * cross)


def songs_patterns(songs) -> list[PatternNotes]:
    """Every distinct pattern of every song (a pattern played in many bars counts once)."""
    return [p for song in songs for p in song_patterns(song)]


def random_patterns(like: list[PatternNotes], seed: int = 0) -> list[PatternNotes]:
    """Random notes: per pattern of ``like`` (of the same kind) 1-16 notes, each with an onset drawn from the
    bar's 96 steps, a length of 1-24 steps (up to a beat of a 4-beat bar) and a pitch drawn from the
    channel's whole range (BeepBox's pitched range, or its 12 drums)."""
    from beepbrain.format.config import MAX_PITCH

    rng = np.random.default_rng(seed)
    out = []
    for p in like:
        n = int(rng.integers(1, 17))
        starts = rng.integers(0, STEPS, size=n)
        ends = np.minimum(STEPS, starts + rng.integers(1, STEPS // 4 + 1, size=n))
        pitches = rng.integers(0, 12 if p.is_noise else MAX_PITCH + 1, size=n)
        notes = np.stack([starts, ends, pitches], axis=1).astype(np.int16)
        out.append(PatternNotes(p.channel, p.pattern, p.is_noise, np.unique(notes, axis=0), p.bars))
    return out


def frechet_at_size(vectors: np.ndarray, reference: np.ndarray, size: int, repeats: int = 32,
                    seed: int = 0) -> float:
    """The Fréchet distance of ``size`` rows of ``vectors`` to ``reference``, averaged over ``repeats``
    random subsets (all rows when there are no more than ``size``).

    An estimate from n vectors is biased upward by roughly c/n (its covariance is noisier, and in 256
    dimensions a few dozen vectors span only a few dozen), so sets are only comparable at one size."""
    if len(vectors) <= size:
        return frechet_distance(vectors, reference)
    rng = np.random.default_rng(seed)
    return float(np.mean([frechet_distance(vectors[rng.choice(len(vectors), size, replace=False)], reference)
                          for _ in range(repeats)]))


def frechet_report(model, train_songs, sets: dict[str, list], random_like: str | None = "test",
                   progress=print, seed: int = 0) -> dict[str, float]:
    """``fd_<name>`` for each set of songs against ``train_songs`` (pattern vectors of ``model``), and
    ``fd_random`` for random notes shaped like the patterns of ``sets[random_like]``. Every set is measured
    at the size of the smallest (``fd_patterns``), averaged over random subsets of the larger ones."""
    from beepbrain.embed.vectors import encode

    reference = encode(model, songs_patterns(train_songs))
    groups = {name: songs_patterns(songs) for name, songs in sets.items()}
    if random_like and groups.get(random_like):
        groups["random"] = random_patterns(groups[random_like], seed)
    metrics: dict[str, float] = {}
    if len(reference) < 2:
        progress(f"Fréchet distances skipped: the train split has {len(reference)} pattern(s)")
        return metrics
    for name, patterns in groups.items():
        if len(patterns) < 2:
            progress(f"Fréchet distance, {name}: too few patterns ({len(patterns)}), skipped")
    vectors = {name: encode(model, patterns) for name, patterns in groups.items() if len(patterns) >= 2}
    if not vectors:
        return metrics
    size = min(len(v) for v in vectors.values())
    metrics["fd_patterns"] = float(size)
    progress(f"Fréchet distance to train ({len(reference)} patterns), each set at {size} patterns "
             f"(" + ", ".join(f"{name} has {len(v)}" for name, v in vectors.items()) + ")")
    for name, v in vectors.items():
        metrics[f"fd_{name}"] = frechet_at_size(v, reference, size, seed=seed)
        progress(f"Fréchet distance to train, {name}: {metrics[f'fd_{name}']:.4f}")
    return metrics
