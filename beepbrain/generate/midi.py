"""A BeepBox song as a Standard MIDI File (type 1, one track per channel), written with mido.

Pitches: BeepBox stores absolute pitches 0..84 in notes (a channel's ``octave`` only scrolls the editor's
view) and sounds pitch ``p`` in key ``k`` at MIDI note ``12 + k + p`` (its key table's ``basePitch``: C0 is
MIDI 12), plus the instrument's pitch-shift effect when it is on. Drum channels go to MIDI channel 10 with a
General MIDI kit: BeepBox's 12 noise pitches run from low rumble to high hiss, so they map from bass drum
up through toms and snares to hi-hats and cymbals. Time: 24 BeepBox parts per beat become ``TICKS_PER_PART``
MIDI ticks each; the song plays its bars once, in order, without the loop.
"""

from __future__ import annotations

from pathlib import Path

from beepbrain.format import config as c
from beepbrain.format.song import PARTS_PER_BEAT, Note, Song

TICKS_PER_PART = 20  # 480 MIDI ticks per beat, the common resolution
DRUM_MIDI_CHANNEL = 9  # "channel 10" counted from 1
# General MIDI percussion notes for BeepBox noise pitches 0 (lowest) .. 11 (highest).
GM_DRUMS = (35, 36, 41, 38, 45, 40, 48, 39, 42, 44, 46, 49)
# General MIDI programs by BeepBox instrument type: chip -> square lead, FM -> FM electric piano,
# spectrum -> pad, harmonics -> organ, PWM -> square lead, Picked String -> guitar, supersaw -> saw lead.
GM_PROGRAMS = {c.CHIP: 80, c.FM: 5, c.SPECTRUM: 88, c.HARMONICS: 16, c.PWM: 80, c.PICKED_STRING: 25,
               c.SUPERSAW: 81}


def midi_pitch(song: Song, channel: int, pitch: int, pitch_shift: int = 0) -> int:
    """The MIDI note for BeepBox ``pitch`` on ``channel`` of ``song``."""
    if song.is_noise_channel(channel):
        return GM_DRUMS[max(0, min(pitch, len(GM_DRUMS) - 1))]
    return max(0, min(127, 12 + song.key + pitch + pitch_shift))


def note_velocity(note: Note) -> int:
    """Velocity from the note's first pin size (0..3), never silent."""
    size = note.pins[0].size if note.pins else c.NOTE_SIZE_MAX
    return max(1, min(127, round(127 * (0.4 + 0.6 * size / c.NOTE_SIZE_MAX))))


def _pitch_shift(song: Song, channel: int, instrument_index: int) -> int:
    instruments = song.channels[channel].instruments
    if song.is_noise_channel(channel) or not instruments:
        return 0
    inst = instruments[min(instrument_index, len(instruments) - 1)]
    if inst.effects & (1 << c.EFFECT_PITCH_SHIFT):
        return inst.pitch_shift - c.PITCH_SHIFT_CENTER
    return 0


def channel_events(song: Song, channel: int) -> list[tuple[int, int, int, int]]:
    """(start_tick, end_tick, midi_note, velocity) of every note ``channel`` plays, in song order."""
    events = []
    bar_ticks = song.parts_per_bar * TICKS_PER_PART
    for bar in range(song.bar_count):
        pattern = song.pattern_at(channel, bar)
        if pattern is None:
            continue
        shift = _pitch_shift(song, channel, pattern.instruments[0] if pattern.instruments else 0)
        for note in pattern.notes:
            start = bar * bar_ticks + note.start * TICKS_PER_PART
            end = bar * bar_ticks + min(note.end, song.parts_per_bar) * TICKS_PER_PART
            if end <= start:
                continue
            velocity = note_velocity(note)
            for pitch in note.pitches:
                events.append((start, end, midi_pitch(song, channel, pitch, shift), velocity))
    return events


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
        if not is_noise:
            instruments = song.channels[index].instruments
            inst_type = instruments[0].type if instruments else c.CHIP
            track.append(mido.Message("program_change", channel=midi_channel,
                                      program=GM_PROGRAMS.get(inst_type, 80), time=0))
        # note_off sorts before note_on at the same tick, so repeated notes retrigger cleanly.
        messages = []
        for start, end, note, velocity in channel_events(song, index):
            messages.append((start, 1, note, velocity))
            messages.append((end, 0, note, 0))
        messages.sort()
        now = 0
        for tick, is_on, note, velocity in messages:
            kind = "note_on" if is_on else "note_off"
            track.append(mido.Message(kind, channel=midi_channel, note=note, velocity=velocity, time=tick - now))
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
