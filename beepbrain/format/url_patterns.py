"""The ``p`` tag: every channel's patterns and notes, read as BeepBox's ``fromBase64String`` reads them.

Notes are coded against two move-to-front lists: the 10 most recent note *shapes* (pitch count, pins,
sizes, durations) and the 8 most recent pitches; a new pitch is an interval from the last one that skips
the recent pitches.
"""

from __future__ import annotations

from beepbrain.format import config as c
from beepbrain.format.bits import BitReader, _js_long_tail
from beepbrain.format.errors import BeepBoxFormatError
from beepbrain.format.song import Note, NotePin

_PITCH_RECENT = (0, 7, 12, 19, 24, -5, -12)
_NOISE_RECENT = (4, 6, 7, 2, 3, 8, 0, 10)


_PAD = 8192


def _bit_string(value: int, count: int) -> str:
    return format(value, "b").zfill(count) if count else ""


def _tail_table(min_value: int, min_bits: int, width: int, scale: int = 1) -> dict[str, tuple[int, int]]:
    """readLongTail by lookup: for every ``width``-bit string that starts with a whole long tail, the tail's
    value (times ``scale``) and its length in bits. Strings that start with a longer tail are missing."""
    table = {}
    ones = 0
    while ones + 1 + min_bits + ones <= width:
        num_bits = min_bits + ones
        used = ones + 1 + num_bits
        base = min_value + (1 << num_bits) - (1 << min_bits)
        for value in range(1 << num_bits):
            head = "1" * ones + "0" + _bit_string(value, num_bits)
            for rest in range(1 << (width - used)):
                table[head + _bit_string(rest, width - used)] = ((base + value) * scale, used)
        ones += 1
    return table


# whole-field lookups for the commonest reads: long tails, 2- and 3-bit fields
_SHAPE_INDEX = _tail_table(0, 0, 7)  # indices 0..14: every recent shape
_PIN_COUNT = _tail_table(1, 0, 7)  # 1..15 pins
_INTERVAL = _tail_table(1, 3, 10)  # 1..56 semitones, and durations from version 7 on
_LEGACY_DURATION = {
    rhythm: _tail_table(1, 2, 9, c.PARTS_PER_BEAT // steps)  # before version 7, in parts
    for rhythm, steps in enumerate(c.RHYTHM_STEPS_PER_BEAT)
}
_TWO_BITS = {format(v, "02b"): v for v in range(4)}
_THREE_BITS = {format(v, "03b"): v for v in range(8)}


def _tail(bits: str, find, pos: int, lp: int, min_value: int, min_bits: int) -> tuple[int, int]:
    """readLongTail at ``pos``: ones, a zero, then that many more bits than ``min_bits``. Bits past ``lp``
    are zero or undefined, and both end the run of ones and add nothing."""
    zero = find("0", pos, lp)
    if zero < 0:
        zero = max(pos, lp)
    num_bits = min_bits + zero - pos
    start = zero + 1
    end = start + num_bits
    if num_bits > 31:
        value = _js_long_tail(min_value, min_bits, zero - pos, bits[start : min(end, lp)])
        if value < min_value:  # JavaScript's 32-bit shifts wrapped; BeepBox cannot re-encode this
            raise BeepBoxFormatError("value out of bounds")
        return value, end
    value = min_value + (1 << num_bits) - (1 << min_bits)
    if num_bits:
        if end <= lp:
            value += int(bits[start:end], 2)
        elif start < lp:
            value += int(bits[start:lp], 2) << (end - lp)
    return value, end


def _needed_bits(max_value: int) -> int:
    """Song.getNeededBits."""
    if max_value < 0:
        return 32
    return max_value.bit_length()


def step_pitch(last: int, interval: int, recent: list[int]) -> int:
    """The pitch ``interval`` steps from ``last``, stepping over pitches in ``recent``."""
    if -16 <= interval <= 16:
        pitch = last
        while interval > 0:
            pitch += 1
            while pitch in recent:
                pitch += 1
            interval -= 1
        while interval < 0:
            pitch -= 1
            while pitch in recent:
                pitch -= 1
            interval += 1
        return pitch
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

    # The note loop reads a local '0'/'1' string padded with the zeros BeepBox reads past the song's end
    # (no note reaches more than PAD bits past the data); pattern-level fields use the exact reader.
    have, limit = reader.have, reader.limit
    lp = min(limit, have + _PAD)
    bits = reader.bits + "0" * (lp - have)
    pos = 0

    def rd(count: int):
        nonlocal pos
        end = pos + count
        if count > 0 and end <= lp:  # inside the local bits (zero padding reads as zeros, as in the reader)
            value = int(bits[pos:end], 2)
            pos = end
            return value
        reader.pos = pos
        value = reader.read(count)
        pos = reader.pos
        return value

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

    dur_bits = 2 if before7 else 3
    # durations, already in parts: (1, 3) tails, or (1, 2) tails times the old rhythm
    if not before7:
        dur_get, dur_width = _INTERVAL.get, 10
    elif isinstance(song.rhythm, int) and 0 <= song.rhythm < len(c.RHYTHM_STEPS_PER_BEAT):
        dur_get, dur_width = _LEGACY_DURATION[song.rhythm].get, 9
    else:
        dur_get, dur_width = {}.get, 9  # never hits: legacy_parts raises on the first duration
    find = bits.find
    interval_get = _INTERVAL.get
    shape_index_get = _SHAPE_INDEX.get
    pin_count_get = _PIN_COUNT.get
    two_bits = _TWO_BITS.get
    three_bits = _THREE_BITS
    while True:
        channel = dec.channel(channel_index)
        is_noise = channel_index >= song.pitch_channel_count
        instrument_count = len(channel.instruments)
        max_per_pattern = (
            min(c.LAYERED_INSTRUMENT_COUNT_MAX, instrument_count) if song.layered_instruments else 1
        )
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
                value = rd(index_bits)
                if not 0 <= value <= instrument_count - 1:
                    raise BeepBoxFormatError(f"Value {value} not in range [0, {instrument_count - 1}]")
                pattern.instruments = [value]
            elif song.pattern_instruments:
                count = rd(count_bits) + 1
                if not 1 <= count <= max_per_pattern:
                    raise BeepBoxFormatError(f"Value {count} not in range [1, {max_per_pattern}]")
                instruments = []
                for _ in range(count):
                    value = rd(index_bits)
                    if not 0 <= value <= instrument_count - 1:
                        raise BeepBoxFormatError(f"Value {value} not in range [0, {instrument_count - 1}]")
                    instruments.append(value)
                pattern.instruments = instruments
            else:
                pattern.instruments = [0]

            if not before3 and rd(1) == 0:
                pattern.notes = []
                continue

            notes: list[Note] = []
            cur_part = 0
            while cur_part < parts_per_bar:
                if pos >= have:
                    # past the data every read is zero or undefined: rests of one step to the bar's end
                    step = legacy_parts(1) if before7 else 1
                    steps = -(-(parts_per_bar - cur_part) // step)
                    pos += steps * (5 if before7 else 6)
                    cur_part += steps * step
                    break
                if bits[pos] == "1":  # a recent shape
                    pos += 1
                    if pos < lp and bits[pos] == "0":  # the most recent shape
                        pos += 1
                        if not shapes:
                            raise BeepBoxFormatError("Value 0 not in range [0, -1]")
                        shape = shapes[0]
                    else:
                        hit = shape_index_get(bits[pos : pos + 7])
                        if hit is not None:
                            shape_index, used = hit
                            pos += used
                        else:
                            shape_index, pos = _tail(bits, find, pos, lp, 0, 0)
                        if not 0 <= shape_index <= len(shapes) - 1:
                            raise BeepBoxFormatError(
                                f"Value {shape_index} not in range [0, {len(shapes) - 1}]"
                            )
                        if shape_index:  # move it to the front
                            shapes.insert(0, shapes.pop(shape_index))
                        shape = shapes[0]
                else:
                    new_note = pos + 1 < lp and bits[pos + 1] == "1"
                    pos += 2
                    if not new_note:  # a rest
                        hit = dur_get(bits[pos : pos + dur_width])
                        if hit is not None:
                            value, used = hit
                            pos += used
                        else:
                            value, pos = _tail(bits, find, pos, lp, 1, dur_bits)
                            if before7:
                                value = legacy_parts(value)
                        cur_part += value
                        continue
                    pitch_count = 1
                    while pitch_count < 4:
                        one = pos < lp and bits[pos] == "1"
                        pos += 1
                        if not one:
                            break
                        pitch_count += 1
                    hit = pin_count_get(bits[pos : pos + 7])
                    if hit is not None:
                        pin_count, used = hit
                        pos += used
                    else:
                        pin_count, pos = _tail(bits, find, pos, lp, 1, 0)
                    if pin_count > parts_per_bar:
                        raise BeepBoxFormatError(f"note of {pin_count} pins cannot fit its bar")
                    initial_size = two_bits(bits[pos : pos + 2], 0)
                    pos += 2
                    pins = []
                    length = 0
                    bend_count = 0
                    for _ in range(pin_count):
                        bend = pos < lp and bits[pos] == "1"
                        pos += 1
                        if bend:
                            bend_count += 1
                        hit = dur_get(bits[pos : pos + dur_width])
                        if hit is not None:
                            length += hit[0]
                            pos += hit[1]
                        else:
                            value, pos = _tail(bits, find, pos, lp, 1, dur_bits)
                            length += legacy_parts(value) if before7 else value
                        size = two_bits(bits[pos : pos + 2], 0)
                        pos += 2
                        pins.append((bend, length, size))
                    shape = (pitch_count, initial_size, tuple(pins), length, bend_count)
                    shapes.insert(0, shape)
                    if len(shapes) > 10:
                        shapes.pop()
                pitch_count, initial_size, pins, length, bend_count = shape

                if bend_count == 0 and pitch_count == 1:
                    # the commonest note by far: one pitch, no bends
                    old = pos < lp and bits[pos] == "1"
                    pos += 1
                    if old:
                        if pos + 3 <= lp:
                            pitch_index = three_bits[bits[pos : pos + 3]]
                            pos += 3
                        else:
                            pitch_index = rd(3)
                        if not 0 <= pitch_index < len(recent):
                            raise BeepBoxFormatError(
                                f"Value {pitch_index} not in range [0, {len(recent) - 1}]"
                            )
                        pitch = recent[pitch_index]
                        if pitch_index:  # move it to the front
                            del recent[pitch_index]
                            recent.insert(0, pitch)
                    else:
                        negative = pos < lp and bits[pos] == "1"
                        hit = interval_get(bits[pos + 1 : pos + 11])
                        if hit is not None:
                            interval = hit[0]
                            pos += 1 + hit[1]
                        else:
                            interval, pos = _tail(bits, find, pos + 1, lp, 1, 3)
                        pitch = step_pitch(last_pitch, -interval if negative else interval, recent)
                        recent.insert(0, pitch)
                        if len(recent) > 8:
                            recent.pop()
                    last_pitch = pitch
                    pitches = [pitch]
                    end = cur_part + length
                    if not 0 <= end <= parts_per_bar:
                        raise BeepBoxFormatError(f"Value {end} not in range [0, {parts_per_bar}]")
                    if len(pins) == 1:
                        note_pins = [NotePin(0, 0, initial_size), NotePin(0, pins[0][1], pins[0][2])]
                    else:
                        note_pins = [NotePin(0, 0, initial_size)]
                        note_pins.extend([NotePin(0, time, size) for _, time, size in pins])
                    note = Note(pitches, cur_part, end, note_pins)
                    if cur_part == 0 and not before9:
                        note.continues_last_pattern = pos < lp and bits[pos] == "1"
                        pos += 1
                    notes.append(note)
                    cur_part = end
                    continue

                pitches: list[int] = []
                bends: list[int] = []
                for j in range(pitch_count + bend_count):
                    old = pos < lp and bits[pos] == "1"
                    pos += 1
                    if old:
                        if pos + 3 <= lp:
                            pitch_index = three_bits[bits[pos : pos + 3]]
                            pos += 3
                        else:
                            pitch_index = rd(3)
                        if not 0 <= pitch_index < len(recent):
                            raise BeepBoxFormatError(
                                f"Value {pitch_index} not in range [0, {len(recent) - 1}]"
                            )
                        pitch = recent[pitch_index]
                        if pitch_index:  # move it to the front
                            del recent[pitch_index]
                            recent.insert(0, pitch)
                    else:
                        negative = pos < lp and bits[pos] == "1"
                        hit = interval_get(bits[pos + 1 : pos + 11])
                        if hit is not None:
                            interval = hit[0]
                            pos += 1 + hit[1]
                        else:
                            interval, pos = _tail(bits, find, pos + 1, lp, 1, 3)
                        pitch = step_pitch(last_pitch, -interval if negative else interval, recent)
                        recent.insert(0, pitch)
                        if len(recent) > 8:
                            recent.pop()
                    if j < pitch_count:
                        pitches.append(pitch)
                    else:
                        bends.append(pitch)
                    last_pitch = pitches[0] if j == pitch_count - 1 else pitch

                end = cur_part + length
                if not 0 <= end <= parts_per_bar:
                    raise BeepBoxFormatError(f"Value {end} not in range [0, {parts_per_bar}]")
                base = pitches[0]
                note_pins = [NotePin(0, 0, initial_size)]
                if bends:
                    current = base
                    bend_iter = iter(bends)
                    for bend, time, size in pins:
                        if bend:
                            current = next(bend_iter)
                        note_pins.append(NotePin(current - base, time, size))
                else:
                    note_pins.extend([NotePin(0, time, size) for _, time, size in pins])
                note = Note(pitches, cur_part, end, note_pins)
                if cur_part == 0 and not before9:
                    note.continues_last_pattern = pos < lp and bits[pos] == "1"
                    pos += 1
                notes.append(note)
                cur_part = end
            pattern.notes = notes

        if before3:
            break
        channel_index += 1
        if channel_index >= channel_count:
            break
