"""One channel's pattern as notes on a fixed grid, and its rendering as an image.

A pattern becomes an array of notes ``(start, end, pitch)`` in grid steps: ``STEPS`` (96) steps span the
bar whatever its length, so a 4-beat bar has one step per BeepBox part (24 a beat). Pitches are the notes'
own: absolute (0-84) for pitched channels, as BeepBox stores them, and 0-11 for drums; a chord is one row
per pitch. A channel's ``octave`` is not added: it is the editor's scroll bar (``octaveScrollBar`` in
BeepBox's JSON), not a transposition, so moving it changes no grid.

The rendering is ``ROWS`` (64) pitch rows from ``lowest pitch - MARGIN``: the encoder pools over pitch, so
where the window starts does not matter, only that the pattern's notes fit in it (a pattern spanning more
than ``ROWS - MARGIN`` semitones loses its highest notes). Two planes: note onsets and sounding notes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

STEPS = 96
ROWS = 64
MARGIN = 8
PLANES = 2  # onset, sounding


@dataclass(frozen=True)
class PatternNotes:
    """One pattern of one channel of one song, as grid notes; ``bars`` counts the bars that play it."""

    channel: int
    pattern: int  # 1-based, as in the corpus' `patterns` and `sequence` tables
    is_noise: bool
    notes: np.ndarray  # int16 (n, 3): start step, end step (exclusive, > start), pitch
    bars: int = 1


def pattern_notes(song, channel: int, pattern) -> np.ndarray:
    """The grid notes of ``pattern`` (a ``beepbrain.format.Pattern``) of ``channel`` in ``song``."""
    parts = max(1, song.parts_per_bar)
    rows = []
    for note in pattern.notes:
        start = min(STEPS - 1, note.start * STEPS // parts)
        end = min(STEPS, max(start + 1, -(-note.end * STEPS // parts)))
        for pitch in note.pitches:
            rows.append((start, end, pitch))
    if not rows:
        return np.zeros((0, 3), dtype=np.int16)
    return np.unique(np.asarray(rows, dtype=np.int16), axis=0)


def song_patterns(song) -> Iterator[PatternNotes]:
    """Every pattern of ``song`` that has notes, with how many bars play it (at least 1)."""
    for c, channel in enumerate(song.channels):
        plays = np.bincount(
            np.asarray(channel.bars[: song.bar_count] or [0], dtype=np.int64),
            minlength=len(channel.patterns) + 1,
        )
        for p, pattern in enumerate(channel.patterns, start=1):
            if not pattern.notes:
                continue
            notes = pattern_notes(song, c, pattern)
            if len(notes):
                yield PatternNotes(c, p, song.is_noise_channel(c), notes, max(1, int(plays[p])))


def render(notes: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """float32 (PLANES, STEPS, ROWS): plane 0 marks onsets, plane 1 the steps where a note sounds."""
    grid = np.zeros((PLANES, STEPS, ROWS), dtype=np.float32) if out is None else out
    if len(notes) == 0:
        return grid
    low = int(notes[:, 2].min()) - MARGIN
    for start, end, pitch in notes.tolist():
        row = pitch - low
        if 0 <= row < ROWS:
            grid[0, start, row] = 1.0
            grid[1, start:end, row] = 1.0
    return grid


def render_batch(patterns: list[np.ndarray]) -> np.ndarray:
    batch = np.zeros((len(patterns), PLANES, STEPS, ROWS), dtype=np.float32)
    for i, notes in enumerate(patterns):
        render(notes, batch[i])
    return batch


def flat_grid(notes: np.ndarray, is_noise: bool, pitch_rows: int = 128) -> np.ndarray:
    """The no-training baseline's vector: the sounding-notes grid at absolute pitch, flattened."""
    grid = np.zeros((STEPS, pitch_rows + 12), dtype=np.float32)
    for start, end, pitch in notes.tolist():
        row = pitch if not is_noise else pitch_rows + pitch % 12
        if 0 <= row < grid.shape[1]:
            grid[start:end, row] = 1.0
    return grid.ravel()
