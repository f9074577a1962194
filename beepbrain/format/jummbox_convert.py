"""Mapping a decoded JummBox song (JBSong) onto BeepBox's song model: the musical content exactly where
BeepBox can hold it, the nearest BeepBox setting elsewhere (docs/format-jummbox.md lists every mapping)."""

from __future__ import annotations

from beepbrain.format import config as bb
from beepbrain.format import jummbox_tables as jb
from beepbrain.format.errors import BeepBoxFormatError
from beepbrain.format.jummbox_state import JBChannel, JBInstrument, JBNote, JBPattern, JBSong
from beepbrain.format.legacy import convert_legacy_settings, legacy_filter_points
from beepbrain.format.song import (
    Channel,
    EnvelopeSettings,
    FilterControlPoint,
    Instrument,
    Note,
    NotePin,
    Pattern,
    Song,
)


def note_size_to_bb(size: int) -> int:
    """JummBox pin size 0..6 (old strings' 3-bit sizes reach 7) to BeepBox's 0..3: halved, rounding up, so a
    quiet note stays audible."""
    return min(bb.NOTE_SIZE_MAX, (size + 1) // 2)


def to_beepbox(song: JBSong) -> Song:
    if not 0 <= song.rhythm < len(bb.RHYTHM_STEPS_PER_BEAT):
        raise BeepBoxFormatError(f"rhythm {song.rhythm} unknown")
    bar_count = min(song.bar_count, bb.BAR_COUNT_MAX)
    pitch = kept_channels(song, range(song.pitch_channel_count), bb.PITCH_CHANNEL_COUNT_MAX, bar_count)
    first_noise = song.pitch_channel_count
    noise = kept_channels(
        song,
        range(first_noise, first_noise + song.noise_channel_count),
        bb.NOISE_CHANNEL_COUNT_MAX,
        bar_count,
    )
    pitch_count, noise_count = len(pitch), len(noise)
    kept = pitch + noise
    loop_start = min(max(song.loop_start, 0), bar_count - 1)
    loop_length = max(1, min(song.loop_length, bar_count - loop_start))

    # bars: truncated to BeepBox's bar count; a reference past the channel's patterns plays nothing
    bars = []
    for index in kept:
        channel = song.channels[index]
        row = [b if 0 <= b <= song.patterns_per_channel else 0 for b in channel.bars[:bar_count]]
        bars.append(row + [0] * (bar_count - len(row)))
    # patterns: kept by number, unless JummBox's count passes BeepBox's: then only those the bars use, renumbered
    if song.patterns_per_channel <= bb.BAR_COUNT_MAX:
        pattern_numbers = [list(range(1, song.patterns_per_channel + 1)) for _ in kept]
    else:
        pattern_numbers = [sorted({b for b in row if b > 0}) for row in bars]
        for row, numbers in zip(bars, pattern_numbers, strict=False):
            renumber = {old: new for new, old in enumerate(numbers, 1)}
            row[:] = [renumber.get(b, 0) for b in row]
    patterns_per_channel = max(1, max(len(n) for n in pattern_numbers))

    out = Song(
        scale=jb.SCALE_TO_BB[song.scale] if song.scale < len(jb.SCALE_TO_BB) else jb.BB_EXPERT,
        key=song.key,
        tempo=min(max(song.tempo, bb.TEMPO_MIN), bb.TEMPO_MAX),
        beats_per_bar=song.beats_per_bar,
        bar_count=bar_count,
        patterns_per_channel=patterns_per_channel,
        rhythm=song.rhythm,
        layered_instruments=song.layered_instruments,
        pattern_instruments=song.pattern_instruments,
        loop_start=loop_start,
        loop_length=loop_length,
        pitch_channel_count=pitch_count,
        noise_channel_count=noise_count,
    )
    for slot, index in enumerate(kept):
        is_noise = slot >= pitch_count
        out.channels.append(
            _channel(
                song, song.channels[index], is_noise, bars[slot], pattern_numbers[slot], patterns_per_channel
            )
        )
    return out


def kept_channels(song: JBSong, indices: range, limit: int, bar_count: int) -> list[int]:
    """All the channels if BeepBox can hold them, else the ``limit`` that play the most notes (in the first
    ``bar_count`` bars; earlier channels first on ties), in their order."""
    if len(indices) <= limit:
        return list(indices)

    def played(index: int) -> int:
        channel = song.channels[index]
        return sum(
            len(channel.patterns[b - 1].notes)
            for b in channel.bars[:bar_count]
            if 0 < b <= len(channel.patterns)
        )

    busiest = sorted(indices, key=lambda i: (-played(i), i))[:limit]
    return sorted(busiest)


def _channel(
    song: JBSong,
    channel: JBChannel,
    is_noise: bool,
    bars: list[int],
    numbers: list[int],
    patterns_per_channel: int,
) -> Channel:
    legacy = song.version < 5
    instruments = [
        instrument_to_bb(i, is_noise, legacy) for i in channel.instruments[: bb.PATTERN_INSTRUMENT_COUNT_MAX]
    ]
    if not instruments:
        instruments = [Instrument.default(bb.NOISE if is_noise else bb.CHIP, is_noise)]
    patterns = []
    for number in numbers:
        source = channel.patterns[number - 1] if number - 1 < len(channel.patterns) else JBPattern()
        patterns.append(_pattern(source, is_noise, len(instruments), song.layered_instruments))
    patterns.extend(Pattern() for _ in range(patterns_per_channel - len(patterns)))
    return Channel(
        octave=0 if is_noise else min(channel.octave, bb.PITCH_OCTAVES - 1),
        instruments=instruments,
        patterns=patterns,
        bars=bars,
    )


def _pattern(source: JBPattern, is_noise: bool, instrument_count: int, layered: bool) -> Pattern:
    limit = bb.LAYERED_INSTRUMENT_COUNT_MAX if layered else 1
    instruments = []
    for i in source.instruments:
        if 0 <= i < instrument_count and i not in instruments and len(instruments) < limit:
            instruments.append(i)
    notes = [n for n in (_note(note, is_noise) for note in source.notes) if n is not None]
    return Pattern(notes=notes, instruments=instruments or [0])


def _note(note: JBNote, is_noise: bool) -> Note | None:
    """The note in BeepBox's ranges: at most 4 pitches, moved by whole octaves into BeepBox's 7 (pitch
    channels; JummBox has 8) with its bends; pitches that still do not fit are dropped."""
    top = bb.DRUM_COUNT - 1 if is_noise else bb.MAX_PITCH
    pitches: list[int] = []
    for p in note.pitches:
        if p not in pitches:
            pitches.append(p)
    pitches = pitches[: bb.MAX_CHORD_SIZE]
    low_bend = min(0, min(i for i, _, _ in note.pins))
    high_bend = max(0, max(i for i, _, _ in note.pins))
    shift = 0
    if not is_noise:
        over = max(pitches) + high_bend - top
        if over > 0:
            shift = -12 * -(-over // 12)
        under = -(min(pitches) + low_bend + shift)
        if under > 0:
            shift += 12 * -(-under // 12)
    pitches = [p + shift for p in pitches if p + shift + low_bend >= 0 and p + shift + high_bend <= top]
    if not pitches:
        return None
    base = note.pitches[0] + shift
    if pitches[0] != base:
        # the first pitch (which the bends are measured from) was dropped: bends become relative to the new one
        offset = base - pitches[0]
        pins = [NotePin(interval + offset, time, note_size_to_bb(size)) for interval, time, size in note.pins]
        if any(not 0 <= p + pin.interval <= top for p in pitches for pin in pins):
            return None
    else:
        pins = [NotePin(interval, time, note_size_to_bb(size)) for interval, time, size in note.pins]
    return Note(pitches, note.start, note.end, pins, note.continues_last_pattern)


def instrument_to_bb(src: JBInstrument, is_noise: bool, legacy: bool = False) -> Instrument:
    """``legacy``: the instrument comes from a version 1-4 string, whose old filter and envelope settings
    BeepBox's own upgrade (convertLegacySettings, to filter points) rebuilds."""
    kind = jb.TYPE_TO_BB.get(src.type, bb.NOISE if is_noise else bb.CHIP)
    if is_noise and kind not in jb.NOISE_CHANNEL_TYPES:
        kind = bb.NOISE
    elif not is_noise and kind not in jb.PITCH_CHANNEL_TYPES:
        kind = bb.CHIP
    inst = Instrument.default(kind, is_noise)
    if src.volume is not None:
        inst.volume = jb.volume_to_bb(src.volume)
    if src.effects is not None:
        inst.effects = src.effects & ((1 << bb.EFFECT_COUNT) - 1)
    if src.eq_filter is not None:
        inst.eq_filter = _filter_points(src.eq_filter)
    _copy_type_settings(inst, src)
    # effect settings count only where the effect is on (BeepBox writes and reads them only then)
    on = inst.effects
    if on & (1 << bb.EFFECT_TRANSITION):
        _copy(inst, src, "transition")
    if on & (1 << bb.EFFECT_CHORD):
        _copy(inst, src, "chord")
    if on & (1 << bb.EFFECT_PITCH_SHIFT):
        _copy(inst, src, "pitch_shift")
    if on & (1 << bb.EFFECT_DISTORTION):
        _copy(inst, src, "distortion")
    if on & (1 << bb.EFFECT_BITCRUSHER):
        _copy(inst, src, "bitcrusher_freq", "bitcrusher_quantization")
    if on & (1 << bb.EFFECT_ECHO):
        _copy(inst, src, "echo_sustain", "echo_delay")
    if on & (1 << bb.EFFECT_PANNING) and src.pan is not None:
        inst.pan = jb.pan_to_bb(src.pan)
    if on & (1 << bb.EFFECT_DETUNE) and src.detune is not None:
        inst.detune = jb.detune_to_bb(src.detune)
    if on & (1 << bb.EFFECT_VIBRATO) and src.vibrato is not None:
        inst.vibrato = jb.vibrato_to_bb(src.vibrato, src.vibrato_depth)
    if on & (1 << bb.EFFECT_CHORUS) and src.chorus is not None:
        inst.chorus = jb.scaled(src.chorus, jb.CHORUS_RANGE, bb.CHORUS_RANGE)
    if on & (1 << bb.EFFECT_REVERB) and src.reverb is not None:
        inst.reverb = jb.scaled(src.reverb, jb.REVERB_RANGE, bb.REVERB_RANGE)
    if on & (1 << bb.EFFECT_NOTE_FILTER) and src.note_filter is not None:
        inst.note_filter = _filter_points(src.note_filter)
    inst.envelopes = [
        _envelope(inst, target, index, jb.ENVELOPE_TO_BB[envelope])
        for target, index, envelope in src.envelopes[: bb.MAX_ENVELOPE_COUNT]
    ]
    if legacy:
        old = {}
        for key, value in (src.legacy or {}).items():
            if key.endswith("Envelopes"):
                old[key] = [jb.ENVELOPE_TO_BB[v] for v in value]
            elif key.endswith("Envelope"):
                old[key] = jb.ENVELOPE_TO_BB[value]
            else:
                old[key] = value
        _upgrade_legacy(inst, old)
    return inst


def _upgrade_legacy(inst: Instrument, old: dict) -> None:
    """BeepBox's convertLegacySettings, which rejects envelopes an instrument cannot take where JummBox's
    keeps them aimed at nothing: those are left out (they did nothing)."""
    if inst.type != bb.FM:
        old.pop("operatorEnvelopes", None)
        old.pop("feedbackEnvelope", None)
    if inst.type not in (bb.PWM, bb.SUPERSAW):
        old.pop("pulseEnvelope", None)
    effects = inst.effects
    try:
        convert_legacy_settings(inst, old)
    except BeepBoxFormatError:
        inst.effects = effects
        convert_legacy_settings(
            inst, {k: v for k, v in old.items() if not k.endswith(("Envelope", "Envelopes"))}
        )


def _filter_points(source) -> list[FilterControlPoint]:
    """Advanced filter points as they are; a simple (cut, peak) filter as the low-pass points BeepBox makes
    of the same old cutoff/resonance settings (convertLegacySettings, no envelope)."""
    if source and source[0] == "simple":
        return legacy_filter_points(source[1], source[2], _NO_ENVELOPE)
    return [FilterControlPoint(freq, gain, shape) for shape, freq, gain in source]


_NO_ENVELOPE = bb.ENVELOPE_INDEX["none"]


def _copy_type_settings(inst: Instrument, src: JBInstrument) -> None:
    """The settings BeepBox keeps for this instrument's type (it stores no others)."""
    kind = inst.type
    if kind != bb.DRUMSET:
        _copy(inst, src, "fade_in", "fade_out")
    if kind == bb.CHIP and src.chip_wave is not None:
        inst.chip_wave = jb.CHIP_WAVE_TO_BB[src.chip_wave]
    if kind in (bb.CHIP, bb.HARMONICS, bb.PICKED_STRING) and src.unison is not None:
        inst.unison = jb.UNISON_TO_BB[src.unison]
    if kind == bb.NOISE and src.chip_noise is not None:
        inst.chip_noise = jb.CHIP_NOISE_TO_BB[src.chip_noise]
    if kind == bb.FM:
        _copy(inst, src, "algorithm", "feedback_type", "feedback_amplitude")
        for op, value in zip(inst.operators, src.operator_frequencies or (), strict=False):
            op.frequency = value
        for op, value in zip(inst.operators, src.operator_amplitudes or (), strict=False):
            op.amplitude = value
    if kind in (bb.PWM, bb.SUPERSAW) and src.pulse_width is not None:
        inst.pulse_width = jb.pulse_width_to_bb(src.pulse_width)
    if kind == bb.SUPERSAW and src.supersaw is not None:
        inst.supersaw_dynamism, inst.supersaw_spread, inst.supersaw_shape = src.supersaw
    if kind == bb.PICKED_STRING:
        _copy(inst, src, "string_sustain")
    if kind in (bb.HARMONICS, bb.PICKED_STRING) and src.harmonics is not None:
        inst.harmonics = list(src.harmonics)
    if kind == bb.SPECTRUM and src.spectrum is not None:
        inst.spectrum = list(src.spectrum)
    if kind == bb.DRUMSET:
        if src.drumset_envelopes is not None:
            inst.drumset_envelopes = [jb.ENVELOPE_TO_BB[e] for e in src.drumset_envelopes]
        if src.drumset_spectra is not None:
            inst.drumset_spectra = [list(row) for row in src.drumset_spectra]


def _copy(inst: Instrument, src: JBInstrument, *names: str) -> None:
    for name in names:
        value = getattr(src, name)
        if value is not None:
            setattr(inst, name, value)


def _envelope(inst: Instrument, target: int, index: int, envelope: int) -> EnvelopeSettings:
    """BeepBox's supportsEnvelopeTarget: an envelope aimed at a target this instrument lacks aims at none."""
    _name, max_count, has_compute_index, effect, compatible, is_filter = bb.AUTOMATION_TARGETS[target]
    ok = (
        (has_compute_index or target == 0)
        and index < max_count
        and (compatible is None or inst.type in compatible)
        and (effect is None or inst.effects & (1 << effect))
        and (not is_filter or index < len(inst.note_filter))
    )
    return EnvelopeSettings(target, index, envelope) if ok else EnvelopeSettings(0, 0, envelope)
