"""A fresh song as BeepBox's ``Song.initToDefault`` makes it, sized to the caller's channels and bars."""

from __future__ import annotations

from beepbrain.format import config as c
from beepbrain.format.errors import BeepBoxFormatError
from beepbrain.format.song import Channel, Instrument, Pattern, Song


def new_song(
    pitch_channels: int = 3,
    noise_channels: int = 1,
    *,
    bars: int = 16,
    beats_per_bar: int = 8,
    rhythm: int = 1,
    tempo: int = 150,
    scale: int = 0,
    key: int = 0,
    patterns_per_channel: int = 8,
) -> Song:
    """A valid empty song: BeepBox's default instruments (chip on pitch channels, noise on drum channels),
    ``patterns_per_channel`` empty patterns per channel, pattern 1 in the first four bars (as BeepBox does),
    octaves descending from 4 on pitch channels. Raises BeepBoxFormatError on out-of-range settings."""
    checks = (
        ("pitch_channels", pitch_channels, c.PITCH_CHANNEL_COUNT_MIN, c.PITCH_CHANNEL_COUNT_MAX),
        ("noise_channels", noise_channels, c.NOISE_CHANNEL_COUNT_MIN, c.NOISE_CHANNEL_COUNT_MAX),
        ("bars", bars, c.BAR_COUNT_MIN, c.BAR_COUNT_MAX),
        ("beats_per_bar", beats_per_bar, c.BEATS_PER_BAR_MIN, c.BEATS_PER_BAR_MAX),
        ("rhythm", rhythm, 0, len(c.RHYTHM_STEPS_PER_BEAT) - 1),
        ("tempo", tempo, c.TEMPO_MIN, c.TEMPO_MAX),
        ("scale", scale, 0, len(c.SCALE_NAMES) - 1),
        ("key", key, 0, len(c.KEY_NAMES) - 1),
        ("patterns_per_channel", patterns_per_channel, 1, c.BAR_COUNT_MAX),
    )
    for name, value, lo, hi in checks:
        if not isinstance(value, int) or not lo <= value <= hi:
            raise BeepBoxFormatError(f"{name}={value!r} not in range [{lo}, {hi}]")
    song = Song(
        scale=scale,
        key=key,
        tempo=tempo,
        beats_per_bar=beats_per_bar,
        bar_count=bars,
        patterns_per_channel=patterns_per_channel,
        rhythm=rhythm,
        loop_start=0,
        loop_length=min(4, bars),
        pitch_channel_count=pitch_channels,
        noise_channel_count=noise_channels,
    )
    for index in range(pitch_channels + noise_channels):
        is_noise = index >= pitch_channels
        song.channels.append(
            Channel(
                octave=0 if is_noise else max(0, 4 - index),
                instruments=[Instrument.default(c.NOISE if is_noise else c.CHIP, is_noise)],
                patterns=[Pattern() for _ in range(patterns_per_channel)],
                bars=[1 if bar < 4 else 0 for bar in range(bars)],
            )
        )
    return song
