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
