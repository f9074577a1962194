"""Decode BeepBox song strings, URL versions 2-9, as BeepBox's ``Song.fromBase64String`` does.

The decoder walks the same tags in the same way, including every upgrade of old settings, and rejects
(BeepBoxFormatError) exactly where BeepBox's own decoder throws. JavaScript's quirks are reproduced where
they decide what a song holds: characters past the end read as ``undefined`` (NaN here), ``clamp`` turns NaN
into the range's top, bit reads past the bit string's end give NaN, and lookups of a missing channel or
instrument fail. After decoding, settings that a version-9 string does not carry are reset to their
defaults, so the model holds exactly what ``to_url`` writes.
"""

from __future__ import annotations

import math

from beepbrain.format import config as c
from beepbrain.format.base64 import CHAR_TO_INT, CODE_TO_INT, NAN
from beepbrain.format.bits import BitReader, bit_fields, three_bit_fields
from beepbrain.format.errors import BeepBoxFormatError
from beepbrain.format.legacy import (
    add_envelope,
    convert_legacy_settings,
    envelope_from_legacy_index,
    js_clamp,
    seconds_to_fade_in,
    ticks_to_fade_out,
)
from beepbrain.format.song import Channel, FilterControlPoint, Instrument, Pattern, Song

OLDEST_VERSION, LATEST_VERSION = 2, 9
_CHAR_TO_INT = CHAR_TO_INT.get

_LEGACY_WAVES = (1, 2, 3, 4, 5, 6, 7, 8, 0)
_LEGACY_FADE = (  # (transition, fadeInSeconds, fadeOutTicks) of the old transition tag
    (1, 0.0, -1),
    (0, 0.0, -3),
    (0, 0.025, -3),
    (4, 0.025, -3),
    (0, 0.04, 6),
    (0, 0.0, 48),
    (0, 0.0125, 72),
    (0, 0.06, 96),
)
_LEGACY_TO_CUTOFF = (10, 6, 3, 0, 8, 5, 2)
_LEGACY_TO_ENVELOPE = ("none", "none", "none", "none", "decay 1", "decay 2", "decay 3")
_ENV = c.ENVELOPE_INDEX


def _z(x):
    """JavaScript ToInt32 of a small value: NaN (undefined) becomes 0."""
    return x if x == x else 0


def _at(seq, index):
    """``seq[index]`` as JavaScript reads it: undefined (NaN) for a missing or non-integer index."""
    if index != index or not 0 <= index < len(seq):
        return NAN
    return seq[index]


def _fail(reason: str, position: int | None = None):
    raise BeepBoxFormatError(reason, position)


def raw_instrument(is_noise: bool) -> Instrument:
    """BeepBox's ``new Instrument(isNoiseChannel)`` before any reset."""
    inst = Instrument.default(c.CHIP, is_noise)
    inst.chord = 1
    inst.effects = 0
    inst.pitch_shift = 0
    inst.detune = 0
    inst.chorus = inst.reverb = inst.echo_sustain = inst.echo_delay = 0
    inst.distortion = inst.bitcrusher_freq = inst.bitcrusher_quantization = 0
    inst.string_sustain_type = 1
    return inst


class _Decoder:
    def __init__(self, text: str) -> None:
        self.s = text
        self.n = len(text)
        self.i = 0

    # --- reading -------------------------------------------------------------------------------------
    def next(self):
        i = self.i
        self.i = i + 1
        return _CHAR_TO_INT(self.s[i], NAN) if i < self.n else NAN

    def channel(self, index) -> Channel:
        if index != index or not 0 <= index < len(self.song.channels):
            _fail(f"no channel {index}", self.i - 1)
        return self.song.channels[index]

    def inst(self) -> Instrument:
        ch = self.channel(self.ci)
        if not 0 <= self.ii < len(ch.instruments):
            _fail(f"no instrument {self.ii} in channel {self.ci}", self.i - 1)
        return ch.instruments[self.ii]

    def legacy(self, ci=None, ii=None) -> dict:
        ci = self.ci if ci is None else ci
        ii = self.ii if ii is None else ii
        try:
            return self.legacy_cache[ci][ii]
        except (IndexError, TypeError):
            _fail(f"no instrument {ii} in channel {ci}", self.i - 1)

    def channel_count(self) -> int:
        if self.song.pitch_channel_count is None:
            return 0  # JavaScript: undefined + undefined is NaN, and loops to NaN do not run
        return self.song.pitch_channel_count + self.song.noise_channel_count

    # --- the whole song ------------------------------------------------------------------------------
    def decode(self) -> Song:
        s = self.s
        if not s:
            _fail("empty song string", 0)
        version = CODE_TO_INT[ord(s[0])] if ord(s[0]) < 128 else -1
        if not OLDEST_VERSION <= version <= LATEST_VERSION or s[0] not in "23456789":
            _fail(f"unknown song version {s[0]!r}", 0)
        self.i = 1
        self.version = version
        v = version
        self.before3, self.before4, self.before5 = v < 3, v < 4, v < 5
        self.before6, self.before7, self.before8, self.before9 = v < 6, v < 7, v < 8, v < 9
        self.song = song = Song()
        if self.before9:
            song.pitch_channel_count, song.noise_channel_count = 3, 1
            for index in range(4):
                is_noise = index >= 3
                song.channels.append(
                    Channel(
                        octave=0 if is_noise else 4 - index,
                        instruments=[Instrument.default(c.NOISE if is_noise else c.CHIP, is_noise)],
                        patterns=[Pattern() for _ in range(8)],
                        bars=[1 if bar < 4 else 0 for bar in range(16)],
                    )
                )
            self.legacy_cache = [[{}] for _ in range(4)]
        else:
            song.pitch_channel_count = song.noise_channel_count = None
            self.legacy_cache = None
        if self.before3:
            for ch in song.channels:
                ch.instruments[0].transition = 1
                ch.instruments[0].effects |= 1 << c.EFFECT_TRANSITION
            song.channels[3].instruments[0].chip_noise = 0
        self.reverb = 0
        self.ci = 0
        self.ii = -1
        handlers = _HANDLERS
        n = self.n
        while self.i < n:
            command = s[self.i]
            self.i += 1
            handler = handlers.get(command)
            if handler is None:
                _fail(f"unrecognized song tag code {command!r}", self.i - 1)
            handler(self)
        if song.pitch_channel_count is None:
            _fail("song has no channel count", self.n)
        _finish(song)
        return song

    # --- song settings ---------------------------------------------------------------------------------
    def t_channel_count(self):
        song = self.song
        pitch, noise = self.next(), self.next()
        if not c.PITCH_CHANNEL_COUNT_MIN <= pitch <= c.PITCH_CHANNEL_COUNT_MAX:
            _fail(f"Value {pitch} not in range [1, 10]", self.i - 2)
        if not c.NOISE_CHANNEL_COUNT_MIN <= noise <= c.NOISE_CHANNEL_COUNT_MAX:
            _fail(f"Value {noise} not in range [0, 5]", self.i - 1)
        song.pitch_channel_count, song.noise_channel_count = pitch, noise
        count = pitch + noise
        while len(song.channels) < count:
            song.channels.append(Channel())
        del song.channels[count:]
        if self.before9:
            while len(self.legacy_cache) < count:
                self.legacy_cache.append([{}])

    def t_scale(self):
        scale = self.next()
        if self.before3 and scale == 10:
            scale = 11
        self.song.scale = scale

    def t_key(self):
        value = self.next()
        if self.before7:
            value = 11 - value
        self.song.key = js_clamp(0, len(c.KEY_NAMES), value)

    def t_loop_start(self):
        if self.before5:
            self.song.loop_start = self.next()
        else:
            self.song.loop_start = (_z(self.next()) << 6) + self.next()

    def t_loop_end(self):
        if self.before5:
            self.song.loop_length = self.next()
        else:
            self.song.loop_length = (_z(self.next()) << 6) + self.next() + 1

    def t_tempo(self):
        if self.before4:
            tempo = _at((95, 120, 151, 190), self.next())
        elif self.before7:
            tempo = _at(
                (88, 95, 103, 111, 120, 130, 140, 151, 163, 176, 190, 206, 222, 240, 259), self.next()
            )
        else:
            tempo = (_z(self.next()) << 6) | _z(self.next())
        self.song.tempo = js_clamp(c.TEMPO_MIN, c.TEMPO_MAX + 1, tempo)

    def t_reverb(self):
        if self.before9:
            self.reverb = js_clamp(0, 4, self.next())

    def t_beat_count(self):
        beats = _at((6, 7, 8, 9, 10), self.next()) if self.before3 else self.next() + 1
        if beats != beats:
            # BeepBox keeps NaN: no pattern then holds a note, and its encoder writes U+0000 for the beat
            # count. A beat count of 0 behaves the same way in both directions.
            self.song.beats_per_bar = 0
            return
        self.song.beats_per_bar = max(c.BEATS_PER_BAR_MIN, min(c.BEATS_PER_BAR_MAX, beats))

    def t_bar_count(self):
        bar_count = (_z(self.next()) << 6) + self.next() + 1
        if not c.BAR_COUNT_MIN <= bar_count <= c.BAR_COUNT_MAX:
            _fail(f"Value {bar_count} not in range [{c.BAR_COUNT_MIN}, {c.BAR_COUNT_MAX}]", self.i - 1)
        self.song.bar_count = bar_count
        for index in range(self.channel_count()):
            bars = self.channel(index).bars
            if len(bars) < bar_count:
                bars.extend([1] * (bar_count - len(bars)))
            del bars[bar_count:]

    def t_pattern_count(self):
        count = self.next() + 1 if self.before8 else (_z(self.next()) << 6) + self.next() + 1
        if not 1 <= count <= c.BAR_COUNT_MAX:
            _fail(f"Value {count} not in range [1, {c.BAR_COUNT_MAX}]", self.i - 1)
        self.song.patterns_per_channel = count
        for index in range(self.channel_count()):
            patterns = self.channel(index).patterns
            while len(patterns) < count:
                patterns.append(Pattern())
            del patterns[count:]

    def t_instrument_count(self):
        song = self.song
        if self.before9:
            per_channel = self.next() + c.INSTRUMENT_COUNT_MIN
            if not 1 <= per_channel <= c.PATTERN_INSTRUMENT_COUNT_MAX:
                _fail(f"Value {per_channel} not in range [1, 10]", self.i - 1)
            song.layered_instruments = False
            song.pattern_instruments = per_channel > 1
            for index in range(self.channel_count()):
                is_noise = index >= song.pitch_channel_count
                ch = self.channel(index)
                while len(ch.instruments) < per_channel:
                    ch.instruments.append(raw_instrument(is_noise))
                del ch.instruments[per_channel:]
                if self.before6:
                    ch.instruments[:] = [
                        Instrument.default(c.NOISE if is_noise else c.CHIP, is_noise)
                        for _ in range(per_channel)
                    ]
                cache = self.legacy_cache[index]
                while len(cache) < per_channel:
                    cache.append({})
        else:
            flags = _z(self.next())
            song.layered_instruments = bool(flags & 2)
            song.pattern_instruments = bool(flags & 1)
            max_count = max(
                c.LAYERED_INSTRUMENT_COUNT_MAX if song.layered_instruments else 1,
                c.PATTERN_INSTRUMENT_COUNT_MAX if song.pattern_instruments else 1,
            )
            for index in range(self.channel_count()):
                count = 1
                if song.layered_instruments or song.pattern_instruments:
                    count = self.next() + 1
                    if not 1 <= count <= max_count:
                        _fail(f"Value {count} not in range [1, {max_count}]", self.i - 1)
                ch = self.channel(index)
                is_noise = index >= song.pitch_channel_count
                while len(ch.instruments) < count:
                    ch.instruments.append(raw_instrument(is_noise))
                del ch.instruments[count:]

    def t_rhythm(self):
        self.song.rhythm = self.next()

    def t_channel_octave(self):
        song = self.song
        if self.before3:
            index = self.next()
            ch = self.channel(index)
            ch.octave = js_clamp(0, c.PITCH_OCTAVES, self.next() + 1)
            if index >= song.pitch_channel_count:
                ch.octave = 0
        elif self.before9:
            for index in range(self.channel_count()):
                ch = self.channel(index)
                ch.octave = js_clamp(0, c.PITCH_OCTAVES, self.next() + 1)
                if index >= song.pitch_channel_count:
                    ch.octave = 0
        else:
            for index in range(song.pitch_channel_count or 0):
                self.channel(index).octave = js_clamp(0, c.PITCH_OCTAVES, self.next())
            for index in range(song.pitch_channel_count or 0, self.channel_count()):
                self.channel(index).octave = 0

    # --- instruments ----------------------------------------------------------------------------------------
    def t_start_instrument(self):
        song = self.song
        self.ii += 1
        if self.ii >= len(self.channel(self.ci).instruments):
            self.ci += 1
            self.ii = 0
        if not 0 <= self.ci <= len(song.channels) - 1:
            _fail(f"Value {self.ci} not in range [0, {len(song.channels) - 1}]", self.i - 1)
        ch = self.channel(self.ci)
        if self.ii >= len(ch.instruments):
            _fail(f"no instrument {self.ii} in channel {self.ci}", self.i - 1)
        kind = self.next()
        if not 0 <= kind <= c.INSTRUMENT_TYPE_COUNT - 1:
            _fail(f"Value {kind} not in range [0, {c.INSTRUMENT_TYPE_COUNT - 1}]", self.i - 1)
        is_noise = self.ci >= song.pitch_channel_count
        inst = Instrument.default(kind, is_noise)
        ch.instruments[self.ii] = inst
        if self.before7:
            inst.effects = 0
            if self.reverb > 0 and not is_noise:
                inst.reverb = self.reverb
                inst.effects |= 1 << c.EFFECT_REVERB
            if inst.chord != c.CHORD_SIMULTANEOUS:
                inst.effects |= 1 << c.EFFECT_CHORD

    def t_preset(self):
        value = (_z(self.next()) << 6) | _z(self.next())
        self.inst().preset = value

    def _all_instruments(self):
        for index in range(self.channel_count()):
            for inst_index, inst in enumerate(self.channel(index).instruments):
                yield index, inst_index, inst

    def t_wave(self):
        song = self.song
        if self.before3:
            index = self.next()
            inst = self._first_instrument(index)
            inst.chip_wave = js_clamp(0, len(c.CHIP_WAVE_NAMES), _z(_at(_LEGACY_WAVES, self.next())))
            convert_legacy_settings(inst, self.legacy(index, 0))
        elif self.before6:
            for index, _, inst in self._all_instruments():
                if index >= song.pitch_channel_count:
                    inst.chip_noise = js_clamp(0, len(c.CHIP_NOISE_NAMES), self.next())
                else:
                    inst.chip_wave = js_clamp(0, len(c.CHIP_WAVE_NAMES), _z(_at(_LEGACY_WAVES, self.next())))
        else:
            inst = self.inst()
            if self.ci >= song.pitch_channel_count:
                inst.chip_noise = js_clamp(0, len(c.CHIP_NOISE_NAMES), self.next())
            elif self.before7:
                inst.chip_wave = js_clamp(0, len(c.CHIP_WAVE_NAMES), _z(_at(_LEGACY_WAVES, self.next())))
            else:
                inst.chip_wave = js_clamp(0, len(c.CHIP_WAVE_NAMES), self.next())

    def _first_instrument(self, index) -> Instrument:
        ch = self.channel(index)
        if not ch.instruments:
            _fail(f"no instrument 0 in channel {index}", self.i - 1)
        return ch.instruments[0]

    def _read_filter(self) -> list[FilterControlPoint]:
        original = self.next()
        count = js_clamp(0, c.FILTER_MAX_POINTS + 1, original)
        points = []
        for _ in range(count):
            kind = js_clamp(0, 3, self.next())
            freq = js_clamp(0, c.FILTER_FREQ_RANGE, self.next())
            gain = js_clamp(0, c.FILTER_GAIN_RANGE, self.next())
            points.append(FilterControlPoint(freq, gain, kind))
        if original == original and original > count:
            self.i += 3 * (original - count)
        return points

    def t_eq_filter(self):
        song = self.song
        if not self.before9:
            self.inst().eq_filter = self._read_filter()
            return
        if self.before7:
            if self.before3:
                index = self.next()
                inst = self._first_instrument(index)
                legacy = self.legacy(index, 0)
                legacy_filter = _at((1, 3, 4, 5), js_clamp(0, len(_LEGACY_TO_CUTOFF), self.next()))
                _set_legacy_filter(legacy, legacy_filter)
                convert_legacy_settings(inst, legacy)
            elif self.before6:
                for index, inst_index, inst in self._all_instruments():
                    legacy = self.legacy(index, inst_index)
                    legacy_filter = js_clamp(0, len(_LEGACY_TO_CUTOFF), self.next() + 1)
                    if index < song.pitch_channel_count:
                        _set_legacy_filter(legacy, legacy_filter)
                    else:
                        legacy["filterCutoff"] = 10
                        legacy["filterResonance"] = 0
                        legacy["filterEnvelope"] = _ENV["none"]
                    convert_legacy_settings(inst, legacy)
            else:
                legacy_filter = js_clamp(0, len(_LEGACY_TO_CUTOFF), self.next())
                inst = self.inst()
                legacy = self.legacy()
                _set_legacy_filter(legacy, legacy_filter)
                convert_legacy_settings(inst, legacy)
        else:
            inst = self.inst()
            legacy = self.legacy()
            legacy["filterCutoff"] = js_clamp(0, 11, self.next())
            convert_legacy_settings(inst, legacy)

    def t_filter_resonance(self):
        if self.before9:
            inst = self.inst()
            legacy = self.legacy()
            legacy["filterResonance"] = js_clamp(0, 8, self.next())
            convert_legacy_settings(inst, legacy)

    def t_drumset_envelopes(self):
        inst = self.inst()
        if self.before9:
            if inst.type == c.DRUMSET:
                for d in range(c.DRUM_COUNT):
                    inst.drumset_envelopes[d] = envelope_from_legacy_index(self.next())
            else:
                legacy = self.legacy()
                legacy["filterEnvelope"] = envelope_from_legacy_index(self.next())
                convert_legacy_settings(inst, legacy)
        else:
            for d in range(c.DRUM_COUNT):
                inst.drumset_envelopes[d] = js_clamp(0, len(c.ENVELOPES), self.next())

    def t_pulse_width(self):
        inst = self.inst()
        inst.pulse_width = js_clamp(0, c.PULSE_WIDTH_RANGE, self.next())
        if self.before9:
            legacy = self.legacy()
            legacy["pulseEnvelope"] = envelope_from_legacy_index(self.next())
            convert_legacy_settings(inst, legacy)

    def t_supersaw(self):
        inst = self.inst()
        inst.supersaw_dynamism = js_clamp(0, c.SUPERSAW_DYNAMISM_MAX + 1, self.next())
        inst.supersaw_spread = js_clamp(0, c.SUPERSAW_SPREAD_MAX + 1, self.next())
        inst.supersaw_shape = js_clamp(0, c.SUPERSAW_SHAPE_MAX + 1, self.next())

    def t_string_sustain(self):
        inst = self.inst()
        value = self.next()
        inst.string_sustain = js_clamp(0, c.STRING_SUSTAIN_RANGE, _z(value) & 0x1F)
        inst.string_sustain_type = js_clamp(0, 2, _z(value) >> 5) if c.ENABLE_ACOUSTIC_SUSTAIN else 0

    def t_fade_in_out(self):
        if not self.before9:
            inst = self.inst()
            inst.fade_in = js_clamp(0, c.FADE_IN_RANGE, self.next())
            inst.fade_out = js_clamp(0, len(c.FADE_OUT_TICKS), self.next())
            return
        if self.before3:
            index = self.next()
            settings = _LEGACY_FADE[js_clamp(0, len(_LEGACY_FADE), self.next())]
            _apply_fade(self._first_instrument(index), settings)
        elif self.before6:
            for _, _, inst in self._all_instruments():
                _apply_fade(inst, _LEGACY_FADE[js_clamp(0, len(_LEGACY_FADE), self.next())])
        else:
            settings = _LEGACY_FADE[js_clamp(0, len(_LEGACY_FADE), self.next())]
            _apply_fade(self.inst(), settings)

    def t_vibrato(self):
        if not self.before9:
            return
        if not self.before7:
            inst = self.inst()
            inst.vibrato = js_clamp(0, len(c.VIBRATO_NAMES), self.next())
            if inst.vibrato != 0:
                inst.effects |= 1 << c.EFFECT_VIBRATO
            return
        if self.before3:
            effects = (0, 3, 2, 0)
            envelopes = ("none", "none", "none", "tremolo2")
            index = self.next()
            effect = js_clamp(0, len(effects), self.next())
            inst = self._first_instrument(index)
            self._legacy_vibrato(inst, self.legacy(index, 0), effects, envelopes, effect)
        elif self.before6:
            effects = (0, 1, 2, 3, 0, 0)
            envelopes = ("none", "none", "none", "none", "tremolo5", "tremolo2")
            for index, inst_index, inst in self._all_instruments():
                effect = js_clamp(0, len(effects), self.next())
                self._legacy_vibrato(inst, self.legacy(index, inst_index), effects, envelopes, effect)
                if self.reverb != 0 and index < self.song.pitch_channel_count:
                    inst.effects |= 1 << c.EFFECT_REVERB
                    inst.reverb = self.reverb
        else:
            effects = (0, 1, 2, 3, 0, 0)
            envelopes = ("none", "none", "none", "none", "tremolo5", "tremolo2")
            effect = js_clamp(0, len(effects), self.next())
            inst = self.inst()
            self._legacy_vibrato(inst, self.legacy(), effects, envelopes, effect)
            if self.reverb != 0:
                inst.effects |= 1 << c.EFFECT_REVERB
                inst.reverb = self.reverb

    @staticmethod
    def _legacy_vibrato(inst, legacy, effects, envelopes, effect):
        inst.vibrato = effects[effect]
        filter_env = legacy.get("filterEnvelope")
        if filter_env is None or c.ENVELOPES[filter_env][1] == c.ENV_NONE:
            legacy["filterEnvelope"] = _ENV[envelopes[effect]]
            convert_legacy_settings(inst, legacy)
        if inst.vibrato != 0:
            inst.effects |= 1 << c.EFFECT_VIBRATO

    def t_unison(self):
        if self.before3:
            index = self.next()
            self._first_instrument(index).unison = js_clamp(0, len(c.UNISON_NAMES), self.next())
        elif self.before6:
            for _, _, inst in self._all_instruments():
                self._legacy_unison(inst, self.next())
        elif self.before7:
            self._legacy_unison(self.inst(), self.next())
        else:
            self.inst().unison = js_clamp(0, len(c.UNISON_NAMES), self.next())

    @staticmethod
    def _legacy_unison(inst, original):
        unison = js_clamp(0, len(c.UNISON_NAMES), original)
        if original == 8:
            unison = 2
            inst.chord = 3
        inst.unison = unison

    def t_chord(self):
        if self.before9:
            inst = self.inst()
            inst.chord = js_clamp(0, len(c.CHORD_NAMES), self.next())
            if inst.chord != c.CHORD_SIMULTANEOUS:
                inst.effects |= 1 << c.EFFECT_CHORD

    def t_effects(self):
        inst = self.inst()
        if self.before9:
            inst.effects = _z(self.next()) & ((1 << c.EFFECT_COUNT) - 1)
            if self.reverb == 0:
                inst.effects &= ~(1 << c.EFFECT_REVERB)
            elif inst.effects & (1 << c.EFFECT_REVERB):
                inst.reverb = self.reverb
            if inst.pan != c.PAN_CENTER:
                inst.effects |= 1 << c.EFFECT_PANNING
            if inst.vibrato != 0:
                inst.effects |= 1 << c.EFFECT_PANNING  # sic: BeepBox enables panning here
            convert_legacy_settings(inst, self.legacy())
        else:
            effects = (_z(self.next()) << 6) | _z(self.next())
            inst.effects = effects
            nx = self.next
            if effects & (1 << c.EFFECT_NOTE_FILTER):
                inst.note_filter = self._read_filter()
            if effects & (1 << c.EFFECT_TRANSITION):
                inst.transition = js_clamp(0, len(c.TRANSITION_NAMES), nx())
            if effects & (1 << c.EFFECT_CHORD):
                inst.chord = js_clamp(0, len(c.CHORD_NAMES), nx())
            if effects & (1 << c.EFFECT_PITCH_SHIFT):
                inst.pitch_shift = js_clamp(0, c.PITCH_SHIFT_RANGE, nx())
            if effects & (1 << c.EFFECT_DETUNE):
                inst.detune = js_clamp(0, c.DETUNE_MAX + 1, nx())
            if effects & (1 << c.EFFECT_VIBRATO):
                inst.vibrato = js_clamp(0, len(c.VIBRATO_NAMES), nx())
            if effects & (1 << c.EFFECT_DISTORTION):
                inst.distortion = js_clamp(0, c.DISTORTION_RANGE, nx())
            if effects & (1 << c.EFFECT_BITCRUSHER):
                inst.bitcrusher_freq = js_clamp(0, c.BITCRUSHER_FREQ_RANGE, nx())
                inst.bitcrusher_quantization = js_clamp(0, c.BITCRUSHER_QUANTIZATION_RANGE, nx())
            if effects & (1 << c.EFFECT_PANNING):
                inst.pan = js_clamp(0, c.PAN_MAX + 1, nx())
            if effects & (1 << c.EFFECT_CHORUS):
                inst.chorus = js_clamp(0, c.CHORUS_RANGE, nx())
            if effects & (1 << c.EFFECT_ECHO):
                inst.echo_sustain = js_clamp(0, c.ECHO_SUSTAIN_RANGE, nx())
                inst.echo_delay = js_clamp(0, c.ECHO_DELAY_RANGE, nx())
            if effects & (1 << c.EFFECT_REVERB):
                inst.reverb = js_clamp(0, c.REVERB_RANGE, nx())
        inst.effects &= (1 << c.EFFECT_COUNT) - 1

    def t_volume(self):
        if self.before3:
            index = self.next()
            _legacy_volume(self._first_instrument(index), self.next())
        elif self.before6:
            for _, _, inst in self._all_instruments():
                _legacy_volume(inst, self.next())
        elif self.before7:
            _legacy_volume(self.inst(), self.next())
        else:
            self.inst().volume = js_clamp(0, c.VOLUME_RANGE, self.next())

    def t_pan(self):
        if self.before9:
            self.inst().pan = js_clamp(0, c.PAN_MAX + 1, self.next())

    def t_algorithm(self):
        inst = self.inst()
        inst.algorithm = js_clamp(0, len(c.ALGORITHMS), self.next())
        if self.before9:
            convert_legacy_settings(inst, self.legacy())

    def t_feedback_type(self):
        self.inst().feedback_type = js_clamp(0, len(c.FEEDBACK_NAMES), self.next())

    def t_feedback_amplitude(self):
        self.inst().feedback_amplitude = js_clamp(0, c.OPERATOR_AMPLITUDE_MAX + 1, self.next())

    def t_feedback_envelope(self):
        if self.before9:
            inst = self.inst()
            legacy = self.legacy()
            legacy["feedbackEnvelope"] = envelope_from_legacy_index(self.next())
            convert_legacy_settings(inst, legacy)

    def t_operator_frequencies(self):
        inst = self.inst()
        for o in range(c.OPERATOR_COUNT):
            inst.operators[o].frequency = js_clamp(0, len(c.OPERATOR_FREQUENCY_NAMES), self.next())

    def t_operator_amplitudes(self):
        inst = self.inst()
        for o in range(c.OPERATOR_COUNT):
            inst.operators[o].amplitude = js_clamp(0, c.OPERATOR_AMPLITUDE_MAX + 1, self.next())

    def t_envelopes(self):
        if self.before9:
            inst = self.inst()
            legacy = self.legacy()
            legacy["operatorEnvelopes"] = [
                envelope_from_legacy_index(self.next()) for _ in range(c.OPERATOR_COUNT)
            ]
            convert_legacy_settings(inst, legacy)
            return
        self.channel(self.ci)
        count = js_clamp(0, c.MAX_ENVELOPE_COUNT + 1, self.next())
        inst = self.inst() if count else None  # BeepBox touches the instrument only to add an envelope
        for _ in range(count):
            target = js_clamp(0, len(c.AUTOMATION_TARGETS), self.next())
            index = 0
            max_count = c.AUTOMATION_TARGETS[target][1]
            if max_count > 1:
                index = js_clamp(0, max_count, self.next())
            envelope = js_clamp(0, len(c.ENVELOPES), self.next())
            try:
                add_envelope(inst, target, index, envelope)
            except BeepBoxFormatError as exc:
                _fail(exc.reason, self.i - 1)

    def _read_control_points(self, count: int) -> list[int]:
        points = three_bit_fields(self.s, self.i, count)
        self.i += math.ceil(count * 3 / 6)
        return points

    def t_spectrum(self):
        inst = self.inst()
        if inst.type == c.SPECTRUM:
            inst.spectrum = self._read_control_points(c.SPECTRUM_CONTROL_POINTS)
        elif inst.type == c.DRUMSET:
            points = self._read_control_points(c.DRUM_COUNT * c.SPECTRUM_CONTROL_POINTS)
            n = c.SPECTRUM_CONTROL_POINTS
            inst.drumset_spectra = [points[d * n : (d + 1) * n] for d in range(c.DRUM_COUNT)]
        else:
            _fail("Unhandled instrument type for spectrum song tag code.", self.i - 1)

    def t_harmonics(self):
        inst = self.inst()
        inst.harmonics = self._read_control_points(c.HARMONICS_CONTROL_POINTS)

    # --- sequence and patterns -------------------------------------------------------------------------------
    def t_bars(self):
        song = self.song
        if self.before3:
            index = self.next()
            bar_count = self.next()
            if bar_count != bar_count:  # an undefined length ends BeepBox's decoding here
                self.i = self.n
                return
            length = math.ceil(bar_count * 0.5)
            reader = BitReader(self.s, self.i, self.i + length)
            bars = self.channel(index).bars if bar_count > 0 else []
            for b in range(bar_count):
                value = reader.read(3) + 1
                if b < len(bars):
                    bars[b] = value
                elif b == len(bars):
                    bars.append(value)
                else:  # JavaScript leaves holes; they read back as 0
                    bars.extend([0] * (b - len(bars)))
                    bars.append(value)
        else:
            needed = 0
            limit = song.patterns_per_channel + (0 if self.before5 else 1)
            while (1 << needed) < limit:
                needed += 1
            count = self.channel_count()
            length = math.ceil(count * song.bar_count * needed / 6)
            bits = BitReader(self.s, self.i, self.i + length).bits.ljust(6 * length, "0")
            offset = 1 if self.before5 else 0
            at = 0
            for index in range(count):
                bars = self.channel(index).bars
                if needed:
                    values = bit_fields(bits, needed, at, song.bar_count)
                    if offset:
                        values = [value + offset for value in values]
                    at += needed * song.bar_count
                else:
                    values = [offset] * song.bar_count
                if len(bars) > song.bar_count:
                    bars[: song.bar_count] = values
                else:
                    bars[:] = values
        self.i += length

    def t_patterns(self):
        from beepbrain.format.url_patterns import read_patterns

        start = self.i
        try:
            read_patterns(self)
        except BeepBoxFormatError as exc:
            if exc.position is not None:
                raise
            # errors deep in the bit-packed note data name the pattern section they are in
            raise BeepBoxFormatError(f"{exc.reason} (in the pattern data from here)", start) from None


def _set_legacy_filter(legacy: dict, legacy_filter) -> None:
    cutoff = _at(_LEGACY_TO_CUTOFF, legacy_filter)
    legacy["filterCutoff"] = None if cutoff != cutoff else cutoff
    legacy["filterResonance"] = 0
    env = _at(_LEGACY_TO_ENVELOPE, legacy_filter)
    legacy["filterEnvelope"] = None if env != env else _ENV[env]


def _apply_fade(inst: Instrument, settings) -> None:
    transition, fade_in_seconds, fade_out_ticks = settings
    inst.fade_in = seconds_to_fade_in(fade_in_seconds)
    inst.fade_out = ticks_to_fade_out(fade_out_ticks)
    inst.transition = transition
    if transition != 0:
        inst.effects |= 1 << c.EFFECT_TRANSITION


def _legacy_volume(inst: Instrument, value) -> None:
    inst.volume = js_clamp(0, c.VOLUME_RANGE, value)
    if inst.volume == 5:
        inst.volume = c.VOLUME_RANGE - 1


_HANDLERS = {
    "n": _Decoder.t_channel_count,
    "s": _Decoder.t_scale,
    "k": _Decoder.t_key,
    "l": _Decoder.t_loop_start,
    "e": _Decoder.t_loop_end,
    "t": _Decoder.t_tempo,
    "m": _Decoder.t_reverb,
    "a": _Decoder.t_beat_count,
    "g": _Decoder.t_bar_count,
    "j": _Decoder.t_pattern_count,
    "i": _Decoder.t_instrument_count,
    "r": _Decoder.t_rhythm,
    "o": _Decoder.t_channel_octave,
    "T": _Decoder.t_start_instrument,
    "u": _Decoder.t_preset,
    "w": _Decoder.t_wave,
    "f": _Decoder.t_eq_filter,
    "y": _Decoder.t_filter_resonance,
    "z": _Decoder.t_drumset_envelopes,
    "W": _Decoder.t_pulse_width,
    "x": _Decoder.t_supersaw,
    "I": _Decoder.t_string_sustain,
    "d": _Decoder.t_fade_in_out,
    "c": _Decoder.t_vibrato,
    "h": _Decoder.t_unison,
    "C": _Decoder.t_chord,
    "q": _Decoder.t_effects,
    "v": _Decoder.t_volume,
    "L": _Decoder.t_pan,
    "A": _Decoder.t_algorithm,
    "F": _Decoder.t_feedback_type,
    "B": _Decoder.t_feedback_amplitude,
    "V": _Decoder.t_feedback_envelope,
    "Q": _Decoder.t_operator_frequencies,
    "P": _Decoder.t_operator_amplitudes,
    "E": _Decoder.t_envelopes,
    "S": _Decoder.t_spectrum,
    "H": _Decoder.t_harmonics,
    "b": _Decoder.t_bars,
    "p": _Decoder.t_patterns,
}


def _finish(song: Song) -> None:
    """Reject what BeepBox cannot export, and reduce the song to what a version-9 string carries."""
    from beepbrain.format.canonical import canonicalize

    if not (isinstance(song.scale, int) and 0 <= song.scale < len(c.SCALE_NAMES)):
        _fail(f"scale {song.scale} out of range")
    if not (isinstance(song.rhythm, int) and 0 <= song.rhythm < len(c.RHYTHM_STEPS_PER_BEAT)):
        _fail(f"rhythm {song.rhythm} out of range")
    # an undefined loop is written by BeepBox as if the loop started at bar 0 and lasted one bar
    song.loop_start = _z(song.loop_start)
    song.loop_length = song.loop_length if song.loop_length == song.loop_length else 1
    canonicalize(song)


def _utf16_units(text: str) -> str:
    """The string as JavaScript indexes it: characters beyond U+FFFF become two surrogate code units."""
    out = []
    for ch in text:
        code = ord(ch)
        if code > 0xFFFF:
            code -= 0x10000
            out.append(chr(0xD800 + (code >> 10)))
            out.append(chr(0xDC00 + (code & 0x3FF)))
        else:
            out.append(ch)
    return "".join(out)


def decode_url(text: str) -> Song:
    """Decode a bare song string (no ``#``, no URL) of BeepBox URL version 2-9."""
    if not text.isascii() and any(ord(ch) > 0xFFFF for ch in text):
        text = _utf16_units(text)
    try:
        return _Decoder(text).decode()
    except BeepBoxFormatError:
        raise
    except RecursionError:
        raise BeepBoxFormatError("song too deeply nested") from None
    except (
        IndexError,
        KeyError,
        TypeError,
        ValueError,
        AttributeError,
        OverflowError,
        ZeroDivisionError,
    ) as exc:
        raise BeepBoxFormatError(f"malformed song: {exc!r}") from None
