"""The ``p`` tag of a JummBox song: every channel's patterns (notes, pins, pitches) from one bit stream,
read as JummBox reads it, mod channels included (their settings and notes must be read to reach what follows).
"""

from __future__ import annotations

from beepbrain.format import jummbox_tables as jb
from beepbrain.format.errors import BeepBoxFormatError
from beepbrain.format.jummbox_reader import BitReader
from beepbrain.format.jummbox_state import JBNote, JBPattern, JBSong

PARTS_PER_BEAT = 24
MAX_INTERVAL = 512  # far past any real pitch step; bounds the work a forged interval can cause
_RECENT_SHAPES_MAX = 10


def needed_bits(max_value: int) -> int:
    """Song.getNeededBits: bits for 0..max_value (32 for a negative max, as JavaScript's clz32 gives)."""
    return max_value.bit_length() if max_value >= 0 else 32


def _fail(reason: str, bits: BitReader) -> BeepBoxFormatError:
    return bits.fail(reason)


def decode_patterns(song: JBSong, bits: BitReader, version: int) -> None:
    legacy = version < 5
    larger_chords = version >= 4
    recent_pitch_bits = 4 if larger_chords else 3
    recent_pitch_length = 16 if larger_chords else 8
    size_bits = needed_bits(jb.NOTE_SIZE_MAX)
    song_reverb: tuple[int, int, int] | None = None
    parts_per_bar = song.beats_per_bar * PARTS_PER_BEAT

    for channel_index, channel in enumerate(song.channels):
        is_noise = song.is_noise(channel_index)
        is_mod = song.is_mod(channel_index)
        max_per_pattern = (
            min(jb.LAYERED_INSTRUMENT_COUNT_MAX, len(channel.instruments)) if song.layered_instruments else 1
        )
        count_bits = needed_bits(max_per_pattern - 1)
        index_bits = needed_bits(len(channel.instruments) - 1)

        if is_mod:
            found = _read_mod_settings(song, channel_index, bits, version, index_bits)
            song_reverb = found or song_reverb

        octave_offset = 0 if is_noise or is_mod else channel.octave * 12
        last_pitch = 4 if is_noise or is_mod else octave_offset
        if is_mod:
            recent_pitches = [0, 1, 2, 3, 4, 5]
        elif is_noise:
            recent_pitches = [4, 6, 7, 2, 3, 8, 0, 10]
        else:
            recent_pitches = [p + octave_offset for p in (0, 7, 12, 19, 24, -5, -12)]
        recent_shapes: list[tuple] = []

        for pattern_index in range(song.patterns_per_channel):
            if pattern_index >= len(channel.patterns):
                raise _fail(f"channel {channel_index} has no pattern {pattern_index + 1}", bits)
            pattern: JBPattern = channel.patterns[pattern_index]
            if legacy:
                index = bits.read(index_bits)
                if index > len(channel.instruments) - 1:
                    raise _fail(f"pattern instrument {index} out of range", bits)
                pattern.instruments = [index]
            elif song.pattern_instruments:
                count = bits.read(count_bits) + 1
                if count > max_per_pattern:
                    raise _fail(f"pattern instrument count {count} out of range", bits)
                top = len(channel.instruments) - 1 + (2 if is_mod else 0)
                instruments = []
                for _ in range(count):
                    index = bits.read(index_bits)
                    if index > top:
                        raise _fail(f"pattern instrument {index} out of range", bits)
                    instruments.append(index)
                pattern.instruments = instruments
            else:
                pattern.instruments = [0]

            notes: list[JBNote] = []
            pattern.notes = notes
            if bits.read(1) == 0:
                continue

            cur_part = 0
            end_part = parts_per_bar + (1 if is_mod else 0)
            while cur_part < end_part:
                use_old_shape = bits.read(1) == 1
                new_note = False
                shape_index = 0
                if use_old_shape:
                    shape_index = bits.read_long_tail(0, 0)
                    if shape_index > len(recent_shapes) - 1:
                        raise _fail(f"note shape {shape_index} was never seen", bits)
                else:
                    new_note = bits.read(1) == 1

                if not use_old_shape and not new_note:
                    if is_mod:
                        backwards = bits.read(1) == 1
                        rest = bits.read_part_duration()
                        cur_part += -rest if backwards else rest
                    else:
                        cur_part += bits.read_part_duration()
                    continue

                if use_old_shape:
                    shape = recent_shapes.pop(shape_index)
                else:
                    if not larger_chords:
                        pitch_count = 1
                        while pitch_count < 4 and bits.read(1) == 1:
                            pitch_count += 1
                    elif bits.read(1) == 1:
                        pitch_count = bits.read(3) + 2
                    else:
                        pitch_count = 1
                    pin_count = bits.read_pin_count()
                    initial_size = bits.read(9 if is_mod else size_bits)
                    pins = []
                    length = 0
                    bend_count = 0
                    for _ in range(pin_count):
                        bend = bits.read(1) == 1
                        bend_count += bend
                        length += bits.read_part_duration()
                        pins.append((bend, length, bits.read(9 if is_mod else size_bits)))
                    shape = (pitch_count, initial_size, tuple(pins), length, bend_count)
                recent_shapes.insert(0, shape)
                if len(recent_shapes) > _RECENT_SHAPES_MAX:
                    recent_shapes.pop()
                pitch_count, initial_size, pins, length, bend_count = shape

                pitches: list[int] = []
                bends: list[int] = []
                for j in range(pitch_count + bend_count):
                    if bits.read(1) == 0:
                        interval = bits.read_pitch_interval()
                        if abs(interval) > MAX_INTERVAL:
                            raise _fail(f"pitch interval {interval} out of range", bits)
                        pitch = last_pitch
                        step = 1 if interval > 0 else -1
                        for _ in range(abs(interval)):
                            pitch += step
                            while pitch in recent_pitches:
                                pitch += step
                    else:
                        index = bits.read(recent_pitch_bits)
                        if index > len(recent_pitches) - 1:
                            raise _fail(f"recent pitch {index} out of range", bits)
                        pitch = recent_pitches.pop(index)
                    recent_pitches.insert(0, pitch)
                    if len(recent_pitches) > recent_pitch_length:
                        recent_pitches.pop()
                    if j < pitch_count:
                        pitches.append(pitch)
                    else:
                        bends.append(pitch)
                    last_pitch = pitches[0] if j == pitch_count - 1 else pitch

                if is_mod and pattern.instruments[0] >= len(channel.instruments):
                    # JummBox fails here (its detune scale table has no row for 'all'/'active')
                    raise _fail("mod pattern note for an instrument the channel lacks", bits)

                bends.insert(0, pitches[0])
                note_pins = [(0, 0, initial_size)]
                for bend, time, size in pins:
                    if bend:
                        bends.pop(0)
                    note_pins.append((bends[0] - pitches[0], time, size))

                note = JBNote(pitches, cur_part, cur_part + length, note_pins)
                if cur_part == 0:
                    if not legacy:
                        note.continues_last_pattern = bits.read(1) == 1
                    elif version >= 4:
                        note.continues_last_pattern = channel.instruments[
                            pattern.instruments[0]
                        ].legacy_tie_over
                notes.append(note)
                if not 0 <= note.end <= parts_per_bar:
                    raise _fail(f"note ends at part {note.end}, past the bar's {parts_per_bar}", bits)
                cur_part = note.end

    if legacy and song_reverb is not None:
        _add_song_reverb_pattern(song, song_reverb)


def _read_mod_settings(
    song: JBSong, channel_index: int, bits: BitReader, version: int, index_bits: int
) -> tuple[int, int, int] | None:
    """A mod channel's settings per instrument and mod slot; returns (channel, instrument, slot) of an old
    song-reverb modulator, which JummBox then adjusts."""
    channel = song.channels[channel_index]
    legacy = version < 5
    mod_index_bits = index_bits if legacy else needed_bits(song.max_instruments_per_channel() + 2)
    last_target = song.pitch_channel_count + song.noise_channel_count
    song_reverb = None
    for instrument_index, inst in enumerate(channel.instruments):
        for mod in range(jb.MOD_COUNT):
            status = bits.read(2)
            if status == 0:
                target = min(bits.read(8), last_target)
                inst.mod_channels[mod] = target
                top = len(song.channels[target].instruments) + 1
                inst.mod_instruments[mod] = min(bits.read(mod_index_bits), top)
            elif status == 1:
                target = song.pitch_channel_count + min(bits.read(8), song.noise_channel_count)
                inst.mod_channels[mod] = target
                top = len(song.channels[target].instruments) + 1
                inst.mod_instruments[mod] = min(bits.read(index_bits), top)
            else:
                inst.mod_channels[mod] = -1 if status == 2 else -2
            if status != 3:
                inst.modulators[mod] = bits.read(6)
            setting = inst.modulators[mod]
            if setting >= len(jb.MOD_NAMES):
                raise _fail(f"unknown modulator setting {setting}", bits)
            if not legacy and setting in jb.MOD_FILTER_SETTINGS:
                bits.read(6)  # filter dot
            if legacy:
                target = inst.mod_channels[mod]
                touches = target >= 0 or setting in jb.MOD_WITH_EFFECT
                if touches and (
                    target < 0 or inst.mod_instruments[mod] >= len(song.channels[target].instruments)
                ):
                    # JummBox fails here: it looks up the modulated instrument, which does not exist
                    raise _fail("modulator aims at an instrument that does not exist", bits)
                if target < 0 and setting == jb.MOD_SONG_REVERB:
                    song_reverb = (channel_index, instrument_index, mod)
    return song_reverb


def _add_song_reverb_pattern(song: JBSong, found: tuple[int, int, int]) -> None:
    """Old songs' song-reverb modulators: where the mod channel's first bar is silent, JummBox gives it a
    new pattern, growing every channel's pattern count if needed (a new empty pattern each)."""
    channel_index = found[0]
    channel = song.channels[channel_index]
    if channel.bars and channel.bars[0] > 0:
        return
    if len(channel.patterns) >= jb.BAR_COUNT_MAX:
        return
    channel.patterns.append(JBPattern())
    if channel.bars:
        channel.bars[0] = len(channel.patterns)
    if len(channel.patterns) > song.patterns_per_channel:
        for other in song.channels:
            if len(other.patterns) <= song.patterns_per_channel:
                other.patterns.append(JBPattern())
        song.patterns_per_channel += 1
