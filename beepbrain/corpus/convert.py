"""A record's song: parsed from its song string, or converted from the music it carries (a MIDI file, a
music21 score; ``beepbrain.archive.payload``). Converted songs are stored as their version-9 song string, so
everything downstream reads them like any other song."""

from __future__ import annotations

from beepbrain.archive.payload import MIDI_PREFIX, MUSIC21_PREFIX, midi_bytes, music21_reference
from beepbrain.archive.records import Record
from beepbrain.format import Song

STAGE_CONVERT = "convert"  # music that could not be converted to a song (a damaged MIDI file, a bad score)


class ConversionError(ValueError):
    """The record's music could not be made into a song; the message says why."""


def needs_conversion(record: Record) -> bool:
    return record.data.startswith((MIDI_PREFIX, MUSIC21_PREFIX))


def convert(record: Record) -> tuple[str, Song]:
    """(song string, Song) for a record that carries music; ConversionError when it cannot be converted."""
    from beepbrain.midi import MidiImportError, midi_to_song

    try:
        if record.data.startswith(MIDI_PREFIX):
            raw = midi_bytes(record.data)
        else:
            raw = music21_midi(*music21_reference(record.data))
        song, _report = midi_to_song(raw)
    except ConversionError:
        raise
    except MidiImportError as exc:
        raise ConversionError(str(exc)) from None
    except ValueError as exc:  # bad base64
        raise ConversionError(f"unreadable payload: {exc}") from None
    text = song.to_url()
    return text, song


def music21_midi(path: str, number: int | str | None) -> bytes:
    """A work of music21's corpus written as MIDI by music21 itself."""
    try:
        from music21 import corpus, midi
    except ImportError:
        raise ConversionError('music21 is not installed: pip install "beepbrain[scores]"') from None
    try:
        score = corpus.parse(path, number=number)
        return midi.translate.streamToMidiFile(score).writestr()
    except Exception as exc:  # music21 raises many kinds; any of them means this score is unusable
        raise ConversionError(
            f"music21 could not read or export {path}: {type(exc).__name__}: {exc}"
        ) from None
