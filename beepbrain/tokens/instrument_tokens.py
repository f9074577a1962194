"""A channel's instrument as a few tokens: its type, then only the settings that differ from that type's
BeepBox defaults.

``ITYPE_t`` names the instrument type (BeepBox's InstrumentType); each differing setting follows as its
field token ``IF_<name>`` and its values as ``V_n`` tokens (0-63), and ``IEND`` closes the instrument. A
plain instrument costs two tokens; a heavily edited one a few dozen. Every setting of the song model is
covered, so an instrument comes back exactly when its values fit their slots (the codec's own ranges):

- scalar settings: one value (``preset`` and the ``effects`` bit field: two, 6 bits each);
- filters and envelopes (variable length): their length, then each point's fields;
- operators, spectrum, harmonics, drum envelopes and drum spectra (fixed length): their values in order,
  the 3-bit spectrum and harmonics values two to a token.

``DETAILED_FIELDS`` are the settings only the ``full`` detail level writes: a drum set's 12 spectra are 180
tokens, more than most songs' notes, so the default ``compact`` level leaves them at the type's defaults
(counted as ``instrument_settings_dropped``).

``FIELDS`` lists each setting with the slot maxima the grammar enforces, so a generated instrument is one
BeepBox can hold.
"""

from __future__ import annotations

from dataclasses import dataclass

from beepbrain.format import config as c
from beepbrain.format.song import EnvelopeSettings, FilterControlPoint, Instrument, Operator

VALUE_COUNT = 64  # V_0 .. V_63
WIDE_BITS = 6  # a wide value is two V tokens: low 6 bits, then high 6 bits (12 bits)

PITCH_TYPES = (c.CHIP, c.FM, c.SPECTRUM, c.HARMONICS, c.PWM, c.PICKED_STRING, c.SUPERSAW)
NOISE_TYPES = (c.NOISE, c.SPECTRUM, c.DRUMSET)


@dataclass(frozen=True)
class Field:
    """One instrument setting: ``kind`` is scalar, wide, points (variable-length list of dataclasses),
    fixed (fixed-length list of ints), grid (fixed list of fixed lists) or ops (fixed list of operators);
    ``maxima`` the largest value of each slot of one element; ``length`` the fixed or largest length."""

    name: str
    kind: str
    maxima: tuple[int, ...] = (VALUE_COUNT - 1,)
    length: int = 1
    inner: int = 0  # grid: values per row
    packed: bool = False  # fixed/grid of 3-bit values: two values to a V token


FIELDS: tuple[Field, ...] = (
    Field("preset", "wide"),
    Field("chip_wave", "scalar", (len(c.CHIP_WAVE_NAMES) - 1,)),
    Field("chip_noise", "scalar", (len(c.CHIP_NOISE_NAMES) - 1,)),
    Field("eq_filter", "points", (c.FILTER_FREQ_RANGE - 1, c.FILTER_GAIN_RANGE - 1, 2), c.FILTER_MAX_POINTS),
    Field(
        "note_filter", "points", (c.FILTER_FREQ_RANGE - 1, c.FILTER_GAIN_RANGE - 1, 2), c.FILTER_MAX_POINTS
    ),
    Field(
        "envelopes",
        "points",
        (len(c.AUTOMATION_TARGETS) - 1, 7, len(c.ENVELOPE_NAMES) - 1),
        c.MAX_ENVELOPE_COUNT,
    ),
    Field("fade_in", "scalar", (c.FADE_IN_RANGE - 1,)),
    Field("fade_out", "scalar", (len(c.FADE_OUT_TICKS) - 1,)),
    Field("transition", "scalar", (len(c.TRANSITION_NAMES) - 1,)),
    Field("pitch_shift", "scalar", (c.PITCH_SHIFT_RANGE - 1,)),
    Field("detune", "scalar", (c.DETUNE_MAX,)),
    Field("vibrato", "scalar", (len(c.VIBRATO_NAMES) - 1,)),
    Field("unison", "scalar", (len(c.UNISON_NAMES) - 1,)),
    Field("effects", "wide", (VALUE_COUNT - 1, (1 << (c.EFFECT_COUNT - WIDE_BITS)) - 1)),
    Field("chord", "scalar", (len(c.CHORD_NAMES) - 1,)),
    Field("volume", "scalar", (c.VOLUME_RANGE - 1,)),
    Field("pan", "scalar", (c.PAN_MAX,)),
    Field("pulse_width", "scalar", (c.PULSE_WIDTH_RANGE - 1,)),
    Field("supersaw_dynamism", "scalar", (c.SUPERSAW_DYNAMISM_MAX,)),
    Field("supersaw_spread", "scalar", (c.SUPERSAW_SPREAD_MAX,)),
    Field("supersaw_shape", "scalar", (c.SUPERSAW_SHAPE_MAX,)),
    Field("string_sustain", "scalar", (c.STRING_SUSTAIN_RANGE - 1,)),
    Field("string_sustain_type", "scalar", (len(c.SUSTAIN_TYPE_NAMES) - 1,)),
    Field("distortion", "scalar", (c.DISTORTION_RANGE - 1,)),
    Field("bitcrusher_freq", "scalar", (c.BITCRUSHER_FREQ_RANGE - 1,)),
    Field("bitcrusher_quantization", "scalar", (c.BITCRUSHER_QUANTIZATION_RANGE - 1,)),
    Field("chorus", "scalar", (c.CHORUS_RANGE - 1,)),
    Field("reverb", "scalar", (c.REVERB_RANGE - 1,)),
    Field("echo_sustain", "scalar", (c.ECHO_SUSTAIN_RANGE - 1,)),
    Field("echo_delay", "scalar", (c.ECHO_DELAY_RANGE - 1,)),
    Field("algorithm", "scalar", (len(c.ALGORITHMS) - 1,)),
    Field("feedback_type", "scalar", (len(c.FEEDBACK_NAMES) - 1,)),
    Field("feedback_amplitude", "scalar", (c.OPERATOR_AMPLITUDE_MAX,)),
    Field(
        "operators", "ops", (len(c.OPERATOR_FREQUENCY_NAMES) - 1, c.OPERATOR_AMPLITUDE_MAX), c.OPERATOR_COUNT
    ),
    Field("spectrum", "fixed", (c.SPECTRUM_MAX,), c.SPECTRUM_CONTROL_POINTS, packed=True),
    Field("harmonics", "fixed", (c.HARMONICS_MAX,), c.HARMONICS_CONTROL_POINTS, packed=True),
    Field("drumset_envelopes", "fixed", (len(c.ENVELOPE_NAMES) - 1,), c.DRUM_COUNT),
    Field("drumset_spectra", "grid", (c.SPECTRUM_MAX,), c.DRUM_COUNT, c.SPECTRUM_CONTROL_POINTS, packed=True),
)
DETAILED_FIELDS = frozenset({"drumset_spectra"})
DETAIL_LEVELS = ("compact", "full")
PACK_BITS = 3
FIELD_INDEX = {f.name: i for i, f in enumerate(FIELDS)}
_POINT_TYPES = {
    "eq_filter": FilterControlPoint,
    "note_filter": FilterControlPoint,
    "envelopes": EnvelopeSettings,
}
_POINT_ATTRS = {
    FilterControlPoint: ("freq", "gain", "type"),
    EnvelopeSettings: ("target", "index", "envelope"),
}


def allowed_types(is_noise: bool) -> tuple[int, ...]:
    return NOISE_TYPES if is_noise else PITCH_TYPES


def field_slots(field: Field, value) -> list[int]:
    """The values of one setting, flattened into V slots (list length first for variable lists)."""
    if field.kind == "scalar":
        return [int(value)]
    if field.kind == "wide":
        v = int(value)
        return [v & (VALUE_COUNT - 1), v >> WIDE_BITS]
    if field.kind == "points":
        attrs = _POINT_ATTRS[_POINT_TYPES[field.name]]
        return [len(value)] + [int(getattr(p, a)) for p in value for a in attrs]
    if field.kind == "ops":
        return [int(v) for op in value for v in (op.frequency, op.amplitude)]
    flat = [int(v) for v in value] if field.kind == "fixed" else [int(v) for row in value for v in row]
    return _pack(flat) if field.packed else flat


def _pack(values: list[int]) -> list[int]:
    return [
        values[i] | ((values[i + 1] if i + 1 < len(values) else 0) << PACK_BITS)
        for i in range(0, len(values), 2)
    ]


def _unpack(slots: list[int], count: int) -> list[int]:
    mask = (1 << PACK_BITS) - 1
    return [v for s in slots for v in (s & mask, s >> PACK_BITS)][:count]


def slot_maxima(field: Field, length: int | None = None) -> list[int]:
    """The largest value of each slot of ``field`` (``length``: a variable list's length, once known)."""
    if field.kind == "scalar":
        return [field.maxima[0]]
    if field.kind == "wide":
        return [field.maxima[0], field.maxima[-1]] if len(field.maxima) > 1 else [VALUE_COUNT - 1] * 2
    if field.kind == "points":
        if length is None:
            return [field.length]
        return list(field.maxima) * length
    if field.kind == "ops":
        return list(field.maxima) * field.length
    count = field.length if field.kind == "fixed" else field.length * field.inner
    if field.packed:
        return [(field.maxima[0] << PACK_BITS) | field.maxima[0]] * (count // 2) + [field.maxima[0]] * (
            count % 2
        )
    return [field.maxima[0]] * count


def field_value(field: Field, slots: list[int]):
    """The setting's value from its slots (the inverse of ``field_slots``)."""
    if field.kind == "scalar":
        return slots[0]
    if field.kind == "wide":
        return slots[0] | (slots[1] << WIDE_BITS)
    if field.kind == "points":
        kind = _POINT_TYPES[field.name]
        attrs = _POINT_ATTRS[kind]
        body = slots[1:]
        return [kind(**dict(zip(attrs, body[i : i + 3], strict=True))) for i in range(0, len(body), 3)]
    if field.kind == "ops":
        return [Operator(slots[i], slots[i + 1]) for i in range(0, len(slots), 2)]
    count = field.length if field.kind == "fixed" else field.length * field.inner
    flat = _unpack(slots, count) if field.packed else list(slots)
    if field.kind == "fixed":
        return flat
    return [flat[i : i + field.inner] for i in range(0, len(flat), field.inner)]


def instrument_fields(
    inst: Instrument, is_noise: bool, detail: str = "compact"
) -> tuple[int, list[tuple[int, list[int]]], int, int]:
    """(type, [(field index, slot values)] for the settings that differ from the type's defaults, how many
    slot values were out of range and clamped, how many settings the detail level leaves out)."""
    default = Instrument.template(inst.type, is_noise)
    out: list[tuple[int, list[int]]] = []
    clamped = dropped = 0
    for i, field in enumerate(FIELDS):
        value = getattr(inst, field.name)
        if value == getattr(default, field.name):
            continue
        if detail != "full" and field.name in DETAILED_FIELDS:
            dropped += 1
            continue
        slots = field_slots(field, value)
        if field.kind == "points" and slots[0] > field.length:
            slots = slots[: 1 + 3 * field.length]
            slots[0] = field.length
            clamped += 1
        maxima = slot_maxima(field, slots[0] if field.kind == "points" else None)
        if field.kind == "points":
            maxima = [field.length] + maxima
        if len(slots) != len(maxima):  # a fixed list of the wrong length: pad or cut
            clamped += 1
            slots = (slots + [0] * len(maxima))[: len(maxima)]
        fixed = [min(max(v, 0), m) for v, m in zip(slots, maxima, strict=True)]
        clamped += sum(a != b for a, b in zip(fixed, slots, strict=True))
        out.append((i, fixed))
    return inst.type, out, clamped, dropped


def build_instrument(type_: int, is_noise: bool, fields: list[tuple[int, list[int]]]) -> Instrument:
    """An instrument of ``type_`` with its defaults, then the given settings."""
    from beepbrain.format.legacy import supports_envelope_target

    inst = Instrument.default(type_, is_noise)
    for index, slots in fields:
        field = FIELDS[index]
        setattr(inst, field.name, field_value(field, slots))
    # BeepBox rejects a song whose envelope targets a setting the instrument lacks: such envelopes go
    inst.envelopes = [e for e in inst.envelopes if supports_envelope_target(inst, e.target, e.index)]
    return inst
