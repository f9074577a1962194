"""The ``p`` tag: every channel's patterns and notes, read as BeepBox's ``fromBase64String`` reads them.

Notes are coded against two move-to-front lists: the 10 most recent note *shapes* (pitch count, pins,
sizes, durations) and the 8 most recent pitches; a new pitch is an interval from the last one that skips
the recent pitches.
"""

from __future__ import annotations

from beepbrain.format import config as c
from beepbrain.format.bits import BitReader
from beepbrain.format.errors import BeepBoxFormatError
from beepbrain.format.song import Note, NotePin

_PITCH_RECENT = (0, 7, 12, 19, 24, -5, -12)
_NOISE_RECENT = (4, 6, 7, 2, 3, 8, 0, 10)


def _needed_bits(max_value: int) -> int:
    """Song.getNeededBits."""
    if max_value < 0:
        return 32
    return max_value.bit_length()


def step_pitch(last: int, interval: int, recent: list[int]) -> int:
    """The pitch ``interval`` steps from ``last``, stepping over pitches in ``recent``."""
    pitch = last + interval
    if interval > 0:
        for r in sorted(r for r in recent if r > last):
            if r <= pitch:
                pitch += 1
            else:
                break
    elif interval < 0:
        for r in sorted((r for r in recent if r < last), reverse=True):
            if r >= pitch:
                pitch -= 1
            else:
                break
    return pitch


def read_patterns(dec) -> None:
    song = dec.song
    s = dec.s
    if dec.before3:
        channel_index = dec.next()
        dec.i += 1  # the old per-channel pattern count, ignored
        high = dec.next()
        length = (int(high) << 6 if high == high else 0) + dec.next()
    else:
        length_length = dec.next()
        if not 1 <= length_length <= 4:
            raise BeepBoxFormatError(f"Value {length_length} not in range [1, 4]", dec.i - 1)
        length = 0
        for _ in range(length_length):
            length = ((length << 6) if length == length else 0) + dec.next()
        channel_index = 0
    if length != length:  # undefined length: BeepBox reads nothing and stops decoding here
        reader = BitReader(s, dec.i, dec.i)
        dec.i = dec.n
    else:
        reader = BitReader(s, dec.i, dec.i + length)
        dec.i += length

    read = reader.read
    long_tail = reader.read_long_tail
    before7, before9, before3 = dec.before7, dec.before9, dec.before3
    parts_per_bar = song.beats_per_bar * c.PARTS_PER_BEAT
    channel_count = dec.channel_count()
    legacy_step = None

    def legacy_parts(value: int) -> int:
        nonlocal legacy_step
        if legacy_step is None:
            rhythm = song.rhythm
            if not (isinstance(rhythm, int) and 0 <= rhythm < len(c.RHYTHM_STEPS_PER_BEAT)):
                raise BeepBoxFormatError(f"rhythm {rhythm} out of range")
            legacy_step = c.RHYTHM_STEPS_PER_BEAT[rhythm]
        return value * c.PARTS_PER_BEAT // legacy_step

    while True:
        channel = dec.channel(channel_index)
        is_noise = channel_index >= song.pitch_channel_count
        instrument_count = len(channel.instruments)
        max_per_pattern = min(c.LAYERED_INSTRUMENT_COUNT_MAX, instrument_count) if song.layered_instruments else 1
        count_bits = _needed_bits(max_per_pattern - 1)
        index_bits = _needed_bits(instrument_count - 1)
        octave_offset = 0 if is_noise else channel.octave * 12
        last_pitch = 4 if is_noise else octave_offset
        recent = [p + octave_offset for p in (_NOISE_RECENT if is_noise else _PITCH_RECENT)]
        shapes: list[tuple] = []
        if len(channel.patterns) < song.patterns_per_channel:
            raise BeepBoxFormatError(f"channel {channel_index} lacks patterns")
        for pattern_index in range(song.patterns_per_channel):
            pattern = channel.patterns[pattern_index]
            if before9:
                value = read(index_bits)
                if not 0 <= value <= instrument_count - 1:
                    raise BeepBoxFormatError(f"Value {value} not in range [0, {instrument_count - 1}]")
                pattern.instruments = [value]
            elif song.pattern_instruments:
                count = read(count_bits) + 1
                if not 1 <= count <= max_per_pattern:
                    raise BeepBoxFormatError(f"Value {count} not in range [1, {max_per_pattern}]")
                instruments = []
                for _ in range(count):
                    value = read(index_bits)
                    if not 0 <= value <= instrument_count - 1:
                        raise BeepBoxFormatError(f"Value {value} not in range [0, {instrument_count - 1}]")
                    instruments.append(value)
                pattern.instruments = instruments
            else:
                pattern.instruments = [0]

            if not before3 and read(1) == 0:
                pattern.notes = []
                continue

            notes: list[Note] = []
            cur_part = 0
            while cur_part < parts_per_bar:
                if reader.pos >= reader.have:
                    # past the data every read is zero or undefined: rests of one step to the bar's end
                    step = legacy_parts(1) if before7 else 1
                    steps = -(-(parts_per_bar - cur_part) // step)
                    reader.pos += steps * (5 if before7 else 6)
                    cur_part += steps * step
                    break
                use_old_shape = read(1) == 1
                new_note = False
                if use_old_shape:
                    shape_index = long_tail(0, 0)
                    if not 0 <= shape_index <= len(shapes) - 1:
                        raise BeepBoxFormatError(f"Value {shape_index} not in range [0, {len(shapes) - 1}]")
                else:
                    new_note = read(1) == 1
                if not use_old_shape and not new_note:
                    cur_part += legacy_parts(long_tail(1, 2)) if before7 else long_tail(1, 3)
                    continue
                if use_old_shape:
                    shape = shapes.pop(shape_index)
                else:
                    pitch_count = 1
                    while pitch_count < c.MAX_CHORD_SIZE and read(1) == 1:
                        pitch_count += 1
                    pin_count = long_tail(1, 0)
                    if pin_count > parts_per_bar:
                        raise BeepBoxFormatError(f"note of {pin_count} pins cannot fit its bar")
                    initial_size = read(2)
                    pins = []
                    length = 0
                    bend_count = 0
                    for _ in range(pin_count):
                        bend = read(1) == 1
                        if bend:
                            bend_count += 1
                        length += legacy_parts(long_tail(1, 2)) if before7 else long_tail(1, 3)
                        size = read(2)
                        pins.append((bend, length, size if size == size else 0))
                    shape = (pitch_count, initial_size if initial_size == initial_size else 0, tuple(pins),
                             length, bend_count)
                shapes.insert(0, shape)
                if len(shapes) > 10:
                    shapes.pop()
                pitch_count, initial_size, pins, length, bend_count = shape

                pitches: list[int] = []
                bends: list[int] = []
                for j in range(pitch_count + bend_count):
                    if read(1) == 1:
                        pitch_index = read(3)
                        if not 0 <= pitch_index <= len(recent) - 1:
                            raise BeepBoxFormatError(
                                f"Value {pitch_index} not in range [0, {len(recent) - 1}]")
                        pitch = recent.pop(pitch_index)
                    else:
                        interval = -long_tail(1, 3) if read(1) == 1 else long_tail(1, 3)
                        pitch = step_pitch(last_pitch, interval, recent)
                    recent.insert(0, pitch)
                    if len(recent) > 8:
                        recent.pop()
                    if j < pitch_count:
                        pitches.append(pitch)
                    else:
                        bends.append(pitch)
                    last_pitch = pitches[0] if j == pitch_count - 1 else pitch

                base = pitches[0]
                current = base
                bend_iter = iter(bends)
                note_pins = [NotePin(0, 0, initial_size)]
                for bend, time, size in pins:
                    if bend:
                        current = next(bend_iter)
                    note_pins.append(NotePin(current - base, time, size))
                note = Note(pitches, cur_part, cur_part + length, note_pins)
                if cur_part == 0 and not before9:
                    note.continues_last_pattern = read(1) == 1
                end = note.end
                if not 0 <= end <= parts_per_bar:
                    raise BeepBoxFormatError(f"Value {end} not in range [0, {parts_per_bar}]")
                if end != int(end):
                    raise BeepBoxFormatError(f"note end {end} is not a whole part")
                note.start = int(note.start)
                note.end = int(end)
                for pin in note_pins:
                    pin.time = int(pin.time)
                notes.append(note)
                cur_part = note.end
            pattern.notes = notes

        if before3:
            break
        channel_index += 1
        if channel_index >= channel_count:
            break
