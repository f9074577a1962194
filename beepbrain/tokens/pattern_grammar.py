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
"""

from __future__ import annotations

import numpy as np

from beepbrain.format import config as fc
from beepbrain.tokens.conditioning import Conditioning
from beepbrain.tokens.instrument_tokens import DETAILED_FIELDS, FIELDS, allowed_types, slot_maxima
from beepbrain.tokens.pattern_vocab import BAR, BOS, EMPTY, END, EOS, IEND, NEW, PAD, PARTS_PER_BEAT, TIE

HEADER = ("TEMPO", "KEY", "SCALE", "BEATS", "BARS")


class PatternGrammar:
    """State machine over one song's token stream. ``fixed`` header values (``tempo``, ``key``, ``scale``,
    ``beats_per_bar``, ``bars``) and per-channel instrument types (``instrument_types``: {channel: type})
    are forced; everything else is the model's choice within the rules."""

    def __init__(self, tokenizer, conditioning: Conditioning, beats_per_bar: int | None = 8,
                 bars: int | None = None, *, tempo: int | None = None, key: int | None = None,
                 scale: int | None = None, instrument_types: dict[int, int] | None = None,
                 strict_rhythm: bool = False, in_scale: bool = False, start_with_notes: bool = False):
        self.tokenizer = tokenizer
        self.vocab = v = tokenizer.vocab
        self.conditioning = conditioning
        self.channels = conditioning.channels
        checks = (("beats_per_bar", beats_per_bar, fc.BEATS_PER_BAR_MIN, fc.BEATS_PER_BAR_MAX),
                  ("bars", bars, 1, fc.BAR_COUNT_MAX), ("tempo", tempo, fc.TEMPO_MIN, fc.TEMPO_MAX),
                  ("key", key, 0, 11), ("scale", scale, 0, len(fc.SCALE_NAMES) - 1))
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
                raise ValueError(f"channel {channel} is a {'drum' if is_noise else 'pitch'} channel: its "
                                 f"instrument must be one of {names}")
            self.instrument_types[int(channel)] = int(type_)
        self.step = PARTS_PER_BEAT // fc.RHYTHM_STEPS_PER_BEAT[conditioning.rhythm] if strict_rhythm else 1
        self.detail = tokenizer.config.instrument_detail
        self.in_scale = in_scale
        self.start_with_notes = start_with_notes
        self.first_bar_sounds = False  # some channel wrote a pattern in the first bar
        first, last = v.span("P")
        pitch_class = np.arange(last - first) % 12
        self._off_scale = [first + np.flatnonzero(~np.isin(pitch_class, classes))
                           for classes in fc.SCALE_PITCH_CLASSES]
        self.size = len(v)
        self.started = False
        self.done = False
        self.header: dict[str, int] = {}
        self.channel = 0  # channel whose instrument, or whose bar item, comes next
        self.phase = "header"
        self.field = -1  # last instrument field written
        self.slots: list[int] = []  # maxima of the value slots still to write
        self.slot_field = None
        self.bar = 0  # bars started
        self.defined = [0] * self.channels  # patterns each channel wrote
        self.pattern_notes = 0
        self.prev_end = 0
        self.note_start = 0
        self.pitches: list[int] = []
        self.pin_time = 0
        self.size_now = fc.NOTE_SIZE_MAX
        self.bend_now = 0
        self.pin_unchanged = False  # the previous pin kept the volume and bend before it

    @property
    def in_header(self) -> bool:
        """True while the song's header (tempo, key, scale, beats, bars, instruments) is being written."""
        return self.phase in ("header", "itype", "ifields")

    # ---- helpers ------------------------------------------------------------------------------------

    def _mask(self, *tokens: int) -> np.ndarray:
        m = np.zeros(self.size, dtype=bool)
        for t in tokens:
            m[t] = True
        return m

    def _allow(self, m: np.ndarray, family: str, lo: int | None = None, hi: int | None = None,
               step: int = 1, offset: int = 0) -> None:
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
        if phase == "header":
            name = HEADER[len(self.header)]
            value = self.fixed[name]
            if value is not None:
                m[self.vocab.id_of(name, int(value))] = True
            else:
                lo = fc.BEATS_PER_BAR_MIN if name == "BEATS" else None
                self._allow(m, name, lo)
        elif phase == "itype":
            types = ([self.instrument_types[self.channel]] if self.channel in self.instrument_types
                     else allowed_types(self._is_drum()))
            for t in types:
                m[self.vocab.id_of("ITYPE", t)] = True
        elif phase == "ifields":
            if self.slots:
                self._allow(m, "V", 0, self.slots[0])
            else:
                m[IEND] = True
                for i in range(self.field + 1, len(FIELDS)):
                    if self.detail == "full" or FIELDS[i].name not in DETAILED_FIELDS:
                        m[self.vocab.id_of("IF", i)] = True
        elif phase == "bar":
            m[EOS if self.bar >= self.header["BARS"] else BAR] = True
        elif phase == "item":
            m[EMPTY] = m[NEW] = True
            if (self.start_with_notes and self.bar == 1 and self.channel == self.channels - 1
                    and not self.first_bar_sounds):
                m[EMPTY] = False  # the first bar's last channel: the others all stayed silent
            if self.defined[self.channel]:
                self._allow(m, "REF", 1, self.defined[self.channel])
        elif phase == "note":  # a note's POS, or the pattern's END
            if self.pattern_notes:
                m[END] = True
            self._allow(m, "POS", self.prev_end, self.parts_bar - 1, self.step)
        elif phase in ("tie", "firstpitch"):  # after POS: TIE (at part 0, once), or the first pitch
            if phase == "tie" and self.note_start == 0:
                m[TIE] = True
            self._allow(m, "D" if self._is_drum() else "P", 0, self._top())
            self._keep_scale(m)
        elif phase == "pitch":  # after a pitch: a higher one, the start volume, or the first pin
            if len(self.pitches) < fc.MAX_CHORD_SIZE:  # another pitch of the chord, in any order
                family = "D" if self._is_drum() else "P"
                self._allow(m, family, 0, self._top())
                self._keep_scale(m)
                for p in self.pitches:
                    m[self.vocab.id_of(family, p)] = False
            self._allow(m, "VOL", 0, fc.NOTE_SIZE_MAX - 1)
            self._allow_pin(m)
        elif phase == "startvol":
            self._allow_pin(m)
        elif phase == "pin" and self.pin_unchanged:  # two pins in a row that change nothing: redundant
            self._allow_changes(m)
        elif phase in ("pin", "pinvol", "bend"):  # after a pin's time, volume or bend
            if phase == "pin":
                for s in range(fc.NOTE_SIZE_MAX + 1):
                    if s != self.size_now:
                        m[self.vocab.id_of("VOL", s)] = True
            if phase in ("pin", "pinvol"):
                lo = -min(self.pitches)
                hi = self._top() - max(self.pitches)
                self._allow(m, "BEND", lo, hi)
                if self.vocab.has("BEND", self.bend_now):
                    m[self.vocab.id_of("BEND", self.bend_now)] = False
            self._allow_pin(m)
            m[END] = True
            end = self.note_start + self.pin_time
            self._allow(m, "POS", end, self.parts_bar - 1, self.step)
        return m

    def _keep_scale(self, m: np.ndarray) -> None:
        """With ``in_scale``, drop the pitch-channel pitches outside the header's scale."""
        if self.in_scale and not self._is_drum():
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
        if self.done:
            return
        if not self.started:
            self.started = True
            return
        v = self.vocab
        value = int(v.value[token])
        phase = self.phase
        if phase == "header":
            self.header[HEADER[len(self.header)]] = value
            if len(self.header) == len(HEADER):
                self.phase = "itype"
                self.channel = 0
        elif phase == "itype":
            self.phase, self.field, self.slots = "ifields", -1, []
        elif phase == "ifields":
            if token == IEND:
                self.channel += 1
                self.phase = "itype" if self.channel < self.channels else "bar"
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
        elif phase == "bar":
            if token == EOS:
                self.done = True
            else:
                self.bar += 1
                self.channel = 0
                self.phase = "item"
        elif phase == "item":
            if token == NEW:
                self.phase, self.pattern_notes, self.prev_end = "note", 0, 0
                self.first_bar_sounds = self.first_bar_sounds or self.bar == 1
            else:
                self._next_channel()
        elif token == END:
            self.defined[self.channel] = min(self.defined[self.channel] + 1, v.max_refs)
            self._next_channel()
        elif v.is_family(token, "POS"):
            self.note_start, self.pitches, self.pin_time = value, [], 0
            self.size_now, self.bend_now = fc.NOTE_SIZE_MAX, 0
            self.pin_unchanged = False
            self.pattern_notes += 1
            self.phase = "tie"
        elif token == TIE:
            self.phase = "firstpitch"
        elif v.is_family(token, "P") or v.is_family(token, "D"):
            self.pitches.append(value)
            self.phase = "pitch"
        elif v.is_family(token, "VOL"):
            self.size_now = value
            self.phase = "startvol" if phase == "pitch" else "pinvol"
        elif v.is_family(token, "DUR"):
            # the pin before this one changed nothing if its DUR came straight after the previous pin
            self.pin_unchanged = phase == "pin"
            self.pin_time = value
            self.prev_end = self.note_start + value
            self.phase = "pin"
        elif v.is_family(token, "BEND"):
            self.bend_now = value
            self.phase = "bend"

    def _next_channel(self) -> None:
        self.channel += 1
        self.phase = "item" if self.channel < self.channels else "bar"
