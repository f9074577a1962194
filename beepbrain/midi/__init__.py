"""MIDI both ways: files to BeepBox songs (read with mido in ``read``, converted to the song model in ``convert``)
and songs to files (``write``; programs from BeepBox's presets in ``presets``, the drum kit in ``drums``)."""

from __future__ import annotations

from pathlib import Path

from beepbrain.midi.convert import ImportReport, score_to_song
from beepbrain.midi.read import MidiImportError, MidiScore, read_midi
from beepbrain.midi.write import song_to_midi, write_midi


def midi_to_song(source: bytes | str | Path, *, rhythm: int | None = None, beats_per_bar: int | None = None):
    """(Song, ImportReport) for MIDI bytes or a MIDI file; MidiImportError when it cannot be imported."""
    return score_to_song(read_midi(source), rhythm=rhythm, beats_per_bar=beats_per_bar)


__all__ = [
    "ImportReport",
    "MidiImportError",
    "MidiScore",
    "midi_to_song",
    "read_midi",
    "score_to_song",
    "song_to_midi",
    "write_midi",
]
