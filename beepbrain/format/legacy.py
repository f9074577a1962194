"""Upgrades of pre-version-9 instrument settings: BeepBox's ``Instrument.convertLegacySettings`` and
``FilterSettings.convertLegacySettings`` (old cutoff/resonance/envelope settings to today's filters and
envelopes), plus the fade and envelope helpers the old tags need."""

from __future__ import annotations

import math

from beepbrain.format import config as c
from beepbrain.format.errors import BeepBoxFormatError
from beepbrain.format.song import EnvelopeSettings, FilterControlPoint, Instrument

_ENV_NONE = c.ENVELOPE_INDEX["none"]
_ENV_NOTE_SIZE = c.ENVELOPE_INDEX["note size"]
_ENV_TWANG2 = c.ENVELOPE_INDEX["twang 2"]
_TARGET = c.AUTOMATION_TARGET_INDEX
_ENV_TYPES = tuple(kind for _, kind in c.ENVELOPES)


def js_clamp(lo: int, hi: int, val):
    """BeepBox's clamp(min, max, val): val in [min, max-1]; NaN becomes max-1 as in JavaScript."""
    hi -= 1
    if val <= hi:
        return val if val >= lo else lo
    return hi


def env_type(env: int) -> int:
    return c.ENVELOPES[env][1]


def envelope_from_legacy_index(legacy) -> int:
    """Song._envelopeFromLegacyIndex: swap of the old custom/steady order, clamped."""
    if legacy == 0:
        legacy = 1
    elif legacy == 1:
        legacy = 0
    return js_clamp(0, len(c.ENVELOPES), legacy)


def seconds_to_fade_in(seconds: float) -> int:
    return js_clamp(
        0, c.FADE_IN_RANGE, c.js_round((-0.95 + math.sqrt(0.9025 + 0.2 * seconds / 0.0125)) / 0.1)
    )


def ticks_to_fade_out(ticks: float) -> int:
    lower = c.FADE_OUT_TICKS[0]
    if ticks <= lower:
        return 0
    for i in range(1, len(c.FADE_OUT_TICKS)):
        upper = c.FADE_OUT_TICKS[i]
        if ticks <= upper:
            return i - 1 if ticks < (lower + upper) / 2 else i
        lower = upper
    return len(c.FADE_OUT_TICKS) - 1


def supports_envelope_target(inst: Instrument, target: int, index: int) -> bool:
    name, max_count, has_compute, effect, compatible, is_filter = c.AUTOMATION_TARGETS[target]
    if not has_compute and name != "none":
        return False
    if index >= max_count:
        return False
    if compatible is not None and inst.type not in compatible:
        return False
    if effect is not None and not inst.effects & (1 << effect):
        return False
    return not (is_filter and index >= len(inst.note_filter))


def add_envelope(inst: Instrument, target: int, index: int, envelope: int) -> None:
    """Instrument.addEnvelope, which throws (BeepBox rejects the song) on an unsupported target."""
    if not supports_envelope_target(inst, target, index):
        raise BeepBoxFormatError(f"envelope target {c.AUTOMATION_TARGET_NAMES[target]}[{index}] unsupported")
    if len(inst.envelopes) >= c.MAX_ENVELOPE_COUNT:
        raise BeepBoxFormatError("too many envelopes")
    inst.envelopes.append(EnvelopeSettings(target, index, envelope))


def _hz_to_setting(hz: float) -> int:
    value = math.log2(hz / c.FILTER_FREQ_REFERENCE_HZ) / c.FILTER_FREQ_STEP + c.FILTER_FREQ_REFERENCE_SETTING
    return max(0, min(c.FILTER_FREQ_RANGE - 1, c.js_round(value)))


def _setting_to_hz(setting: int) -> float:
    return c.FILTER_FREQ_REFERENCE_HZ * math.pow(
        2.0, (setting - c.FILTER_FREQ_REFERENCE_SETTING) * c.FILTER_FREQ_STEP
    )


def _gain_to_setting(linear_gain: float) -> int:
    value = math.log2(linear_gain) / c.FILTER_GAIN_STEP + c.FILTER_GAIN_CENTER
    return max(0, min(c.FILTER_GAIN_RANGE - 1, c.js_round(value)))


def _magnitude(a: list[float], b: list[float], order: int, radians: float) -> float:
    """FrequencyResponse.analyze(...).magnitude() for a filter with coefficients a, b."""
    real_z1 = math.cos(radians)
    imag_z1 = -math.sin(radians)
    real_num = b[0] + b[1] * real_z1
    imag_num = b[1] * imag_z1
    real_denom = 1.0 + a[1] * real_z1
    imag_denom = a[1] * imag_z1
    real_z, imag_z = real_z1, imag_z1
    for i in range(2, order + 1):
        real_z, imag_z = real_z * real_z1 - imag_z * imag_z1, real_z * imag_z1 + imag_z * real_z1
        real_num += b[i] * real_z
        imag_num += b[i] * imag_z
        real_denom += a[i] * real_z
        imag_denom += a[i] * imag_z
    denom = real_denom * real_denom + imag_denom * imag_denom
    real = real_num * real_denom + imag_num * imag_denom
    imag = imag_num * real_denom - real_num * imag_denom
    return math.sqrt(real * real + imag * imag) / denom


def legacy_filter_points(cutoff: int, resonance: int, env: int) -> list[FilterControlPoint]:
    """FilterSettings.convertLegacySettings: the control points approximating an old low-pass filter."""
    key = (cutoff, resonance, env)
    points = _FILTER_CACHE.get(key)
    if points is None:
        points = _FILTER_CACHE[key] = tuple((p.freq, p.gain, p.type) for p in _legacy_filter_points(*key))
    return [FilterControlPoint(freq, gain, kind) for freq, gain, kind in points]


_FILTER_CACHE: dict[tuple, tuple] = {}


def _legacy_filter_points(cutoff: int, resonance: int, env: int) -> list[FilterControlPoint]:
    cutoff_max_hz = 8000.0
    max_radians = math.asin(0.95 / 2.0) * 2.0
    max_resonance = 0.95
    cutoff_range = 11
    resonance_range = 8
    resonant = resonance > 1
    first_order = resonance == 0
    cutoff_at_max = cutoff == cutoff_range - 1
    etype = env_type(env)
    env_decays = etype in (c.ENV_FLARE, c.ENV_TWANG, c.ENV_DECAY, c.ENV_NOTE_SIZE)
    rate = 48000.0
    legacy_hz = cutoff_max_hz * math.pow(2.0, (cutoff - (cutoff_range - 1)) * 0.5)
    legacy_radians = min(max_radians, 2 * math.pi * legacy_hz / rate)

    if etype == c.ENV_NONE and not resonant and cutoff_at_max:
        return []
    if first_order:
        extra_octaves = 3.5
        target_radians = legacy_radians * math.pow(2.0, extra_octaves)
        curved_radians = target_radians / (1.0 + target_radians / math.pi)
        curved_hz = rate * curved_radians / (2.0 * math.pi)
        freq_setting = _hz_to_setting(curved_hz)
        final_hz = _setting_to_hz(freq_setting)
        final_radians = 2.0 * math.pi * final_hz / rate
        g = 2.0 * math.sin(legacy_radians * 0.5)
        gain_at_new = _magnitude([1.0, g - 1.0], [g, 0.0], 1, final_radians)
        log_gain = math.log2(gain_at_new)
        log_gain = -extra_octaves + (log_gain + extra_octaves) * 0.82
        if env_decays:
            log_gain = min(log_gain, -1.0)
        gain_setting = _gain_to_setting(math.pow(2.0, log_gain))
        return [FilterControlPoint(freq_setting, gain_setting, c.FILTER_LOW_PASS)]
    intended_gain = 0.5 / (
        1.0 - max_resonance * math.sqrt(max(0.0, resonance - 1.0) / (resonance_range - 2.0))
    )
    inverted_gain = 0.5 / intended_gain
    max_radians_2 = 2.0 * math.pi * cutoff_max_hz / rate
    freq_ratio = legacy_radians / max_radians_2
    target_radians = legacy_radians * (freq_ratio * math.pow(inverted_gain, 0.9) + 1.0)
    curved_radians = legacy_radians + (target_radians - legacy_radians) * inverted_gain
    if env_decays:
        curved_hz = rate * min(curved_radians, legacy_radians * math.pow(2, 0.25)) / (2.0 * math.pi)
    else:
        curved_hz = rate * curved_radians / (2.0 * math.pi)
    freq_setting = _hz_to_setting(curved_hz)
    if env_decays:
        filter_gain = intended_gain
    else:
        g = 2.0 * math.sin(legacy_radians / 2.0)
        filter_resonance = 1.0 - 1.0 / (2.0 * intended_gain)
        feedback = filter_resonance + filter_resonance / (1.0 - g)
        a = [1.0, 2.0 * g + (g - 1.0) * g * feedback - 2.0, (g - 1.0) * (g - g * feedback - 1.0)]
        b = [g * g, 0.0, 0.0]
        filter_gain = _magnitude(a, b, 2, curved_radians)
    if not resonant:
        filter_gain = min(filter_gain, math.sqrt(0.5))
    return [FilterControlPoint(freq_setting, _gain_to_setting(filter_gain), c.FILTER_LOW_PASS)]


def convert_legacy_settings(inst: Instrument, legacy: dict) -> None:
    """Instrument.convertLegacySettings: rebuild filters and envelopes from the old settings gathered so far.
    ``legacy`` keys (absent = not yet set): filterCutoff, filterResonance, filterEnvelope, pulseEnvelope,
    operatorEnvelopes, feedbackEnvelope; envelopes are indices into config.ENVELOPES."""
    cutoff = legacy.get("filterCutoff")
    resonance = legacy.get("filterResonance")
    filter_env = legacy.get("filterEnvelope")
    pulse_env = legacy.get("pulseEnvelope")
    operator_envs = legacy.get("operatorEnvelopes")
    feedback_env = legacy.get("feedbackEnvelope")
    if cutoff is None:
        cutoff = 6 if inst.type == c.CHIP else 10
    if resonance is None:
        resonance = 0
    if filter_env is None:
        filter_env = _ENV_NONE
    if pulse_env is None:
        pulse_env = _ENV_TWANG2 if inst.type == c.PWM else _ENV_NONE
    if operator_envs is None:
        operator_envs = [_ENV_NOTE_SIZE if inst.type == c.FM else _ENV_NONE, _ENV_NONE, _ENV_NONE, _ENV_NONE]
    if feedback_env is None:
        feedback_env = _ENV_NONE

    if cutoff == 10 and _ENV_TYPES[filter_env] == c.ENV_PUNCH:
        filter_env = _ENV_NONE

    types = _ENV_TYPES
    filter_type = types[filter_env]
    carrier_count = c.ALGORITHMS[inst.algorithm][1]
    no_carriers_note_size = True
    all_carriers_note_size = True
    note_size_elsewhere = filter_type == c.ENV_NOTE_SIZE or types[pulse_env] == c.ENV_NOTE_SIZE
    if inst.type == c.FM:
        note_size_elsewhere = note_size_elsewhere or types[feedback_env] == c.ENV_NOTE_SIZE
        for i, env in enumerate(operator_envs):
            if i < carrier_count:
                if types[env] != c.ENV_NOTE_SIZE:
                    all_carriers_note_size = False
                else:
                    no_carriers_note_size = False
            else:
                note_size_elsewhere = note_size_elsewhere or types[env] == c.ENV_NOTE_SIZE

    inst.envelopes = []
    if inst.type == c.FM:
        if all_carriers_note_size and note_size_elsewhere:
            add_envelope(inst, _TARGET["noteVolume"], 0, _ENV_NOTE_SIZE)
        elif no_carriers_note_size and not note_size_elsewhere:
            add_envelope(inst, _TARGET["none"], 0, _ENV_NOTE_SIZE)

    if filter_type == c.ENV_NONE:
        inst.note_filter = []
        inst.eq_filter = legacy_filter_points(cutoff, resonance, filter_env)
        inst.effects &= ~(1 << c.EFFECT_NOTE_FILTER)
    else:
        inst.eq_filter = []
        inst.note_filter = legacy_filter_points(cutoff, resonance, filter_env)
        inst.effects |= 1 << c.EFFECT_NOTE_FILTER
        add_envelope(inst, _TARGET["noteFilterAllFreqs"], 0, filter_env)

    if types[pulse_env] != c.ENV_NONE:
        add_envelope(inst, _TARGET["pulseWidth"], 0, pulse_env)

    for i, env in enumerate(operator_envs):
        if i < carrier_count and all_carriers_note_size:
            continue
        if types[env] != c.ENV_NONE:
            add_envelope(inst, _TARGET["operatorAmplitude"], i, env)

    if types[feedback_env] != c.ENV_NONE:
        add_envelope(inst, _TARGET["feedbackAmplitude"], 0, feedback_env)
