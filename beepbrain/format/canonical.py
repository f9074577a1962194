"""Reduce a song to what a version-9 song string carries: settings BeepBox keeps internally but does not
write (an effect's value while the effect is off, another instrument type's wave...) go back to their
defaults, so that a decoded song equals the decoding of its own ``to_url``."""

from __future__ import annotations

import copy
from dataclasses import fields

from beepbrain.format import config as c
from beepbrain.format.song import Instrument, Song

_EFFECT_FIELDS = (
    (c.EFFECT_TRANSITION, ("transition",)),
    (c.EFFECT_CHORD, ("chord",)),
    (c.EFFECT_PITCH_SHIFT, ("pitch_shift",)),
    (c.EFFECT_DETUNE, ("detune",)),
    (c.EFFECT_VIBRATO, ("vibrato",)),
    (c.EFFECT_DISTORTION, ("distortion",)),
    (c.EFFECT_BITCRUSHER, ("bitcrusher_freq", "bitcrusher_quantization")),
    (c.EFFECT_PANNING, ("pan",)),
    (c.EFFECT_CHORUS, ("chorus",)),
    (c.EFFECT_ECHO, ("echo_sustain", "echo_delay")),
    (c.EFFECT_REVERB, ("reverb",)),
    (c.EFFECT_NOTE_FILTER, ("note_filter",)),
)
_TYPE_FIELDS = {
    c.CHIP: ("chip_wave", "unison"),
    c.FM: ("algorithm", "feedback_type", "feedback_amplitude", "operators"),
    c.NOISE: ("chip_noise",),
    c.SPECTRUM: ("spectrum",),
    c.DRUMSET: ("drumset_envelopes", "drumset_spectra"),
    c.HARMONICS: ("harmonics", "unison"),
    c.PWM: ("pulse_width",),
    c.SUPERSAW: ("supersaw_dynamism", "supersaw_spread", "supersaw_shape", "pulse_width"),
    c.PICKED_STRING: ("harmonics", "unison", "string_sustain", "string_sustain_type"),
}


_ALWAYS = ("type", "preset", "volume", "eq_filter", "effects", "envelopes")
_FIELDS = tuple(f.name for f in fields(Instrument))
_COPY = {
    "eq_filter",
    "note_filter",
    "envelopes",
    "operators",
    "spectrum",
    "harmonics",
    "drumset_envelopes",
    "drumset_spectra",
}


def _dropped_fields(kind: int, effects: int) -> tuple[str, ...]:
    """The settings a version-9 string does not carry for an instrument of ``kind`` with ``effects``."""
    key = (kind, effects & ((1 << c.EFFECT_COUNT) - 1))
    dropped = _DROPPED.get(key)
    if dropped is None:
        keep = set(_ALWAYS)
        if kind != c.DRUMSET:
            keep.update(("fade_in", "fade_out"))
        for effect, names in _EFFECT_FIELDS:
            if effects & (1 << effect):
                keep.update(names)
        keep.update(_TYPE_FIELDS[kind])
        dropped = _DROPPED[key] = tuple(name for name in _FIELDS if name not in keep)
    return dropped


_DROPPED: dict[tuple[int, int], tuple[str, ...]] = {}


def canonical_instrument(inst: Instrument, is_noise: bool) -> None:
    """Reset, in place, the settings of ``inst`` that a version-9 string does not carry."""
    defaults = Instrument.template(inst.type, is_noise).__dict__
    settings = inst.__dict__
    for name in _dropped_fields(inst.type, inst.effects):
        value = defaults[name]
        if settings[name] != value:
            settings[name] = copy.deepcopy(value)


def canonicalize(song: Song) -> None:
    needed = 0
    while (1 << needed) < song.patterns_per_channel + 1:
        needed += 1
    mask = (1 << needed) - 1
    for index, channel in enumerate(song.channels):
        is_noise = index >= song.pitch_channel_count
        if is_noise:
            channel.octave = 0
        for inst in channel.instruments:
            canonical_instrument(inst, is_noise)
        bars = [b & mask for b in channel.bars[: song.bar_count]]
        bars.extend([0] * (song.bar_count - len(bars)))
        channel.bars = bars
        for pattern in channel.patterns:
            if not song.pattern_instruments:
                pattern.instruments = [0]
            for note in pattern.notes:
                if note.start != 0 and note.continues_last_pattern is not False:
                    note.continues_last_pattern = False
