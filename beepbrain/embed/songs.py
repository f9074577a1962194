"""Whole-song edits used to check the vectors: a song transposed by some semitones."""

from __future__ import annotations

import copy


def transpose_song(song, semitones: int):
    """A copy of ``song`` with every pitched note (drums untouched) moved by ``semitones``, or None when a
    note (with its bends) would leave BeepBox's pitch range."""
    from beepbrain.format.config import MAX_PITCH

    out = copy.deepcopy(song)
    for c, channel in enumerate(out.channels):
        if out.is_noise_channel(c):
            continue
        for pattern in channel.patterns:
            for note in pattern.notes:
                bends = [pin.interval for pin in note.pins] or [0]
                low = min(note.pitches) + semitones + min(bends)
                high = max(note.pitches) + semitones + max(bends)
                if low < 0 or high > MAX_PITCH:
                    return None
                note.pitches = [p + semitones for p in note.pitches]
    return out
