"""Musical statistics of a song, for comparing generated songs with held-out real ones.

All are computed from the song model over the bars as played (bar sequence, no loop), in the spirit of
MusPy's metrics:

- ``pitch_class_entropy``: Shannon entropy (bits) of the pitch-class histogram of pitch-channel notes
  (0 = one pitch class, log2(12) = 3.58 = uniform).
- ``scale_consistency``: the largest share of pitch-channel notes that fit one major (= relative minor)
  diatonic scale, over the 12 roots.
- ``header_scale_share``: the share of pitch-channel note pitches in the song's own scale (its header's
  ``scale`` above its key: what the ``in_scale`` grammar enforces, and BeepBox's editor places; 1.0 for
  every song with the "expert" scale).
- ``groove_consistency``: 1 - mean Hamming distance between the onset grids of consecutive bars.
- ``note_density``: pitch-channel note onsets per beat.
- ``polyphony``: mean count of distinct pitches sounding on pitch channels, over sounding parts.
- ``drum_density``: drum-channel note onsets per beat.
- ``bar_repeat``: the share of a channel's non-empty bars whose notes equal an earlier bar of that channel
  (over all channels; real BeepBox songs repeat about half their bars).
- ``pitch_onsets_per_bar`` / ``drum_onsets_per_bar``: note onsets per bar per pitch (drum) channel.

A statistic that a song cannot define (no notes, one bar) is NaN, and summaries skip NaNs.
"""

from __future__ import annotations

import math

import numpy as np

from beepbrain.format import config as fc
from beepbrain.format.song import Pattern, Song

MAJOR_SCALE = (0, 2, 4, 5, 7, 9, 11)
STAT_NAMES = (
    "pitch_class_entropy",
    "scale_consistency",
    "groove_consistency",
    "note_density",
    "polyphony",
    "drum_density",
    "bar_repeat",
    "pitch_onsets_per_bar",
    "drum_onsets_per_bar",
    "header_scale_share",
)
# the five a generated song is judged on next to real songs of its shape (issue 21), in the order reported
JUDGED_STATS = (
    "pitch_onsets_per_bar",
    "polyphony",
    "drum_onsets_per_bar",
    "bar_repeat",
    "pitch_class_entropy",
)


def _notes(song: Song, noise: bool):
    """(absolute start part, end part, pitches) of every note on pitch (or noise) channels."""
    ppb = song.parts_per_bar
    for ch in range(song.channel_count):
        if song.is_noise_channel(ch) != noise:
            continue
        for bar in range(song.bar_count):
            pattern = song.pattern_at(ch, bar)
            if pattern is None:
                continue
            for note in pattern.notes:
                end = min(note.end, ppb)
                if end > note.start:
                    yield bar * ppb + note.start, bar * ppb + end, note.pitches


def played_notes(song: Song) -> int:
    """Notes a song plays through its bar sequence (a pattern played twice counts twice)."""
    total = 0
    for ch in range(song.channel_count):
        for bar in range(song.bar_count):
            pattern = song.pattern_at(ch, bar)
            if pattern is not None:
                total += len(pattern.notes)
    return total


def song_stats(song: Song) -> dict[str, float]:
    """The statistics in ``STAT_NAMES`` for one song."""
    nan = float("nan")
    beats = max(1, song.bar_count * song.beats_per_bar)
    ppb = song.parts_per_bar
    pitched = list(_notes(song, noise=False))
    drums = list(_notes(song, noise=True))

    classes = np.zeros(12)
    for _start, _end, pitches in pitched:
        for p in pitches:
            classes[(p + song.key) % 12] += 1
    total = classes.sum()
    if total:
        probs = classes[classes > 0] / total
        entropy = float(-(probs * np.log2(probs)).sum()) + 0.0  # no -0.0
        in_scale = max(sum(classes[(root + step) % 12] for step in MAJOR_SCALE) for root in range(12))
        scale = float(in_scale / total)
        own = (
            fc.SCALE_PITCH_CLASSES[song.scale] if 0 <= song.scale < len(fc.SCALE_PITCH_CLASSES) else range(12)
        )
        header_scale = float(sum(classes[(song.key + step) % 12] for step in own) / total)
    else:
        entropy = scale = header_scale = nan

    length = song.bar_count * ppb
    if pitched:
        # distinct pitches per part: mark each (part, pitch) once
        grid = np.zeros((length, 128), dtype=bool)
        for start, end, pitches in pitched:
            for p in pitches:
                grid[start:end, max(0, min(127, p))] = True
        sounding = grid.sum(axis=1)
        polyphony = float(sounding[sounding > 0].mean()) if (sounding > 0).any() else nan
    else:
        polyphony = nan

    onsets = np.zeros((song.bar_count, ppb), dtype=bool)
    for start, _end, _pitches in pitched + drums:
        onsets[start // ppb, start % ppb] = True
    if song.bar_count > 1 and onsets.any():
        groove = float(1.0 - (onsets[1:] != onsets[:-1]).mean(axis=1).mean())
    else:
        groove = nan

    nonempty = repeated = 0
    for ch in range(song.channel_count):
        seen: set = set()
        for bar in range(song.bar_count):
            pattern = song.pattern_at(ch, bar)
            notes = (
                frozenset(
                    (n.start, min(n.end, ppb), tuple(sorted(n.pitches)))
                    for n in pattern.notes
                    if min(n.end, ppb) > n.start
                )
                if pattern is not None
                else frozenset()
            )
            if not notes:
                continue
            nonempty += 1
            if notes in seen:
                repeated += 1
            seen.add(notes)
    bars = max(1, song.bar_count)
    return {
        "bar_repeat": repeated / nonempty if nonempty else nan,
        "pitch_onsets_per_bar": len(pitched) / bars / song.pitch_channel_count
        if song.pitch_channel_count
        else nan,
        "drum_onsets_per_bar": len(drums) / bars / song.noise_channel_count
        if song.noise_channel_count
        else nan,
        "pitch_class_entropy": entropy,
        "scale_consistency": scale,
        "groove_consistency": groove,
        "note_density": len(pitched) / beats,
        "polyphony": polyphony,
        "drum_density": (len(drums) / beats) if song.noise_channel_count else nan,
        "header_scale_share": header_scale,
    }


def first_bars(song: Song, bars: int) -> Song:
    """A copy of ``song`` cut to its first ``bars`` bars (all of it if it is shorter): each channel's bar
    sequence cut, the patterns those bars play kept (renumbered in order of their number), the others
    dropped, the loop kept inside the song. What a generated song of ``bars`` bars is compared with."""
    if bars < 1:
        raise ValueError(f"bars must be at least 1, got {bars}")
    return cut_bars(song, 0, bars)


def cut_bars(song: Song, first: int, end: int) -> Song:
    """A copy of ``song`` holding only its bars ``first``..``end - 1`` (0-based; cut to the song), as
    ``first_bars`` cuts: what a filled span is compared with."""
    import copy

    first = max(0, min(int(first), song.bar_count - 1))
    n = max(1, min(int(end), song.bar_count) - first)
    out = copy.deepcopy(song)
    out.bar_count = n
    most = 1
    for channel in out.channels:
        sequence = (list(channel.bars) + [0] * (first + n))[first : first + n]
        played = sorted({b for b in sequence if 0 < b <= len(channel.patterns)})
        number = {old: new for new, old in enumerate(played, start=1)}
        channel.patterns = [channel.patterns[old - 1] for old in played]
        channel.bars = [number.get(b, 0) for b in sequence]
        most = max(most, len(played))
    for channel in out.channels:  # every channel holds patterns_per_channel patterns, as BeepBox stores them
        channel.patterns += [Pattern() for _ in range(most - len(channel.patterns))]
    out.patterns_per_channel = most
    out.loop_start = min(max(song.loop_start - first, 0), n - 1)
    out.loop_length = max(1, min(song.loop_length, n - out.loop_start))
    return out


def summarize(rows: list[dict[str, float]]) -> dict[str, float]:
    """Mean of each statistic over songs, skipping NaNs (NaN if no song defines it)."""
    return {name: mean_and_error(rows, name)[0] for name in STAT_NAMES}


def song_shape(song: Song) -> tuple[int, int, int, int]:
    """What a generated song's request fixes: (rhythm, pitch channels, drum channels, beats per bar)."""
    return song.rhythm, song.pitch_channel_count, song.noise_channel_count, song.beats_per_bar


def sounding_bars(song: Song) -> int:
    """The song's bars up to its last one where a channel plays a note (at least 1): its length without
    the silent bars at its end, as the tokenizers trim it (``trim_trailing_silence``)."""
    for bar in range(song.bar_count, 0, -1):
        for ch in range(song.channel_count):
            pattern = song.pattern_at(ch, bar - 1)
            if pattern is not None and pattern.notes:
                return bar
    return 1


def same_shape(generated: Song, real: list[Song], to_last_note: bool = False) -> list[Song]:
    """The real songs of ``generated``'s shape (its rhythm, pitch- and drum-channel counts and beats per bar)
    that have at least its bars, each cut to its first bars: what a generated song is compared with when
    the rest of its header (tempo, key, scale, instruments) is the model's own choice. A shorter real song is another shape.
    ``to_last_note``: a real song's length is its ``sounding_bars`` (silent bars at its end do not count),
    the length the model learns songs at."""
    bars = generated.bar_count

    def length(s: Song) -> int:
        return sounding_bars(s) if to_last_note else s.bar_count

    return [first_bars(s, bars) for s in real if song_shape(s) == song_shape(generated) and length(s) >= bars]


def mean_and_error(rows: list[dict[str, float]], name: str) -> tuple[float, float, int]:
    """(mean, standard error of the mean, songs) of one statistic over ``rows``, skipping NaNs."""
    values = np.array([r[name] for r in rows if r.get(name) is not None and not math.isnan(r[name])])
    if not len(values):
        return float("nan"), float("nan"), 0
    error = float(values.std(ddof=1) / math.sqrt(len(values))) if len(values) > 1 else float("nan")
    return float(values.mean()), error, len(values)
