"""Song <-> tokens the way BeepBox stores a song: a header, then bars of per-channel pattern references.

Stream of a song::

    BOS TEMPO_t KEY_k SCALE_s BEATS_b BARS_n  <instrument of channel 0> ... <instrument of channel C-1>
    BAR <channel 0's bar> <channel 1's bar> ... BAR ... EOS

A channel's bar is ``EMPTY`` (silent), ``REF_k`` (the k-th distinct pattern this channel played, one token
for a repeat), or ``NEW <notes> END`` (a pattern written out, which becomes the channel's next REF). A note
is ``POS_p [TIE] <pitches> [VOL_s] DUR_t [VOL_s] [BEND_i] DUR_t ...``: its start in BeepBox parts (24 per
beat), 1-4 distinct pitches (``P_`` on pitch channels, ``D_`` on drum channels) in BeepBox's stored order (an
arpeggio plays them in that order), then its pins, each
a time from the note's start (the last one is the note's length) with its volume and bend when they change
(the first pin is volume 3 and bend 0 unless a VOL follows the pitches). Nothing is quantized: ÷8 and
freehand notes, chords of up to four pitches, volume and bend shapes all come back exactly. An instrument
is its type plus the settings that differ from that type's defaults (``instrument_tokens``).

Rhythm and channel counts are the static ``Conditioning`` beside the tokens, as for the tick tokenizer.
What is lost: per-pattern instrument choices and instruments past a channel's first (the first plays
all), bars past 128, values that do not fit their slots; each is counted in the loss counters.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from beepbrain.format import config as fc
from beepbrain.tokens.conditioning import Conditioning
from beepbrain.tokens.instrument_tokens import (
    DETAIL_LEVELS,
    FIELDS,
    allowed_types,
    build_instrument,
    instrument_fields,
    slot_maxima,
)
from beepbrain.tokens.losses import add_losses, new_losses
from beepbrain.tokens.pattern_stream import PatternStream, defined_part, join_parts, split_stream, view
from beepbrain.tokens.pattern_vocab import (
    BAR,
    BOS,
    EMPTY,
    END,
    EOS,
    IEND,
    NEW,
    PAD,
    PARTS_PER_BEAT,
    TIE,
    PatternVocabulary,
)
from beepbrain.tokens.protocol import ChannelMarks, TokenizedSong
from beepbrain.tokens.saved import SavedTokenizer

FORMAT = "beepbrain-pattern-tokenizer"
KIND = "pattern"
FULL_SIZE = fc.NOTE_SIZE_MAX
PATTERN_LOSS_KEYS = (
    "pins_altered",  # notes whose volume or bend shape did not come back as it was
    "instruments_dropped",  # a channel's instruments past its first (the first plays every pattern)
    "pattern_instruments",  # patterns that chose an instrument other than the channel's first
    "instrument_values_clamped",  # instrument values outside their slot's range
    "instrument_settings_dropped",  # settings the instrument detail level leaves out (drum set spectra)
)


@dataclass
class PatternTokenizerConfig:
    """``max_refs``: REF tokens per channel (a channel's later distinct patterns are written out again);
    ``trim_trailing_silence`` drops silent bars at a song's end; ``instrument_detail``: ``compact`` leaves
    out drum sets' spectra (180 tokens each), ``full`` writes every setting; ``fill_holes``: the fill
    layout's hole markers (``tokens/fill.py``; 0: a vocabulary without the fill layout, as tokenizers saved
    before it had); ``pins``: the ``PIN`` token, so a window from a later bar holds the patterns the song
    wrote before it (``pattern_stream.view``; False: those are written out again where the window uses
    them, as tokenizers saved before pins did)."""

    max_refs: int = 64
    trim_trailing_silence: bool = True
    instrument_detail: str = "compact"
    fill_holes: int = 64
    pins: bool = True

    def __post_init__(self) -> None:
        if not 1 <= int(self.max_refs) <= 1024:
            raise ValueError("max_refs must be in [1, 1024]")
        self.max_refs = int(self.max_refs)
        if self.instrument_detail not in DETAIL_LEVELS:
            raise ValueError(f"instrument_detail must be one of {DETAIL_LEVELS}")
        if not 0 <= int(self.fill_holes) <= 1024:
            raise ValueError("fill_holes must be in [0, 1024]")
        self.fill_holes = int(self.fill_holes)
        self.pins = bool(self.pins)

    def to_dict(self) -> dict:
        return {
            "max_refs": self.max_refs,
            "trim_trailing_silence": self.trim_trailing_silence,
            "instrument_detail": self.instrument_detail,
            "fill_holes": self.fill_holes,
            "pins": self.pins,
        }

    @classmethod
    def from_dict(cls, obj: dict) -> PatternTokenizerConfig:
        keys = {"max_refs", "trim_trailing_silence", "instrument_detail", "fill_holes", "pins"}
        unknown = set(obj) - keys
        if unknown:
            raise ValueError(f"unknown pattern tokenizer config keys: {sorted(unknown)}")
        # saved before the fill layout: no fill tokens; before pins: no PIN
        return cls(**{"fill_holes": 0, "pins": False, **obj})


class PatternTokenizer(SavedTokenizer):
    """Encode songs as header + pattern streams, and decode any such stream back into a valid song."""

    kind = KIND
    FORMAT = FORMAT
    CONFIG = PatternTokenizerConfig
    HAS_HEADER = True  # the stream holds tempo, key, scale and instruments
    GRAMMAR_CONSTRAINTS = ("strict_rhythm", "in_scale", "start_with_notes")  # what generation asks of it
    listed_shapes = None  # no chord-shape list: any chord of up to four pitches has its tokens

    def __init__(self, config: PatternTokenizerConfig | None = None):
        self.config = config or PatternTokenizerConfig()
        self.vocab = PatternVocabulary(self.config.max_refs, self.config.fill_holes, self.config.pins)
        self.pad_id, self.bos_id, self.eos_id, self.bar_id = PAD, BOS, EOS, BAR
        v = self.vocab
        self._p0, self._d0 = v.start["P"], v.start["D"]
        self._pitch_family, self._drum_family = v.family_index["P"], v.family_index["D"]

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    # ---- encode -------------------------------------------------------------------------------------

    def encode(self, song) -> TokenizedSong:
        """Tokenize a song (its bar sequence from bar 0; loops are not unrolled)."""
        v = self.vocab
        cond = Conditioning.of_song(song)
        bpb = min(max(int(song.beats_per_bar), 1), fc.BEATS_PER_BAR_MAX)
        parts_bar = bpb * PARTS_PER_BEAT
        n_bars = max(1, min(int(song.bar_count), fc.BAR_COUNT_MAX))
        losses = new_losses()
        for key in PATTERN_LOSS_KEYS:
            losses[key] = 0
        for b in range(n_bars, int(song.bar_count)):  # past BeepBox's 128 bars (JummBox allows 256): cut
            losses["bars_cut"] += 1
            for c in range(song.channel_count):
                pattern = song.pattern_at(c, b)
                if pattern is not None:
                    losses["notes"] += len(pattern.notes)
                    losses["notes_dropped"] += len(pattern.notes)

        # the body first: bar by bar, each channel's EMPTY / REF / NEW...END
        bar_items: list[list[tuple[int, ...]]] = []
        stream = PatternStream.for_vocab(v, song.channel_count)
        cache: list[dict[int, tuple[tuple[int, ...], dict]]] = [{} for _ in range(song.channel_count)]
        for b in range(n_bars):
            items: list[tuple[int, ...]] = []
            stream.start_bar()
            for c in range(song.channel_count):
                channel = song.channels[c]
                index = channel.bars[b] if b < len(channel.bars) else 0
                if index <= 0 or index > len(channel.patterns):
                    items.append(stream.write(()))
                    continue
                if index not in cache[c]:
                    pattern = channel.patterns[index - 1]
                    cache[c][index] = self._pattern_tokens(pattern, parts_bar, song.is_noise_channel(c))
                    if pattern.instruments != [0] and pattern.notes:
                        losses["pattern_instruments"] += 1
                body, pattern_losses = cache[c][index]
                add_losses(losses, pattern_losses)
                items.append(stream.write(body))
            bar_items.append(items)
        if self.config.trim_trailing_silence:
            keep = len(bar_items)
            while keep > 1 and all(item == (EMPTY,) for item in bar_items[keep - 1]):
                keep -= 1
            losses["bars_trimmed"] = len(bar_items) - keep
            bar_items = bar_items[:keep]
            n_bars = keep

        tokens: list[int] = [BOS] + self._header(song, bpb, n_bars)
        for c in range(song.channel_count):
            tokens += self._instrument(song, c, losses)
        for items in bar_items:
            tokens.append(BAR)
            for item in items:
                tokens.extend(item)
        tokens.append(EOS)
        losses["notes_kept"] = losses["notes"] - losses["notes_dropped"]
        losses["notes_exact"] = losses["notes_kept"] - losses["notes_altered"]
        return TokenizedSong(np.asarray(tokens, dtype=np.uint16), cond, bpb, n_bars, losses)

    def _header(self, song, bpb: int, bars: int) -> list[int]:
        v = self.vocab
        tempo = min(max(int(song.tempo), fc.TEMPO_MIN), fc.TEMPO_MAX)
        return [
            v.id_of("TEMPO", tempo),
            v.id_of("KEY", int(song.key) % 12),
            v.id_of("SCALE", min(max(int(song.scale), 0), len(fc.SCALE_NAMES) - 1)),
            v.id_of("BEATS", bpb),
            v.id_of("BARS", min(max(int(bars), 1), fc.BAR_COUNT_MAX)),
        ]

    def _instrument(self, song, c: int, losses: dict) -> list[int]:
        from beepbrain.format.song import Instrument

        v = self.vocab
        channel = song.channels[c]
        is_noise = song.is_noise_channel(c)
        inst = (
            channel.instruments[0]
            if channel.instruments
            else Instrument.default(2 if is_noise else 0, is_noise)
        )
        losses["instruments_dropped"] += max(0, len(channel.instruments) - 1)
        if inst.type not in allowed_types(is_noise):  # not something BeepBox puts on such a channel
            inst = Instrument.default(allowed_types(is_noise)[0], is_noise)
            losses["instrument_values_clamped"] += 1
        type_, fields, clamped, dropped = instrument_fields(inst, is_noise, self.config.instrument_detail)
        losses["instrument_values_clamped"] += clamped
        losses["instrument_settings_dropped"] += dropped
        out = [v.id_of("ITYPE", type_)]
        for index, slots in fields:
            out.append(v.id_of("IF", index))
            out.extend(v.id_of("V", s) for s in slots)
        out.append(IEND)
        return out

    def _pattern_tokens(self, pattern, parts_bar: int, drum: bool) -> tuple[tuple[int, ...], dict]:
        """A pattern's note tokens (empty if no note survives) and what they lose."""
        v = self.vocab
        top = fc.DRUM_COUNT - 1 if drum else fc.MAX_PITCH
        family = "D" if drum else "P"
        losses = new_losses()
        losses["pins_altered"] = 0
        out: list[int] = []
        prev_end = 0
        for note in sorted(pattern.notes, key=lambda n: n.start):
            losses["notes"] += 1
            altered = False
            if note.continues_last_pattern:
                losses["ties"] += 1
            pitches = list(dict.fromkeys(note.pitches))  # BeepBox's order (an arpeggio plays it), each once
            if len(pitches) < len(note.pitches):
                losses["pitches_dropped"] += len(note.pitches) - len(pitches)
            in_range = [p for p in pitches if 0 <= p <= top]
            if len(in_range) < len(pitches):
                losses["out_of_range"] += 1
                losses["pitches_dropped"] += len(pitches) - len(in_range)
                altered = True
            if len(in_range) > fc.MAX_CHORD_SIZE:
                losses["chords_reduced"] += 1
                losses["pitches_dropped"] += len(in_range) - fc.MAX_CHORD_SIZE
                in_range = in_range[: fc.MAX_CHORD_SIZE]
                altered = True
            start, end = max(note.start, prev_end, 0), min(note.end, parts_bar)
            if start != note.start:
                losses["collided" if note.start < prev_end else "clipped"] += 1
                altered = True
            if end != note.end:
                losses["clipped"] += 1
                altered = True
            if not in_range or end <= start:
                losses["notes_dropped"] += 1
                continue
            pins, pins_exact = _pins(note, start, end)
            if not pins_exact:
                losses["pins_altered"] += 1
            out.append(v.id_of("POS", start))
            if note.continues_last_pattern and start == 0:
                out.append(TIE)
            out.extend(v.id_of(family, p) for p in in_range)
            size, interval = pins[0][2], 0
            if size != FULL_SIZE:
                out.append(v.id_of("VOL", size))
            for time, bend, pin_size in pins[1:]:
                out.append(v.id_of("DUR", time))
                if pin_size != size:
                    out.append(v.id_of("VOL", pin_size))
                    size = pin_size
                if bend != interval:
                    out.append(v.id_of("BEND", bend))
                    interval = bend
            prev_end = end
            losses["notes_altered"] += altered
        return tuple(out), losses

    # ---- decode -------------------------------------------------------------------------------------

    def decode(self, tokens, conditioning: Conditioning, beats_per_bar: int | None = None):
        """A valid song from a token stream. Tolerant: tokens before BOS and after EOS are ignored, and
        anything out of place (a token of the wrong kind, a REF to no pattern, a note past the bar) is
        skipped, so any stream gives a song that BeepBox opens. ``beats_per_bar`` applies only when the
        header has no BEATS token."""
        from beepbrain.format import Note, NotePin, Pattern, new_song, parse_song
        from beepbrain.format.song import Instrument

        v = self.vocab
        cond = conditioning
        toks = [int(t) for t in np.asarray(tokens, dtype=np.int64).ravel()]
        if BOS in toks:
            toks = toks[toks.index(BOS) + 1 :]
        if EOS in toks:
            toks = toks[: toks.index(EOS)]
        toks = [t for t in toks if 0 <= t < len(v)]
        fam = v.family
        val = v.value
        fi = v.family_index
        header = {"TEMPO": 150, "KEY": 0, "SCALE": 0, "BEATS": beats_per_bar or 8, "BARS": None}
        i = 0
        n = len(toks)
        while i < n and toks[i] != BAR and fam[toks[i]] != fi["ITYPE"]:
            f = int(fam[toks[i]])
            if f >= 0 and v.families[f][0] in header:
                header[v.families[f][0]] = int(val[toks[i]])
            i += 1
        bpb = min(max(int(header["BEATS"]), fc.BEATS_PER_BAR_MIN), fc.BEATS_PER_BAR_MAX)
        parts_bar = bpb * PARTS_PER_BEAT

        instruments = []
        for c in range(cond.channels):
            is_noise = c >= cond.pitch_channels
            inst, i = self._read_instrument(toks, i, is_noise)
            instruments.append(
                inst if inst is not None else Instrument.default(2 if is_noise else 0, is_noise)
            )

        bars: list[list[tuple | None]] = []  # per bar, per channel: note tuple key or None
        stream = PatternStream.for_vocab(v, cond.channels)  # what each REF names: the one rule
        notes_of: dict[tuple[int, tuple[int, ...]], tuple] = {}  # (channel, body) -> its notes
        pin = v.pin  # a pinned row (a window's patterns from before it): its patterns, not a bar
        while i < n:
            pinned = toks[i] == pin and not bars
            if toks[i] != BAR and not pinned:
                i += 1
                continue
            i += 1
            if pinned:
                stream.start_pin()
            else:
                stream.start_bar()
            row: list[tuple | None] = [None] * cond.channels
            for c in range(cond.channels):
                if i >= n or toks[i] == BAR or toks[i] == pin:
                    break
                t = toks[i]
                if t == NEW:
                    start = i + 1
                    notes, i = self._read_notes(toks, start, parts_bar, c >= cond.pitch_channels)
                    body = tuple(toks[start : i - 1] if toks[i - 1] == END else toks[start:i])
                    if notes:
                        row[c] = notes_of.setdefault((c, body), notes)
                        stream.new(body)
                    else:
                        stream.empty()
                elif fam[t] == fi["REF"]:
                    body = stream.ref(int(val[t]))
                    row[c] = notes_of.get((c, body)) if body is not None else None
                    i += 1
                elif pinned and v.is_family(t, "HIDE"):  # patterns named, out of view: silent here
                    stream.hide(int(val[t]))
                    i += 1
                else:  # EMPTY, or a token out of place: the channel is silent in this bar
                    stream.empty()
                    i += 1
            if pinned:
                continue
            bars.append(row)
            if len(bars) >= fc.BAR_COUNT_MAX:
                break
        if header["BARS"] is not None and bars:
            bars = bars[: int(header["BARS"])]
        n_bars = max(1, len(bars))
        song = new_song(
            cond.pitch_channels,
            cond.noise_channels,
            bars=n_bars,
            beats_per_bar=bpb,
            rhythm=cond.rhythm,
            patterns_per_channel=1,
            tempo=min(max(int(header["TEMPO"]), fc.TEMPO_MIN), fc.TEMPO_MAX),
            key=int(header["KEY"]) % 12,
            scale=int(header["SCALE"]) % len(fc.SCALE_NAMES),
        )
        song.loop_start, song.loop_length = 0, n_bars
        most = 1
        for c, channel in enumerate(song.channels):
            channel.instruments = [instruments[c]]
            index: dict[tuple, int] = {}
            channel.bars = [0] * n_bars
            for b, row in enumerate(bars):
                key = row[c]
                if key is None:
                    continue
                if key not in index:
                    index[key] = len(index) + 1
                channel.bars[b] = index[key]
            channel.patterns = []
            for key in index:
                notes = []
                for start, pitches, tie, pins in key:
                    notes.append(
                        Note(
                            list(pitches),
                            start,
                            start + pins[-1][0],
                            [NotePin(bend, time, size) for time, bend, size in pins],
                            tie,
                        )
                    )
                channel.patterns.append(Pattern(notes=notes))
            most = max(most, len(index))
        song.patterns_per_channel = most
        for channel in song.channels:
            channel.patterns += [Pattern() for _ in range(most - len(channel.patterns))]
        return parse_song(song.to_url())  # exactly what BeepBox loads from the song's URL

    def _read_instrument(self, toks: list[int], i: int, is_noise: bool):
        """(instrument or None, next index) from ``ITYPE [IF V...]* IEND`` at ``toks[i]``."""
        v = self.vocab
        fam, val, fi = v.family, v.value, v.family_index
        n = len(toks)
        while i < n and fam[toks[i]] != fi["ITYPE"] and toks[i] not in (BAR, IEND):
            i += 1
        if i >= n or fam[toks[i]] != fi["ITYPE"]:
            return None, (i + 1 if i < n and toks[i] == IEND else i)
        type_ = int(val[toks[i]])
        if type_ not in allowed_types(is_noise):
            type_ = allowed_types(is_noise)[0]
        i += 1
        fields: list[tuple[int, list[int]]] = []
        while i < n and fam[toks[i]] == fi["IF"]:
            index = int(val[toks[i]])
            field = FIELDS[index]
            i += 1
            maxima = slot_maxima(field)
            slots: list[int] = []
            ok = True
            j = 0
            while j < len(maxima):
                if i >= n or fam[toks[i]] != fi["V"]:
                    ok = False
                    break
                slots.append(min(int(val[toks[i]]), maxima[j]))
                i += 1
                if field.kind == "points" and j == 0:
                    maxima = maxima + slot_maxima(field, slots[0])
                j += 1
            if ok and all(index != k for k, _ in fields):
                fields.append((index, slots))
        if i < n and toks[i] == IEND:
            i += 1
        return build_instrument(type_, is_noise, fields), i

    def _read_notes(self, toks: list[int], i: int, parts_bar: int, drum: bool) -> tuple[tuple, int]:
        """(notes key, next index) from the notes of a NEW pattern up to its END: each note is
        ``(start, pitches, tie, ((time, bend, size), ...))``."""
        v = self.vocab
        fam, val, fi = v.family, v.value, v.family_index
        pitch_family = fi["D"] if drum else fi["P"]
        n = len(toks)
        notes: list[tuple] = []
        prev_end = 0
        while i < n and toks[i] not in (END, BAR):
            if fam[toks[i]] != fi["POS"]:
                i += 1
                continue
            start = int(val[toks[i]])
            i += 1
            tie = False
            if i < n and toks[i] == TIE:
                tie, i = start == 0, i + 1
            pitches: list[int] = []
            while i < n and fam[toks[i]] == pitch_family:
                p = int(val[toks[i]])
                if p not in pitches and len(pitches) < fc.MAX_CHORD_SIZE:
                    pitches.append(p)
                i += 1
            size = fc.NOTE_SIZE_MAX
            if i < n and fam[toks[i]] == fi["VOL"]:
                size, i = int(val[toks[i]]), i + 1
            pins = [(0, 0, size)]
            bend = 0
            while i < n and fam[toks[i]] == fi["DUR"]:
                time = int(val[toks[i]])
                i += 1
                if i < n and fam[toks[i]] == fi["VOL"]:
                    size, i = int(val[toks[i]]), i + 1
                if i < n and fam[toks[i]] == fi["BEND"]:
                    bend, i = int(val[toks[i]]), i + 1
                if time > pins[-1][0] and start + time <= parts_bar:
                    pins.append((time, bend, size))
            pins = without_redundant_pins(pins)
            if pitches and len(pins) > 1 and start >= prev_end:
                bends_ok = all(
                    0 <= (p + b) <= (fc.DRUM_COUNT - 1 if drum else fc.MAX_PITCH)
                    for p in (min(pitches), max(pitches))
                    for _t, b, _s in pins
                )
                if not bends_ok:
                    pins = [(t, 0, s) for t, _b, s in pins]
                notes.append((start, tuple(pitches), tie, tuple(pins)))
                prev_end = start + pins[-1][0]
        if i < n and toks[i] == END:
            i += 1
        return tuple(notes), i

    # ---- other --------------------------------------------------------------------------------------

    def transpose(self, tokens: np.ndarray, semitones: int, bends: bool = True) -> np.ndarray | None:
        """The stream with every pitch-channel note moved by ``semitones`` (drums, bends and the key stay),
        or None if a note, or (``bends``) a note's bend, would leave the pitch range (the grammar's rule;
        ``bends=False``: the notes alone, for a key that names a song's transpositions, ``splits.group_key``)."""
        toks = np.asarray(tokens).astype(np.int64)
        family = self.vocab.family[toks]
        is_pitch = family == self._pitch_family
        if not is_pitch.any() or not semitones:
            return toks.astype(np.uint16)
        moved = toks[is_pitch] + semitones
        if moved.min() < self._p0 or moved.max() > self._p0 + fc.MAX_PITCH:
            return None
        is_bend = family == self.vocab.family_index["BEND"]
        if bends and is_bend.any():
            # each bend against its note's moved pitches (its note: the last POS before it)
            index = np.arange(len(toks))
            note = np.maximum.accumulate(np.where(family == self.vocab.family_index["POS"], index, 0))
            high = np.full(len(toks), -(10**6))
            low = np.full(len(toks), 10**6)
            np.maximum.at(high, note[is_pitch], moved - self._p0)
            np.minimum.at(low, note[is_pitch], moved - self._p0)
            interval = self.vocab.value[toks[is_bend]]
            at = note[is_bend]
            pitched = high[at] >= 0  # a drum note's bends are not pitches
            out_of_range = (high[at] + interval > fc.MAX_PITCH) | (low[at] + interval < 0)
            if (out_of_range & pitched).any():
                return None
        out = toks.copy()
        out[is_pitch] = moved
        return out.astype(np.uint16)

    def change_key(self, tokens: np.ndarray, semitones: int) -> np.ndarray | None:
        """The same song in a key ``semitones`` away: only the KEY token moves (its notes are written
        relative to the key, so they, the scale and the drums stay as they are)."""
        toks = np.asarray(tokens).astype(np.int64).copy()
        at = np.flatnonzero(self.vocab.family[toks] == self.vocab.family_index["KEY"])
        if len(at):
            key = int(self.vocab.value[toks[at[0]]])
            toks[at[0]] = self.vocab.id_of("KEY", (key + int(semitones)) % 12)
        return toks.astype(np.uint16)

    def key_of(self, tokens: np.ndarray) -> int:
        """The key the stream's header names (0 without one)."""
        toks = np.asarray(tokens).astype(np.int64)
        at = np.flatnonzero(self.vocab.family[toks] == self.vocab.family_index["KEY"])
        return int(self.vocab.value[toks[at[0]]]) if len(at) else 0

    def view(
        self, tokens, conditioning: Conditioning, start_bar: int, block_size: int | None = None
    ) -> list[int]:
        """The stream from bar ``start_bar`` (0-based) on as a song of its own: the header with the bars
        left, the instruments, for a model of context ``block_size`` the patterns played before pinned
        ahead of the bars, then the bars (``pattern_stream.view``)."""
        return view(tokens, self.vocab, conditioning.channels, start_bar, block_size)

    def window(
        self, view, conditioning: Conditioning, block_size: int, shown_only: bool = False
    ) -> list[int]:
        """A training or scoring window cut from a ``view``: at most ``block_size + 1`` tokens, ending
        before the first bar (after its first) that plays a pattern its pinned rows only name, and with
        ``shown_only`` (training) before the first bar's first item that does
        (``pattern_stream.defined_part``): every ``REF`` in it names a pattern written inside it."""
        return defined_part(view, self.vocab, conditioning.channels, int(block_size) + 1, shown_only)

    def rejoin(self, tokens, window, conditioning: Conditioning, start_bar: int) -> list[int]:
        """The whole stream again from ``tokens`` (the song up to where ``window`` began) and ``window``
        (its ``view`` from ``start_bar``, maybe written further since): bars before ``start_bar`` from
        ``tokens``, the rest from ``window``, every pattern numbered as one stream numbers it."""
        if start_bar <= 0:
            return [int(t) for t in window]
        whole = split_stream(tokens, self.vocab, conditioning.channels)
        later = split_stream(window, self.vocab, conditioning.channels, known=whole.tables)
        whole.bars = whole.bars[:start_bar] + later.bars
        whole.partial, whole.ended = later.partial, later.ended
        return join_parts(whole, self.vocab, conditioning.channels)

    def bar_lines(self, tokens) -> np.ndarray:
        """Offsets of the stream's bar lines (each BAR), bar 0 first."""
        return np.flatnonzero(np.asarray(tokens) == BAR)

    def channel_marks(self) -> ChannelMarks:
        """The channel count starts again at BOS, BAR, EOS and the markers (PIN, FILL, SEP), and goes up
        at an instrument's type and at each bar item (EMPTY, NEW, REF, HIDE, HOLE); a note starts at
        ``POS``, its pins are ``DUR`` (then a pin's ``VOL``, ``BEND``), a body ends at ``END``."""
        v = self.vocab
        markers = [t for t in (v.pin, v.fill, v.sep) if t is not None]
        starts = [EMPTY, NEW]
        for family in ("ITYPE", "REF", "HIDE", "HOLE"):
            if family in v.start:
                first, end = v.span(family)
                starts += range(first, end)
        holes = v.span("HOLE") if "HOLE" in v.start else (-1, -1)
        refs = range(*v.span("REF"))
        unseen = [t for family in ("HIDE", "HOLE") if family in v.start for t in range(*v.span(family))]
        return ChannelMarks(
            resets=(BOS, BAR, EOS, *markers),
            starts=tuple(starts),
            hole_first=holes[0],
            holes=holes[1] - holes[0],
            sep=v.sep if v.sep is not None else -1,
            silent=(EMPTY,),
            sounding=(NEW, *refs),
            unseen=tuple(unseen),
            ends=(EMPTY, END, *refs, *unseen),
            bar_rows=(BAR, *([v.sep] if v.sep is not None else [])),
            onset_first=v.span("POS")[0],
            onsets=v.span("POS")[1] - v.span("POS")[0],
            length_first=v.id_of("DUR", 1),
            lengths=v.span("DUR")[1] - v.span("DUR")[0],
            pin_marks=(*range(*v.span("VOL")), *range(*v.span("BEND"))),
            body_end=END,
            beats_first=v.id_of("BEATS", 1),
            beats=v.span("BEATS")[1] - v.span("BEATS")[0],
            parts_per_beat=PARTS_PER_BEAT,
            new=NEW,
            ref_first=refs.start,
            refs=len(refs),
            hide_first=v.span("HIDE")[0] if "HIDE" in v.start else -1,
            hides=(v.span("HIDE")[1] - v.span("HIDE")[0]) if "HIDE" in v.start else 0,
        )

    def decision_ids(self) -> np.ndarray:
        """``EMPTY``, ``NEW`` and every ``REF_k``: a channel's item decision in a bar."""
        first, end = self.vocab.span("REF")
        return np.array([EMPTY, NEW, *range(first, end)], dtype=np.int64)

    def lowest_pitch(self, tokens: np.ndarray) -> int | None:
        """The lowest pitch-channel pitch the stream writes (None: no pitch notes)."""
        toks = np.asarray(tokens).astype(np.int64)
        is_pitch = self.vocab.family[toks] == self._pitch_family
        return int(toks[is_pitch].min() - self._p0) if is_pitch.any() else None

    def prompt_tokens(self, song, extra_bars: int) -> tuple[list[int], int]:
        """A song's tokens for the model to continue by ``extra_bars`` bars: its stream without EOS, with
        the header's bar count raised to the total; and that total."""
        encoded = self.encode(song)
        total = min(encoded.bars + int(extra_bars), fc.BAR_COUNT_MAX)
        tokens = [int(t) for t in encoded.tokens]
        bars_at = next(i for i, t in enumerate(tokens) if self.vocab.is_family(t, "BARS"))
        tokens[bars_at] = self.vocab.id_of("BARS", total)
        while tokens and tokens[-1] in (EOS, PAD):
            tokens.pop()
        return tokens, total

    def grammar(
        self, conditioning: Conditioning, beats_per_bar: int | None = 8, bars: int | None = None, **fixed
    ):
        from beepbrain.tokens.pattern_grammar import PatternGrammar

        return PatternGrammar(self, conditioning, beats_per_bar=beats_per_bar, bars=bars, **fixed)


def _pins(note, start: int, end: int) -> tuple[list[tuple[int, int, int]], bool]:
    """The note's pins as (time from ``start``, bend, size), first at 0 with bend 0, last at the note's
    length, times rising; and whether that is the note's own shape unchanged."""
    length = end - start
    shift = start - note.start
    raw = [(int(p.time) - shift, int(p.interval), min(max(int(p.size), 0), FULL_SIZE)) for p in note.pins]
    exact = shift == 0 and end == note.end and bool(raw)
    out: list[tuple[int, int, int]] = []
    base = raw[0][1] if raw else 0
    if base != 0:
        exact = False
    for time, bend, size in raw:
        if time <= 0:
            out[:] = [(0, 0, size)]
            continue
        if time > length:
            break
        if not out:
            out.append((0, 0, size))
            exact = False
        if time <= out[-1][0]:
            exact = False
            continue
        out.append((time, bend - base, size))
    if not out:
        out = [(0, 0, FULL_SIZE)]
    if out[-1][0] != length:
        out.append((length, out[-1][1], out[-1][2]))
        exact = False
    out = without_redundant_pins(out)
    if exact and [(int(p.time), int(p.interval), int(p.size)) for p in note.pins] != out:
        exact = False
    return out, exact


def without_redundant_pins(pins: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """(time, bend, size) pins without a middle pin equal in bend and size to the pins on both sides: it
    changes nothing, and BeepBox's JSON import drops it (so a song keeps one form in URL and JSON)."""
    out: list[tuple[int, int, int]] = []
    for pin in pins:
        if len(out) >= 2 and out[-1][1:] == out[-2][1:] == pin[1:]:
            out[-1] = pin
        else:
            out.append(pin)
    return out
