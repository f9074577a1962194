"""Patterns for training and measuring the encoder, read from the corpus catalog's song strings."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import numpy as np

from beepbrain.embed.grid import PatternNotes, song_patterns


def is_held_out(song_id: str, fraction: float) -> bool:
    """A fixed split by song id: the same songs are held out on every machine and run."""
    if fraction <= 0:
        return False
    h = int(hashlib.sha1(song_id.encode()).hexdigest()[:8], 16)
    return (h % 10_000) < fraction * 10_000


def dataset_held_out(data_dir) -> dict[str, list[str]]:
    """{dataset name: the song ids of its val and test splits} for every dataset under DATA_DIR/datasets
    whose manifest lists them: the songs evaluation measures, which the embedding model must not see."""
    from pathlib import Path

    from beepbrain.tokens.shards import MANIFEST, read_manifest

    out: dict[str, list[str]] = {}
    for manifest in sorted((Path(data_dir) / "datasets").glob(f"*/{MANIFEST}")):
        try:
            splits = read_manifest(manifest.parent).get("splits", {})
        except (OSError, ValueError):
            continue
        ids = sorted(
            {sid for split in ("val", "test") for sid in (splits.get(split) or {}).get("song_ids") or []}
        )
        if ids:
            out[manifest.parent.name] = ids
    return out


def held_out_songs(
    songs: list[tuple[str, str]], fraction: float = 0.0, datasets: dict[str, list[str]] | None = None
) -> dict:
    """The songs the embedding model is trained without, and why: its own split (``fraction`` of the
    songs by id, ``is_held_out``), the val and test songs of ``datasets`` ({name: song ids}), and every
    catalog song that plays the same notes as one of those (``notes_fingerprint``: a second save of a
    held-out song). Returns {"fraction", "datasets": {name: count}, "twins", "song_ids": sorted ids}, the
    record `beepbrain embed` keeps with the model."""
    from beepbrain.embed.identity import notes_fingerprint
    from beepbrain.format import parse_song

    datasets = datasets or {}
    held = {sid for sid, _text in songs if is_held_out(sid, fraction)}
    for ids in datasets.values():
        held.update(ids)
    prints: dict[str, str | None] = {}
    for sid, text in songs:
        try:
            prints[sid] = notes_fingerprint(parse_song(text))
        except ValueError:
            prints[sid] = None
    held_prints = {prints[sid] for sid in held if prints.get(sid)}
    twins = {sid for sid, fp in prints.items() if fp and fp in held_prints and sid not in held}
    return {
        "fraction": float(fraction),
        "datasets": {name: len(ids) for name, ids in datasets.items()},
        "twins": len(twins),
        "song_ids": sorted(held | twins),
    }


def catalog_songs(data_dir) -> list[tuple[str, str]]:
    """(song_id, song string) of every song in the catalog, in song_id order."""
    from beepbrain.corpus.catalog import open_catalog

    with open_catalog(data_dir, read_only=True) as con:
        return con.execute("SELECT song_id, data FROM songs ORDER BY song_id").fetchall()


def unique_patterns(songs: Iterable[tuple[str, str]]) -> list[tuple[str, PatternNotes]]:
    """(song_id, pattern) for every distinct non-empty pattern (same notes, same kind: kept once)."""
    from beepbrain.format import parse_song

    seen: set[tuple[bool, bytes]] = set()
    out = []
    for sid, text in songs:
        try:
            song = parse_song(text)
        except ValueError:
            continue
        for pat in song_patterns(song):
            key = (pat.is_noise, np.ascontiguousarray(pat.notes).tobytes())
            if key not in seen:
                seen.add(key)
                out.append((sid, pat))
    return out
