"""Names that only BeepBox's JSON reader knows: older spellings of settings, mapped to today's.

Values are BeepBox's own (synth/synth.ts, ``fromJsonObject``); the current names live in ``config.py``.
"""

from __future__ import annotations

OLD_SCALE_NAMES = {
    "romani :)": "double harmonic :)",
    "romani :(": "double harmonic :(",
    "dbl harmonic :)": "double harmonic :)",
    "dbl harmonic :(": "double harmonic :(",
    "enigma": "strange",
}

KEY_LETTERS = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
KEY_ACCIDENTALS = {"#": 1, "♯": 1, "b": -1, "♭": -1}

# The effects field used to be one of these names; the index doubles as a bit field (reverb 1, chorus 2).
LEGACY_EFFECTS_NAMES = ("none", "reverb", "chorus", "chorus & reverb")

# Old "transition" (or "envelope") names, used when the fade fields are absent:
# name -> (transition, fadeInSeconds, fadeOutTicks)
LEGACY_TRANSITIONS = {
    "binary": ("interrupt", 0.0, -1),
    "seamless": ("interrupt", 0.0, -1),
    "sudden": ("normal", 0.0, -3),
    "hard": ("normal", 0.0, -3),
    "smooth": ("normal", 0.025, -3),
    "soft": ("normal", 0.025, -3),
    "slide": ("slide in pattern", 0.025, -3),
    "cross fade": ("normal", 0.04, 6),
    "hard fade": ("normal", 0.0, 48),
    "medium fade": ("normal", 0.0125, 72),
    "soft fade": ("normal", 0.06, 96),
}

LEGACY_CHORD_NAMES = {"harmony": "simultaneous"}
LEGACY_UNISON_NAMES = {"union": "none", "fifths": "fifth", "octaves": "octave"}
LEGACY_VIBRATO_NAMES = {"vibrato light": "light", "vibrato delayed": "delayed", "vibrato heavy": "heavy"}
LEGACY_ENVELOPE_NAMES = {
    "custom": "note size",
    "steady": "none",
    "pluck 1": "twang 1",
    "pluck 2": "twang 2",
    "pluck 3": "twang 3",
}
# Old chip wave names -> chip wave index
LEGACY_WAVE_INDEX = {
    "triangle": 1,
    "square": 2,
    "pulse wide": 3,
    "pulse narrow": 4,
    "sawtooth": 5,
    "double saw": 6,
    "double pulse": 7,
    "spiky": 8,
    "plateau": 0,
}

# The even older single "filter" setting: name -> index into the two tables after it.
LEGACY_FILTER_NAMES = ("none", "bright", "medium", "soft", "decay bright", "decay medium", "decay soft")
OLD_LEGACY_FILTER_NAMES = {"sustain sharp": 1, "sustain medium": 2, "sustain soft": 3, "decay sharp": 4}
LEGACY_FILTER_TO_CUTOFF = (10, 6, 3, 0, 8, 5, 2)
LEGACY_FILTER_TO_ENVELOPE = ("none", "none", "none", "none", "decay 1", "decay 2", "decay 3")
LEGACY_FILTER_CUTOFF_MAX_HZ = 8000
LEGACY_FILTER_CUTOFF_RANGE = 11
LEGACY_FILTER_RESONANCE_RANGE = 8

# FM algorithm and feedback names exactly as BeepBox spells them: the spaces are EN SPACE (U+2002)
# inside a group and EM SPACE (U+2003) between groups (but plain spaces in "1⟲ 2⟲ 3⟲ 4⟲"), and JSON
# files carry them that way.
_EN, _EM = "\u2002", "\u2003"
ALGORITHM_NAMES = (
    f"1←(2{_EN}3{_EN}4)",
    f"1←(2{_EN}3←4)",
    f"1←2←(3{_EN}4)",
    f"1←(2{_EN}3)←4",
    "1←2←3←4",
    f"1←3{_EM}2←4",
    f"1{_EM}2←(3{_EN}4)",
    f"1{_EM}2←3←4",
    f"(1{_EN}2)←3←4",
    f"(1{_EN}2)←(3{_EN}4)",
    f"1{_EM}2{_EM}3←4",
    f"(1{_EN}2{_EN}3)←4",
    f"1{_EM}2{_EM}3{_EM}4",
)
FEEDBACK_NAMES = (
    "1⟲",
    "2⟲",
    "3⟲",
    "4⟲",
    f"1⟲{_EM}2⟲",
    f"3⟲{_EM}4⟲",
    f"1⟲{_EM}2⟲{_EM}3⟲",
    f"2⟲{_EM}3⟲{_EM}4⟲",
    "1⟲ 2⟲ 3⟲ 4⟲",
    "1→2",
    "1→3",
    "1→4",
    "2→3",
    "2→4",
    "3→4",
    f"1→3{_EM}2→4",
    f"1→4{_EM}2→3",
    "1→2→3→4",
)
