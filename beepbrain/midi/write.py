"""A BeepBox song as a Standard MIDI File (type 1, one track per channel), written with mido.

Pitches: BeepBox stores absolute pitches 0..84 in notes (a channel's ``octave`` only scrolls the editor's
view) and sounds pitch ``p`` in key ``k`` at MIDI note ``12 + k + p`` (its key table's ``basePitch``: C0 is
MIDI 12), plus the instrument's pitch-shift effect when it is on. Drum channels go to MIDI channel 10 with a
General MIDI kit (``beepbrain.midi.drums.GM_DRUMS``): BeepBox's 12 noise pitches run from low rumble to high
hiss, so they map from bass drum up through toms and snares to hi-hats and cymbals. Programs: an instrument
made from one of BeepBox's presets gets that preset's General MIDI program (``beepbrain.midi.presets``, the
program BeepBox's own export writes), any other its type's (``GM_PROGRAMS``); a channel whose patterns switch
to an instrument of another program gets a program change at that bar. Time: 24 BeepBox parts per beat become
``TICKS_PER_PART`` MIDI ticks each; the song plays its bars once, in order, without the loop.
"""

from __future__ import annotations

from pathlib import Path

from beepbrain.format import config as c
from beepbrain.format.song import PARTS_PER_BEAT, Instrument, Note, Song
from beepbrain.midi.drums import GM_DRUMS
from beepbrain.midi.presets import preset_program

TICKS_PER_PART = 20  # 480 MIDI ticks per beat, the common resolution
DRUM_MIDI_CHANNEL = 9  # "channel 10" counted from 1
# General MIDI programs by BeepBox instrument type, for instruments that are no preset: chip -> square lead,
# FM -> FM electric piano, spectrum -> pad, harmonics -> organ, PWM -> square lead, Picked String -> guitar,
# supersaw -> saw lead.
GM_PROGRAMS = {
    c.CHIP: 80,
    c.FM: 5,
    c.SPECTRUM: 88,
    c.HARMONICS: 16,
    c.PWM: 80,
    c.PICKED_STRING: 25,
    c.SUPERSAW: 81,
}
DEFAULT_PROGRAM = 80


def instrument_program(instrument: Instrument) -> int:
    """The General MIDI program for ``instrument``: its preset's where it is one, else its type's."""
    program = preset_program(instrument.preset)
    return program if program is not None else GM_PROGRAMS.get(instrument.type, DEFAULT_PROGRAM)


def midi_pitch(song: Song, channel: int, pitch: int, pitch_shift: int = 0) -> int:
    """The MIDI note for BeepBox ``pitch`` on ``channel`` of ``song``."""
    if song.is_noise_channel(channel):
        return GM_DRUMS[max(0, min(pitch, len(GM_DRUMS) - 1))]
    return max(0, min(127, 12 + song.key + pitch + pitch_shift))


def note_velocity(note: Note) -> int:
    """Velocity from the note's first pin size (0..3), never silent."""
    size = note.pins[0].size if note.pins else c.NOTE_SIZE_MAX
    return max(1, min(127, round(127 * (0.4 + 0.6 * size / c.NOTE_SIZE_MAX))))


def pitch_shift_of(song: Song, channel: int, instrument_index: int) -> int:
    """Semitones the channel's instrument ``instrument_index`` shifts its notes (its pitch-shift effect)."""
    instruments = song.channels[channel].instruments
    if song.is_noise_channel(channel) or not instruments:
        return 0
    inst = instruments[min(instrument_index, len(instruments) - 1)]
    if inst.effects & (1 << c.EFFECT_PITCH_SHIFT):
        return inst.pitch_shift - c.PITCH_SHIFT_CENTER
    return 0


def played_patterns(song: Song, channel: int):
    """(bar, pattern, pitch shift) for every bar in which ``channel`` plays a pattern, in song order."""
    for bar in range(song.bar_count):
        pattern = song.pattern_at(channel, bar)
        if pattern is not None:
            yield (
                bar,
                pattern,
                pitch_shift_of(song, channel, pattern.instruments[0] if pattern.instruments else 0),
            )


def channel_events(song: Song, channel: int) -> list[tuple[int, int, int, int]]:
    """(start_tick, end_tick, midi_note, velocity) of every note ``channel`` plays, in song order."""
    events = []
    bar_ticks = song.parts_per_bar * TICKS_PER_PART
    for bar, pattern, shift in played_patterns(song, channel):
        for note in pattern.notes:
            start = bar * bar_ticks + note.start * TICKS_PER_PART
            end = bar * bar_ticks + min(note.end, song.parts_per_bar) * TICKS_PER_PART
            if end <= start:
                continue
            velocity = note_velocity(note)
            for pitch in note.pitches:
                events.append((start, end, midi_pitch(song, channel, pitch, shift), velocity))
    return events


def _instrument(song: Song, channel: int, index: int) -> Instrument | None:
    instruments = song.channels[channel].instruments
    return instruments[min(index, len(instruments) - 1)] if instruments else None


def channel_programs(song: Song, channel: int) -> list[tuple[int, int]]:
    """(tick, program) changes of pitch channel ``channel``: at tick 0 the program of the instrument its first
    played pattern uses (the channel's first instrument's when it plays nothing), then one at the start of
    each bar whose pattern plays an instrument of another program (a layered pattern: its first)."""
    bar_ticks = song.parts_per_bar * TICKS_PER_PART
    changes: list[tuple[int, int]] = []
    for bar in range(song.bar_count):
        pattern = song.pattern_at(channel, bar)
        if pattern is None or not pattern.notes:
            continue
        inst = _instrument(song, channel, pattern.instruments[0] if pattern.instruments else 0)
        if inst is None:
            continue
        program = instrument_program(inst)
        if not changes:
            changes.append((0, program))
        elif program != changes[-1][1]:
            changes.append((bar * bar_ticks, program))
    if not changes:
        first = _instrument(song, channel, 0)
        changes.append((0, instrument_program(first) if first is not None else DEFAULT_PROGRAM))
    return changes


def song_to_midi(song: Song):
    """A ``mido.MidiFile``: a tempo track, then one track per BeepBox channel."""
    import mido

    midi = mido.MidiFile(type=1, ticks_per_beat=PARTS_PER_BEAT * TICKS_PER_PART)
    meta = mido.MidiTrack()
    meta.append(mido.MetaMessage("track_name", name="BeepBrain", time=0))
    meta.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(song.tempo), time=0))
    meta.append(mido.MetaMessage("time_signature", numerator=song.beats_per_bar, denominator=4, time=0))
    meta.append(mido.MetaMessage("end_of_track", time=0))
    midi.tracks.append(meta)

    melodic = 0
    for index in range(song.channel_count):
        track = mido.MidiTrack()
        is_noise = song.is_noise_channel(index)
        if is_noise:
            midi_channel = DRUM_MIDI_CHANNEL
            name = f"drums {index - song.pitch_channel_count + 1}"
        else:
            midi_channel = melodic if melodic < DRUM_MIDI_CHANNEL else melodic + 1  # skip the drum channel
            melodic += 1
            name = f"pitch {index + 1}"
        track.append(mido.MetaMessage("track_name", name=name, time=0))
        # (tick, order, kind, value, velocity): at one tick note_off first, then a program change, then
        # note_on, so repeated notes retrigger cleanly and a bar's first notes sound with its program.
        events = (
            []
            if is_noise
            else [(tick, 1, "program_change", program, 0) for tick, program in channel_programs(song, index)]
        )
        for start, end, note, velocity in channel_events(song, index):
            events.append((start, 2, "note_on", note, velocity))
            events.append((end, 0, "note_off", note, 0))
        events.sort()
        now = 0
        for tick, _, kind, value, velocity in events:
            if kind == "program_change":
                message = mido.Message(kind, channel=midi_channel, program=value, time=tick - now)
            else:
                message = mido.Message(
                    kind, channel=midi_channel, note=value, velocity=velocity, time=tick - now
                )
            track.append(message)
            now = tick
        track.append(mido.MetaMessage("end_of_track", time=0))
        midi.tracks.append(track)
    return midi


def write_midi(song: Song, path: str | Path) -> Path:
    """Write ``song`` as a MIDI file at ``path``; returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    song_to_midi(song).save(str(path))
    return path
