"""Edits of a song that keep it a BeepBox song: a channel added, a pattern put into one bar of a channel.

Everything the edit does not name stays as it was (other bars, other channels, instruments, settings), so
a user's song comes back from ``beepbrain fill`` note for note outside what was written anew.
"""

from __future__ import annotations

import copy

from beepbrain.format import config as c
from beepbrain.format.errors import BeepBoxFormatError
from beepbrain.format.song import Channel, Instrument, Pattern, Song
from beepbrain.tokens.instrument_tokens import allowed_types

KINDS = ("pitch", "drum")


def with_channel(song: Song, kind: str, instrument_type: int | None = None) -> tuple[Song, int]:
    """A copy of ``song`` with one silent channel more, after the existing channels of its kind (``pitch``
    or ``drum``), playing a new instrument of ``instrument_type`` (default: chip, or noise for drums).
    Returns the song and the new channel's index. Raises BeepBoxFormatError where BeepBox would not hold it."""
    if kind not in KINDS:
        raise BeepBoxFormatError(f"channel kind must be one of {', '.join(KINDS)}, not {kind!r}")
    drum = kind == "drum"
    count, most = (
        (song.noise_channel_count, c.NOISE_CHANNEL_COUNT_MAX)
        if drum
        else (song.pitch_channel_count, c.PITCH_CHANNEL_COUNT_MAX)
    )
    if count >= most:
        raise BeepBoxFormatError(
            f"the song has {count} {kind} channels already; BeepBox holds at most {most}"
        )
    type_ = (c.NOISE if drum else c.CHIP) if instrument_type is None else int(instrument_type)
    allowed = allowed_types(drum)
    if type_ not in allowed:
        names = ", ".join(c.INSTRUMENT_TYPE_NAMES[t] for t in allowed)
        raise BeepBoxFormatError(f"a {kind} channel's instrument is one of {names}")
    out = copy.deepcopy(song)
    channel = Channel(
        octave=0 if drum else 3,
        instruments=[Instrument.default(type_, drum)],
        patterns=[Pattern() for _ in range(out.patterns_per_channel)],
        bars=[0] * out.bar_count,
    )
    if drum:
        index = out.channel_count
        out.noise_channel_count += 1
    else:
        index = out.pitch_channel_count
        out.pitch_channel_count += 1
    out.channels.insert(index, channel)
    return out, index


def put_pattern(song: Song, channel: int, bar: int, pattern: Pattern | None) -> None:
    """Channel ``channel`` plays ``pattern`` in ``bar`` (None or no notes: silence), in place. A pattern the
    channel already has (same notes and instruments) is reused, else it becomes the channel's next one
    (every channel gets an empty pattern more, as BeepBox keeps one pattern count per song)."""
    ch = song.channels[channel]
    if pattern is None or not pattern.notes:
        ch.bars[bar] = 0
        return
    for k, known in enumerate(ch.patterns):
        if known.notes == pattern.notes and known.instruments == pattern.instruments:
            ch.bars[bar] = k + 1
            return
    free = next((k for k, known in enumerate(ch.patterns) if not known.notes and k + 1 not in ch.bars), None)
    if free is None:
        if song.patterns_per_channel >= c.BAR_COUNT_MAX:
            raise BeepBoxFormatError(f"channel {channel + 1} would need more than {c.BAR_COUNT_MAX} patterns")
        song.patterns_per_channel += 1
        for other in song.channels:
            other.patterns += [Pattern() for _ in range(song.patterns_per_channel - len(other.patterns))]
        free = song.patterns_per_channel - 1
    ch.patterns[free] = copy.deepcopy(pattern)
    ch.bars[bar] = free + 1


__all__ = ["KINDS", "put_pattern", "with_channel"]
