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


FEW_SONGS = (
    20  # below this many songs a set, distances say little (benchmarks/frechet_order.py, docs/embed.md)
)


def frechet_matched(
    sets: dict[str, list[np.ndarray]], reference: np.ndarray, repeats: int = 32, seed: int = 0
) -> tuple[dict[str, tuple[float, float]], int, float]:
    """The Fréchet distance of each set (a list of songs, each an array of its pattern vectors) to
    ``reference``, every set measured on the same number of songs and of patterns: ({name: (mean, standard
    deviation over the draws)}, songs, mean patterns per draw).

    An estimate from n vectors is biased upward by roughly c/n (in 256 dimensions the covariance of a few
    dozen vectors is mostly noise), and patterns of one song resemble each other, so a set of few songs
    looks narrower than it is. Sets of different sizes are not comparable; so each of ``repeats`` draws
    takes the same number of songs from every set (the smallest set's count), pools their patterns and
    cuts every pool to the smallest pool's size; the distances are averaged over the draws (a draw that
    leaves some pool a single pattern is skipped; none left: no distances)."""
    songs = {name: [v for v in vs if len(v)] for name, vs in sets.items()}
    songs = {name: vs for name, vs in songs.items() if sum(len(v) for v in vs) >= 2}
    if not songs:
        return {}, 0, 0.0
    n_songs = min(len(vs) for vs in songs.values())
    rng = np.random.default_rng(seed)
    draws: dict[str, list[float]] = {name: [] for name in songs}
    sizes = []
    for _ in range(repeats):
        pools = {
            name: np.concatenate([vs[i] for i in rng.choice(len(vs), n_songs, replace=False)])
            for name, vs in songs.items()
        }
        size = min(len(p) for p in pools.values())
        if size < 2:  # a draw of songs with a single pattern between them: no covariance, skip it
            continue
        sizes.append(size)
        for name, pool in pools.items():
            pick = pool if len(pool) <= size else pool[rng.choice(len(pool), size, replace=False)]
            draws[name].append(frechet_distance(pick, reference))
    if not sizes:
        return {}, 0, 0.0
    return (
        {name: (float(np.mean(d)), float(np.std(d))) for name, d in draws.items()},
        n_songs,
        float(np.mean(sizes)),
    )


def frechet_report(
    model,
    train_songs,
    sets: dict[str, list],
    random_like: str | None = "test",
    progress=print,
    seed: int = 0,
    random_songs: list | None = None,
) -> dict[str, float]:
    """``fd_<name>`` for each set of songs against ``train_songs`` (pattern vectors of ``model``), and
    ``fd_random`` for random notes shaped like the patterns of ``random_songs`` if given, else of
    ``sets[random_like]`` (song by song); all measured on equal numbers of songs (``fd_songs``) and
    patterns (``fd_patterns``, the mean over draws) by ``frechet_matched``."""
    from beepbrain.embed.vectors import encode

    reference = encode(model, songs_patterns(train_songs))
    if len(reference) < 2:
        progress(f"Fréchet distances skipped: the train split has {len(reference)} pattern(s)")
        return {}
    per_song = {name: [list(song_patterns(song)) for song in songs] for name, songs in sets.items()}
    shapes = (
        [list(song_patterns(song)) for song in random_songs]
        if random_songs is not None
        else per_song.get(random_like)
        if random_like
        else None
    )
    if shapes:
        per_song["random"] = [random_patterns(patterns, seed + i) for i, patterns in enumerate(shapes)]
    vectors = {name: [encode(model, patterns) for patterns in songs] for name, songs in per_song.items()}
    sizes = {
        name: (sum(1 for v in songs if len(v)), sum(len(v) for v in songs)) for name, songs in vectors.items()
    }
    for name, (_songs, patterns) in sizes.items():
        if patterns < 2:
            progress(f"Fréchet distance, {name}: too few patterns ({patterns}), skipped")
    distances, n_songs, n_patterns = frechet_matched(vectors, reference, seed=seed)
    if not distances:
        return {}
    progress(
        f"Fréchet distance to train ({len(reference)} patterns), each set at {n_songs} songs and "
        f"{n_patterns:.0f} patterns ("
        + ", ".join(f"{name} has {sizes[name][0]} songs, {sizes[name][1]} patterns" for name in distances)
        + ")"
    )
    metrics = {"fd_songs": float(n_songs), "fd_patterns": n_patterns}
    for name, (value, spread) in distances.items():
        metrics[f"fd_{name}"] = value
        progress(f"Fréchet distance to train, {name}: {value:.4f} (± {spread:.4f} between draws)")
    if n_songs < FEW_SONGS:
        progress(
            f"note: the Fréchet distances compare sets of {n_songs} songs; below about {FEW_SONGS} a set, the "
            f"spread between draws of songs is as large as the gaps between sets (docs/embed.md)"
        )
    return metrics
