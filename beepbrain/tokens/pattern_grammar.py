"""Constrained decoding for the pattern tokenizer: which tokens may come next so the stream is a song.

The grammar walks the stream the way ``PatternTokenizer.decode`` reads it (header, one instrument per
channel, bars of per-channel items, notes with their pins) and allows only what keeps it well formed:
header values in their ranges (or the value a caller fixed), instrument types the channel kind can hold,
instrument settings in rising order with values in each slot's range, a REF only to a pattern the channel
already wrote, notes that start after the previous one ends and end inside the bar, distinct pitches in the
channel's range (at most four), bends that keep every pitch in range, and EOS exactly after the header's
bar count. With ``strict_rhythm`` note starts and pin times fall on the song rhythm's grid; with
``in_scale`` pitch-channel notes keep to the header's scale, as BeepBox's editor places them (pitches are
stored relative to the key, so the scale's pitch classes are the allowed ones); with ``start_with_notes``
some channel plays in the first bar, so a song never starts with a silent bar (or stays silent).

With ``fill`` the stream is the fill layout (``tokens/fill.py``): ``FILL`` after the instruments, a
``HOLE_k`` where each hole stands (the k-th in order), ``SEP`` after the last bar, then each hole's marker
(forced) and its content, an item of the hole's channel under the same rules as any item (the channel's
kind, its pattern table, the rhythm grid, the scale), then EOS. Without it ``FILL`` is refused, so a new
song is always a song.

A window's pinned rows (``PIN`` and one item per channel, before the first ``BAR``: ``pattern_stream``)
are accepted only while the grammar is relaxed, as it is while it replays a view the sampler slid to;
they enter the channels' tables and are not bars, and only they may hold ``HIDE_n`` (n patterns named,
not written out). A sampled song never writes one.
"""

from __future__ import annotations

import copy
import enum

import numpy as np

from beepbrain.format import config as fc
from beepbrain.tokens.conditioning import Conditioning
from beepbrain.tokens.instrument_tokens import DETAILED_FIELDS, FIELDS, allowed_types, slot_maxima
from beepbrain.tokens.pattern_stream import PatternStream
from beepbrain.tokens.pattern_vocab import BAR, BOS, EMPTY, END, EOS, IEND, NEW, PAD, PARTS_PER_BEAT, TIE

HEADER = ("TEMPO", "KEY", "SCALE", "BEATS", "BARS")


class Phase(enum.Enum):
    """Where the stream stands: what the last token was, so what may come next."""

    HEADER = "header"  # a header value
    ITYPE = "itype"  # a channel's instrument type
    IFIELDS = "ifields"  # its settings, then IEND
    BAR = "bar"  # BAR, or EOS after the last bar
    ITEM = "item"  # a channel's EMPTY / REF / NEW
    NOTE = "note"  # a note's POS, or the pattern's END
    TIE = "tie"  # after POS: TIE (at part 0) or the first pitch
    FIRST_PITCH = "firstpitch"  # after TIE: the first pitch
    PITCH = "pitch"  # after a pitch: another, the start volume, or the first pin
    START_VOL = "startvol"  # after the start volume: the first pin
    PIN = "pin"  # after a pin's time: its volume, bend, the next pin, the next note or END
    PIN_VOL = "pinvol"  # after a pin's volume
    BEND = "bend"  # after a pin's bend
    HOLE = "hole"  # the fill layout after SEP: the next hole's marker, or EOS after the last


class PatternGrammar:
    """State machine over one song's token stream. ``fixed`` header values (``tempo``, ``key``, ``scale``,
    ``beats_per_bar``, ``bars``) and per-channel instrument types (``instrument_types``: {channel: type})
    are forced; everything else is the model's choice within the rules. ``known``: each channel's pattern
    table of the whole song a window was cut from (as ``split_stream`` takes it), so a pattern the window
    names by ``HIDE`` has its notes and a REF to it is read as that pattern."""

    def __init__(
        self,
        tokenizer,
        conditioning: Conditioning,
        beats_per_bar: int | None = 8,
        bars: int | None = None,
        *,
        tempo: int | None = None,
        key: int | None = None,
        scale: int | None = None,
        instrument_types: dict[int, int] | None = None,
        strict_rhythm: bool = False,
        in_scale: bool = False,
        start_with_notes: bool = False,
        fill: bool = False,
        known: list[list[tuple[int, ...]]] | None = None,
    ):
        self.tokenizer = tokenizer
        self.known = known  # each channel's patterns in the song a window was cut from: hidden pins' notes
        self.vocab = v = tokenizer.vocab
        self.conditioning = conditioning
        self.channels = conditioning.channels
        checks = (
            ("beats_per_bar", beats_per_bar, fc.BEATS_PER_BAR_MIN, fc.BEATS_PER_BAR_MAX),
            ("bars", bars, 1, fc.BAR_COUNT_MAX),
            ("tempo", tempo, fc.TEMPO_MIN, fc.TEMPO_MAX),
            ("key", key, 0, 11),
            ("scale", scale, 0, len(fc.SCALE_NAMES) - 1),
        )
        for name, value, lo, hi in checks:
            if value is not None and not lo <= int(value) <= hi:
                raise ValueError(f"{name}={value} not in range [{lo}, {hi}]")
        self.fixed = {"TEMPO": tempo, "KEY": key, "SCALE": scale, "BEATS": beats_per_bar, "BARS": bars}
        self.instrument_types = {}
        for channel, type_ in (instrument_types or {}).items():
            is_noise = int(channel) >= conditioning.pitch_channels
            if not 0 <= int(channel) < self.channels:
                raise ValueError(f"instrument for channel {channel}: the song has {self.channels} channels")
            if int(type_) not in allowed_types(is_noise):
                names = ", ".join(fc.INSTRUMENT_TYPE_NAMES[t] for t in allowed_types(is_noise))
                raise ValueError(
                    f"channel {channel} is a {'drum' if is_noise else 'pitch'} channel: its "
                    f"instrument must be one of {names}"
                )
            self.instrument_types[int(channel)] = int(type_)
        self.grid = PARTS_PER_BEAT // fc.RHYTHM_STEPS_PER_BEAT[conditioning.rhythm] if strict_rhythm else 1
        self.detail = tokenizer.config.instrument_detail
        self.in_scale = in_scale
        self.start_with_notes = start_with_notes
        self.relaxed = False  # True: only validity is checked (a prompt), not the musical constraints
        self.pinning = False  # inside a pinned row (a given view's, only while relaxed)
        self.notes_bar = 1  # the bar that start_with_notes keeps from silence
        self.notes_bar_sounds = False  # some channel wrote a pattern in that bar
        first, last = v.span("P")
        pitch_class = np.arange(last - first) % 12
        self._off_scale = [
            first + np.flatnonzero(~np.isin(pitch_class, classes)) for classes in fc.SCALE_PITCH_CLASSES
        ]
        self.fill = bool(fill)
        if self.fill and v.fill is None:
            raise ValueError("this tokenizer has no fill tokens (saved before the fill layout)")
        self.holes: list[int] = []  # the fill layout: each hole's channel, in order
        self.answering = False  # after SEP: the holes' content
        self.answered = 0  # holes whose marker came after SEP
        self.size = len(v)
        self.started = False
        self.done = False
        self.header: dict[str, int] = {}
        self.instrument_channel = 0  # channel whose instrument comes next
        self.stream = PatternStream.for_vocab(v, self.channels)  # bars, channels, pattern tables
        self.body: list[int] = []  # the tokens of the pattern being written
        self.lookahead = True
        self.refused_repeats = 0  # masks that refused END for a pattern the channel already had
        self._fill_started = False  # FILL was written
        self.phase = Phase.HEADER
        self.field = -1  # last instrument field written
        self.slots: list[int] = []  # maxima of the value slots still to write
        self.slot_field = None
        self.pattern_notes = 0
        self.prev_end = 0
        self.note_start = 0
        self.pitches: list[int] = []
        self.pin_time = 0
        self.size_now = fc.NOTE_SIZE_MAX
        self.bend_now = 0
        self.pin_unchanged = False  # the previous pin kept the volume and bend before it

    @property
    def channel(self) -> int:
        """The channel whose instrument, or whose bar item, comes next."""
        return self.instrument_channel if self.in_header else self.stream.channel

    @property
    def bar(self) -> int:
        """Bars started."""
        return self.stream.bar

    @property
    def step(self) -> int:
        """The grid note starts and pin times keep to (1: any part)."""
        return 1 if self.relaxed else self.grid

    def relax(self, relaxed: bool) -> None:
        """Check only validity (``True``: a prompt), or the musical constraints too from here on; a song
        that turns strict keeps start_with_notes for the next bar it starts."""
        if self.relaxed and not relaxed:
            self.notes_bar, self.notes_bar_sounds = self.bar + 1, False
        self.relaxed = bool(relaxed)

    @property
    def in_note_shape(self) -> bool:
        """True after a pitch-channel note's first pitch, while its shape is written: more pitches (a
        chord), its start volume, its pins (length, volume, bend)."""
        shaping = self.phase in (Phase.PITCH, Phase.START_VOL, Phase.PIN, Phase.PIN_VOL, Phase.BEND)
        return shaping and not self._is_drum()

    @property
    def in_header(self) -> bool:
        """True while the song's header (tempo, key, scale, beats, bars, instruments) is being written."""
        return self.phase in (Phase.HEADER, Phase.ITYPE, Phase.IFIELDS)

    # ---- helpers ------------------------------------------------------------------------------------

    def _mask(self, *tokens: int) -> np.ndarray:
        m = np.zeros(self.size, dtype=bool)
        for t in tokens:
            m[t] = True
        return m

    def _allow(
        self,
        m: np.ndarray,
        family: str,
        lo: int | None = None,
        hi: int | None = None,
        step: int = 1,
        offset: int = 0,
    ) -> None:
        """Allow ``family`` values lo..hi; with ``step`` > 1 only values where (value + offset) % step == 0."""
        a, b = self.vocab.span(family, lo, hi)
        if b <= a:
            return
        if step > 1:
            first_value = self.vocab.lo[family] + (a - self.vocab.start[family])
            idx = np.arange(a, b)
            values = first_value + (idx - a)
            m[idx[(values + offset) % step == 0]] = True
        else:
            m[a:b] = True

    @property
    def parts_bar(self) -> int:
        return int(self.header.get("BEATS", 8)) * PARTS_PER_BEAT

    def _is_drum(self) -> bool:
        return self.channel >= self.conditioning.pitch_channels

    def _top(self) -> int:
        return fc.DRUM_COUNT - 1 if self._is_drum() else fc.MAX_PITCH

    # ---- mask ---------------------------------------------------------------------------------------

    def mask(self) -> np.ndarray:
        """bool[vocab_size]: the tokens allowed next."""
        if self.done:
            return self._mask(PAD)
        if not self.started:
            return self._mask(BOS)
        m = np.zeros(self.size, dtype=bool)
        phase = self.phase
        if phase == Phase.HEADER:
            name = HEADER[len(self.header)]
            value = self.fixed[name]
            if value is not None:
                m[self.vocab.id_of(name, int(value))] = True
            else:
                lo = fc.BEATS_PER_BAR_MIN if name == "BEATS" else None
                self._allow(m, name, lo)
        elif phase == Phase.ITYPE:
            types = (
                [self.instrument_types[self.channel]]
                if self.channel in self.instrument_types
                else allowed_types(self._is_drum())
            )
            for t in types:
                m[self.vocab.id_of("ITYPE", t)] = True
        elif phase == Phase.IFIELDS:
            if self.slots:
                self._allow(m, "V", 0, self.slots[0])
            else:
                m[IEND] = True
                for i in range(self.field + 1, len(FIELDS)):
                    if self.detail == "full" or FIELDS[i].name not in DETAILED_FIELDS:
                        m[self.vocab.id_of("IF", i)] = True
        elif phase == Phase.BAR:
            if self.fill and not self._fill_started:
                m[self.vocab.fill] = True
            elif self.bar >= self.header["BARS"]:
                m[self.vocab.sep if self.fill else EOS] = True
            else:
                m[BAR] = True
                if self.relaxed and self.bar == 0 and self.vocab.pin is not None and not self.fill:
                    m[self.vocab.pin] = True  # a window's pinned rows: given (a view), never sampled
        elif phase == Phase.HOLE:
            if self.answered < len(self.holes):
                m[self.vocab.id_of("HOLE", self.answered + 1)] = True
            else:
                m[EOS] = True
        elif phase == Phase.ITEM:
            m[EMPTY] = m[NEW] = True
            if self.fill and not self.answering and len(self.holes) < self.vocab.fill_holes:
                m[self.vocab.id_of("HOLE", len(self.holes) + 1)] = True
            if (
                not self.fill
                and self.start_with_notes
                and not self.relaxed
                and self.bar == self.notes_bar
                and self.channel == self.channels - 1
                and not self.notes_bar_sounds
            ):
                m[EMPTY] = False  # the first bar's last channel: the others all stayed silent
            if self.stream.count():
                self._allow(m, "REF", 1, self.stream.count())
            if self.pinning and self.stream.count() < self.vocab.max_refs:  # a given view's hidden run
                self._allow(m, "HIDE", 1, self.vocab.max_refs - self.stream.count())
        elif phase == Phase.NOTE:  # a note's POS, or the pattern's END
            if self.pattern_notes:
                m[END] = True
            self._allow(m, "POS", self.prev_end, self.parts_bar - 1, self.step)
        elif phase in (Phase.TIE, Phase.FIRST_PITCH):  # after POS: TIE (at part 0, once), or the first pitch
            if phase == Phase.TIE and self.note_start == 0:
                m[TIE] = True
            self._allow(m, "D" if self._is_drum() else "P", 0, self._top())
            self._keep_scale(m)
        elif phase == Phase.PITCH:  # after a pitch: a higher one, the start volume, or the first pin
            if len(self.pitches) < fc.MAX_CHORD_SIZE:  # another pitch of the chord, in any order
                family = "D" if self._is_drum() else "P"
                self._allow(m, family, 0, self._top())
                self._keep_scale(m)
                for p in self.pitches:
                    m[self.vocab.id_of(family, p)] = False
            self._allow(m, "VOL", 0, fc.NOTE_SIZE_MAX - 1)
            self._allow_pin(m)
        elif phase == Phase.START_VOL:
            self._allow_pin(m)
        elif phase == Phase.PIN and self.pin_unchanged:  # two pins in a row that change nothing: redundant
            self._allow_changes(m)
        elif phase in (Phase.PIN, Phase.PIN_VOL, Phase.BEND):  # after a pin's time, volume or bend
            if phase == Phase.PIN:
                for s in range(fc.NOTE_SIZE_MAX + 1):
                    if s != self.size_now:
                        m[self.vocab.id_of("VOL", s)] = True
            if phase in (Phase.PIN, Phase.PIN_VOL):
                lo = -min(self.pitches)
                hi = self._top() - max(self.pitches)
                self._allow(m, "BEND", lo, hi)
                if self.vocab.has("BEND", self.bend_now):
                    m[self.vocab.id_of("BEND", self.bend_now)] = False
            self._allow_pin(m)
            m[END] = True
            end = self.note_start + self.pin_time
            self._allow(m, "POS", end, self.parts_bar - 1, self.step)
        if m[END] and self.stream.ref_of(self.body) is not None:
            m[END] = False  # the channel has this pattern: a REF writes it, not a second NEW
            self.refused_repeats += 1
        if self.lookahead and phase in (Phase.PIN, Phase.PIN_VOL) and self._at_bar_end():
            self._drop_dead_ends(m)
        return m

    def _at_bar_end(self) -> bool:
        return self.note_start + self.pin_time >= self.parts_bar and self.stream.is_prefix_of_known(self.body)

    def _drop_dead_ends(self, m: np.ndarray) -> None:
        """At the bar's end a pin's volume or bend may leave END as the only way on; where that pattern
        is one the channel already has, the token is a dead end: refuse it."""
        for token in np.flatnonzero(m):
            if self.vocab.is_family(int(token), "VOL") or self.vocab.is_family(int(token), "BEND"):
                probe = copy.copy(self)
                probe.body, probe.pitches, probe.lookahead = list(self.body), list(self.pitches), False
                probe._advance(int(token))
                if not probe.mask().any():
                    m[token] = False

    def _keep_scale(self, m: np.ndarray) -> None:
        """With ``in_scale``, drop the pitch-channel pitches outside the header's scale."""
        if self.in_scale and not self.relaxed and not self._is_drum():
            m[self._off_scale[int(self.header.get("SCALE", len(fc.SCALE_NAMES) - 1))]] = False

    def _allow_changes(self, m: np.ndarray) -> None:
        """A pin's volume or bend, different from the current one."""
        for size in range(fc.NOTE_SIZE_MAX + 1):
            if size != self.size_now:
                m[self.vocab.id_of("VOL", size)] = True
        self._allow(m, "BEND", -min(self.pitches), self._top() - max(self.pitches))
        if self.vocab.has("BEND", self.bend_now):
            m[self.vocab.id_of("BEND", self.bend_now)] = False

    def _allow_pin(self, m: np.ndarray) -> None:
        self._allow(m, "DUR", self.pin_time + 1, self.parts_bar - self.note_start, self.step, self.note_start)

    def allows(self, token: int) -> bool:
        return bool(self.mask()[int(token)])

    # ---- advance ------------------------------------------------------------------------------------

    def advance(self, token: int) -> None:
        token = int(token)
        if not self.allows(token):
            raise ValueError(f"token {token} ({self.vocab.name(token)}) not allowed here")
        self._advance(token)

    def _advance(self, token: int) -> None:
        if self.done:
            return
        if not self.started:
            self.started = True
            return
        v = self.vocab
        value = int(v.value[token])
        phase = self.phase
        if phase == Phase.HEADER:
            self.header[HEADER[len(self.header)]] = value
            if len(self.header) == len(HEADER):
                self.phase = Phase.ITYPE
                self.instrument_channel = 0
        elif phase == Phase.ITYPE:
            self.phase, self.field, self.slots = Phase.IFIELDS, -1, []
        elif phase == Phase.IFIELDS:
            if token == IEND:
                self.instrument_channel += 1
                self.phase = Phase.ITYPE if self.instrument_channel < self.channels else Phase.BAR
            elif self.slots:
                self.slots.pop(0)
                if self.slot_field is not None:  # a list's length: its elements' slots follow
                    self.slots = slot_maxima(self.slot_field, value) + self.slots
                    self.slot_field = None
            else:
                self.field = value
                field = FIELDS[value]
                self.slots = slot_maxima(field)
                self.slot_field = field if field.kind == "points" else None
        elif phase == Phase.BAR:
            if token == EOS:
                self.done = True
            elif token == self.vocab.fill:
                self._fill_started = True
            elif token == self.vocab.sep:
                self.answering, self.phase = True, Phase.HOLE
            elif token == self.vocab.pin:
                self.stream.start_pin()
                self.pinning = True
                self.phase = Phase.ITEM
            else:
                self.stream.start_bar()
                self.pinning = False
                self.phase = Phase.ITEM
        elif phase == Phase.HOLE:
            if token == EOS:
                self.done = True
            else:
                self.stream.at(self.holes[self.answered])
                self.answered += 1
                self.phase = Phase.ITEM
        elif phase == Phase.ITEM:
            if self.fill and v.is_family(token, "HOLE"):
                self.holes.append(self.stream.channel)
                self.stream.hole()
                self._next_item()
                return
            if token == NEW:  # the channel's item stays open until END
                self.phase, self.pattern_notes, self.prev_end, self.body = Phase.NOTE, 0, 0, []
                self.notes_bar_sounds = self.notes_bar_sounds or self.bar == self.notes_bar
                return
            if token == EMPTY:
                self.stream.empty()
            elif v.is_family(token, "HIDE"):
                c, known = self.stream.channel, self.known
                bodies = known[c][self.stream.count() :] if known is not None and c < len(known) else None
                self.stream.hide(value, bodies)
            else:
                self.stream.ref(value)
            self._next_item()
            return
        elif token == END:
            self.stream.new(self.body)
            self._next_item()
            return
        if phase in (Phase.HEADER, Phase.ITYPE, Phase.IFIELDS, Phase.BAR, Phase.HOLE):
            return
        self.body.append(token)  # a token of the open pattern's notes
        if v.is_family(token, "POS"):
            self.note_start, self.pitches, self.pin_time = value, [], 0
            self.size_now, self.bend_now = fc.NOTE_SIZE_MAX, 0
            self.pin_unchanged = False
            self.pattern_notes += 1
            self.phase = Phase.TIE
        elif token == TIE:
            self.phase = Phase.FIRST_PITCH
        elif v.is_family(token, "P") or v.is_family(token, "D"):
            self.pitches.append(value)
            self.phase = Phase.PITCH
        elif v.is_family(token, "VOL"):
            self.size_now = value
            self.phase = Phase.START_VOL if phase == Phase.PITCH else Phase.PIN_VOL
        elif v.is_family(token, "DUR"):
            # the pin before this one changed nothing if its DUR came straight after the previous pin
            self.pin_unchanged = phase == Phase.PIN
            self.pin_time = value
            self.prev_end = self.note_start + value
            self.phase = Phase.PIN
        elif v.is_family(token, "BEND"):
            self.bend_now = value
            self.phase = Phase.BEND

    def _next_item(self) -> None:
        """After a whole item: the next channel's, or the bar's end (after SEP: the next hole)."""
        if self.answering:
            self.phase = Phase.HOLE
        else:
            self.phase = Phase.BAR if self.stream.bar_complete else Phase.ITEM
