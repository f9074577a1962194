"""The pattern tokenizer's vocabulary: special tokens, then families of numbered tokens.

Ids 0-3 (PAD, BOS, EOS, BAR) are every vocabulary's (``tokens/specials.py``), so windows start on BOS/BAR either way.
Each family is a contiguous block: ``vocab.id_of("POS", 12)`` is the token for position 12, and
``vocab.value(token)`` gives 12 back.

With ``fill_holes`` > 0 the vocabulary ends with the fill layout's markers (``tokens/fill.py``): ``FILL``
(the task: a song with holes), ``SEP`` (the holes' content follows) and ``HOLE_1`` .. ``HOLE_n`` (the k-th
hole, where it stands and again before its content). They come after every other token, so a vocabulary
without them numbers every other token the same.

With ``pins`` the vocabulary ends with ``PIN``, a row of pinned patterns ahead of a window's bars (a window
from a later bar line holds the patterns its song wrote before it, ``pattern_stream.view``), and
``HIDE_1`` .. ``HIDE_max_refs``: in a pinned row, that many of the channel's patterns named but not written
out (they did not fit the window). They come last of all, so a vocabulary without them numbers every other
token the same.
"""

from __future__ import annotations

import numpy as np

from beepbrain.format import config as c
from beepbrain.tokens.instrument_tokens import FIELDS, VALUE_COUNT
from beepbrain.tokens.specials import BAR, BOS, EOS, PAD, SHARED_SPECIALS, TokenNames  # noqa: F401 (the pattern names)

SPECIALS = (*SHARED_SPECIALS, "EMPTY", "NEW", "END", "TIE", "IEND")
EMPTY, NEW, END, TIE, IEND = range(len(SHARED_SPECIALS), len(SPECIALS))

PARTS_PER_BEAT = 24
MAX_PARTS = c.BEATS_PER_BAR_MAX * PARTS_PER_BEAT  # 384: the longest bar, in parts
MAX_BEND = c.MAX_PITCH  # a pin's interval: -84..84


def families(max_refs: int) -> list[tuple[str, int, int]]:
    """(family, first value, last value) in vocabulary order."""
    return [
        ("TEMPO", c.TEMPO_MIN, c.TEMPO_MAX),
        ("KEY", 0, len(c.KEY_NAMES) - 1),
        ("SCALE", 0, len(c.SCALE_NAMES) - 1),
        ("BEATS", 1, c.BEATS_PER_BAR_MAX),
        ("BARS", 1, c.BAR_COUNT_MAX),
        ("REF", 1, max_refs),
        ("POS", 0, MAX_PARTS - 1),
        ("DUR", 1, MAX_PARTS),
        ("P", 0, c.MAX_PITCH),
        ("D", 0, c.DRUM_COUNT - 1),
        ("VOL", 0, c.NOTE_SIZE_MAX),
        ("BEND", -MAX_BEND, MAX_BEND),
        ("ITYPE", 0, c.INSTRUMENT_TYPE_COUNT - 1),
        ("IF", 0, len(FIELDS) - 1),
        ("V", 0, VALUE_COUNT - 1),
    ]


class PatternVocabulary(TokenNames):
    """Token ids <-> names; ``family[t]`` (index into ``self.families``, -1 for specials) and ``value[t]``."""

    def __init__(self, max_refs: int = 64, fill_holes: int = 0, pins: bool = False):
        self.max_refs = int(max_refs)
        self.fill_holes = int(fill_holes)
        names = list(SPECIALS)
        family = [-1] * len(SPECIALS)
        value = [0] * len(SPECIALS)
        self.families = families(self.max_refs)
        if self.fill_holes:
            self.families.append(("HOLE", 1, self.fill_holes))
        self.start: dict[str, int] = {}
        self.lo: dict[str, int] = {}
        self.hi: dict[str, int] = {}

        def add_family(f: int) -> None:
            name, lo, hi = self.families[f]
            self.start[name] = len(names)
            self.lo[name], self.hi[name] = lo, hi
            for v in range(lo, hi + 1):
                names.append(f"IF_{FIELDS[v].name}" if name == "IF" else f"{name}_{v}")
                family.append(f)
                value.append(v)

        for f in range(len(self.families)):
            add_family(f)
        self.fill = self.sep = None  # the fill layout's task and separator tokens (fill_holes > 0)
        if self.fill_holes:
            self.fill, self.sep = len(names), len(names) + 1
            names += ["FILL", "SEP"]
            family += [-1, -1]
            value += [0, 0]
        self.pin = None  # the pinned-patterns row's token (pins; with it the HIDE family)
        if pins:
            self.pin = len(names)
            names.append("PIN")
            family.append(-1)
            value.append(0)
            self.families.append(("HIDE", 1, self.max_refs))  # patterns named, not written out
            add_family(len(self.families) - 1)
        self.names = names
        self.ids = {n: i for i, n in enumerate(names)}
        self.family = np.array(family, dtype=np.int64)
        self.value = np.array(value, dtype=np.int64)
        self.family_index = {name: f for f, (name, _lo, _hi) in enumerate(self.families)}

    def id_of(self, family: str, value: int) -> int:
        lo, hi = self.lo[family], self.hi[family]
        if not lo <= value <= hi:
            raise ValueError(f"{family} value {value} not in [{lo}, {hi}]")
        return self.start[family] + int(value) - lo

    def has(self, family: str, value: int) -> bool:
        return self.lo[family] <= value <= self.hi[family]

    def span(self, family: str, lo: int | None = None, hi: int | None = None) -> tuple[int, int]:
        """Token ids [first, last + 1) of ``family`` values ``lo..hi`` (default: the whole family)."""
        lo = self.lo[family] if lo is None else max(lo, self.lo[family])
        hi = self.hi[family] if hi is None else min(hi, self.hi[family])
        first = self.start[family] + lo - self.lo[family]
        return first, max(first, first + hi - lo + 1)

    def is_family(self, token: int, family: str) -> bool:
        """Whether ``token`` is of ``family`` (False for a family this vocabulary lacks)."""
        return int(self.family[int(token)]) == self.family_index.get(family, -2)
