"""Shared helpers for the token tests: songs of the test corpus, grid note sets."""

from __future__ import annotations

from collections import Counter

from beepbrain.format import Note, NotePin, new_song, parse_song


def corpus_songs(records) -> list:
    songs = []
    for record in records:
        try:
            songs.append(parse_song(record["data"]))
        except ValueError:
            continue
    return songs


def note_set(song, bars: int | None = None) -> Counter:
    """Every note the bar sequence plays: (channel, bar, start part, end part, pitches)."""
    out: Counter = Counter()
    n = song.bar_count if bars is None else min(bars, song.bar_count)
    for c in range(song.channel_count):
        for b in range(n):
            pattern = song.pattern_at(c, b)
            if pattern is None:
                continue
            for note in pattern.notes:
                out[(c, b, note.start, note.end, tuple(sorted(set(note.pitches))))] += 1
    return out


def make_song(pitch_channels=2, noise_channels=1, bars=4, beats_per_bar=8, rhythm=1, notes=None):
    """A song from {channel: [(bar, Note), ...]}: each bar gets its own pattern."""
    song = new_song(
        pitch_channels,
        noise_channels,
        bars=bars,
        beats_per_bar=beats_per_bar,
        rhythm=rhythm,
        patterns_per_channel=bars,
    )
    for channel in song.channels:
        channel.bars = [0] * bars
    for c, placed in (notes or {}).items():
        for bar, note in placed:
            song.channels[c].bars[bar] = bar + 1
            song.channels[c].patterns[bar].notes.append(note)
    for channel in song.channels:
        for pattern in channel.patterns:
            pattern.notes.sort(key=lambda n: n.start)
    return song


__all__ = ["Note", "corpus_songs", "make_song", "note_set"]


def song_of_many_patterns(bars: int = 40, patterns: int = 10):
    """Three channels, each with ``patterns`` patterns of three notes that its bars play in turn, so a
    late window plays again more patterns than a small context can pin."""
    song = new_song(2, 1, bars=bars, beats_per_bar=4, patterns_per_channel=patterns)
    for c, channel in enumerate(song.channels):
        for k, pattern in enumerate(channel.patterns):
            top = 11 if c == 2 else 60
            pattern.notes = [
                Note([(k * 5 + c + 2 * j) % top], 8 * j, 8 * j + 6, [NotePin(0, 0, 3), NotePin(0, 6, 3)])
                for j in range(3)
            ]
        channel.bars = [1 + (b * 7 + c) % patterns for b in range(bars)]
    return parse_song(song.to_url())
