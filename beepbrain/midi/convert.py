"""A MidiScore as a BeepBox Song: channels, grid, meter, bars and patterns, with a count of every change.

- **Meter**: the file's first time signature gives the bar. A beat is a quarter note when the bar holds a whole
  number of them, else the signature's own note value (7/8: 7 eighth-note beats); a bar of fewer than 3 beats
  (BeepBox's minimum) counts shorter notes as beats (2/4: 4 eighth-note beats, the tempo doubled to match).
  ``beats_per_bar`` overrides (beats are then quarter notes).
- **Tempo**: the first tempo, in beats of that size per minute, rounded and clamped to BeepBox's 30-300.
  Later tempo and time-signature changes are counted, not followed.
- **Grid**: BeepBox has 24 parts per beat; a note's start and end go to the nearest step of the song's
  rhythm (÷3, ÷4, ÷6, ÷8, or freehand: every part). Without ``rhythm`` the coarsest of ÷4, ÷3, ÷8, ÷6 that
  holds as many note starts and ends exactly as the best of them (within 2%) is chosen.
- **Channels**: every MIDI track (a track's notes on one MIDI channel) is a voice; the 10 voices with the most
  notes become pitch channels, the others are dropped. Channel-10 percussion, all tracks together, goes to
  noise channels (BeepBox's 12 drums, ``beepbrain.midi.drums``). A BeepBox channel plays one note (a chord of
  at most 4 pitches, one start, one end) at a time, so a voice whose notes overlap or whose chords are larger
  takes more channels while BeepBox's limits (10 pitch, 5 noise) leave some over, given first to the voice that
  would otherwise lose the most notes; what still does not fit joins a note that starts at the same time
  (the chord ends with its shortest note), cuts the earlier note short, or, a chord whose every channel is
  taken at that instant, is dropped.
- **Pitches**: MIDI key ``k`` is BeepBox pitch ``k - 12`` in the key of C (BeepBox sounds pitch ``p`` at MIDI
  ``12 + key + p``); keys outside BeepBox's 0-84 move by octaves into it.
- **Bars and patterns**: notes that cross a bar line are cut there; each channel's bars become patterns, bars
  with the same notes sharing one pattern. At most 128 bars; notes after that are dropped.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from fractions import Fraction

from beepbrain.format import config as c
from beepbrain.format.new import new_song
from beepbrain.format.song import PARTS_PER_BEAT, Note, Pattern, Song
from beepbrain.midi.drums import noise_pitch
from beepbrain.midi.read import MidiImportError, MidiScore

AUTO_RHYTHMS = (1, 0, 3, 2)  # ÷4, ÷3, ÷8, ÷6: the order of preference among grids that fit equally well
FIT_TOLERANCE = 0.02


@dataclass
class ImportReport:
    """What an import kept and changed. ``changes`` counts notes (MIDI notes, one per key) by what happened:

    quantized (start or end moved to the grid), lengthened (shorter than a step: one step long),
    octave_shifted, split_at_bar (cut into one note per bar), joined_chord (joined a chord starting with it
    and took its end), truncated_overlap (cut short where a later note in its channel starts),
    merged_duplicate (the same key, or drum, twice at once), dropped_track_limit (voices beyond 10),
    dropped_chord (no channel free at its start), dropped_overlap, dropped_past_bar_limit,
    unterminated (never closed: ended with its track), zero_length (dropped when read);
    and events: tempo_changes_ignored, time_signature_changes_ignored, tempo_clamped.
    """

    notes_in: int = 0
    notes_out: int = 0
    changes: Counter = field(default_factory=Counter)
    settings: dict = field(default_factory=dict)

    @property
    def dropped(self) -> int:
        return sum(v for k, v in self.changes.items() if k.startswith("dropped_"))

    def as_dict(self) -> dict:
        return {
            "notes_in": self.notes_in,
            "notes_out": self.notes_out,
            "dropped": self.dropped,
            "changes": dict(sorted(self.changes.items())),
            "settings": dict(self.settings),
        }

    def summary(self) -> str:
        s = self.settings
        head = (
            f"{self.notes_in} MIDI notes -> {self.notes_out} in the song ({self.dropped} dropped); "
            f"{s.get('pitch_channels')} pitch + {s.get('noise_channels')} drum channels, "
            f"{s.get('bars')} bars of {s.get('beats_per_bar')} beats, {s.get('tempo')} bpm, "
            f"rhythm {c.RHYTHM_NAMES[s['rhythm']] if 'rhythm' in s else '?'}"
        )
        changed = ", ".join(f"{k} {v}" for k, v in sorted(self.changes.items()) if v)
        return head + (f"\nchanged: {changed}" if changed else "\nchanged: nothing")


@dataclass(slots=True)
class _Hit:
    start: int  # parts from the song's start
    end: int
    pitches: list[int]


def score_to_song(
    score: MidiScore,
    *,
    rhythm: int | None = None,
    beats_per_bar: int | None = None,
    max_pitch_channels: int = c.PITCH_CHANNEL_COUNT_MAX,
    max_noise_channels: int = c.NOISE_CHANNEL_COUNT_MAX,
) -> tuple[Song, ImportReport]:
    """Convert ``score``; MidiImportError when it has no notes or an option is out of range."""
    if rhythm is not None and not 0 <= rhythm < len(c.RHYTHM_STEPS_PER_BEAT):
        raise MidiImportError(f"rhythm {rhythm} not in 0-{len(c.RHYTHM_STEPS_PER_BEAT) - 1}")
    if beats_per_bar is not None and not c.BEATS_PER_BAR_MIN <= beats_per_bar <= c.BEATS_PER_BAR_MAX:
        raise MidiImportError(
            f"beats per bar {beats_per_bar} not in {c.BEATS_PER_BAR_MIN}-{c.BEATS_PER_BAR_MAX}"
        )
    report = ImportReport(notes_in=score.note_count)
    ch = report.changes
    ch["unterminated"] += score.unterminated
    ch["zero_length"] += score.zero_length
    if report.notes_in == 0:
        raise MidiImportError("the file holds no notes")

    unit, bpb = _meter(score, beats_per_bar, ch)
    tempo = _tempo(score, unit, ch)
    beat = Fraction(score.ticks_per_beat) * unit  # MIDI ticks per BeepBox beat
    if rhythm is None:
        rhythm = _choose_rhythm(score, beat)
    steps = c.RHYTHM_STEPS_PER_BEAT[rhythm]
    part_step = PARTS_PER_BEAT // steps

    num, den = beat.numerator, beat.denominator  # a step is num / (den * steps) ticks

    def to_parts(tick: int) -> tuple[int, bool]:
        x = tick * steps * den
        q = (2 * x + num) // (2 * num)  # the nearest step, halves rounded up
        return q * part_step, x % num == 0

    # voices: (is_drum, notes as (start, end, pitch)) in parts, quantized
    pitched: list[list[tuple[int, int, int]]] = []
    drums: list[tuple[int, int, int]] = []
    for part in score.parts:
        voice = []
        for n in part.notes:
            start, ok_start = to_parts(n.start)
            end, ok_end = to_parts(n.end)
            if not (ok_start and ok_end):
                ch["quantized"] += 1
            if end <= start:
                end = start + part_step
                ch["lengthened"] += 1
            if part.is_drum:
                pitch = noise_pitch(n.pitch)
            else:
                pitch = n.pitch - 12
                if not 0 <= pitch <= c.MAX_PITCH:
                    ch["octave_shifted"] += 1
                    while pitch < 0:
                        pitch += 12
                    while pitch > c.MAX_PITCH:
                        pitch -= 12
            voice.append((start, end, pitch))
        if part.is_drum:
            drums.extend(voice)
        elif voice:
            pitched.append(voice)

    order = sorted(range(len(pitched)), key=lambda i: -len(pitched[i]))
    kept = sorted(order[:max_pitch_channels])
    for i in order[max_pitch_channels:]:
        ch["dropped_track_limit"] += len(pitched[i])
    pitch_lanes = _allocate([pitched[i] for i in kept], max_pitch_channels, ch)
    noise_lanes = _allocate([drums], max_noise_channels, ch) if drums else []
    report.notes_out = sum(len(h.pitches) for lane in pitch_lanes + noise_lanes for h in lane)

    parts_per_bar = bpb * PARTS_PER_BEAT
    song_end = max((h.end for lane in pitch_lanes + noise_lanes for h in lane), default=0)
    bars = max(1, -(-song_end // parts_per_bar))
    if bars > c.BAR_COUNT_MAX:
        bars = c.BAR_COUNT_MAX
        limit = bars * parts_per_bar
        for lane in pitch_lanes + noise_lanes:
            gone = [h for h in lane if h.start >= limit]
            ch["dropped_past_bar_limit"] += sum(len(h.pitches) for h in gone)
            report.notes_out -= sum(len(h.pitches) for h in gone)
            lane[:] = [h for h in lane if h.start < limit]
            for h in lane:
                h.end = min(h.end, limit)

    channel_bars = [_cut_bars(lane, parts_per_bar, bars, ch) for lane in pitch_lanes + noise_lanes]
    patterns_per_channel = max([1] + [len(set(filter(None, b))) for b in channel_bars])
    song = new_song(
        max(1, len(pitch_lanes)),
        len(noise_lanes),
        bars=bars,
        beats_per_bar=bpb,
        rhythm=rhythm,
        tempo=tempo,
        patterns_per_channel=min(patterns_per_channel, c.BAR_COUNT_MAX),
    )
    song.loop_start, song.loop_length = 0, bars
    offset = song.pitch_channel_count - len(pitch_lanes)  # an empty pitch channel when there are only drums
    for index, per_bar in enumerate(channel_bars):
        channel = song.channels[index if index < len(pitch_lanes) else index + offset]
        _fill(channel, per_bar, song.patterns_per_channel)
        if index < len(pitch_lanes):
            pitches = sorted(p for h in pitch_lanes[index] for p in h.pitches)
            median = pitches[len(pitches) // 2] if pitches else 36
            channel.octave = max(0, min(c.PITCH_OCTAVES - 1, median // 12 - 1))
    if offset:  # the placeholder pitch channel plays nothing
        song.channels[0].bars = [0] * bars
    report.settings = {
        "rhythm": rhythm,
        "tempo": tempo,
        "beats_per_bar": bpb,
        "bars": bars,
        "pitch_channels": song.pitch_channel_count,
        "noise_channels": song.noise_channel_count,
        "voices": len(pitched),
        "patterns_per_channel": song.patterns_per_channel,
    }
    return song, report


def _meter(score: MidiScore, beats_per_bar: int | None, ch: Counter) -> tuple[Fraction, int]:
    """(beat length in quarter notes, beats per bar)."""
    sigs = score.time_signatures
    ch["time_signature_changes_ignored"] += sum(
        1 for s in sigs[1:] if (s[1], s[2]) != (sigs[0][1], sigs[0][2])
    )
    if beats_per_bar is not None:
        return Fraction(1), beats_per_bar
    num, den = (sigs[0][1], sigs[0][2]) if sigs else (4, 4)
    if num <= 0 or den <= 0:
        num, den = 4, 4
    bar = Fraction(4 * num, den)  # in quarter notes
    unit = Fraction(1) if bar.denominator == 1 else Fraction(4, den)
    while bar / unit < c.BEATS_PER_BAR_MIN:
        unit /= 2
    beats = bar / unit
    if beats > c.BEATS_PER_BAR_MAX or beats.denominator != 1:
        ch["time_signature_unrepresentable"] += 1
        return Fraction(1), max(c.BEATS_PER_BAR_MIN, min(c.BEATS_PER_BAR_MAX, round(bar)))
    return unit, int(beats)


def _tempo(score: MidiScore, unit: Fraction, ch: Counter) -> int:
    tempos = score.tempos
    ch["tempo_changes_ignored"] += sum(1 for t in tempos[1:] if t[1] != tempos[0][1])
    bpm = round(Fraction(60_000_000, max(1, score.tempo)) / unit)
    clamped = max(c.TEMPO_MIN, min(c.TEMPO_MAX, bpm))
    if clamped != bpm:
        ch["tempo_clamped"] += 1
    return clamped


def _choose_rhythm(score: MidiScore, beat: Fraction) -> int:
    # note starts and ends: a grid that holds the starts but not the lengths would move every end
    ticks = Counter(t for p in score.parts for n in p.notes for t in (n.start, n.end))
    total = sum(ticks.values())
    fit = {}
    for r in AUTO_RHYTHMS:
        steps = c.RHYTHM_STEPS_PER_BEAT[r]
        fit[r] = (
            sum(k for t, k in ticks.items() if (t * steps * beat.denominator) % beat.numerator == 0) / total
        )
    best = max(fit.values())
    return next(r for r in AUTO_RHYTHMS if fit[r] >= best - FIT_TOLERANCE)


def _layout(notes: list[tuple[int, int, int]], cap: int, ch: Counter) -> list[list[_Hit]]:
    """Lay a voice's notes into at most ``cap`` lanes (channels) of non-overlapping chords of <= 4 pitches."""
    chords: dict[tuple[int, int], list[int]] = {}
    for start, end, pitch in notes:
        pitches = chords.setdefault((start, end), [])
        if pitch in pitches:
            ch["merged_duplicate"] += 1
        else:
            pitches.append(pitch)
    lanes: list[list[_Hit]] = []
    for (start, end), pitches in sorted(chords.items()):
        remaining = sorted(pitches, reverse=True)  # the top voice first: it gets the first free channel
        while remaining:
            piece, remaining = remaining[: c.MAX_CHORD_SIZE], remaining[c.MAX_CHORD_SIZE :]
            free = next((lane for lane in lanes if lane[-1].end <= start), None)
            if free is None and len(lanes) < cap:
                free = []
                lanes.append(free)
            if free is not None:
                free.append(_Hit(start, end, piece))
                continue
            same = [
                lane for lane in lanes if lane[-1].start == start and len(lane[-1].pitches) < c.MAX_CHORD_SIZE
            ]
            if same:
                hit = same[0][-1]
                room = c.MAX_CHORD_SIZE - len(hit.pitches)
                joined = [p for p in piece if p not in hit.pitches]
                ch["merged_duplicate"] += len(piece) - len(joined)
                remaining = joined[room:] + remaining
                joined = joined[:room]
                if end != hit.end:
                    ch["joined_chord"] += len(joined) if end > hit.end else len(hit.pitches)
                hit.pitches.extend(joined)
                hit.end = min(hit.end, end)
                continue
            earlier = [lane for lane in lanes if lane[-1].start < start]
            if earlier:
                lane = min(earlier, key=lambda lane: lane[-1].end)
                ch["truncated_overlap"] += len(lane[-1].pitches)
                lane[-1].end = start
                lane.append(_Hit(start, end, piece))
                continue
            ch["dropped_chord"] += len(piece)
    for lane in lanes:
        for hit in lane:
            hit.pitches.sort()
    return lanes


def _allocate(voices: list[list[tuple[int, int, int]]], budget: int, ch: Counter) -> list[list[_Hit]]:
    """Lanes for each voice: one each, then the spare channels to the voices that would lose most without."""
    if not voices:
        return []
    scratch: Counter = Counter()
    ideal = [_layout(v, budget, scratch) for v in voices]
    alloc = [1] * len(voices)
    spare = budget - len(voices)
    while spare > 0:
        gains = [
            sum(len(h.pitches) for h in ideal[i][alloc[i]]) if alloc[i] < len(ideal[i]) else 0
            for i in range(len(voices))
        ]
        best = max(range(len(voices)), key=lambda i: gains[i])
        if gains[best] == 0:
            break
        alloc[best] += 1
        spare -= 1
    lanes: list[list[_Hit]] = []
    for voice, cap in zip(voices, alloc, strict=True):
        lanes.extend(_layout(voice, cap, ch))
    return lanes


def _cut_bars(lane: list[_Hit], parts_per_bar: int, bars: int, ch: Counter) -> list[tuple | None]:
    """The lane's notes per bar, as hashable tuples ((start, end, pitches), ...) in bar time; None if silent."""
    per_bar: list[list] = [[] for _ in range(bars)]
    for hit in lane:
        start = hit.start
        if (hit.end - 1) // parts_per_bar != start // parts_per_bar:
            ch["split_at_bar"] += len(hit.pitches)
        while start < hit.end:
            bar = start // parts_per_bar
            if bar >= bars:
                break
            end = min(hit.end, (bar + 1) * parts_per_bar)
            per_bar[bar].append((start - bar * parts_per_bar, end - bar * parts_per_bar, tuple(hit.pitches)))
            start = end
    return [tuple(notes) if notes else None for notes in per_bar]


def _fill(channel, per_bar: list[tuple | None], patterns_per_channel: int) -> None:
    index: dict[tuple, int] = {}
    patterns: list[Pattern] = []
    bars = []
    for notes in per_bar:
        if notes is None:
            bars.append(0)
            continue
        if notes not in index:
            patterns.append(Pattern([Note.simple(list(p), s, e) for s, e, p in notes]))
            index[notes] = len(patterns)
        bars.append(index[notes])
    while len(patterns) < patterns_per_channel:
        patterns.append(Pattern())
    channel.patterns = patterns
    channel.bars = bars
