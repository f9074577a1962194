"""What a JummBox song string sets, as JummBox's decoder holds it, before mapping onto BeepBox's model.

Instrument settings are ``None`` until the string sets them: the mapping then keeps BeepBox's defaults.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from beepbrain.format import jummbox_tables as jb


@dataclass
class JBNote:
    pitches: list[int]
    start: int
    end: int
    pins: list[tuple[int, int, int]]  # (interval, time, size 0..NOTE_SIZE_MAX, more in old strings)
    continues_last_pattern: bool = False


@dataclass
class JBPattern:
    notes: list[JBNote] = field(default_factory=list)
    instruments: list[int] = field(default_factory=lambda: [0])


@dataclass
class JBInstrument:
    type: int
    chip_wave: int | None = None
    chip_noise: int | None = None
    volume: int | None = None
    pan: int | None = None
    fade_in: int | None = None
    fade_out: int | None = None
    transition: int | None = None
    legacy_tie_over: bool = False
    aliases: bool = False
    effects: int | None = None
    chord: int | None = None
    pitch_shift: int | None = None
    detune: int | None = None
    vibrato: int | None = None
    vibrato_depth: float | None = None
    unison: int | None = None
    distortion: int | None = None
    bitcrusher_freq: int | None = None
    bitcrusher_quantization: int | None = None
    chorus: int | None = None
    echo_sustain: int | None = None
    echo_delay: int | None = None
    reverb: int | None = None
    pulse_width: int | None = None
    supersaw: tuple[int, int, int] | None = None
    string_sustain: int | None = None
    algorithm: int | None = None
    feedback_type: int | None = None
    feedback_amplitude: int | None = None
    operator_frequencies: list[int] | None = None
    operator_amplitudes: list[int] | None = None
    spectrum: list[int] | None = None
    harmonics: list[int] | None = None
    drumset_envelopes: list[int] | None = None
    drumset_spectra: list[list[int]] | None = None
    # (type, freq, gain) of an advanced filter, or ("simple", cut, peak) for a simple one
    eq_filter: list[tuple[int, int, int]] | tuple[str, int, int] | None = None
    note_filter: list[tuple[int, int, int]] | tuple[str, int, int] | None = None
    envelopes: list[tuple[int, int, int]] = field(default_factory=list)  # (target, index, envelope)
    # versions 1-4: the old filter and envelope settings (BeepBox's convertLegacySettings keys; envelopes
    # as JummBox envelope indices), rebuilt into filters and envelopes when mapped onto BeepBox
    legacy: dict | None = None
    # mod-channel settings, by mod slot
    modulators: list[int] = field(default_factory=lambda: [0] * jb.MOD_COUNT)
    mod_channels: list[int] = field(default_factory=lambda: [-2] * jb.MOD_COUNT)
    mod_instruments: list[int] = field(default_factory=lambda: [0] * jb.MOD_COUNT)


def new_instrument(is_noise: bool, is_mod: bool) -> JBInstrument:
    return JBInstrument(jb.MOD if is_mod else jb.NOISE if is_noise else jb.CHIP)


@dataclass
class JBChannel:
    octave: int = 0
    instruments: list[JBInstrument] = field(default_factory=list)
    patterns: list[JBPattern] = field(default_factory=list)
    bars: list[int] = field(default_factory=list)


@dataclass
class JBSong:
    version: int = jb.LATEST_VERSION
    scale: int = 0
    key: int = 0
    loop_start: int = 0
    loop_length: int = 4
    tempo: int = 150
    beats_per_bar: int = 8
    bar_count: int = 16
    patterns_per_channel: int = 8
    rhythm: int = 1
    layered_instruments: bool = False
    pattern_instruments: bool = False
    pitch_channel_count: int = 3
    noise_channel_count: int = 1
    mod_channel_count: int = 0
    channels: list[JBChannel] = field(default_factory=list)

    @classmethod
    def default(cls) -> JBSong:
        """JummBox's ``initToDefault(true)``: three pitch channels and one noise channel."""
        song = cls()
        for index in range(4):
            is_noise = index == 3
            song.channels.append(
                JBChannel(
                    octave=max(3 - index, 0),
                    instruments=[new_instrument(is_noise, False)],
                    patterns=[JBPattern() for _ in range(song.patterns_per_channel)],
                    bars=[1 if bar < 4 else 0 for bar in range(song.bar_count)],
                )
            )
        return song

    @property
    def channel_count(self) -> int:
        return self.pitch_channel_count + self.noise_channel_count + self.mod_channel_count

    def is_noise(self, index: int) -> bool:
        return self.pitch_channel_count <= index < self.pitch_channel_count + self.noise_channel_count

    def is_mod(self, index: int) -> bool:
        return index >= self.pitch_channel_count + self.noise_channel_count

    def max_instruments_per_channel(self) -> int:
        return max(
            jb.LAYERED_INSTRUMENT_COUNT_MAX if self.layered_instruments else 1,
            jb.PATTERN_INSTRUMENT_COUNT_MAX if self.pattern_instruments else 1,
        )
