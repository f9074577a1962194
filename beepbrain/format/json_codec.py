"""BeepBox's JSON form of a song: ``song_to_json`` (``Song.toJsonObject``) and ``song_from_json``
(``Song.fromJsonObject``), as BeepBox 4.x writes and reads it (synth/synth.ts).

The writer gives the same keys in the same order and the same values, derived figures rounded the way
JavaScript rounds them (``Math.round`` rounds halves up), integral numbers as ints. The reader keeps
BeepBox's defaults and its tolerance of missing, legacy and mistyped values (JavaScript's ``| 0``,
``>>> 0``, ``+x`` and ``clamp`` semantics); a structure it cannot walk raises BeepBoxFormatError.
"""

from __future__ import annotations

import math
import re

from beepbrain.format import config as c
from beepbrain.format import names
from beepbrain.format.canonical import canonicalize
from beepbrain.format.errors import BeepBoxFormatError
from beepbrain.format.legacy import add_envelope, convert_legacy_settings, ticks_to_fade_out
from beepbrain.format.song import (
    Channel,
    EnvelopeSettings,
    FilterControlPoint,
    Instrument,
    Note,
    NotePin,
    Pattern,
    Song,
)

FORMAT_NAME = "BeepBox"
LATEST_VERSION = 9
EFFECT_MASK = (1 << c.EFFECT_COUNT) - 1
PULSE_WIDTH_STEP_POWER = 0.5

# ---------------------------------------------------------------------------------------------------------
# JavaScript value semantics, for values that came out of json.loads

_MISSING = object()
_NAN = float("nan")
_JS_DECIMAL = re.compile(r"[+-]?(?:Infinity|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\Z")
_JS_RADIX = re.compile(r"0([xXoObB])([0-9a-fA-F]+)\Z")
_JS_WHITESPACE = " \t\n\v\f\r\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"


def js_number(value) -> float:
    """JavaScript's ToNumber (``+value``) for a JSON value; missing reads as undefined (NaN)."""
    if value is _MISSING:
        return _NAN
    if value is None or value is False:
        return 0.0
    if value is True:
        return 1.0
    if isinstance(value, float):
        return value
    if isinstance(value, int):
        try:
            return float(value)
        except OverflowError:  # JSON digits past a double's range read as Infinity in JavaScript
            return math.inf if value > 0 else -math.inf
    if isinstance(value, str):
        text = value.strip(_JS_WHITESPACE)
        if not text:
            return 0.0
        if _JS_DECIMAL.match(text):
            return float(text.replace("Infinity", "inf"))  # float() gives inf past a double's range
        radix = _JS_RADIX.match(text)
        if radix:
            base = {"x": 16, "o": 8, "b": 2}[radix.group(1).lower()]
            try:
                return float(int(radix.group(2), base))
            except ValueError:
                return _NAN
        return _NAN
    if isinstance(value, list):
        return js_number(js_string(value))
    return _NAN


def js_int32(value) -> int:
    """``value | 0``."""
    if type(value) is int and -0x80000000 <= value <= 0x7FFFFFFF:
        return value
    number = js_number(value)
    if not math.isfinite(number):
        return 0
    n = int(number) & 0xFFFFFFFF
    return n - (1 << 32) if n >= (1 << 31) else n


def js_uint32(value) -> int:
    """``value >>> 0``."""
    number = js_number(value)
    if not math.isfinite(number):
        return 0
    return int(number) & 0xFFFFFFFF


def js_string(value) -> str:
    """JavaScript's String(value) for a JSON value (what a dictionary lookup uses as its key)."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        if value.is_integer() and abs(value) < 1e21:
            return str(int(value))
        return repr(value).replace("e-0", "e-").replace("e+0", "e+")
    if isinstance(value, list):
        return ",".join("" if item is None else js_string(item) for item in value)
    return "[object Object]"


def js_round(x: float):
    """``Math.round``: halves toward +infinity; NaN and infinities pass through."""
    if not math.isfinite(x):
        return x
    floor = math.floor(x)
    return floor + 1 if x - floor >= 0.5 else floor


def js_sqrt(x: float) -> float:
    return math.sqrt(x) if x >= 0 else _NAN


def js_log2(x: float) -> float:
    if x > 0:
        return math.log2(x)
    return -math.inf if x == 0 else _NAN


def js_sign(x: float) -> float:
    if math.isnan(x):
        return x
    return 1.0 if x > 0 else -1.0 if x < 0 else 0.0


def clamp(lo, hi, value):
    """BeepBox's ``clamp(min, max, val)``: max is exclusive; NaN reads as the top."""
    hi = hi - 1
    if value <= hi:
        return value if value >= lo else lo
    return hi


def _int_or_zero(x) -> int:
    """A computed setting as an int; NaN (BeepBox would keep it and write garbage) reads as 0."""
    return int(x) if isinstance(x, (int, float)) and math.isfinite(x) else 0


def num(x):
    """A number as JSON.stringify writes it: integral values without a fraction."""
    if isinstance(x, float) and math.isfinite(x) and x.is_integer():
        return int(x)
    return x


def _truthy(value) -> bool:
    if value is _MISSING or value is None or value is False:
        return False
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value != 0 and not (isinstance(value, float) and math.isnan(value))
    if isinstance(value, str):
        return value != ""
    return True


def _get(obj, key):
    """``obj[key]`` as JavaScript reads it: _MISSING (undefined) where there is nothing."""
    if type(obj) is dict:
        return obj.get(key, _MISSING)
    if isinstance(obj, dict):
        return obj.get(key, _MISSING)
    if isinstance(obj, (list, str)) and isinstance(key, int):
        return obj[key] if 0 <= key < len(obj) else _MISSING
    if isinstance(obj, (list, str)) and key == "length":
        return len(obj)
    return _MISSING


def _defined(value) -> bool:
    """``value != undefined`` (null is undefined too)."""
    return value is not _MISSING and value is not None


def _length(value):
    """``value.length`` for an array or string, else None (undefined)."""
    return len(value) if isinstance(value, (list, str)) else None


def _lookup(table: dict, key):
    """``table[key]`` for a name table: keys are strings, undefined where absent."""
    if key is _MISSING:
        return None
    return table.get(js_string(key))


def _index_of(names_: tuple, value) -> int:
    """``names.indexOf(value)`` (strict equality: only an identical string matches)."""
    if isinstance(value, str) and value in names_:
        return names_.index(value)
    return -1


def _find_name(names_: tuple, value) -> int:
    """``findIndex(x => x.name == value)`` (loose equality; names are non-numeric strings)."""
    if value is _MISSING or value is None or isinstance(value, (dict, bool, int, float)):
        return -1
    text = value if isinstance(value, str) else js_string(value)
    return names_.index(text) if text in names_ else -1


# ---------------------------------------------------------------------------------------------------------
# Name tables (dictionary lookups)

_TRANSITIONS = {name: i for i, name in enumerate(c.TRANSITION_NAMES)}
_CHORDS = {name: i for i, name in enumerate(c.CHORD_NAMES)}
_UNISONS = {name: i for i, name in enumerate(c.UNISON_NAMES)}
_VIBRATOS = {name: i for i, name in enumerate(c.VIBRATO_NAMES)}
_ENVELOPES = dict(c.ENVELOPE_INDEX)
_TARGETS = dict(c.AUTOMATION_TARGET_INDEX)


def _envelope_by_name(name):
    """BeepBox's getEnvelope: legacy names first, then today's; None where unknown."""
    legacy = _lookup(names.LEGACY_ENVELOPE_NAMES, name)
    if legacy is not None:
        return _ENVELOPES.get(legacy)
    return _lookup(_ENVELOPES, name)


# ---------------------------------------------------------------------------------------------------------
# Derived values (Synth / FilterControlPoint helpers)


def filter_hz(freq: float) -> float:
    return c.FILTER_FREQ_REFERENCE_HZ * 2.0 ** ((freq - c.FILTER_FREQ_REFERENCE_SETTING) * c.FILTER_FREQ_STEP)


def filter_linear_gain(point: FilterControlPoint) -> float:
    power = (point.gain - c.FILTER_GAIN_CENTER) * c.FILTER_GAIN_STEP
    neutral = 0.0 if point.type == c.FILTER_PEAK else -0.5
    return 2.0 ** (neutral + (power - neutral) * 1.0)


def filter_freq_setting_from_hz(hz: float):
    setting = js_log2(hz / c.FILTER_FREQ_REFERENCE_HZ) / c.FILTER_FREQ_STEP + c.FILTER_FREQ_REFERENCE_SETTING
    return max(0, min(c.FILTER_FREQ_RANGE - 1, js_round(setting))) if not math.isnan(setting) else setting


def filter_gain_setting_from_linear(gain: float):
    setting = js_log2(gain) / c.FILTER_GAIN_STEP + c.FILTER_GAIN_CENTER
    return max(0, min(c.FILTER_GAIN_RANGE - 1, js_round(setting))) if not math.isnan(setting) else setting


def fade_in_seconds(setting: int) -> float:
    return 0.0125 * (0.95 * setting + 0.05 * setting * setting)


def fade_in_setting(seconds: float) -> int:
    return clamp(0, c.FADE_IN_RANGE, js_round((-0.95 + js_sqrt(0.9025 + 0.2 * seconds / 0.0125)) / 0.1))


def detune_to_cents(detune: int):
    return detune * (abs(detune) + 1) / 2


def cents_to_detune(cents: float) -> float:
    return js_sign(cents) * (js_sqrt(1 + 8 * abs(cents)) - 1) / 2.0


def pulse_width_ratio(pulse_width: int) -> float:
    return 0.5 ** ((c.PULSE_WIDTH_RANGE - 1 - pulse_width) * PULSE_WIDTH_STEP_POWER) * 0.5


def _percent(value: int, top: int) -> int:
    return js_round(100 * value / top)


# ---------------------------------------------------------------------------------------------------------
# Song -> JSON


def song_to_json(song: Song) -> dict:
    """BeepBox's JSON export of ``song`` (``Song.toJsonObject()`` with its defaults: intro, one loop, outro).
    A model that is not a song (a channel or table index missing) raises BeepBoxFormatError."""
    try:
        return _write_song(song)
    except (IndexError, KeyError, TypeError, AttributeError) as exc:
        raise BeepBoxFormatError(f"song model cannot be exported: {type(exc).__name__}: {exc}") from None


def _write_song(song: Song) -> dict:
    channels = []
    for index in range(song.channel_count):
        channel = song.channels[index]
        is_noise = song.is_noise_channel(index)
        bars = channel.bars
        loop_end = song.loop_start + song.loop_length
        order = list(range(song.loop_start)) + list(range(song.loop_start, loop_end))
        order += list(range(loop_end, song.bar_count))
        channel_obj = {
            "type": "drum" if is_noise else "pitch",
            "instruments": [instrument_to_json(inst) for inst in channel.instruments],
            "patterns": [pattern_to_json(pattern, song) for pattern in channel.patterns],
            "sequence": [bars[i] if i < len(bars) else None for i in order],
        }
        if not is_noise:
            channel_obj["octaveScrollBar"] = channel.octave - 1  # offset by one for old versions
        channels.append(channel_obj)
    return {
        "format": FORMAT_NAME,
        "version": LATEST_VERSION,
        "scale": c.SCALE_NAMES[song.scale],
        "key": c.KEY_NAMES[song.key],
        "introBars": song.loop_start,
        "loopBars": song.loop_length,
        "beatsPerBar": song.beats_per_bar,
        "ticksPerBeat": c.RHYTHM_STEPS_PER_BEAT[song.rhythm],
        "beatsPerMinute": song.tempo,
        "layeredInstruments": song.layered_instruments,
        "patternInstruments": song.pattern_instruments,
        "channels": channels,
    }


def pattern_to_json(pattern: Pattern, song: Song) -> dict:
    steps = c.RHYTHM_STEPS_PER_BEAT[song.rhythm]
    notes = []
    for note in pattern.notes:
        points = [
            {
                "tick": num((pin.time + note.start) * steps / c.PARTS_PER_BEAT),
                "pitchBend": pin.interval,
                "volume": js_round(pin.size * 100 / 3),
            }
            for pin in note.pins
        ]
        note_obj = {"pitches": list(note.pitches), "points": points}
        if note.start == 0:
            note_obj["continuesLastPattern"] = note.continues_last_pattern
        notes.append(note_obj)
    obj = {"notes": notes}
    if song.pattern_instruments:
        obj["instruments"] = [i + 1 for i in pattern.instruments]
    return obj


def filter_to_json(points: list[FilterControlPoint]) -> list[dict]:
    return [
        {
            "type": c.FILTER_TYPE_NAMES[p.type],
            "cutoffHz": num(js_round(filter_hz(p.freq) * 100) / 100),
            "linearGain": num(js_round(filter_linear_gain(p) * 10000) / 10000),
        }
        for p in points
    ]


def envelope_to_json(env: EnvelopeSettings) -> dict:
    target = c.AUTOMATION_TARGETS[env.target]
    obj = {"target": target[0], "envelope": c.ENVELOPE_NAMES[env.envelope]}
    if target[1] > 1:
        obj["index"] = env.index
    return obj


def _has(inst: Instrument, effect: int) -> bool:
    return bool(inst.effects & (1 << effect))


def instrument_to_json(inst: Instrument) -> dict:
    """``Instrument.toJsonObject()``."""
    t = inst.type
    obj: dict = {
        "type": c.INSTRUMENT_TYPE_NAMES[t],
        "volume": (5 - inst.volume) * 20,
        "eqFilter": filter_to_json(inst.eq_filter),
    }
    if inst.preset != t:
        obj["preset"] = inst.preset
    obj["effects"] = [c.EFFECT_NAMES[e] for e in c.EFFECT_ORDER if _has(inst, e)]
    if _has(inst, c.EFFECT_TRANSITION):
        obj["transition"] = c.TRANSITION_NAMES[inst.transition]
    if _has(inst, c.EFFECT_CHORD):
        obj["chord"] = c.CHORD_NAMES[inst.chord]
    if _has(inst, c.EFFECT_PITCH_SHIFT):
        obj["pitchShiftSemitones"] = inst.pitch_shift
    if _has(inst, c.EFFECT_DETUNE):
        obj["detuneCents"] = num(detune_to_cents(inst.detune - c.DETUNE_CENTER))
    if _has(inst, c.EFFECT_VIBRATO):
        obj["vibrato"] = c.VIBRATO_NAMES[inst.vibrato]
    if _has(inst, c.EFFECT_NOTE_FILTER):
        obj["noteFilter"] = filter_to_json(inst.note_filter)
    if _has(inst, c.EFFECT_DISTORTION):
        obj["distortion"] = _percent(inst.distortion, c.DISTORTION_RANGE - 1)
    if _has(inst, c.EFFECT_BITCRUSHER):
        obj["bitcrusherOctave"] = num(
            (c.BITCRUSHER_FREQ_RANGE - 1 - inst.bitcrusher_freq) * c.BITCRUSHER_OCTAVE_STEP
        )
        obj["bitcrusherQuantization"] = _percent(
            inst.bitcrusher_quantization, c.BITCRUSHER_QUANTIZATION_RANGE - 1
        )
    if _has(inst, c.EFFECT_PANNING):
        obj["pan"] = _percent(inst.pan - c.PAN_CENTER, c.PAN_CENTER)
    if _has(inst, c.EFFECT_CHORUS):
        obj["chorus"] = _percent(inst.chorus, c.CHORUS_RANGE - 1)
    if _has(inst, c.EFFECT_ECHO):
        obj["echoSustain"] = _percent(inst.echo_sustain, c.ECHO_SUSTAIN_RANGE - 1)
        ticks = 1000 * (inst.echo_delay + 1) * c.ECHO_DELAY_STEP_TICKS  # BeepBox's order of operations
        obj["echoDelayBeats"] = num(js_round(ticks / (c.TICKS_PER_PART * c.PARTS_PER_BEAT)) / 1000)
    if _has(inst, c.EFFECT_REVERB):
        obj["reverb"] = _percent(inst.reverb, c.REVERB_RANGE - 1)

    if t != c.DRUMSET:
        obj["fadeInSeconds"] = num(js_round(10000 * fade_in_seconds(inst.fade_in)) / 10000)
        obj["fadeOutTicks"] = c.FADE_OUT_TICKS[inst.fade_out]
    if t in (c.HARMONICS, c.PICKED_STRING):
        obj["harmonics"] = [
            _percent(h, c.HARMONICS_MAX) for h in inst.harmonics[: c.HARMONICS_CONTROL_POINTS]
        ]

    pulse_width = num(js_round(pulse_width_ratio(inst.pulse_width) * 100 * 100000) / 100000)
    if t == c.NOISE:
        obj["wave"] = c.CHIP_NOISE_NAMES[inst.chip_noise]
    elif t == c.SPECTRUM:
        obj["spectrum"] = [_percent(s, c.SPECTRUM_MAX) for s in inst.spectrum[: c.SPECTRUM_CONTROL_POINTS]]
    elif t == c.DRUMSET:
        obj["drums"] = [
            {
                "filterEnvelope": c.ENVELOPE_NAMES[inst.drumset_envelopes[j]],
                "spectrum": [
                    _percent(s, c.SPECTRUM_MAX) for s in inst.drumset_spectra[j][: c.SPECTRUM_CONTROL_POINTS]
                ],
            }
            for j in range(c.DRUM_COUNT)
        ]
    elif t == c.CHIP:
        obj["wave"] = c.CHIP_WAVE_NAMES[inst.chip_wave]
        obj["unison"] = c.UNISON_NAMES[inst.unison]
    elif t == c.PWM:
        obj["pulseWidth"] = pulse_width
    elif t == c.SUPERSAW:
        obj["pulseWidth"] = pulse_width
        obj["dynamism"] = _percent(inst.supersaw_dynamism, c.SUPERSAW_DYNAMISM_MAX)
        obj["spread"] = _percent(inst.supersaw_spread, c.SUPERSAW_SPREAD_MAX)
        obj["shape"] = _percent(inst.supersaw_shape, c.SUPERSAW_SHAPE_MAX)
    elif t == c.PICKED_STRING:
        obj["unison"] = c.UNISON_NAMES[inst.unison]
        obj["stringSustain"] = _percent(inst.string_sustain, c.STRING_SUSTAIN_RANGE - 1)
        if c.ENABLE_ACOUSTIC_SUSTAIN:
            obj["stringSustainType"] = c.SUSTAIN_TYPE_NAMES[inst.string_sustain_type]
    elif t == c.HARMONICS:
        obj["unison"] = c.UNISON_NAMES[inst.unison]
    elif t == c.FM:
        obj["algorithm"] = names.ALGORITHM_NAMES[inst.algorithm]
        obj["feedbackType"] = names.FEEDBACK_NAMES[inst.feedback_type]
        obj["feedbackAmplitude"] = inst.feedback_amplitude
        obj["operators"] = [
            {"frequency": c.OPERATOR_FREQUENCY_NAMES[op.frequency], "amplitude": op.amplitude}
            for op in inst.operators
        ]
    else:
        raise BeepBoxFormatError(f"unknown instrument type {t}")
    obj["envelopes"] = [envelope_to_json(env) for env in inst.envelopes]
    return obj


# ---------------------------------------------------------------------------------------------------------
# JSON -> Song


def song_from_json(obj) -> Song:
    """A Song from BeepBox's JSON form (a dict, as ``json.loads`` gives it), read as BeepBox reads it."""
    if not isinstance(obj, dict):
        raise BeepBoxFormatError(f"a JSON song must be an object, not {type(obj).__name__}")
    try:
        return _read_song(obj)
    except BeepBoxFormatError:
        raise
    except (
        TypeError,
        ValueError,
        KeyError,
        IndexError,
        AttributeError,
        OverflowError,
        RecursionError,
    ) as exc:
        raise BeepBoxFormatError(f"bad JSON song: {type(exc).__name__}: {exc}") from None


def _read_song(obj: dict) -> Song:
    song = Song()  # initToDefault's song-wide values
    song.scale = 11  # expert, unless the song names another
    scale = _get(obj, "scale")
    if _defined(scale):
        name = _lookup(names.OLD_SCALE_NAMES, scale)
        index = _find_name(c.SCALE_NAMES, name if name is not None else scale)
        if index != -1:
            song.scale = index

    key = _get(obj, "key")
    if _defined(key):
        if isinstance(key, (int, float)) and not isinstance(key, bool):
            song.key = js_uint32(key + 1200) % len(c.KEY_NAMES)
        elif isinstance(key, str):
            letter = key[:1].upper()
            symbol = key[1:2].lower()
            index = names.KEY_LETTERS.get(letter)
            offset = names.KEY_ACCIDENTALS.get(symbol)
            if index is not None:
                if offset is not None:
                    index += offset
                song.key = index % 12

    tempo = _get(obj, "beatsPerMinute")
    if _defined(tempo):
        song.tempo = clamp(c.TEMPO_MIN, c.TEMPO_MAX + 1, js_int32(tempo))

    legacy_global_reverb = 0  # reverb was song-wide in old songs
    reverb = _get(obj, "reverb")
    if _defined(reverb):
        legacy_global_reverb = clamp(0, 4, js_int32(reverb))

    beats = _get(obj, "beatsPerBar")
    if _defined(beats):
        song.beats_per_bar = max(c.BEATS_PER_BAR_MIN, min(c.BEATS_PER_BAR_MAX, js_int32(beats)))

    imported_parts_per_beat = 4
    ticks = _get(obj, "ticksPerBeat")
    if _defined(ticks):
        imported_parts_per_beat = js_int32(ticks) or 4
        steps = c.RHYTHM_STEPS_PER_BEAT
        song.rhythm = steps.index(imported_parts_per_beat) if imported_parts_per_beat in steps else 1

    channel_objs = _get(obj, "channels")
    if _defined(channel_objs) and not isinstance(channel_objs, list):
        raise BeepBoxFormatError("'channels' must be a list")
    channel_objs = channel_objs if isinstance(channel_objs, list) else []
    for i, channel_obj in enumerate(channel_objs):
        if not isinstance(channel_obj, dict):
            raise BeepBoxFormatError(f"channel {i} must be an object")

    max_instruments = max_patterns = max_bars = 1
    for channel_obj in channel_objs:
        for field_name in ("instruments", "patterns", "sequence"):
            value = _get(channel_obj, field_name)
            if _truthy(value):
                count = js_int32(_length(value) if _length(value) is not None else _MISSING)
                if field_name == "instruments":
                    max_instruments = max(max_instruments, count)
                elif field_name == "patterns":
                    max_patterns = max(max_patterns, count)
                else:
                    max_bars = max(max_bars, count)

    layered = _get(obj, "layeredInstruments")
    song.layered_instruments = _truthy(layered) if _defined(layered) else False
    per_pattern = _get(obj, "patternInstruments")
    song.pattern_instruments = _truthy(per_pattern) if _defined(per_pattern) else max_instruments > 1
    song.patterns_per_channel = min(max_patterns, c.BAR_COUNT_MAX)
    song.bar_count = min(max_bars, c.BAR_COUNT_MAX)

    intro = _get(obj, "introBars")
    if _defined(intro):
        song.loop_start = clamp(0, song.bar_count, js_int32(intro))
    loop = _get(obj, "loopBars")
    if _defined(loop):
        song.loop_length = clamp(1, song.bar_count - song.loop_start + 1, js_int32(loop))
    else:  # BeepBox keeps its default of 4 even past the last bar; keep the loop inside the song
        song.loop_length = min(song.loop_length, song.bar_count - song.loop_start)

    max_instruments_per_channel = max(
        c.LAYERED_INSTRUMENT_COUNT_MAX if song.layered_instruments else c.INSTRUMENT_COUNT_MIN,
        c.PATTERN_INSTRUMENT_COUNT_MAX if song.pattern_instruments else c.INSTRUMENT_COUNT_MIN,
    )
    pitch_channels: list[Channel] = []
    noise_channels: list[Channel] = []
    for index, channel_obj in enumerate(channel_objs):
        channel = Channel()
        kind = _get(channel_obj, "type")
        is_noise = kind == "drum" if _defined(kind) else index >= 3  # old files: drums were channel 3
        (noise_channels if is_noise else pitch_channels).append(channel)

        octave = _get(channel_obj, "octaveScrollBar")
        if _defined(octave):
            channel.octave = 0 if is_noise else clamp(0, c.PITCH_OCTAVES, js_int32(octave) + 1)

        instrument_objs = _get(channel_obj, "instruments")
        if isinstance(instrument_objs, list):
            for instrument_obj in instrument_objs[:max_instruments_per_channel]:
                channel.instruments.append(
                    instrument_from_json(instrument_obj, is_noise, legacy_global_reverb)
                )
        if not channel.instruments:  # BeepBox would leave the channel without one and fail to play it
            channel.instruments.append(Instrument.default(c.NOISE if is_noise else c.CHIP, is_noise))

        pattern_objs = _get(channel_obj, "patterns")
        for i in range(song.patterns_per_channel):
            pattern = Pattern()
            channel.patterns.append(pattern)
            pattern_obj = _get(pattern_objs, i) if _truthy(pattern_objs) else _MISSING
            if not _defined(pattern_obj):
                continue
            _read_pattern(pattern, pattern_obj, song, channel, imported_parts_per_beat, is_noise)

        sequence = _get(channel_obj, "sequence")
        for i in range(song.bar_count):
            value = js_uint32(_get(sequence, i)) if _defined(sequence) else 0
            channel.bars.append(min(song.patterns_per_channel, value))

    del pitch_channels[c.PITCH_CHANNEL_COUNT_MAX :]
    del noise_channels[c.NOISE_CHANNEL_COUNT_MAX :]
    if (
        not pitch_channels
    ):  # BeepBox's reader takes it, but no song string can hold it: BeepBox can't reopen it
        raise BeepBoxFormatError("a song needs at least one pitch channel")
    song.pitch_channel_count = len(pitch_channels)
    song.noise_channel_count = len(noise_channels)
    song.channels = pitch_channels + noise_channels
    canonicalize(song)  # drop settings no export carries, as the URL decoder does
    return song


def _read_pattern(
    pattern: Pattern, obj, song: Song, channel: Channel, parts_per_beat: int, is_noise: bool
) -> None:
    """``Pattern.fromJsonObject``."""
    if song.pattern_instruments:
        instruments = _get(obj, "instruments")
        count_max = (
            min(c.LAYERED_INSTRUMENT_COUNT_MAX, len(channel.instruments)) if song.layered_instruments else 1
        )
        if isinstance(instruments, list):
            count = clamp(c.INSTRUMENT_COUNT_MIN, count_max + 1, len(instruments))
            pattern.instruments = [
                clamp(0, len(channel.instruments), js_int32(instruments[j]) - 1)
                if j < len(instruments)
                else 0
                for j in range(count)
            ]
        else:
            pattern.instruments = [clamp(0, len(channel.instruments), js_int32(_get(obj, "instrument")) - 1)]

    note_objs = _get(obj, "notes")
    if not (_truthy(note_objs) and (_length(note_objs) or 0) > 0):
        return
    parts_per_bar = song.beats_per_bar * c.PARTS_PER_BEAT
    max_notes = min(parts_per_bar, len(note_objs))
    max_pitch = c.DRUM_COUNT - 1 if is_noise else c.MAX_PITCH
    tick_clock = 0
    for j in range(max_notes):
        note_obj = note_objs[j]
        pitch_objs = _get(note_obj, "pitches")
        point_objs = _get(note_obj, "points")
        if not _truthy(note_obj) or not _truthy(pitch_objs) or not (_length(pitch_objs) or 0) >= 1:
            continue
        if not _truthy(point_objs) or not (_length(point_objs) or 0) >= 2:
            continue

        pitches: list[int] = []
        for k in range(len(pitch_objs)):
            pitch = js_int32(pitch_objs[k])
            if pitch in pitches:
                continue
            pitches.append(pitch)
            if len(pitches) >= c.MAX_CHORD_SIZE:
                break

        pins: list[NotePin] = []
        start = 0
        note_clock = tick_clock
        start_interval = 0
        for k in range(len(point_objs)):
            point = point_objs[k]
            tick = _get(point, "tick")
            if not _defined(tick):
                continue
            bend = _get(point, "pitchBend")
            interval = js_int32(bend) if _defined(bend) else 0
            time = js_round(js_number(tick) * c.PARTS_PER_BEAT / parts_per_beat)
            if not math.isfinite(time):
                continue  # BeepBox would keep a NaN time and break the note; skip the point instead
            volume = _get(point, "volume")
            size = 3 if not _defined(volume) else max(0, min(3, js_round(js_int32(volume) * 3 / 100)))
            if time > parts_per_bar:
                continue
            if not pins:
                if time < note_clock:
                    continue
                start = time
                start_interval = interval
            elif time <= note_clock:
                continue
            note_clock = time
            pins.append(NotePin(interval - start_interval, time - start, size))
        if len(pins) < 2:
            continue
        end = pins[-1].time + start

        pitches = [p + start_interval for p in pitches]
        pitches = [p for p in pitches if 0 <= p <= max_pitch]
        if not pitches:
            continue
        lowest, highest = min(pitches), max(pitches)
        k = 0
        while k < len(pins):
            pin = pins[k]
            if pin.interval + lowest < 0:
                pin.interval = -lowest
            if pin.interval + highest > max_pitch:
                pin.interval = max_pitch - highest
            if k >= 2:
                a, b = pins[k - 1], pins[k - 2]
                if pin.interval == a.interval == b.interval and pin.size == a.size == b.size:
                    del pins[k - 1]
                    k -= 1
            k += 1

        continues = start == 0 and _get(note_obj, "continuesLastPattern") is True
        pattern.notes.append(Note(pitches, start, end, pins, continues))
        tick_clock = end


def _read_filter(points_obj) -> list[FilterControlPoint]:
    """``FilterSettings.fromJsonObject``."""
    points: list[FilterControlPoint] = []
    if not _truthy(points_obj):
        return points
    if not isinstance(points_obj, (list, str)):
        raise BeepBoxFormatError("a filter must be a list of points")
    for point_obj in points_obj:
        kind = _index_of(c.FILTER_TYPE_NAMES, _get(point_obj, "type"))
        if kind == -1:
            kind = c.FILTER_PEAK
        hz = _get(point_obj, "cutoffHz")
        freq = _int_or_zero(filter_freq_setting_from_hz(js_number(hz))) if _defined(hz) else 0
        gain_obj = _get(point_obj, "linearGain")
        gain = c.FILTER_GAIN_CENTER
        if _defined(gain_obj):
            setting = filter_gain_setting_from_linear(js_number(gain_obj))
            gain = int(setting) if math.isfinite(setting) else c.FILTER_GAIN_CENTER
        points.append(FilterControlPoint(freq, gain, kind))
    return points


def _percent_setting(obj, key, top: int, limit: int):
    """``clamp(0, limit, Math.round(top * (obj[key] | 0) / 100))`` or None where the key is absent."""
    value = _get(obj, key)
    if not _defined(value):
        return None
    return clamp(0, limit, js_round(top * js_int32(value) / 100))


def _read_wave(values, top: int, count: int) -> list[int]:
    """A harmonics or spectrum list: percentages back to 0..top. Missing entries read as 0 (BeepBox: NaN)."""
    out = []
    for i in range(count):
        x = js_round(top * js_number(_get(values, i)) / 100)
        out.append(_int_or_zero(max(0, min(top, x)) if math.isfinite(x) else x))
    return out


def instrument_from_json(obj, is_noise: bool, legacy_global_reverb: int = 0) -> Instrument:
    """``Instrument.fromJsonObject``."""
    if not _defined(obj):
        obj = {}
    kind = _index_of(c.INSTRUMENT_TYPE_NAMES, _get(obj, "type"))
    if kind == -1:
        kind = c.NOISE if is_noise else c.CHIP
    inst = Instrument.default(kind, is_noise)

    preset = _get(obj, "preset")
    if _defined(preset):
        inst.preset = js_uint32(preset)

    volume = _get(obj, "volume")
    inst.volume = clamp(0, c.VOLUME_RANGE, js_round(5 - js_int32(volume) / 20)) if _defined(volume) else 0

    effects_obj = _get(obj, "effects")
    effects_listed = isinstance(effects_obj, list)
    if effects_listed:
        effects = 0
        for name in effects_obj:
            index = _index_of(c.EFFECT_NAMES, name)
            effects |= (1 << index) if index >= 0 else 0
        inst.effects = effects & EFFECT_MASK
    else:
        inst.effects = _index_of(names.LEGACY_EFFECTS_NAMES, effects_obj)
        if inst.effects == -1:
            inst.effects = 0 if kind == c.NOISE else 1

    fade_in_obj = _get(obj, "fadeInSeconds")
    fade_out_obj = _get(obj, "fadeOutTicks")
    inst.transition = _TRANSITIONS["normal"]
    transition_obj = _get(obj, "transition")
    if not _truthy(transition_obj):
        transition_obj = _get(obj, "envelope")  # the transition used to be called envelope
    if _defined(transition_obj):
        transition = _lookup(_TRANSITIONS, transition_obj)
        if not _defined(fade_in_obj) or not _defined(fade_out_obj):
            legacy = _lookup(names.LEGACY_TRANSITIONS, transition_obj)
            if legacy is not None:
                transition = _TRANSITIONS[legacy[0]]
                inst.fade_in = fade_in_setting(legacy[1])
                inst.fade_out = ticks_to_fade_out(legacy[2])
        if transition is not None:
            inst.transition = transition
        if inst.transition != _TRANSITIONS["normal"]:
            inst.effects |= 1 << c.EFFECT_TRANSITION
    if _defined(fade_in_obj):
        inst.fade_in = fade_in_setting(js_number(fade_in_obj))
    if _defined(fade_out_obj):
        inst.fade_out = ticks_to_fade_out(js_number(fade_out_obj))

    chord_obj = _get(obj, "chord")
    legacy_chord = _lookup(names.LEGACY_CHORD_NAMES, chord_obj)
    chord = _CHORDS.get(legacy_chord) if legacy_chord is not None else None
    if chord is None:
        chord = _lookup(_CHORDS, chord_obj)
    if chord is not None:
        inst.chord = chord
    elif kind in (c.NOISE, c.CHIP):
        inst.chord = _CHORDS["arpeggio"]
    elif kind == c.PICKED_STRING:
        inst.chord = _CHORDS["strum"]
    elif kind == c.FM:
        inst.chord = _CHORDS["custom interval"]
    else:
        inst.chord = _CHORDS["simultaneous"]

    inst.unison = _UNISONS["none"]
    unison_obj = _MISSING
    for name in ("unison", "interval", "chorus"):  # the unison has gone by these names
        unison_obj = _get(obj, name)
        if _truthy(unison_obj):
            break
    if _defined(unison_obj):
        legacy_unison = _lookup(names.LEGACY_UNISON_NAMES, unison_obj)
        unison = _UNISONS.get(legacy_unison) if legacy_unison is not None else None
        if unison is None:
            unison = _lookup(_UNISONS, unison_obj)
        if unison is not None:
            inst.unison = unison
    chorus_obj = _get(obj, "chorus")
    if chorus_obj == "custom harmony":  # an old chorus option now split into two settings
        inst.unison = _UNISONS["hum"]
        inst.chord = _CHORDS["custom interval"]
    if inst.chord != _CHORDS["simultaneous"] and not effects_listed:
        inst.effects |= 1 << c.EFFECT_CHORD

    pitch_shift = _get(obj, "pitchShiftSemitones")
    if _defined(pitch_shift):
        inst.pitch_shift = clamp(0, c.PITCH_SHIFT_RANGE, js_round(js_number(pitch_shift)))
    detune = _get(obj, "detuneCents")
    if _defined(detune):
        inst.detune = clamp(
            0, c.DETUNE_MAX + 1, js_round(c.DETUNE_CENTER + cents_to_detune(js_number(detune)))
        )

    inst.vibrato = _VIBRATOS["none"]
    vibrato_obj = _get(obj, "vibrato")
    if not _truthy(vibrato_obj):
        vibrato_obj = _get(obj, "effect")  # vibrato used to be called effect
    if _defined(vibrato_obj):
        # BeepBox looks the legacy vibrato name up with the unison property (sic); kept for fidelity.
        legacy_vibrato = _lookup(names.LEGACY_VIBRATO_NAMES, unison_obj)
        vibrato = _VIBRATOS.get(legacy_vibrato) if legacy_vibrato is not None else None
        if vibrato is None:
            vibrato = _lookup(_VIBRATOS, vibrato_obj)
        if vibrato is not None:
            inst.vibrato = vibrato
        if vibrato != _VIBRATOS["none"]:  # old songs had vibrato without enabling the effect
            inst.effects |= 1 << c.EFFECT_VIBRATO

    pan = _get(obj, "pan")
    if _defined(pan):
        inst.pan = clamp(0, c.PAN_MAX + 1, js_round(c.PAN_CENTER + js_int32(pan) * c.PAN_CENTER / 100))
        if inst.pan != c.PAN_CENTER:  # old songs panned without enabling the effect
            inst.effects |= 1 << c.EFFECT_PANNING
    else:
        inst.pan = c.PAN_CENTER

    value = _percent_setting(obj, "distortion", c.DISTORTION_RANGE - 1, c.DISTORTION_RANGE)
    if value is not None:
        inst.distortion = value
    octave = _get(obj, "bitcrusherOctave")
    if _defined(octave):
        freq = c.BITCRUSHER_FREQ_RANGE - 1 - js_number(octave) / c.BITCRUSHER_OCTAVE_STEP
        # BeepBox stores this unrounded and unclamped; a whole setting in range is what it can play
        inst.bitcrusher_freq = _int_or_zero(clamp(0, c.BITCRUSHER_FREQ_RANGE, js_round(freq)))
    value = _percent_setting(
        obj, "bitcrusherQuantization", c.BITCRUSHER_QUANTIZATION_RANGE - 1, c.BITCRUSHER_QUANTIZATION_RANGE
    )
    if value is not None:
        inst.bitcrusher_quantization = value
    value = _percent_setting(obj, "echoSustain", c.ECHO_SUSTAIN_RANGE - 1, c.ECHO_SUSTAIN_RANGE)
    if value is not None:
        inst.echo_sustain = value
    delay = _get(obj, "echoDelayBeats")
    if _defined(delay):
        steps = js_number(delay) * (c.TICKS_PER_PART * c.PARTS_PER_BEAT) / c.ECHO_DELAY_STEP_TICKS - 1.0
        inst.echo_delay = clamp(0, c.ECHO_DELAY_RANGE, js_round(steps))
    if chorus_obj is not _MISSING and not math.isnan(js_number(chorus_obj)):
        inst.chorus = clamp(0, c.CHORUS_RANGE, js_round((c.CHORUS_RANGE - 1) * js_int32(chorus_obj) / 100))
    value = _percent_setting(obj, "reverb", c.REVERB_RANGE - 1, c.REVERB_RANGE)
    if value is not None:
        inst.reverb = value
    elif legacy_global_reverb == 0:
        inst.effects &= ~(1 << c.EFFECT_REVERB)  # the song had no reverb: drop the effect
    else:
        inst.reverb = legacy_global_reverb

    pulse_width = _get(obj, "pulseWidth")
    if _defined(pulse_width):
        setting = js_round(js_log2(js_number(pulse_width) / 50) / 0.5 - 1 + 8)
        inst.pulse_width = clamp(0, c.PULSE_WIDTH_RANGE, setting)
    else:
        inst.pulse_width = c.PULSE_WIDTH_RANGE - 1
    value = _percent_setting(obj, "dynamism", c.SUPERSAW_DYNAMISM_MAX, c.SUPERSAW_DYNAMISM_MAX + 1)
    inst.supersaw_dynamism = c.SUPERSAW_DYNAMISM_MAX if value is None else value
    value = _percent_setting(obj, "spread", c.SUPERSAW_SPREAD_MAX, c.SUPERSAW_SPREAD_MAX + 1)
    inst.supersaw_spread = -(-c.SUPERSAW_SPREAD_MAX // 2) if value is None else value
    value = _percent_setting(obj, "shape", c.SUPERSAW_SHAPE_MAX, c.SUPERSAW_SHAPE_MAX + 1)
    inst.supersaw_shape = 0 if value is None else value

    harmonics = _get(obj, "harmonics")
    if _defined(harmonics):
        inst.harmonics = _read_wave(harmonics, c.HARMONICS_MAX, c.HARMONICS_CONTROL_POINTS)
    else:
        inst.harmonics = list(c.HARMONICS_DEFAULT)
    spectrum = _get(obj, "spectrum")
    if _defined(spectrum):
        inst.spectrum = _read_wave(spectrum, c.SPECTRUM_MAX, c.SPECTRUM_CONTROL_POINTS)
    else:
        inst.spectrum = list(c.SPECTRUM_DEFAULT_NOISE if is_noise else c.SPECTRUM_DEFAULT_PITCH)

    value = _percent_setting(obj, "stringSustain", c.STRING_SUSTAIN_RANGE - 1, c.STRING_SUSTAIN_RANGE)
    inst.string_sustain = 10 if value is None else value
    if c.ENABLE_ACOUSTIC_SUSTAIN:
        inst.string_sustain_type = max(0, _index_of(c.SUSTAIN_TYPE_NAMES, _get(obj, "stringSustainType")))
    else:
        inst.string_sustain_type = 0

    if kind == c.NOISE:
        noise = _find_name(c.CHIP_NOISE_NAMES, _get(obj, "wave"))
        inst.chip_noise = 1 if noise == -1 else noise

    if kind == c.DRUMSET:
        drums = _get(obj, "drums")
        if _defined(drums):
            for j in range(c.DRUM_COUNT):
                drum = _get(drums, j)
                if not _defined(drum):
                    continue
                inst.drumset_envelopes[j] = _ENVELOPES["twang 2"]
                envelope_name = _get(drum, "filterEnvelope")
                if _defined(envelope_name):
                    envelope = _envelope_by_name(envelope_name)
                    if envelope is not None:
                        inst.drumset_envelopes[j] = envelope
                drum_spectrum = _get(drum, "spectrum")
                if _defined(drum_spectrum):
                    inst.drumset_spectra[j] = _read_wave(
                        drum_spectrum, c.SPECTRUM_MAX, c.SPECTRUM_CONTROL_POINTS
                    )

    if kind == c.CHIP:
        wave_obj = _get(obj, "wave")
        legacy_wave = _lookup(names.LEGACY_WAVE_INDEX, wave_obj)
        wave = legacy_wave if legacy_wave is not None else _find_name(c.CHIP_WAVE_NAMES, wave_obj)
        inst.chip_wave = 1 if wave == -1 else wave

    if kind == c.FM:
        algorithm = _find_name(names.ALGORITHM_NAMES, _get(obj, "algorithm"))
        inst.algorithm = 0 if algorithm == -1 else algorithm
        feedback = _find_name(names.FEEDBACK_NAMES, _get(obj, "feedbackType"))
        inst.feedback_type = 0 if feedback == -1 else feedback
        amplitude = _get(obj, "feedbackAmplitude")
        inst.feedback_amplitude = (
            clamp(0, c.OPERATOR_AMPLITUDE_MAX + 1, js_int32(amplitude)) if _defined(amplitude) else 0
        )
        operators = _get(obj, "operators")
        for j, op in enumerate(inst.operators):
            op_obj = _get(operators, j) if _defined(operators) else _MISSING
            if not _defined(op_obj):
                op_obj = {}
            frequency = _find_name(c.OPERATOR_FREQUENCY_NAMES, _get(op_obj, "frequency"))
            op.frequency = 0 if frequency == -1 else frequency
            amplitude = _get(op_obj, "amplitude")
            op.amplitude = (
                clamp(0, c.OPERATOR_AMPLITUDE_MAX + 1, js_int32(amplitude)) if _defined(amplitude) else 0
            )

    note_filter = _get(obj, "noteFilter")
    inst.note_filter = _read_filter(note_filter) if _defined(note_filter) else []
    eq_filter = _get(obj, "eqFilter")
    inst.envelopes = []
    if isinstance(eq_filter, list):
        inst.eq_filter = _read_filter(eq_filter)
    else:
        inst.eq_filter = []
        _convert_legacy_filter(inst, obj)

    envelope_objs = _get(obj, "envelopes")
    if isinstance(envelope_objs, list):
        for envelope_obj in envelope_objs:
            if len(inst.envelopes) >= c.MAX_ENVELOPE_COUNT:
                break
            target = _lookup(_TARGETS, _get(envelope_obj, "target"))
            if target is None:
                target = _TARGETS["noteVolume"]
            envelope = _lookup(_ENVELOPES, _get(envelope_obj, "envelope"))
            if envelope is None:
                envelope = _ENVELOPES["none"]
            index_obj = _get(envelope_obj, "index")
            index = (
                clamp(0, c.AUTOMATION_TARGETS[target][1], js_int32(index_obj)) if _defined(index_obj) else 0
            )
            add_envelope(inst, target, index, envelope)
    return inst


def _convert_legacy_filter(inst: Instrument, obj) -> None:
    """An instrument from before the EQ filter: BeepBox converts its old cutoff/resonance/envelope settings."""
    kind = inst.type
    cutoff_hz = _get(obj, "filterCutoffHz")
    if _defined(cutoff_hz):
        ratio = js_int32(cutoff_hz) / names.LEGACY_FILTER_CUTOFF_MAX_HZ
        log = math.log(ratio) if ratio > 0 else (-math.inf if ratio == 0 else _NAN)
        cutoff = clamp(
            0,
            names.LEGACY_FILTER_CUTOFF_RANGE,
            js_round(names.LEGACY_FILTER_CUTOFF_RANGE - 1 + 2.0 * log / math.log(2)),
        )
    else:
        cutoff = 6 if kind == c.CHIP else 10
    resonance_obj = _get(obj, "filterResonance")
    if _defined(resonance_obj):
        top = names.LEGACY_FILTER_RESONANCE_RANGE
        resonance = clamp(0, top, js_round((top - 1) * js_int32(resonance_obj) / 100))
    else:
        resonance = 0
    filter_env = _envelope_by_name(_get(obj, "filterEnvelope"))
    pulse_env = _envelope_by_name(_get(obj, "pulseEnvelope"))
    feedback_env = _envelope_by_name(_get(obj, "feedbackEnvelope"))
    operator_envs = None
    operators = _get(obj, "operators")
    if isinstance(operators, list):
        operator_envs = []
        for j in range(c.OPERATOR_COUNT):
            op = _get(operators, j)
            env = _envelope_by_name(_get(op, "envelope")) if _defined(op) else None
            operator_envs.append(env if env is not None else _ENVELOPES["none"])
    old_filter = _get(obj, "filter")
    if _defined(old_filter):
        legacy = _lookup(names.OLD_LEGACY_FILTER_NAMES, old_filter)
        if legacy is None:
            legacy = _index_of(names.LEGACY_FILTER_NAMES, old_filter)
        if legacy == -1:
            legacy = 0
        cutoff = names.LEGACY_FILTER_TO_CUTOFF[legacy]
        filter_env = _ENVELOPES[names.LEGACY_FILTER_TO_ENVELOPE[legacy]]
        resonance = 0
    legacy = {
        "filterCutoff": cutoff,
        "filterResonance": resonance,
        "filterEnvelope": filter_env,
        "pulseEnvelope": pulse_env,
        "operatorEnvelopes": operator_envs,
        "feedbackEnvelope": feedback_env,
    }
    convert_legacy_settings(inst, legacy)
