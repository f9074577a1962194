"""Read a Standard MIDI File into plain note lists, with mido.

mido gives the file as it is stored: tracks of messages with delta times in ticks. That is what an import to
BeepBox's grid needs (positions in ticks per quarter note, not seconds), so nothing heavier is used. Notes are
paired per (track, MIDI channel, key): a ``note_on`` opens one, the next ``note_off`` (or ``note_on`` with
velocity 0) of the same key closes the earliest still open; notes left open end where their track ends.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

DRUM_CHANNEL = 9  # MIDI channel 10, counted from 0
DEFAULT_TEMPO = 500_000  # microseconds per quarter note: 120 bpm


class MidiImportError(ValueError):
    """A file that is not a readable MIDI file, or holds nothing to import; the message says why."""


@dataclass(slots=True)
class MidiNote:
    start: int  # ticks
    end: int  # ticks, > start
    pitch: int  # MIDI key 0..127
    velocity: int


@dataclass
class MidiPart:
    """The notes one MIDI channel plays in one track (a type-0 file's single track splits into several)."""

    track: int
    channel: int
    name: str = ""
    program: int = 0
    notes: list[MidiNote] = field(default_factory=list)

    @property
    def is_drum(self) -> bool:
        return self.channel == DRUM_CHANNEL


@dataclass
class MidiScore:
    ticks_per_beat: int  # ticks per quarter note
    parts: list[MidiPart]
    tempos: list[tuple[int, int]]  # (tick, microseconds per quarter), in time order
    time_signatures: list[tuple[int, int, int]]  # (tick, numerator, denominator)
    unterminated: int = 0  # notes never closed, ended at their track's end
    zero_length: int = 0  # notes closed at the tick they opened (dropped)

    @property
    def note_count(self) -> int:
        return sum(len(p.notes) for p in self.parts)

    @property
    def tempo(self) -> int:
        """The tempo in force at the start (microseconds per quarter note)."""
        return self.tempos[0][1] if self.tempos else DEFAULT_TEMPO


def read_midi(source: bytes | str | Path) -> MidiScore:
    """A MidiScore from MIDI bytes or a file path; MidiImportError for anything that is not a MIDI file."""
    import mido

    try:
        if isinstance(source, bytes | bytearray):
            midi = mido.MidiFile(file=io.BytesIO(bytes(source)))
        else:
            midi = mido.MidiFile(str(source))
    except FileNotFoundError:
        raise MidiImportError(f"no such file: {source}") from None
    except EOFError:
        raise MidiImportError("not a readable MIDI file: it ends inside its header or a track") from None
    except (OSError, ValueError, KeyError, IndexError, TypeError) as exc:
        reason = str(exc) or type(exc).__name__
        raise MidiImportError(f"not a readable MIDI file: {reason}") from None
    if midi.type == 2:
        raise MidiImportError("MIDI type 2 (independent sequences) is not supported")
    if not 0 < midi.ticks_per_beat < 0x8000:  # the top bit set: SMPTE frames per second and ticks per frame
        raise MidiImportError("the file's time division is in SMPTE frames, not ticks per beat")
    return _score(midi)


def _score(midi) -> MidiScore:
    parts: dict[tuple[int, int], MidiPart] = {}
    tempos: list[tuple[int, int]] = []
    signatures: list[tuple[int, int, int]] = []
    unterminated = zero_length = 0
    for t, track in enumerate(midi.tracks):
        now = 0
        name = ""
        programs: dict[int, int] = {}
        open_notes: dict[tuple[int, int], list[tuple[int, int]]] = {}
        for msg in track:
            now += msg.time
            kind = msg.type
            if kind == "set_tempo":
                tempos.append((now, msg.tempo))
            elif kind == "time_signature":
                signatures.append((now, msg.numerator, msg.denominator))
            elif kind == "track_name":
                name = msg.name
            elif kind == "program_change":
                programs[msg.channel] = msg.program
            elif kind == "note_on" and msg.velocity > 0:
                open_notes.setdefault((msg.channel, msg.note), []).append((now, msg.velocity))
            elif kind in ("note_off", "note_on"):
                stack = open_notes.get((msg.channel, msg.note))
                if not stack:
                    continue  # a note_off with no note open: nothing to close
                start, velocity = stack.pop(0)
                if now <= start:
                    zero_length += 1
                    continue
                part = parts.get((t, msg.channel))
                if part is None:
                    part = parts[(t, msg.channel)] = MidiPart(t, msg.channel)
                part.notes.append(MidiNote(start, now, msg.note, velocity))
        for (channel, note), stack in open_notes.items():
            for start, velocity in stack:
                unterminated += 1
                if now > start:
                    part = parts.setdefault((t, channel), MidiPart(t, channel))
                    part.notes.append(MidiNote(start, now, note, velocity))
        for (track_index, channel), part in parts.items():
            if track_index == t:
                part.name = name
                part.program = programs.get(channel, 0)
    ordered = [parts[key] for key in sorted(parts)]
    for part in ordered:
        part.notes.sort(key=lambda n: (n.start, n.pitch, n.end))
    tempos.sort(key=lambda x: x[0])
    signatures.sort(key=lambda x: x[0])
    return MidiScore(midi.ticks_per_beat, ordered, tempos, signatures, unterminated, zero_length)
