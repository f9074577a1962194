"""Counters of what the tick grid and the vocabulary lose when a song is tokenized."""

from __future__ import annotations

LOSS_KEYS = (
    "notes",  # notes walked (every placement of a pattern in the bar sequence counts)
    "notes_kept",  # notes that come back from decode (notes - notes_dropped)
    "notes_exact",  # notes that come back unchanged on the grid: start, end and pitches
    "notes_altered",  # kept, but moved, shortened or with fewer pitches (one count per note)
    "notes_dropped",  # lost entirely: collided on the grid, out of range, empty
    "off_grid",  # start or end not on the model-tick grid (rounded to the nearest tick)
    "truncated",  # cut short because the next note started before it ended
    "collided",  # started on the same tick as an earlier note of the channel (dropped)
    "clipped",  # ran past the end of its bar
    "chords_reduced",  # chord shape without a token: reduced to the largest listed sub-shape
    "pitches_dropped",  # pitches removed by chord reduction or out of range
    "out_of_range",  # notes with a pitch outside 0-84 (drums: 0-11)
    "bends",  # notes with a pitch bend (kept at their base pitch)
    "volume",  # notes whose volume is not the full size 3 or changes along the note
    "ties",  # notes continuing the previous bar's note (re-attacked on decode)
    "bars_trimmed",  # silent bars cut from the end
    "bars_cut",  # bars past the 128 a BeepBox song may hold (their notes count as dropped)
)


def new_losses() -> dict[str, int]:
    return dict.fromkeys(LOSS_KEYS, 0)


def add_losses(total: dict[str, int], more: dict[str, int], times: int = 1) -> dict[str, int]:
    for key, value in more.items():
        total[key] = total.get(key, 0) + value * times
    return total
