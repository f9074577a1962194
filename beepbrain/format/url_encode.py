"""Encode a song as a version-9 BeepBox song string, byte for byte as BeepBox's ``toBase64String``."""

from __future__ import annotations

from beepbrain.format import config as c
from beepbrain.format.base64 import ALPHABET
from beepbrain.format.bits import BitWriter, long_tail_code
from beepbrain.format.errors import BeepBoxFormatError
from beepbrain.format.song import Song

_C = {i: ch for i, ch in enumerate(ALPHABET)}


def _ch(value) -> str:
    """base64IntToCharCode[value]; JavaScript writes an out-of-range value as U+0000."""
    return _C.get(value, "\x00")


def _needed_bits(max_value: int) -> int:
    return 32 if max_value < 0 else max_value.bit_length()


def encode_url(song: Song) -> str:
    try:
        return _encode(song)
    except BeepBoxFormatError:
        raise
    except (ValueError, TypeError, IndexError, AttributeError) as exc:
        raise BeepBoxFormatError(f"song cannot be encoded: {exc}") from None


def _filter(out: list[str], points) -> None:
    out.append(_ch(len(points)))
    for p in points:
        out.append(_ch(p.type) + _ch(p.freq) + _ch(p.gain))


def _control_points(values, count_per_row: int) -> str:
    w = BitWriter()
    for v in values:
        w.write(3, v)
    return w.text()


def _encode(song: Song) -> str:
    out: list[str] = []
    a = out.append
    channel_count = song.pitch_channel_count + song.noise_channel_count
    channels = song.channels[:channel_count]
    if len(channels) < channel_count:
        raise BeepBoxFormatError("song has fewer channels than its channel counts")
    a("9")
    a("n" + _ch(song.pitch_channel_count) + _ch(song.noise_channel_count))
    a("s" + _ch(song.scale))
    a("k" + _ch(song.key))
    a("l" + _ch(song.loop_start >> 6) + _ch(song.loop_start & 63))
    a("e" + _ch((song.loop_length - 1) >> 6) + _ch((song.loop_length - 1) & 63))
    a("t" + _ch(song.tempo >> 6) + _ch(song.tempo & 63))
    a("a" + _ch(song.beats_per_bar - 1))
    a("g" + _ch((song.bar_count - 1) >> 6) + _ch((song.bar_count - 1) & 63))
    a("j" + _ch((song.patterns_per_channel - 1) >> 6) + _ch((song.patterns_per_channel - 1) & 63))
    a("r" + _ch(song.rhythm))
    a("i" + _ch((int(song.layered_instruments) << 1) | int(song.pattern_instruments)))
    if song.layered_instruments or song.pattern_instruments:
        for ch in channels:
            a(_ch(len(ch.instruments) - 1))
    a("o")
    for ch in channels[: song.pitch_channel_count]:
        a(_ch(ch.octave))

    for ch in channels:
        for inst in ch.instruments:
            e = inst.effects
            a("T" + _ch(inst.type))
            a("v" + _ch(inst.volume))
            a("u" + _ch(inst.preset >> 6) + _ch(inst.preset & 63))
            a("f")
            _filter(out, inst.eq_filter)
            a("q" + _ch(e >> 6) + _ch(e & 63))
            if e & (1 << c.EFFECT_NOTE_FILTER):
                _filter(out, inst.note_filter)
            if e & (1 << c.EFFECT_TRANSITION):
                a(_ch(inst.transition))
            if e & (1 << c.EFFECT_CHORD):
                a(_ch(inst.chord))
            if e & (1 << c.EFFECT_PITCH_SHIFT):
                a(_ch(inst.pitch_shift))
            if e & (1 << c.EFFECT_DETUNE):
                a(_ch(inst.detune))
            if e & (1 << c.EFFECT_VIBRATO):
                a(_ch(inst.vibrato))
            if e & (1 << c.EFFECT_DISTORTION):
                a(_ch(inst.distortion))
            if e & (1 << c.EFFECT_BITCRUSHER):
                a(_ch(inst.bitcrusher_freq) + _ch(inst.bitcrusher_quantization))
            if e & (1 << c.EFFECT_PANNING):
                a(_ch(inst.pan))
            if e & (1 << c.EFFECT_CHORUS):
                a(_ch(inst.chorus))
            if e & (1 << c.EFFECT_ECHO):
                a(_ch(inst.echo_sustain) + _ch(inst.echo_delay))
            if e & (1 << c.EFFECT_REVERB):
                a(_ch(inst.reverb))
            t = inst.type
            if t != c.DRUMSET:
                a("d" + _ch(inst.fade_in) + _ch(inst.fade_out))
            if t in (c.HARMONICS, c.PICKED_STRING):
                a(
                    "H"
                    + _control_points(
                        inst.harmonics[: c.HARMONICS_CONTROL_POINTS], c.HARMONICS_CONTROL_POINTS
                    )
                )
            if t == c.CHIP:
                a("w" + _ch(inst.chip_wave) + "h" + _ch(inst.unison))
            elif t == c.FM:
                a(
                    "A"
                    + _ch(inst.algorithm)
                    + "F"
                    + _ch(inst.feedback_type)
                    + "B"
                    + _ch(inst.feedback_amplitude)
                )
                a("Q" + "".join(_ch(op.frequency) for op in inst.operators[: c.OPERATOR_COUNT]))
                a("P" + "".join(_ch(op.amplitude) for op in inst.operators[: c.OPERATOR_COUNT]))
            elif t == c.NOISE:
                a("w" + _ch(inst.chip_noise))
            elif t == c.SPECTRUM:
                a(
                    "S"
                    + _control_points(inst.spectrum[: c.SPECTRUM_CONTROL_POINTS], c.SPECTRUM_CONTROL_POINTS)
                )
            elif t == c.DRUMSET:
                a("z" + "".join(_ch(x) for x in inst.drumset_envelopes[: c.DRUM_COUNT]))
                values = [
                    v
                    for row in inst.drumset_spectra[: c.DRUM_COUNT]
                    for v in row[: c.SPECTRUM_CONTROL_POINTS]
                ]
                a("S" + _control_points(values, c.SPECTRUM_CONTROL_POINTS))
            elif t == c.HARMONICS:
                a("h" + _ch(inst.unison))
            elif t == c.PWM:
                a("W" + _ch(inst.pulse_width))
            elif t == c.SUPERSAW:
                a("x" + _ch(inst.supersaw_dynamism) + _ch(inst.supersaw_spread) + _ch(inst.supersaw_shape))
                a("W" + _ch(inst.pulse_width))
            elif t == c.PICKED_STRING:
                a("h" + _ch(inst.unison))
                a("I" + _ch(inst.string_sustain | (inst.string_sustain_type << 5)))
            else:
                raise BeepBoxFormatError(f"unknown instrument type {t}")
            a("E" + _ch(len(inst.envelopes)))
            for env in inst.envelopes:
                a(_ch(env.target))
                if c.AUTOMATION_TARGETS[env.target][1] > 1:
                    a(_ch(env.index))
                a(_ch(env.envelope))

    a("b")
    needed = 0
    while (1 << needed) < song.patterns_per_channel + 1:
        needed += 1
    w = BitWriter()
    for ch in channels:
        bars = ch.bars
        for b in range(song.bar_count):
            w.write(needed, bars[b] if b < len(bars) else 0)
    a(w.text())

    a("p")
    bits = _encode_patterns(song, channels)
    length = bits.length_chars()
    digits = []
    while length > 0:
        digits.insert(0, _ch(length & 63))
        length >>= 6
    a(_ch(len(digits)))
    out.extend(digits)
    a(bits.text())
    return "".join(out)


def _encode_patterns(song: Song, channels) -> BitWriter:
    bits = BitWriter()
    write = bits.write
    long_tail = bits.write_long_tail
    parts_per_bar = song.beats_per_bar * c.PARTS_PER_BEAT
    # BeepBox reuses one writer for every note shape and never clears its buffer, only its length: a shape's
    # key (its base64 text) takes its padding bits from whatever longer shape came before.
    stale_value, stale_len = 0, 0
    for index, ch in enumerate(channels):
        is_noise = index >= song.pitch_channel_count
        max_per_pattern = (
            min(c.LAYERED_INSTRUMENT_COUNT_MAX, len(ch.instruments)) if song.layered_instruments else 1
        )
        count_bits = _needed_bits(max_per_pattern - 1)
        index_bits = _needed_bits(len(ch.instruments) - 1)
        octave_offset = 0 if is_noise else ch.octave * c.PITCHES_PER_OCTAVE
        last_pitch = 4 if is_noise else octave_offset
        recent = [
            p + octave_offset
            for p in ((4, 6, 7, 2, 3, 8, 0, 10) if is_noise else (0, 7, 12, 19, 24, -5, -12))
        ]
        shapes: list[tuple[int, int]] = []
        for pattern in ch.patterns:
            if song.pattern_instruments:
                count = len(pattern.instruments)
                if not 1 <= count <= max_per_pattern:
                    raise BeepBoxFormatError(f"Value {count} not in range [1, {max_per_pattern}]")
                write(count_bits, count - 1)
                for inst in pattern.instruments:
                    write(index_bits, inst)
            if not pattern.notes:
                write(1, 0)
                continue
            write(1, 1)
            cur_part = 0
            for note in pattern.notes:
                if note.start > cur_part:
                    write(2, 0)
                    long_tail(1, 3, note.start - cur_part)
                # the shape's bits, as one int
                pitches = note.pitches
                pins = note.pins
                sv, sn = 0, 0
                for _ in range(1, len(pitches)):
                    sv, sn = (sv << 1) | 1, sn + 1
                if len(pitches) < c.MAX_CHORD_SIZE:
                    sv, sn = sv << 1, sn + 1
                sv, sn = _append_long_tail(sv, sn, 1, 0, len(pins) - 1)
                sv, sn = (sv << 2) | (pins[0].size & 3), sn + 2
                shape_part = 0
                start_pitch = pitches[0]
                current = start_pitch
                bends = []
                for pin in pins[1:]:
                    nxt = start_pitch + pin.interval
                    if current != nxt:
                        sv, sn = (sv << 1) | 1, sn + 1
                        bends.append(nxt)
                        current = nxt
                    else:
                        sv, sn = sv << 1, sn + 1
                    sv, sn = _append_long_tail(sv, sn, 1, 3, pin.time - shape_part)
                    shape_part = pin.time
                    sv, sn = (sv << 2) | (pin.size & 3), sn + 2
                # the shape's key: its bits padded to whole characters with the writer's stale bits
                padded = -(-sn // 6) * 6
                pad = padded - sn
                if stale_len > sn:
                    tail_len = stale_len - sn
                    tail = stale_value & ((1 << tail_len) - 1)
                    stale_value = (sv << tail_len) | tail
                    pad_bits = tail >> tail_len - pad if tail_len >= pad else tail << pad - tail_len
                else:
                    stale_value, stale_len = sv, sn
                    pad_bits = 0
                key = (padded, (sv << pad) | pad_bits)
                try:
                    shape_index = shapes.index(key)
                except ValueError:
                    write(2, 1)
                    write(sn, sv)
                else:
                    write(1, 1)
                    long_tail(0, 0, shape_index)
                    del shapes[shape_index]
                shapes.insert(0, key)
                if len(shapes) > 10:
                    shapes.pop()

                for i, pitch in enumerate(pitches + bends):
                    try:
                        pitch_index = recent.index(pitch)
                    except ValueError:
                        if last_pitch < pitch:
                            interval = (pitch - last_pitch) - sum(
                                1 for r in recent if last_pitch < r <= pitch
                            )
                        else:
                            interval = -(
                                (last_pitch - pitch) - sum(1 for r in recent if pitch <= r < last_pitch)
                            )
                        write(1, 0)
                        if interval < 0:
                            write(1, 1)
                            long_tail(1, 3, -interval)
                        else:
                            write(1, 0)
                            long_tail(1, 3, interval)
                    else:
                        write(1, 1)
                        write(3, pitch_index)
                        del recent[pitch_index]
                    recent.insert(0, pitch)
                    if len(recent) > 8:
                        recent.pop()
                    last_pitch = pitches[0] if i == len(pitches) - 1 else pitch
                if note.start == 0:
                    write(1, 1 if note.continues_last_pattern else 0)
                cur_part = note.end
            if cur_part < parts_per_bar:
                write(2, 0)
                long_tail(1, 3, parts_per_bar - cur_part)
    return bits


def _append_long_tail(sv: int, sn: int, min_value: int, min_bits: int, value: int) -> tuple[int, int]:
    count, code = long_tail_code(min_value, min_bits, value)
    return (sv << count) | code, sn + count
