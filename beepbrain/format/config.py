"""BeepBox's SynthConfig tables (synth/SynthConfig.ts) that the codecs need: names, ranges, defaults.

Values are BeepBox's own; indices into these tables are what the song model stores.
"""

from __future__ import annotations

import math

# Instrument types (InstrumentType)
CHIP, FM, NOISE, SPECTRUM, DRUMSET, HARMONICS, PWM, PICKED_STRING, SUPERSAW = range(9)
INSTRUMENT_TYPE_COUNT = 9
INSTRUMENT_TYPE_NAMES = (
    "chip",
    "FM",
    "noise",
    "spectrum",
    "drumset",
    "harmonics",
    "PWM",
    "Picked String",
    "supersaw",
)

# Effects (EffectType): bit positions in Instrument.effects
(
    EFFECT_REVERB,
    EFFECT_CHORUS,
    EFFECT_PANNING,
    EFFECT_DISTORTION,
    EFFECT_BITCRUSHER,
    EFFECT_NOTE_FILTER,
    EFFECT_ECHO,
    EFFECT_PITCH_SHIFT,
    EFFECT_DETUNE,
    EFFECT_VIBRATO,
    EFFECT_TRANSITION,
    EFFECT_CHORD,
) = range(12)
EFFECT_COUNT = 12
EFFECT_NAMES = (
    "reverb",
    "chorus",
    "panning",
    "distortion",
    "bitcrusher",
    "note filter",
    "echo",
    "pitch shift",
    "detune",
    "vibrato",
    "transition type",
    "chord type",
)
EFFECT_ORDER = (
    EFFECT_TRANSITION,
    EFFECT_CHORD,
    EFFECT_PITCH_SHIFT,
    EFFECT_DETUNE,
    EFFECT_VIBRATO,
    EFFECT_NOTE_FILTER,
    EFFECT_DISTORTION,
    EFFECT_BITCRUSHER,
    EFFECT_PANNING,
    EFFECT_CHORUS,
    EFFECT_ECHO,
    EFFECT_REVERB,
)

SCALE_NAMES = (
    "easy :)",
    "easy :(",
    "island :)",
    "island :(",
    "blues :)",
    "blues :(",
    "normal :)",
    "normal :(",
    "double harmonic :)",
    "double harmonic :(",
    "strange",
    "expert",
)
# Each scale's pitch classes above the key (Config.scales' flags): BeepBox's editor only places notes on these
SCALE_PITCH_CLASSES = (
    (0, 2, 4, 7, 9),
    (0, 3, 5, 7, 10),
    (0, 4, 5, 7, 11),
    (0, 1, 3, 7, 8),
    (0, 2, 3, 4, 7, 9),
    (0, 3, 5, 6, 7, 10),
    (0, 2, 4, 5, 7, 9, 11),
    (0, 2, 3, 5, 7, 8, 10),
    (0, 1, 4, 5, 7, 8, 11),
    (0, 2, 3, 6, 7, 8, 11),
    (0, 2, 4, 6, 8, 10),
    tuple(range(12)),
)
KEY_NAMES = ("C", "C♯", "D", "D♯", "E", "F", "F♯", "G", "G♯", "A", "A♯", "B")
RHYTHM_NAMES = ("÷3 (triplets)", "÷4 (standard)", "÷6", "÷8", "freehand")
RHYTHM_STEPS_PER_BEAT = (3, 4, 6, 8, 24)

TEMPO_MIN, TEMPO_MAX = 30, 300
BEATS_PER_BAR_MIN, BEATS_PER_BAR_MAX = 3, 16
BAR_COUNT_MIN, BAR_COUNT_MAX = 1, 128
INSTRUMENT_COUNT_MIN = 1
LAYERED_INSTRUMENT_COUNT_MAX = 4
PATTERN_INSTRUMENT_COUNT_MAX = 10
PARTS_PER_BEAT = 24
TICKS_PER_PART = 2
PITCH_CHANNEL_COUNT_MIN, PITCH_CHANNEL_COUNT_MAX = 1, 10
NOISE_CHANNEL_COUNT_MIN, NOISE_CHANNEL_COUNT_MAX = 0, 5
PITCHES_PER_OCTAVE = 12
PITCH_OCTAVES = 7
MAX_PITCH = PITCH_OCTAVES * PITCHES_PER_OCTAVE
DRUM_COUNT = 12
MAX_CHORD_SIZE = 4
NOTE_SIZE_MAX = 3

CHIP_WAVE_NAMES = (
    "rounded",
    "triangle",
    "square",
    "1/4 pulse",
    "1/8 pulse",
    "sawtooth",
    "double saw",
    "double pulse",
    "spiky",
)
CHIP_NOISE_NAMES = ("retro", "white", "clang", "buzz", "hollow")

FILTER_FREQ_STEP = 0.25
FILTER_FREQ_RANGE = 34
FILTER_FREQ_REFERENCE_SETTING = 28
FILTER_FREQ_REFERENCE_HZ = 8000.0
FILTER_GAIN_RANGE = 15
FILTER_GAIN_CENTER = 7
FILTER_GAIN_STEP = 0.5
FILTER_MAX_POINTS = 8
FILTER_LOW_PASS, FILTER_HIGH_PASS, FILTER_PEAK = 0, 1, 2
FILTER_TYPE_NAMES = ("low-pass", "high-pass", "peak")

FADE_IN_RANGE = 10
FADE_OUT_TICKS = (-24, -12, -6, -3, -1, 6, 12, 24, 48, 72, 96)
FADE_OUT_NEUTRAL = 4
DRUMSET_FADE_OUT_TICKS = 48
TRANSITION_NAMES = ("normal", "interrupt", "continue", "slide", "slide in pattern")
VIBRATO_NAMES = ("none", "light", "delayed", "heavy", "shaky")
UNISON_NAMES = ("none", "shimmer", "hum", "honky tonk", "dissonant", "fifth", "octave", "bowed", "piano")
CHORD_NAMES = ("simultaneous", "strum", "arpeggio", "custom interval")
CHORD_SIMULTANEOUS, CHORD_STRUM, CHORD_ARPEGGIO, CHORD_CUSTOM_INTERVAL = range(4)

VOLUME_RANGE = 8
PAN_CENTER = 4
PAN_MAX = PAN_CENTER * 2
CHORUS_RANGE = 4
REVERB_RANGE = 4
ECHO_SUSTAIN_RANGE = 8
ECHO_DELAY_RANGE = 24
ECHO_DELAY_STEP_TICKS = 4
DISTORTION_RANGE = 8
BITCRUSHER_FREQ_RANGE = 14
BITCRUSHER_OCTAVE_STEP = 0.5
BITCRUSHER_QUANTIZATION_RANGE = 8
PITCH_SHIFT_RANGE = 25
PITCH_SHIFT_CENTER = PITCH_SHIFT_RANGE >> 1
DETUNE_CENTER = 9
DETUNE_MAX = DETUNE_CENTER * 2
PULSE_WIDTH_RANGE = 8
SUPERSAW_DYNAMISM_MAX = 6
SUPERSAW_SPREAD_MAX = 12
SUPERSAW_SHAPE_MAX = 6
STRING_SUSTAIN_RANGE = 15
SUSTAIN_TYPE_NAMES = ("bright", "acoustic")
ENABLE_ACOUSTIC_SUSTAIN = False

# (name, carrierCount)
ALGORITHMS = (
    ("1←(2 3 4)", 1),
    ("1←(2 3←4)", 1),
    ("1←2←(3 4)", 1),
    ("1←(2 3)←4", 1),
    ("1←2←3←4", 1),
    ("1←3 2←4", 2),
    ("1 2←(3 4)", 2),
    ("1 2←3←4", 2),
    ("(1 2)←3←4", 2),
    ("(1 2)←(3 4)", 2),
    ("1 2 3←4", 3),
    ("(1 2 3)←4", 3),
    ("1 2 3 4", 4),
)
OPERATOR_COUNT = 4
OPERATOR_AMPLITUDE_MAX = 15
OPERATOR_FREQUENCY_NAMES = (
    "1×",
    "~1×",
    "2×",
    "~2×",
    "3×",
    "4×",
    "5×",
    "6×",
    "7×",
    "8×",
    "9×",
    "11×",
    "13×",
    "16×",
    "20×",
)
FEEDBACK_NAMES = (
    "1⟲",
    "2⟲",
    "3⟲",
    "4⟲",
    "1⟲ 2⟲",
    "3⟲ 4⟲",
    "1⟲ 2⟲ 3⟲",
    "2⟲ 3⟲ 4⟲",
    "1⟲ 2⟲ 3⟲ 4⟲",
    "1→2",
    "1→3",
    "1→4",
    "2→3",
    "2→4",
    "3→4",
    "1→3 2→4",
    "1→4 2→3",
    "1→2→3→4",
)

# EnvelopeType
ENV_NOTE_SIZE, ENV_NONE, ENV_PUNCH, ENV_FLARE, ENV_TWANG, ENV_SWELL, ENV_TREMOLO, ENV_TREMOLO2, ENV_DECAY = (
    range(9)
)
# (name, EnvelopeType)
ENVELOPES = (
    ("none", ENV_NONE),
    ("note size", ENV_NOTE_SIZE),
    ("punch", ENV_PUNCH),
    ("flare 1", ENV_FLARE),
    ("flare 2", ENV_FLARE),
    ("flare 3", ENV_FLARE),
    ("twang 1", ENV_TWANG),
    ("twang 2", ENV_TWANG),
    ("twang 3", ENV_TWANG),
    ("swell 1", ENV_SWELL),
    ("swell 2", ENV_SWELL),
    ("swell 3", ENV_SWELL),
    ("tremolo1", ENV_TREMOLO),
    ("tremolo2", ENV_TREMOLO),
    ("tremolo3", ENV_TREMOLO),
    ("tremolo4", ENV_TREMOLO2),
    ("tremolo5", ENV_TREMOLO2),
    ("tremolo6", ENV_TREMOLO2),
    ("decay 1", ENV_DECAY),
    ("decay 2", ENV_DECAY),
    ("decay 3", ENV_DECAY),
)
ENVELOPE_NAMES = tuple(name for name, _ in ENVELOPES)
ENVELOPE_INDEX = {name: i for i, name in enumerate(ENVELOPE_NAMES)}
MAX_ENVELOPE_COUNT = 12

# Automation targets: (name, maxCount, has computeIndex, effect or None, compatible instrument types or None,
# isFilter)
AUTOMATION_TARGETS = (
    ("none", 1, False, None, None, False),
    ("noteVolume", 1, True, None, None, False),
    ("pulseWidth", 1, True, None, (PWM, SUPERSAW), False),
    ("stringSustain", 1, True, None, (PICKED_STRING,), False),
    ("unison", 1, True, None, (CHIP, HARMONICS, PICKED_STRING), False),
    ("operatorFrequency", OPERATOR_COUNT, True, None, (FM,), False),
    ("operatorAmplitude", OPERATOR_COUNT, True, None, (FM,), False),
    ("feedbackAmplitude", 1, True, None, (FM,), False),
    ("pitchShift", 1, True, EFFECT_PITCH_SHIFT, None, False),
    ("detune", 1, True, EFFECT_DETUNE, None, False),
    ("vibratoDepth", 1, True, EFFECT_VIBRATO, None, False),
    ("noteFilterAllFreqs", 1, True, EFFECT_NOTE_FILTER, None, True),
    ("noteFilterFreq", FILTER_MAX_POINTS, True, EFFECT_NOTE_FILTER, None, True),
    ("noteFilterGain", FILTER_MAX_POINTS, False, EFFECT_NOTE_FILTER, None, True),
    ("supersawDynamism", 1, True, None, (SUPERSAW,), False),
    ("supersawSpread", 1, True, None, (SUPERSAW,), False),
    ("supersawShape", 1, True, None, (SUPERSAW,), False),
)
AUTOMATION_TARGET_NAMES = tuple(t[0] for t in AUTOMATION_TARGETS)
AUTOMATION_TARGET_INDEX = {name: i for i, name in enumerate(AUTOMATION_TARGET_NAMES)}

SPECTRUM_CONTROL_POINTS = 30
SPECTRUM_CONTROL_POINT_BITS = 3
SPECTRUM_MAX = (1 << SPECTRUM_CONTROL_POINT_BITS) - 1
HARMONICS_CONTROL_POINTS = 28
HARMONICS_CONTROL_POINT_BITS = 3
HARMONICS_MAX = (1 << HARMONICS_CONTROL_POINT_BITS) - 1


def js_round(x: float) -> int:
    """JavaScript's Math.round: halves round up."""
    return math.floor(x + 0.5)


def default_spectrum(is_noise: bool) -> list[int]:
    """SpectrumWave.reset(isNoiseChannel)."""
    out = []
    for i in range(SPECTRUM_CONTROL_POINTS):
        if is_noise:
            out.append(js_round(SPECTRUM_MAX * (1 / math.sqrt(1 + i / 3))))
        else:
            harmonic = i in (0, 7, 11, 14, 16, 18, 21, 23) or i >= 25
            out.append(max(0, js_round(SPECTRUM_MAX * (1 - i / 30))) if harmonic else 0)
    return out


def default_harmonics() -> list[int]:
    """HarmonicsWave.reset()."""
    out = [0] * HARMONICS_CONTROL_POINTS
    out[0] = out[3] = out[6] = HARMONICS_MAX
    return out


SPECTRUM_DEFAULT_PITCH = tuple(default_spectrum(False))
SPECTRUM_DEFAULT_NOISE = tuple(default_spectrum(True))
HARMONICS_DEFAULT = tuple(default_harmonics())
