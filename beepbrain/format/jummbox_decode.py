"""Decoding a JummBox song string (format versions 1-6) into a JBSong, tag by tag, as JummBox's own
``Song.fromBase64String`` reads it: every tag consumes exactly the characters JummBox consumes."""

from __future__ import annotations

import math

from beepbrain.format import jummbox_tables as jb
from beepbrain.format.errors import BeepBoxFormatError
from beepbrain.format.jummbox_patterns import decode_patterns
from beepbrain.format.jummbox_reader import CharReader
from beepbrain.format.jummbox_state import JBChannel, JBInstrument, JBPattern, JBSong, new_instrument


def clamp(lo: int, hi: int, value: int) -> int:
    """JummBox's ``clamp(min, max, val)``: val limited to [min, max - 1]."""
    return value if lo <= value <= hi - 1 else (lo if value < lo else hi - 1)


def validate(lo: int, hi: int, value: int, what: str, pos: int) -> int:
    if not lo <= value <= hi:
        raise BeepBoxFormatError(f"{what} {value} not in range [{lo}, {hi}]", pos)
    return value


def decode_jummbox(text: str) -> JBSong:
    """``text`` is the bare song string starting with ``j``."""
    return _Decoder(text).decode()


_EFFECT_BITS = (1 << 12) - 1
(
    FX_REVERB,
    FX_CHORUS,
    FX_PANNING,
    FX_DISTORTION,
    FX_BITCRUSHER,
    FX_NOTE_FILTER,
    FX_ECHO,
    FX_PITCH_SHIFT,
    FX_DETUNE,
    FX_VIBRATO,
    FX_TRANSITION,
    FX_CHORD,
) = range(12)


class _Decoder:
    def __init__(self, text: str) -> None:
        self.r = CharReader(text)
        self.song = JBSong.default()
        self.channel_iter = 0
        self.instrument_iter = -1
        self.legacy_reverb = 0

    # --- helpers ---------------------------------------------------------------------------------------
    @property
    def legacy(self) -> bool:
        """Versions 1-4, before JummBox adopted BeepBox 4's instrument settings."""
        return self.version < 5

    def inst(self) -> JBInstrument:
        """The instrument the last ``T`` tag started (JummBox starts at channel 0, instrument 0)."""
        channels = self.song.channels
        ci, ii = self.channel_iter, self.instrument_iter
        if ci >= len(channels) or not 0 <= ii < len(channels[ci].instruments):
            raise BeepBoxFormatError("instrument setting for a missing instrument", self.tag_pos)
        return channels[ci].instruments[ii]

    def _legacy(self) -> dict:
        inst = self.inst()
        if inst.legacy is None:
            inst.legacy = {}
        return inst.legacy

    def decode(self) -> JBSong:
        r = self.r
        if not r.text.startswith("j"):
            raise BeepBoxFormatError("not a JummBox song (no leading 'j')", 0)
        r.skip(1)
        if not r.more():
            raise BeepBoxFormatError("no format version", 1)
        version = r.value()
        if not jb.OLDEST_VERSION <= version <= jb.LATEST_VERSION:
            raise BeepBoxFormatError(
                f"JummBox format version {version} unsupported (known: {jb.OLDEST_VERSION}-{jb.LATEST_VERSION})",
                1,
            )
        self.version = self.song.version = version
        handlers = _HANDLERS
        while r.more():
            self.tag_pos = r.pos
            tag = r.text[r.pos]
            r.skip(1)
            handler = handlers.get(tag)
            if handler is None:
                raise BeepBoxFormatError(f"unrecognized song tag {tag!r}", self.tag_pos)
            handler(self)
        return self.song

    # --- song settings ---------------------------------------------------------------------------------
    def t_song_title(self) -> None:
        length = self.r.value2()
        self.r.skip(length)

    def t_channel_count(self) -> None:
        r, song = self.r, self.song
        pitch, noise = r.value(), r.value()
        mod = r.value() if self.version >= 2 else 0
        song.pitch_channel_count = validate(
            jb.PITCH_CHANNEL_COUNT_MIN, jb.PITCH_CHANNEL_COUNT_MAX, pitch, "pitch channel count", self.tag_pos
        )
        song.noise_channel_count = validate(
            jb.NOISE_CHANNEL_COUNT_MIN, jb.NOISE_CHANNEL_COUNT_MAX, noise, "noise channel count", self.tag_pos
        )
        song.mod_channel_count = validate(
            jb.MOD_CHANNEL_COUNT_MIN, jb.MOD_CHANNEL_COUNT_MAX, mod, "mod channel count", self.tag_pos
        )
        count = song.channel_count
        while len(song.channels) < count:
            song.channels.append(JBChannel())
        del song.channels[count:]

    def t_scale(self) -> None:
        self.song.scale = self.r.value()

    def t_key(self) -> None:
        self.song.key = clamp(0, 12, self.r.value())

    def t_loop_start(self) -> None:
        self.song.loop_start = self.r.value2()

    def t_loop_end(self) -> None:
        self.song.loop_length = self.r.value2() + 1

    def t_tempo(self) -> None:
        self.song.tempo = clamp(jb.TEMPO_MIN, jb.TEMPO_MAX + 1, self.r.value2())

    def t_reverb(self) -> None:
        if self.legacy:
            self.legacy_reverb = clamp(0, jb.REVERB_RANGE, self.r.value())

    def t_beat_count(self) -> None:
        self.song.beats_per_bar = max(jb.BEATS_PER_BAR_MIN, min(jb.BEATS_PER_BAR_MAX, self.r.value() + 1))

    def t_bar_count(self) -> None:
        song = self.song
        song.bar_count = validate(
            jb.BAR_COUNT_MIN, jb.BAR_COUNT_MAX, self.r.value2() + 1, "bar count", self.tag_pos
        )
        for channel in song.channels:
            bars = channel.bars
            bars.extend(1 if bar < 4 else 0 for bar in range(len(bars), song.bar_count))
            del bars[song.bar_count :]

    def t_pattern_count(self) -> None:
        song = self.song
        song.patterns_per_channel = validate(
            1, jb.BAR_COUNT_MAX, self.r.value2() + 1, "pattern count", self.tag_pos
        )
        for channel in song.channels:
            patterns = channel.patterns
            patterns.extend(JBPattern() for _ in range(len(patterns), song.patterns_per_channel))
            del patterns[song.patterns_per_channel :]

    def t_instrument_count(self) -> None:
        r, song = self.r, self.song
        if self.legacy:
            count = validate(
                1, jb.PATTERN_INSTRUMENT_COUNT_MAX, r.value() + 1, "instrument count", self.tag_pos
            )
            song.layered_instruments = False
            song.pattern_instruments = count > 1
            counts = [count] * song.channel_count
        else:
            flags = r.value()
            song.layered_instruments = bool(flags & 2)
            song.pattern_instruments = bool(flags & 1)
            counts = []
            for _ in range(song.channel_count):
                count = 1
                if song.layered_instruments or song.pattern_instruments:
                    count = validate(
                        1, song.max_instruments_per_channel(), r.value() + 1, "instrument count", r.pos - 1
                    )
                counts.append(count)
        for index, (channel, count) in enumerate(zip(song.channels, counts, strict=False)):
            instruments = channel.instruments
            while len(instruments) < count:
                instruments.append(new_instrument(song.is_noise(index), song.is_mod(index)))
            del instruments[count:]

    def t_rhythm(self) -> None:
        # JummBox takes any value here, then fails wherever it uses the rhythm (playing, exporting)
        self.song.rhythm = validate(0, jb.RHYTHM_COUNT - 1, self.r.value(), "rhythm", self.tag_pos + 1)

    def t_channel_octave(self) -> None:
        r, song = self.r, self.song
        if self.legacy:
            for index, channel in enumerate(song.channels):
                octave = clamp(0, jb.PITCH_OCTAVES, r.value() + 1)
                channel.octave = 0 if index >= song.pitch_channel_count else octave
        else:
            for index, channel in enumerate(song.channels):
                channel.octave = (
                    clamp(0, jb.PITCH_OCTAVES, r.value()) if index < song.pitch_channel_count else 0
                )

    # --- instruments -----------------------------------------------------------------------------------
    def t_start_instrument(self) -> None:
        song = self.song
        self.instrument_iter += 1
        if self.channel_iter < len(song.channels) and self.instrument_iter >= len(
            song.channels[self.channel_iter].instruments
        ):
            self.channel_iter += 1
            self.instrument_iter = 0
        ci = self.channel_iter
        if ci >= len(song.channels) or self.instrument_iter >= len(song.channels[ci].instruments):
            raise BeepBoxFormatError("more instruments than the channels hold", self.tag_pos)
        kind = validate(0, jb.INSTRUMENT_TYPE_COUNT - 1, self.r.value(), "instrument type", self.tag_pos + 1)
        if self.version < 5:
            if kind in (jb.PICKED_STRING, jb.SUPERSAW):
                kind += 2
        elif self.version < 6 and kind in (jb.SUPERSAW, jb.CUSTOM_CHIP):
            kind += 1
        inst = JBInstrument(kind)
        if self.version < 2 and kind in (jb.CHIP, jb.CUSTOM_CHIP, jb.PWM):
            inst.aliases = True
            inst.distortion = 0
            inst.effects = 1 << FX_DISTORTION
        song.channels[ci].instruments[self.instrument_iter] = inst

    def t_preset(self) -> None:
        preset = self.r.value2()
        inst = self.inst()
        if (self.version < 5 and preset == jb.PICKED_STRING) or (
            5 <= self.version < 6 and preset == jb.SUPERSAW
        ):
            inst.type = jb.CUSTOM_CHIP

    def t_wave(self) -> None:
        value = self.r.value()
        inst = self.inst()
        if self.channel_iter >= self.song.pitch_channel_count:
            inst.chip_noise = clamp(0, len(jb.CHIP_NOISE_NAMES), value)
        else:
            inst.chip_wave = clamp(0, len(jb.CHIP_WAVE_NAMES), value)

    def _filter_points(self) -> list[tuple[int, int, int]]:
        r = self.r
        original = r.value()
        count = clamp(0, jb.FILTER_MAX_POINTS + 1, original)
        points = []
        for _ in range(count):
            kind = clamp(0, jb.FILTER_TYPES, r.value())
            freq = clamp(0, jb.FILTER_FREQ_RANGE, r.value())
            gain = clamp(0, jb.FILTER_GAIN_RANGE, r.value())
            points.append((kind, freq, gain))
        r.skip(3 * (original - count))
        return points

    def _filter(self) -> list[tuple[int, int, int]] | tuple[str, int, int]:
        """An eq or note filter (versions 5+): advanced points (and morph sub-filters, skipped), or a simple
        cut/peak filter ("simple", cut, peak)."""
        r = self.r
        if r.value() != 0:
            cut = clamp(0, jb.FILTER_SIMPLE_CUT_RANGE, r.value())
            return ("simple", cut, clamp(0, jb.FILTER_SIMPLE_PEAK_RANGE, r.value()))
        points = self._filter_points()
        used = r.value2()
        for j in range(jb.FILTER_MORPH_COUNT - 1):
            if used & (1 << j):
                self._filter_points()
        return points

    def t_eq_filter(self) -> None:
        if self.legacy:
            value = self.r.value()
            self._legacy()["filterCutoff"] = clamp(0, 11, value)
        else:
            inst = self.inst()
            inst.eq_filter = self._filter()

    def t_filter_resonance(self) -> None:
        if self.legacy:
            value = self.r.value()
            self._legacy()["filterResonance"] = clamp(0, 8, value)

    def t_drumset_envelopes(self) -> None:
        inst = self.inst()
        if self.legacy:
            if inst.type == jb.DRUMSET:
                inst.drumset_envelopes = [_legacy_envelope(v) for v in self.r.values(jb.DRUM_COUNT)]
            else:
                self._legacy()["filterEnvelope"] = _legacy_envelope(self.r.value())
        else:
            inst.drumset_envelopes = [
                clamp(0, len(jb.ENVELOPE_NAMES), v) for v in self.r.values(jb.DRUM_COUNT)
            ]

    def t_pulse_width(self) -> None:
        inst = self.inst()
        inst.pulse_width = clamp(0, jb.PULSE_WIDTH_RANGE + 1, self.r.value())
        if self.legacy:
            self._legacy()["pulseEnvelope"] = _legacy_envelope(self.r.value())

    def t_supersaw(self) -> None:
        r = self.r
        inst = self.inst()
        inst.supersaw = (clamp(0, 7, r.value()), clamp(0, 13, r.value()), clamp(0, 7, r.value()))

    def t_string_sustain(self) -> None:
        inst = self.inst()
        inst.string_sustain = clamp(0, 15, self.r.value() & 0x1F)

    def t_fade_in_out(self) -> None:
        r = self.r
        inst = self.inst()
        if self.legacy:
            transition, fade_in_seconds, fade_out_ticks = jb.LEGACY_FADES[
                clamp(0, len(jb.LEGACY_FADES), r.value())
            ]
            inst.fade_in = jb.fade_in_setting(fade_in_seconds)
            inst.fade_out = jb.fade_out_setting(fade_out_ticks)
            inst.transition = transition
            clickless = False
            if self.version >= 4:
                inst.legacy_tie_over = r.value() > 0
                clickless = r.value() != 0
            if transition != 0 or clickless:
                inst.effects = (inst.effects or 0) | (1 << FX_TRANSITION)
        else:
            inst.fade_in = clamp(0, jb.FADE_IN_RANGE, r.value())
            inst.fade_out = clamp(0, len(jb.FADE_OUT_TICKS), r.value())
            r.value()  # clickless transition

    def t_vibrato(self) -> None:
        if not self.legacy:
            return
        r = self.r
        inst = self.inst()
        inst.vibrato = clamp(0, jb.VIBRATO_COUNT + 1, r.value())
        if inst.vibrato != 0:
            inst.effects = (inst.effects or 0) | (1 << FX_VIBRATO)
        if inst.vibrato == jb.VIBRATO_COUNT:
            inst.vibrato_depth = clamp(0, 51, r.value()) / 50
            r.values(3)  # speed, delay, type

    def t_arpeggio_speed(self) -> None:
        if self.legacy:
            self.r.values(2)
            self.inst()

    def t_unison(self) -> None:
        value = self.r.value()
        self.inst().unison = clamp(0, len(jb.UNISON_NAMES), value)

    def t_chord(self) -> None:
        if self.legacy:
            value = self.r.value()
            inst = self.inst()
            inst.chord = clamp(0, jb.CHORD_COUNT, value)
            if inst.chord != 0:
                inst.effects = (inst.effects or 0) | (1 << FX_CHORD)

    def t_effects(self) -> None:
        r = self.r
        inst = self.inst()
        if self.legacy:
            effects = r.value() & _EFFECT_BITS
            if effects & (1 << FX_REVERB):
                inst.reverb = self.legacy_reverb
            effects |= 1 << FX_PANNING
            if (inst.vibrato or 0) != 0:
                effects |= 1 << FX_VIBRATO
            if inst.detune is not None and inst.detune != jb.DETUNE_CENTER:
                effects |= 1 << FX_DETUNE
            if inst.aliases:
                effects |= 1 << FX_DISTORTION
            else:
                effects &= ~(1 << FX_DISTORTION)
            inst.effects = effects
            return
        effects = r.value2() & _EFFECT_BITS
        inst.effects = effects
        if effects & (1 << FX_NOTE_FILTER):
            inst.note_filter = self._filter()
        if effects & (1 << FX_TRANSITION):
            inst.transition = clamp(0, jb.TRANSITION_COUNT, r.value())
        if effects & (1 << FX_CHORD):
            inst.chord = clamp(0, jb.CHORD_COUNT, r.value())
            if inst.chord == jb.CHORD_ARPEGGIO:
                r.values(2)  # arpeggio speed, fast two-note arpeggio
        if effects & (1 << FX_PITCH_SHIFT):
            inst.pitch_shift = clamp(0, jb.PITCH_SHIFT_RANGE, r.value())
        if effects & (1 << FX_DETUNE):
            inst.detune = clamp(0, jb.DETUNE_MAX + 1, r.value2())
        if effects & (1 << FX_VIBRATO):
            inst.vibrato = clamp(0, jb.VIBRATO_COUNT + 1, r.value())
            if inst.vibrato == jb.VIBRATO_COUNT:
                inst.vibrato_depth = clamp(0, 51, r.value()) / 25
                r.values(3)  # speed, delay, type
        if effects & (1 << FX_DISTORTION):
            inst.distortion = clamp(0, jb.DISTORTION_RANGE, r.value())
            inst.aliases = bool(r.value())
        if effects & (1 << FX_BITCRUSHER):
            inst.bitcrusher_freq = clamp(0, jb.BITCRUSHER_FREQ_RANGE, r.value())
            inst.bitcrusher_quantization = clamp(0, jb.BITCRUSHER_QUANTIZATION_RANGE, r.value())
        if effects & (1 << FX_PANNING):
            inst.pan = clamp(0, jb.PAN_MAX + 1, r.value2())
            r.value()  # pan delay
        if effects & (1 << FX_CHORUS):
            inst.chorus = clamp(0, jb.CHORUS_RANGE, r.value())
        if effects & (1 << FX_ECHO):
            inst.echo_sustain = clamp(0, jb.ECHO_SUSTAIN_RANGE, r.value())
            inst.echo_delay = clamp(0, jb.ECHO_DELAY_RANGE, r.value())
        if effects & (1 << FX_REVERB):
            inst.reverb = clamp(0, jb.REVERB_RANGE, r.value())

    def t_volume(self) -> None:
        value = self.r.value2()
        half = jb.VOLUME_RANGE // 2
        self.inst().volume = clamp(-half, half + 1, value - half)

    def t_pan(self) -> None:
        if self.legacy:
            r = self.r
            inst = self.inst()
            inst.pan = clamp(0, jb.PAN_MAX + 1, r.value2())
            if self.version >= 3:
                r.value()  # pan delay

    def t_detune(self) -> None:
        if self.legacy:
            inst = self.inst()
            inst.detune = clamp(0, jb.DETUNE_MAX + 1, self.r.value2() * 4)
            inst.effects = (inst.effects or 0) | (1 << FX_DETUNE)

    def t_custom_chip_wave(self) -> None:
        self.inst()
        self.r.values(64)

    def t_limiter_settings(self) -> None:
        if self.r.value() != 0x3F:
            self.r.values(7)

    def t_channel_names(self) -> None:
        r = self.r
        for _ in range(self.song.channel_count):
            length = r.value() if self.version < 4 else r.value2()
            r.skip(length)

    def t_algorithm(self) -> None:
        value = self.r.value()
        self.inst().algorithm = clamp(0, jb.ALGORITHM_COUNT, value)

    def t_feedback_type(self) -> None:
        value = self.r.value()
        self.inst().feedback_type = clamp(0, jb.FEEDBACK_COUNT, value)

    def t_feedback_amplitude(self) -> None:
        value = self.r.value()
        self.inst().feedback_amplitude = clamp(0, jb.OPERATOR_AMPLITUDE_MAX + 1, value)

    def t_feedback_envelope(self) -> None:
        if self.legacy:
            value = self.r.value()
            self._legacy()["feedbackEnvelope"] = _legacy_envelope(value)

    def t_operator_frequencies(self) -> None:
        values = self.r.values(jb.OPERATOR_COUNT)
        self.inst().operator_frequencies = [clamp(0, jb.OPERATOR_FREQUENCY_COUNT, v) for v in values]

    def t_operator_amplitudes(self) -> None:
        values = self.r.values(jb.OPERATOR_COUNT)
        self.inst().operator_amplitudes = [clamp(0, jb.OPERATOR_AMPLITUDE_MAX + 1, v) for v in values]

    def t_envelopes(self) -> None:
        r = self.r
        inst = self.inst()
        if self.legacy:
            self._legacy()["operatorEnvelopes"] = [_legacy_envelope(v) for v in r.values(jb.OPERATOR_COUNT)]
            return
        count = clamp(0, jb.MAX_ENVELOPE_COUNT + 1, r.value())
        if self.version >= 6:
            r.values(2)  # envelope speed, discrete envelope
        for _ in range(count):
            target = clamp(0, len(jb.AUTOMATION_TARGET_MAX_COUNTS), r.value())
            index = 0
            max_count = jb.AUTOMATION_TARGET_MAX_COUNTS[target]
            if max_count > 1:
                index = clamp(0, max_count, r.value())
            envelope = clamp(0, len(jb.ENVELOPE_NAMES), r.value())
            if len(inst.envelopes) >= jb.MAX_ENVELOPE_COUNT:
                raise BeepBoxFormatError(f"more than {jb.MAX_ENVELOPE_COUNT} envelopes", r.pos - 1)
            inst.envelopes.append((target, index, envelope))

    def t_operator_waves(self) -> None:
        r = self.r
        self.inst()
        for _ in range(jb.OPERATOR_COUNT):
            if clamp(0, jb.OPERATOR_WAVE_COUNT, r.value()) == jb.OPERATOR_WAVE_PULSE_WIDTH:
                r.value()

    def t_spectrum(self) -> None:
        inst = self.inst()
        points, bits = jb.SPECTRUM_CONTROL_POINTS, jb.SPECTRUM_BITS
        if inst.type == jb.SPECTRUM:
            reader = self.r.bits(math.ceil(points * bits / 6))
            inst.spectrum = [reader.read(bits) for _ in range(points)]
        elif inst.type == jb.DRUMSET:
            reader = self.r.bits(math.ceil(jb.DRUM_COUNT * points * bits / 6))
            inst.drumset_spectra = [[reader.read(bits) for _ in range(points)] for _ in range(jb.DRUM_COUNT)]
        else:
            raise BeepBoxFormatError(
                "spectrum for an instrument that is neither spectrum nor drumset", self.tag_pos
            )

    def t_harmonics(self) -> None:
        inst = self.inst()
        points, bits = jb.HARMONICS_CONTROL_POINTS, jb.HARMONICS_BITS
        reader = self.r.bits(math.ceil(points * bits / 6))
        inst.harmonics = [reader.read(bits) for _ in range(points)]

    def t_aliases(self) -> None:
        if self.legacy:
            value = self.r.value()
            inst = self.inst()
            inst.aliases = bool(value)
            if inst.aliases:
                inst.distortion = 0
                inst.effects = (inst.effects or 0) | (1 << FX_DISTORTION)

    # --- sequence and patterns -------------------------------------------------------------------------
    def t_bars(self) -> None:
        song = self.song
        needed = (song.patterns_per_channel).bit_length()  # bits for 0..patterns_per_channel
        length = math.ceil(song.channel_count * song.bar_count * needed / 6)
        reader = self.r.bits(length)
        for channel in song.channels:
            bars = channel.bars
            for bar in range(song.bar_count):
                value = reader.read(needed)
                if bar < len(bars):
                    bars[bar] = value
                else:
                    bars.append(value)

    def t_patterns(self) -> None:
        r = self.r
        length_length = validate(1, 4, r.value(), "pattern data length size", r.pos - 1)
        length = 0
        for _ in range(length_length):
            length = (length << 6) + r.value()
        decode_patterns(self.song, r.bits(length), self.version)


def _legacy_envelope(index: int) -> int:
    """Song._envelopeFromLegacyIndex: 'custom' and 'steady' swapped places with 'none' and 'note size'."""
    if index in (0, 1):
        index = 1 - index
    return clamp(0, len(jb.ENVELOPE_NAMES), index)


_HANDLERS = {
    "a": _Decoder.t_beat_count,
    "b": _Decoder.t_bars,
    "c": _Decoder.t_vibrato,
    "d": _Decoder.t_fade_in_out,
    "e": _Decoder.t_loop_end,
    "f": _Decoder.t_eq_filter,
    "g": _Decoder.t_bar_count,
    "h": _Decoder.t_unison,
    "i": _Decoder.t_instrument_count,
    "j": _Decoder.t_pattern_count,
    "k": _Decoder.t_key,
    "l": _Decoder.t_loop_start,
    "m": _Decoder.t_reverb,
    "n": _Decoder.t_channel_count,
    "o": _Decoder.t_channel_octave,
    "p": _Decoder.t_patterns,
    "q": _Decoder.t_effects,
    "r": _Decoder.t_rhythm,
    "s": _Decoder.t_scale,
    "t": _Decoder.t_tempo,
    "u": _Decoder.t_preset,
    "v": _Decoder.t_volume,
    "w": _Decoder.t_wave,
    "x": _Decoder.t_supersaw,
    "y": _Decoder.t_filter_resonance,
    "z": _Decoder.t_drumset_envelopes,
    "A": _Decoder.t_algorithm,
    "B": _Decoder.t_feedback_amplitude,
    "C": _Decoder.t_chord,
    "D": _Decoder.t_detune,
    "E": _Decoder.t_envelopes,
    "F": _Decoder.t_feedback_type,
    "G": _Decoder.t_arpeggio_speed,
    "H": _Decoder.t_harmonics,
    "I": _Decoder.t_string_sustain,
    "L": _Decoder.t_pan,
    "M": _Decoder.t_custom_chip_wave,
    "N": _Decoder.t_song_title,
    "O": _Decoder.t_limiter_settings,
    "P": _Decoder.t_operator_amplitudes,
    "Q": _Decoder.t_operator_frequencies,
    "R": _Decoder.t_operator_waves,
    "S": _Decoder.t_spectrum,
    "T": _Decoder.t_start_instrument,
    "U": _Decoder.t_channel_names,
    "V": _Decoder.t_feedback_envelope,
    "W": _Decoder.t_pulse_width,
    "X": _Decoder.t_aliases,
}
