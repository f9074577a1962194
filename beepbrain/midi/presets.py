"""BeepBox's instrument presets and the General MIDI program each stands for, as data.

An instrument's ``preset`` (``Instrument.preset``, the URL's ``u`` tag, JSON's ``"preset"``) is
``(category << 6) + index`` into BeepBox's preset menu; it equals the instrument's ``type`` when the
instrument was made from scratch (the "Custom Instruments" category, whose index is the type). The names and
programs below are BeepBox 4.2.1's (``presetCategories`` in its ``editor/EditorConfig.ts``, each preset's
``midiProgram``), the programs BeepBox's own MIDI export writes. The custom instruments have no program.
"""

from __future__ import annotations

# (category name, ((preset name, General MIDI program 0-127 or None), ...)), in BeepBox's menu order.
PRESET_CATEGORIES: tuple[tuple[str, tuple[tuple[str, int | None], ...]], ...] = (
    (
        "Custom Instruments",
        (
            ("chip wave", None),
            ("FM (expert)", None),
            ("basic noise", None),
            ("spectrum", None),
            ("drumset", None),
            ("harmonics", None),
            ("pulse width", None),
            ("picked string", None),
            ("supersaw", None),
        ),
    ),
    (
        "Retro Presets",
        (
            ("square wave", 80),
            ("triangle wave", 71),
            ("square lead", 80),
            ("sawtooth lead 1", 81),
            ("sawtooth lead 2", 81),
            ("chip noise", 116),
            ("FM twang", 32),
            ("FM bass", 36),
            ("FM flute", 73),
            ("FM organ", 16),
            ("supersaw lead", 81),
        ),
    ),
    (
        "Keyboard Presets",
        (
            ("grand piano", 0),
            ("bright piano", 1),
            ("electric grand", 2),
            ("honky-tonk piano", 3),
            ("electric piano 1", 4),
            ("electric piano 2", 5),
            ("harpsichord", 6),
            ("clavinet", 7),
            ("dulcimer", 15),
        ),
    ),
    (
        "Idiophone Presets",
        (
            ("celesta", 8),
            ("glockenspiel", 9),
            ("music box 1", 10),
            ("music box 2", 10),
            ("vibraphone", 11),
            ("marimba", 12),
            ("kalimba", 108),
            ("xylophone", 13),
            ("tubular bell", 14),
            ("bell synth", 14),
            ("rain drop", 96),
            ("crystal", 98),
            ("tinkle bell", 112),
            ("agogo", 113),
        ),
    ),
    (
        "Guitar Presets",
        (
            ("nylon guitar", 24),
            ("steel guitar", 25),
            ("jazz guitar", 26),
            ("clean guitar", 27),
            ("muted guitar", 28),
        ),
    ),
    (
        "Picked Bass Presets",
        (
            ("acoustic bass", 32),
            ("fingered bass", 33),
            ("picked bass", 34),
            ("fretless bass", 35),
            ("slap bass 1", 36),
            ("slap bass 2", 37),
            ("bass synth 1", 38),
            ("bass synth 2", 39),
            ("bass & lead", 87),
            ("dubstep yoi yoi", 87),
        ),
    ),
    (
        "Picked String Presets",
        (
            ("pizzicato strings", 45),
            ("harp", 46),
            ("sitar", 104),
            ("banjo", 105),
            ("ukulele", 105),
            ("shamisen", 106),
            ("koto", 107),
        ),
    ),
    (
        "Distortion Presets",
        (
            ("overdrive guitar", 29),
            ("distortion guitar", 30),
            ("charango synth", 84),
            ("guitar harmonics", 31),
            ("PWM overdrive", 29),
            ("PWM distortion", 30),
            ("FM overdrive", 29),
            ("FM distortion", 30),
        ),
    ),
    (
        "Bellows Presets",
        (
            ("drawbar organ 1", 16),
            ("drawbar organ 2", 16),
            ("percussive organ", 17),
            ("rock organ", 18),
            ("pipe organ", 19),
            ("reed organ", 20),
            ("accordion", 21),
            ("bandoneon", 23),
            ("bagpipe", 109),
        ),
    ),
    (
        "String Presets",
        (
            ("violin", 40),
            ("viola", 41),
            ("cello", 42),
            ("contrabass", 43),
            ("fiddle", 110),
            ("tremolo strings", 44),
            ("strings", 48),
            ("slow strings", 49),
            ("strings synth 1", 50),
            ("strings synth 2", 51),
            ("orchestra hit 1", 55),
            ("orchestra hit 2", 55),
            ("supersaw string", 41),
        ),
    ),
    (
        "Vocal Presets",
        (
            ("choir soprano", 94),
            ("choir tenor", 52),
            ("choir bass", 52),
            ("solo soprano", 85),
            ("solo tenor", 85),
            ("solo bass", 85),
            ("voice ooh", 53),
            ("voice synth", 54),
            ("vox synth lead", 85),
            ("tiny robot", 85),
            ("yowie", 85),
            ("mouse", 85),
            ("gumdrop", 85),
            ("echo drop", 102),
            ("dark choir", 85),
        ),
    ),
    (
        "Brass Presets",
        (
            ("trumpet", 56),
            ("trombone", 57),
            ("tuba", 58),
            ("muted trumpet", 59),
            ("french horn", 60),
            ("brass section", 61),
            ("brass synth 1", 62),
            ("brass synth 2", 63),
            ("pulse brass", 62),
        ),
    ),
    (
        "Reed Presets",
        (
            ("soprano sax", 64),
            ("alto sax", 65),
            ("tenor sax", 66),
            ("baritone sax", 67),
            ("sax synth", 64),
            ("shehnai", 111),
            ("oboe", 68),
            ("english horn", 69),
            ("bassoon", 70),
            ("clarinet", 71),
            ("harmonica", 22),
        ),
    ),
    (
        "Flute Presets",
        (
            ("flute", 73),
            ("recorder", 74),
            ("whistle", 78),
            ("ocarina", 79),
            ("piccolo", 72),
            ("shakuhachi", 77),
            ("pan flute", 75),
            ("blown bottle", 76),
            ("calliope", 82),
            ("chiffer", 83),
            ("breath noise", 121),
        ),
    ),
    (
        "Pad Presets",
        (
            ("new age pad", 88),
            ("warm pad", 89),
            ("polysynth pad", 90),
            ("space voice pad", 91),
            ("bowed glass pad", 92),
            ("metallic pad", 93),
            ("sweep pad", 95),
            ("atmosphere", 99),
            ("brightness", 100),
            ("goblins", 101),
            ("sci-fi", 103),
            ("flutter pad", 90),
            ("feedback pad", 89),
            ("supersaw pad", 93),
        ),
    ),
    (
        "Drum Presets",
        (
            ("standard drumset", 116),
            ("steel pan", 114),
            ("steel pan synth", 114),
            ("timpani", 47),
            ("dark strike", 47),
            ("woodblock", 115),
            ("taiko drum", 116),
            ("melodic drum", 117),
            ("drum synth", 118),
            ("tom-tom", 116),
            ("metal pipe", 117),
            ("synth kick", 47),
        ),
    ),
    (
        "Novelty Presets",
        (
            ("guitar fret noise", 120),
            ("fifth saw lead", 86),
            ("fifth swell", 86),
            ("soundtrack", 97),
            ("reverse cymbal", 119),
            ("seashore", 122),
            ("bird tweet", 123),
            ("telephone ring", 124),
            ("helicopter", 125),
            ("applause", 126),
            ("gunshot", 127),
            ("scoot", 92),
            ("buzz saw", 30),
            ("mosquito", 93),
            ("breathing", 126),
            ("klaxon synth", 125),
            ("theremin", 40),
            ("sonar ping", 121),
        ),
    ),
)

# preset value -> (name, program)
PRESETS: dict[int, tuple[str, int | None]] = {
    (category << 6) + index: preset
    for category, (_, presets) in enumerate(PRESET_CATEGORIES)
    for index, preset in enumerate(presets)
}


def preset_program(preset: int) -> int | None:
    """The General MIDI program (0-127) BeepBox gives preset value ``preset``; None for a custom instrument
    or a value that names no preset."""
    entry = PRESETS.get(preset)
    return entry[1] if entry else None


def preset_name(preset: int) -> str | None:
    """The preset's name in BeepBox's menu ("grand piano"); None for a value that names no preset."""
    entry = PRESETS.get(preset)
    return entry[0] if entry else None
