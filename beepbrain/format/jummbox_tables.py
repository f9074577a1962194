"""JummBox's SynthConfig values that its song strings depend on (format versions 1-6), and how each JummBox
setting maps onto the nearest BeepBox one. Every mapping here is documented in docs/format-jummbox.md."""

from __future__ import annotations

import math

from beepbrain.format import config as bb

# --- JummBox limits (synth/SynthConfig.ts) ---------------------------------------------------------------
OLDEST_VERSION, LATEST_VERSION = 1, 6
PITCH_CHANNEL_COUNT_MIN, PITCH_CHANNEL_COUNT_MAX = 1, 40
NOISE_CHANNEL_COUNT_MIN, NOISE_CHANNEL_COUNT_MAX = 0, 16
MOD_CHANNEL_COUNT_MIN, MOD_CHANNEL_COUNT_MAX = 0, 12
TEMPO_MIN, TEMPO_MAX = 30, 320
BEATS_PER_BAR_MIN, BEATS_PER_BAR_MAX = 3, 16
BAR_COUNT_MIN, BAR_COUNT_MAX = 1, 256
LAYERED_INSTRUMENT_COUNT_MAX = 4
PATTERN_INSTRUMENT_COUNT_MAX = 10
PITCH_OCTAVES = 8
RHYTHM_COUNT = 5  # ÷3, ÷4, ÷6, ÷8, freehand: BeepBox's five
NOTE_SIZE_MAX = 6
VOLUME_RANGE = 50  # instrument volume -25..25; -25 is mute
PAN_CENTER, PAN_MAX = 50, 100
CHORUS_RANGE = 8
REVERB_RANGE = 32
DETUNE_CENTER, DETUNE_MAX = 200, 400  # cents + 200
PULSE_WIDTH_RANGE = 50  # pulse width / 100 is the duty ratio
MOD_COUNT = 6
FILTER_MORPH_COUNT = 10
MAX_ENVELOPE_COUNT = 12
OPERATOR_COUNT = 4
DRUM_COUNT = 12
SPECTRUM_CONTROL_POINTS, SPECTRUM_BITS = 30, 3
HARMONICS_CONTROL_POINTS, HARMONICS_BITS = 28, 3

# InstrumentType
CHIP, FM, NOISE, SPECTRUM, DRUMSET, HARMONICS, PWM, PICKED_STRING, SUPERSAW, CUSTOM_CHIP, MOD = range(11)
INSTRUMENT_TYPE_COUNT = 11
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
    "custom chip",
    "mod",
)

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
    "sine",
    "flute",
    "harp",
    "sharp clarinet",
    "soft clarinet",
    "alto sax",
    "bassoon",
    "trumpet",
    "electric guitar",
    "organ",
    "pan flute",
    "glitch",
)
CHIP_NOISE_NAMES = ("retro", "white", "clang", "buzz", "hollow", "shine", "deep", "cutter", "metallic")
UNISON_NAMES = (
    "none",
    "shimmer",
    "hum",
    "honky tonk",
    "dissonant",
    "fifth",
    "octave",
    "bowed",
    "piano",
    "warbled",
)
VIBRATO_AMPLITUDES = (0.0, 0.15, 0.3, 0.45, 0.1)  # none, light, delayed, heavy, shaky; index 5 = custom
VIBRATO_COUNT = len(VIBRATO_AMPLITUDES)
TRANSITION_COUNT = 5
CHORD_COUNT = 4
CHORD_ARPEGGIO = 2
FADE_IN_RANGE = 10
FADE_OUT_TICKS = (-24, -12, -6, -3, -1, 6, 12, 24, 48, 72, 96)
PITCH_SHIFT_RANGE = 25
DISTORTION_RANGE = 8
BITCRUSHER_FREQ_RANGE, BITCRUSHER_QUANTIZATION_RANGE = 14, 8
ECHO_SUSTAIN_RANGE, ECHO_DELAY_RANGE = 8, 24
FILTER_MAX_POINTS, FILTER_TYPES, FILTER_FREQ_RANGE, FILTER_GAIN_RANGE = 8, 3, 34, 15
FILTER_SIMPLE_CUT_RANGE, FILTER_SIMPLE_PEAK_RANGE = 11, 8  # the old low-pass cutoff and resonance settings
ALGORITHM_COUNT, FEEDBACK_COUNT = 13, 18
OPERATOR_FREQUENCY_COUNT, OPERATOR_AMPLITUDE_MAX, OPERATOR_WAVE_COUNT = 15, 15, 6
OPERATOR_WAVE_PULSE_WIDTH = 3
ENVELOPE_NAMES = (
    "none",
    "note size",
    "punch",
    "flare 1",
    "flare 2",
    "flare 3",
    "twang 1",
    "twang 2",
    "twang 3",
    "swell 1",
    "swell 2",
    "swell 3",
    "tremolo1",
    "tremolo2",
    "tremolo3",
    "tremolo4",
    "tremolo5",
    "tremolo6",
    "decay 1",
    "decay 2",
    "decay 3",
    "blip 1",
    "blip 2",
    "blip 3",
)
# instrumentAutomationTargets: (name, maxCount); the same 17 targets BeepBox has, in the same order
AUTOMATION_TARGET_MAX_COUNTS = tuple(t[1] for t in bb.AUTOMATION_TARGETS)
# Config.modulators, by index: names (filter modulators read an extra 6-bit filter type in versions 5+) ...
MOD_NAMES = (
    "none",
    "song volume",
    "tempo",
    "song reverb",
    "next bar",
    "note volume",
    "pan",
    "reverb",
    "distortion",
    "fm slider 1",
    "fm slider 2",
    "fm slider 3",
    "fm slider 4",
    "fm feedback",
    "pulse width",
    "detune",
    "vibrato depth",
    "song detune",
    "vibrato speed",
    "vibrato delay",
    "arp speed",
    "pan delay",
    "reset arp",
    "eq filter",
    "note filter",
    "bit crush",
    "freq crush",
    "echo",
    "echo delay",
    "chorus",
    "eq filt cut",
    "eq filt peak",
    "note filt cut",
    "note filt peak",
    "pitch shift",
    "sustain",
    "mix volume",
    "envelope speed",
    "dynamism",
    "spread",
    "saw shape",
)
MOD_SONG_REVERB = 3
MOD_FILTER_SETTINGS = (23, 24)
# ... and those with an associated effect (old songs touch the target instrument for these)
MOD_WITH_EFFECT = frozenset((6, 7, 8, 15, 16, 18, 19, 20, 21, 22, 24, 25, 26, 27, 29, 32, 33, 34))

# Scales: JummBox's 20, by name and by note flags (C .. B)
SCALE_NAMES = (
    "Free",
    "Major",
    "Minor",
    "Mixolydian",
    "Lydian",
    "Dorian",
    "Phrygian",
    "Locrian",
    "Lydian Dominant",
    "Phrygian Dominant",
    "Harmonic Major",
    "Harmonic Minor",
    "Melodic Minor",
    "Blues",
    "Altered",
    "Major Pentatonic",
    "Minor Pentatonic",
    "Whole Tone",
    "Octatonic",
    "Hexatonic",
)
_JB_SCALES = (
    "111111111111",
    "101011010101",
    "101101011010",
    "101011010110",
    "101010110101",
    "101101010110",
    "110101011010",
    "110101101010",
    "101010110110",
    "110011011010",
    "101011011001",
    "101101011001",
    "101101010101",
    "100101110010",
    "110110101010",
    "101010010100",
    "100101010010",
    "101010101010",
    "101101101101",
    "100110011001",
)
_BB_SCALES = (
    "101010010100",
    "100101010010",
    "100011010001",
    "110100011000",
    "101110010100",
    "100101110010",
    "101011010101",
    "101101011010",
    "110011011001",
    "101100111001",
    "101010101010",
    "111111111111",
)
BB_EXPERT = 11


def _scale_map() -> tuple[int, ...]:
    """Each JummBox scale to the BeepBox scale with the same notes, else the smallest BeepBox scale holding
    all its notes (so no note falls off the scale), else 'expert' (chromatic)."""
    out = []
    for jb_flags in _JB_SCALES:
        jb_notes = {i for i, f in enumerate(jb_flags) if f == "1"}
        best, best_size = BB_EXPERT, 13
        for index, bb_flags in enumerate(_BB_SCALES):
            bb_notes = {i for i, f in enumerate(bb_flags) if f == "1"}
            if jb_notes <= bb_notes and len(bb_notes) < best_size:
                best, best_size = index, len(bb_notes)
        out.append(best)
    return tuple(out)


SCALE_TO_BB = _scale_map()

# Instrument types: custom chip -> chip; all others are BeepBox's own, same index
TYPE_TO_BB = {
    CHIP: bb.CHIP,
    FM: bb.FM,
    NOISE: bb.NOISE,
    SPECTRUM: bb.SPECTRUM,
    DRUMSET: bb.DRUMSET,
    HARMONICS: bb.HARMONICS,
    PWM: bb.PWM,
    PICKED_STRING: bb.PICKED_STRING,
    SUPERSAW: bb.SUPERSAW,
    CUSTOM_CHIP: bb.CHIP,
}
NOISE_CHANNEL_TYPES = frozenset((bb.NOISE, bb.SPECTRUM, bb.DRUMSET))
PITCH_CHANNEL_TYPES = frozenset(
    (bb.CHIP, bb.FM, bb.SPECTRUM, bb.HARMONICS, bb.PWM, bb.PICKED_STRING, bb.SUPERSAW)
)


def _by_name(names: tuple[str, ...], bb_names: tuple[str, ...], extra: dict[str, str]) -> tuple[int, ...]:
    return tuple(bb_names.index(extra.get(name, name)) for name in names)


# Chip waves BeepBox lacks go to the BeepBox wave of the most similar timbre
CHIP_WAVE_TO_BB = _by_name(
    CHIP_WAVE_NAMES,
    bb.CHIP_WAVE_NAMES,
    {
        "sine": "rounded",
        "flute": "triangle",
        "harp": "sawtooth",
        "sharp clarinet": "square",
        "soft clarinet": "rounded",
        "alto sax": "double saw",
        "bassoon": "sawtooth",
        "trumpet": "sawtooth",
        "electric guitar": "double saw",
        "organ": "double pulse",
        "pan flute": "triangle",
        "glitch": "spiky",
    },
)
CHIP_NOISE_TO_BB = _by_name(
    CHIP_NOISE_NAMES,
    bb.CHIP_NOISE_NAMES,
    {"shine": "clang", "deep": "hollow", "cutter": "white", "metallic": "clang"},
)
UNISON_TO_BB = _by_name(UNISON_NAMES, bb.UNISON_NAMES, {"warbled": "dissonant"})
ENVELOPE_TO_BB = _by_name(
    ENVELOPE_NAMES, bb.ENVELOPE_NAMES, {"blip 1": "twang 1", "blip 2": "twang 1", "blip 3": "twang 1"}
)


def vibrato_to_bb(vibrato: int, depth: float | None) -> int:
    """A preset keeps its index; JummBox's custom vibrato (index 5) becomes the preset of nearest depth."""
    if vibrato < VIBRATO_COUNT:
        return vibrato
    depth = depth or 0.0
    return min(range(VIBRATO_COUNT), key=lambda i: (abs(VIBRATO_AMPLITUDES[i] - depth), i))


def volume_to_bb(volume: int) -> int:
    """JummBox volume -25..25 (-25 mutes; gain 2^(0.1428 v)) to BeepBox's 0..7 (7 mutes; gain 2^(-0.5 v))."""
    if volume <= -VOLUME_RANGE // 2:
        return bb.VOLUME_RANGE - 1
    return max(0, min(bb.VOLUME_RANGE - 2, round(-volume * 0.1428 / 0.5)))


def pan_to_bb(pan: int) -> int:
    return max(0, min(bb.PAN_MAX, round(pan * bb.PAN_MAX / PAN_MAX)))


def scaled(value: int, jb_range: int, bb_range: int) -> int:
    """A setting 0..jb_range-1 rescaled to 0..bb_range-1."""
    return max(0, min(bb_range - 1, round(value * (bb_range - 1) / (jb_range - 1))))


def detune_to_bb(detune: int) -> int:
    """JummBox detune (cents + 200) to BeepBox's setting whose cents, (d-9)(|d-9|+1)/2, are nearest."""
    cents = detune - DETUNE_CENTER
    return min(
        range(bb.DETUNE_MAX + 1),
        key=lambda d: abs((d - bb.DETUNE_CENTER) * (abs(d - bb.DETUNE_CENTER) + 1) / 2 - cents),
    )


def pulse_width_to_bb(width: int) -> int:
    """JummBox duty ratio width/100 to BeepBox's 0.5^((7-w)/2)/2 of nearest ratio (on a log scale)."""
    ratio = max(width, 1) / (2 * PULSE_WIDTH_RANGE)
    return min(
        range(bb.PULSE_WIDTH_RANGE),
        key=lambda w: abs(math.log2(0.5 ** ((bb.PULSE_WIDTH_RANGE - 1 - w) * 0.5) * 0.5) - math.log2(ratio)),
    )


def fade_in_setting(seconds: float) -> int:
    """Synth.secondsToFadeInSetting."""
    return max(
        0,
        min(FADE_IN_RANGE - 1, math.floor((-0.95 + math.sqrt(0.9025 + 0.2 * seconds / 0.0125)) / 0.1 + 0.5)),
    )


def fade_out_setting(ticks: int) -> int:
    """Synth.ticksToFadeOutSetting."""
    lower = FADE_OUT_TICKS[0]
    if ticks <= lower:
        return 0
    for i in range(1, len(FADE_OUT_TICKS)):
        upper = FADE_OUT_TICKS[i]
        if ticks <= upper:
            return i - 1 if ticks < (lower + upper) / 2 else i
        lower = upper
    return len(FADE_OUT_TICKS) - 1


# The old (versions 1-4) fade tag: (transition, fade-in seconds, fade-out ticks)
LEGACY_FADES = (
    (1, 0.0, -1),
    (0, 0.0, -3),
    (0, 0.025, -3),
    (4, 0.025, -3),
    (0, 0.04, 6),
    (0, 0.0, 48),
    (0, 0.0125, 72),
    (0, 0.06, 96),
)
