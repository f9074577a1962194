"""The BeepBox song model: what a song string holds, mirroring BeepBox's own classes (synth/synth.ts).

Values are BeepBox's internal settings (indices into its tables, its own units), not display values:
the codecs (URL versions 2-9, BeepBox JSON) translate between these and their wire forms. Time inside
patterns is in *parts*: 24 parts per beat (``PARTS_PER_BEAT``); a pattern spans ``beats_per_bar`` beats.
"""

from __future__ import annotations

from dataclasses import dataclass, field

PARTS_PER_BEAT = 24
NOTE_SIZE_MAX = 3  # a pin's size (volume) runs 0..3
MAX_CHORD_SIZE = 4  # pitches a note may hold
PITCH_CHANNEL_COUNT_MAX = 10
NOISE_CHANNEL_COUNT_MAX = 5
DRUM_COUNT = 12  # pitches 0..11 on noise channels
MAX_PITCH = 84  # pitches 0..84 on pitch channels
BEATS_PER_BAR_MAX = 16
RHYTHM_COUNT = 5
# stepsPerBeat of BeepBox's rhythms, by rhythm index: ÷3 (triplets), ÷4 (standard), ÷6, ÷8, freehand
RHYTHM_STEPS_PER_BEAT = (3, 4, 6, 8, 24)


@dataclass(eq=True, slots=True)
class NotePin:
    """A point of a note's shape: ``time`` in parts from the note's start, ``interval`` in semitones
    from the note's pitches (a bend), ``size`` the volume 0..NOTE_SIZE_MAX."""

    interval: int
    time: int
    size: int


@dataclass(eq=True, slots=True)
class Note:
    pitches: list[int]
    start: int  # parts from the start of the pattern
    end: int  # exclusive, parts
    pins: list[NotePin]
    continues_last_pattern: bool = False

    @classmethod
    def simple(cls, pitch: int | list[int], start: int, end: int, size: int = NOTE_SIZE_MAX) -> Note:
        pitches = [pitch] if isinstance(pitch, int) else list(pitch)
        return cls(pitches, start, end, [NotePin(0, 0, size), NotePin(0, end - start, size)])


@dataclass(eq=True, slots=True)
class Pattern:
    notes: list[Note] = field(default_factory=list)
    instruments: list[int] = field(default_factory=lambda: [0])


@dataclass(eq=True, slots=True)
class FilterControlPoint:
    freq: int
    gain: int
    type: int  # FilterType: 0 low-pass, 1 high-pass, 2 peak


@dataclass(eq=True, slots=True)
class EnvelopeSettings:
    target: int = 0
    index: int = 0
    envelope: int = 0


@dataclass(eq=True, slots=True)
class Operator:
    frequency: int = 0
    amplitude: int = 0


@dataclass(eq=True)
class Instrument:
    """Every setting BeepBox's Instrument carries, so nothing is lost on re-encode.

    Field names are BeepBox's (synth.ts ``class Instrument``) in snake_case; values are its internal ones.
    ``type`` is InstrumentType: 0 chip, 1 FM, 2 noise, 3 spectrum, 4 drumset, 5 harmonics, 6 PWM,
    7 Picked String, 8 supersaw. ``Instrument.default(type, is_noise)`` gives BeepBox's reset values.
    """

    type: int = 0
    preset: int = 0
    chip_wave: int = 2
    chip_noise: int = 1
    eq_filter: list[FilterControlPoint] = field(default_factory=list)
    note_filter: list[FilterControlPoint] = field(default_factory=list)
    envelopes: list[EnvelopeSettings] = field(default_factory=list)
    fade_in: int = 0
    fade_out: int = 0
    transition: int = 0
    pitch_shift: int = 0
    detune: int = 0
    vibrato: int = 0
    unison: int = 0
    effects: int = 0  # bit field of EffectType
    chord: int = 1
    volume: int = 0
    pan: int = 0
    pulse_width: int = 0
    supersaw_dynamism: int = 0
    supersaw_spread: int = 0
    supersaw_shape: int = 0
    string_sustain: int = 10
    string_sustain_type: int = 0
    distortion: int = 0
    bitcrusher_freq: int = 0
    bitcrusher_quantization: int = 0
    chorus: int = 0
    reverb: int = 0
    echo_sustain: int = 0
    echo_delay: int = 0
    algorithm: int = 0
    feedback_type: int = 0
    feedback_amplitude: int = 0
    operators: list[Operator] = field(default_factory=list)
    spectrum: list[int] = field(default_factory=list)
    harmonics: list[int] = field(default_factory=list)
    drumset_envelopes: list[int] = field(default_factory=list)
    drumset_spectra: list[list[int]] = field(default_factory=list)

    @classmethod
    def default(cls, type: int = 0, is_noise: bool = False) -> Instrument:
        """A new instrument reset to ``type``: BeepBox's ``new Instrument(isNoise)`` + ``setTypeAndReset``."""
        template = cls.template(type, is_noise)
        d = template.__dict__.copy()  # the template's settings, then fresh copies of its lists
        d["eq_filter"] = []
        d["note_filter"] = []
        d["envelopes"] = []
        d["operators"] = [Operator(op.frequency, op.amplitude) for op in template.operators]
        d["spectrum"] = template.spectrum[:]
        d["harmonics"] = template.harmonics[:]
        d["drumset_envelopes"] = template.drumset_envelopes[:]
        d["drumset_spectra"] = list(map(list.copy, template.drumset_spectra))
        inst = object.__new__(cls)
        inst.__dict__ = d
        return inst

    @classmethod
    def template(cls, type: int, is_noise: bool) -> Instrument:
        """The shared default instrument of ``type``: read it, never change it (``default`` gives copies)."""
        template = _TEMPLATES.get((type, bool(is_noise)))
        if template is None:
            template = _TEMPLATES[(type, bool(is_noise))] = cls._make_default(type, is_noise)
        return template

    @classmethod
    def _make_default(cls, type: int, is_noise: bool) -> Instrument:
        from beepbrain.format import config as c

        if not 0 <= type < c.INSTRUMENT_TYPE_COUNT:
            from beepbrain.format.errors import BeepBoxFormatError

            raise BeepBoxFormatError(f"unknown instrument type {type}")
        spectrum = c.SPECTRUM_DEFAULT_NOISE if is_noise else c.SPECTRUM_DEFAULT_PITCH
        chord = _DEFAULT_CHORD[type]
        return cls(
            type=type,
            preset=type,
            chip_wave=2,
            chip_noise=1,
            fade_out=c.FADE_OUT_NEUTRAL,
            pitch_shift=c.PITCH_SHIFT_CENTER,
            detune=c.DETUNE_CENTER,
            effects=(1 << c.EFFECT_CHORD) if chord != c.CHORD_SIMULTANEOUS else 0,
            chord=chord,
            pan=c.PAN_CENTER,
            pulse_width=c.PULSE_WIDTH_RANGE - 1,
            supersaw_dynamism=c.SUPERSAW_DYNAMISM_MAX,
            supersaw_spread=-(-c.SUPERSAW_SPREAD_MAX // 2),
            supersaw_shape=0,
            string_sustain=10,
            string_sustain_type=1 if c.ENABLE_ACOUSTIC_SUSTAIN else 0,
            distortion=(c.DISTORTION_RANGE - 1) * 3 // 4,
            bitcrusher_freq=(c.BITCRUSHER_FREQ_RANGE - 1) // 2,
            bitcrusher_quantization=(c.BITCRUSHER_QUANTIZATION_RANGE - 1) // 2,
            chorus=c.CHORUS_RANGE - 1,
            reverb=2,
            echo_sustain=(c.ECHO_SUSTAIN_RANGE - 1) // 2,
            echo_delay=(c.ECHO_DELAY_RANGE - 1) // 2,
            operators=[
                Operator(0, c.OPERATOR_AMPLITUDE_MAX if i <= 1 else 0) for i in range(c.OPERATOR_COUNT)
            ],
            spectrum=list(spectrum),
            harmonics=list(c.HARMONICS_DEFAULT),
            drumset_envelopes=[c.ENVELOPE_INDEX["twang 2"]] * c.DRUM_COUNT,
            drumset_spectra=[
                list(spectrum if type == c.DRUMSET else c.SPECTRUM_DEFAULT_NOISE) for _ in range(c.DRUM_COUNT)
            ],
        )


_TEMPLATES: dict[tuple[int, bool], Instrument] = {}

# The chord each instrument type resets to (setTypeAndReset): arpeggio, custom interval, simultaneous, strum.
_DEFAULT_CHORD = (2, 3, 2, 0, 0, 0, 2, 1, 2)


@dataclass(eq=True)
class Channel:
    octave: int = 0
    instruments: list[Instrument] = field(default_factory=list)
    patterns: list[Pattern] = field(default_factory=list)
    bars: list[int] = field(default_factory=list)  # per bar: 0 = silent, n = patterns[n - 1]
    muted: bool = False


@dataclass(eq=True)
class Song:
    scale: int = 0
    key: int = 0  # 0 = C ... 11 = B
    tempo: int = 150  # beats per minute
    beats_per_bar: int = 8
    bar_count: int = 16
    patterns_per_channel: int = 8
    rhythm: int = 1  # index into RHYTHM_STEPS_PER_BEAT
    layered_instruments: bool = False
    pattern_instruments: bool = False
    loop_start: int = 0
    loop_length: int = 4
    pitch_channel_count: int = 3
    noise_channel_count: int = 1
    channels: list[Channel] = field(default_factory=list)

    @property
    def channel_count(self) -> int:
        return self.pitch_channel_count + self.noise_channel_count

    def is_noise_channel(self, index: int) -> bool:
        return index >= self.pitch_channel_count

    @property
    def parts_per_bar(self) -> int:
        return self.beats_per_bar * PARTS_PER_BEAT

    def to_url(self) -> str:
        """The version-9 song string (no ``#``), byte-identical to BeepBox's ``toBase64String``."""
        from beepbrain.format.url_encode import encode_url

        return encode_url(self)

    def to_json(self) -> dict:
        """BeepBox's JSON export of this song."""
        from beepbrain.format.json_codec import song_to_json

        return song_to_json(self)

    @classmethod
    def from_json(cls, obj: dict) -> Song:
        """A song from BeepBox's JSON form (``json.loads`` of an export)."""
        from beepbrain.format.json_codec import song_from_json

        return song_from_json(obj)

    def pattern_at(self, channel: int, bar: int) -> Pattern | None:
        """The pattern channel ``channel`` plays in bar ``bar``, or None for a silent bar."""
        ch = self.channels[channel]
        index = ch.bars[bar] if bar < len(ch.bars) else 0
        if index <= 0 or index > len(ch.patterns):
            return None
        return ch.patterns[index - 1]
