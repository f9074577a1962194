"""The pattern stream's one rule: which pattern a ``REF_k`` names, and what a window of a song holds.

``PatternStream`` is the bar level of a pattern-token stream: the bar, the channel whose item comes next,
and each channel's pattern table. The encoder (``write``), the decoder (``empty`` / ``ref`` / ``new``) and
the grammar all advance this one state, so ``REF_k`` means the same pattern to each of them. A pattern is
its body: the note tokens between ``NEW`` and ``END``. ``REF_k`` names the k-th distinct body the channel
wrote; a ``NEW`` whose body the channel's table already holds is not canonical (the encoder writes a REF
there): the grammar refuses it, so every stream the grammar accepts is the encoder's own stream of the song
it decodes to, and the tolerant decoder reads one as that earlier pattern without numbering it twice.

A window of a song is a song of its own (``view``): the song's header with the bar count of what is left,
its instruments, then its bars from bar ``b`` on, written afresh by a new ``PatternStream``. With a
tokenizer that has ``PIN`` and a token budget, the patterns the song wrote before bar ``b`` come first, as
pinned rows (``PIN`` and one item per channel, as a bar has them), every one of them and in the order the
song wrote them, so the window's tables number them as the song's do and the window's bars are token for
token the song's own bars (a repeat costs one ``REF`` in every window, as it does in the song; nothing is
written out again). A pinned pattern is written out (``NEW`` .. ``END``) while the rows fit the budget: first
those the window's bars (as many as the context holds) play again, in the order they do, then the most
recently played; a run of the others is one ``HIDE_n`` item (n patterns named, their notes out of view),
and ``EMPTY`` fills a channel that has no more. A training or scoring window (``defined_part``) ends
before a bar that plays a hidden pattern, so every ``REF`` in it names a pattern written inside it; where
the first bar plays more patterns than the context can show with it, a training window ends inside it,
before the first one it cannot show (scoring keeps the bar whole: those REFs name a hidden pattern). Without ``PIN`` (or a budget) the patterns are
written out where the window first uses them. Pinned rows are given, never predicted (``pinned_mask``), and
are not bars: the bar count, ``bar_lines`` and the decoder's song skip them; a ``REF`` to a hidden pattern
plays it where the song is known (``rejoin``) and is silent in the window read alone.
Training windows, the sampler's slide and scoring all cut songs with ``view`` and the same budget
(``pin_budget``), so the model never sees a ``REF`` to a pattern its view does not name, nor a song without
its header. ``split_stream`` reads a stream (or a prefix of one) into those parts.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np

from beepbrain.tokens.pattern_vocab import BAR, BOS, EMPTY, END, EOS, NEW

HEADER_LENGTH = 6  # BOS TEMPO KEY SCALE BEATS BARS
BARS_AT = 5  # the BARS token's place in the header
PIN_SHARE = 2  # a window's pinned rows take at most 1/PIN_SHARE of what the header leaves of the context


def pin_budget(block_size: int | None, head: int = 0) -> int | None:
    """The tokens a window's pinned rows may take in a context of ``block_size`` after a header (BOS,
    header, instruments) of ``head`` tokens: half of what the header leaves, so the bars keep at least as
    much (None: no pins; a context of 0: every pinned pattern named only, ``HIDE``)."""
    return None if block_size is None else max(1, (int(block_size) - int(head)) // PIN_SHARE)


def _stand_in(slot: int) -> tuple[int, ...]:
    """The body a hidden pattern (``HIDE``) takes in a table where its notes are not known: no stream
    writes it (tokens are never negative), so it never equals a real pattern."""
    return (-1, slot)


def is_hidden(body) -> bool:
    """Whether ``body`` (a table entry) stands in for a hidden pattern whose notes are not known."""
    return bool(body) and body[0] < 0


class PatternStream:
    """Bars, channels and pattern tables of one stream. ``bar`` counts the bars started; ``channel`` is
    the channel whose item comes next in the current bar (``channels`` once the bar is complete)."""

    def __init__(self, channels: int, max_refs: int, ref_base: int = 0):
        self.channels = int(channels)
        self.max_refs = int(max_refs)
        self.ref_base = int(ref_base)  # the vocabulary's id of REF_1
        self.tables: list[list[tuple[int, ...]]] = [[] for _ in range(self.channels)]
        self._index: list[dict[tuple[int, ...], int]] = [{} for _ in range(self.channels)]
        self.bar = 0
        self.channel = self.channels

    # ---- reading the state --------------------------------------------------------------------------

    @property
    def bar_complete(self) -> bool:
        return self.channel >= self.channels

    def count(self, channel: int | None = None) -> int:
        """How many patterns ``channel`` (default: the current one) can REF."""
        return len(self.tables[self.channel if channel is None else channel])

    def ref_of(self, body, channel: int | None = None) -> int | None:
        """k of the table entry holding ``body`` (1-based), None if the channel has no such pattern."""
        return self._index[self.channel if channel is None else channel].get(tuple(body))

    def body_of(self, k: int, channel: int | None = None) -> tuple[int, ...] | None:
        table = self.tables[self.channel if channel is None else channel]
        return table[k - 1] if 1 <= k <= len(table) else None

    def is_prefix_of_known(self, body) -> bool:
        """Whether some pattern of the current channel starts with ``body`` (a NEW being written might
        yet repeat it)."""
        body = tuple(body)
        return any(known[: len(body)] == body for known in self.tables[self.channel])

    # ---- advancing ----------------------------------------------------------------------------------

    def start_bar(self) -> None:
        self.bar += 1
        self.channel = 0

    def start_pin(self) -> None:
        """A pinned row: one item per channel, as a bar has, that enters the tables but is not a bar."""
        self.channel = 0

    def empty(self) -> None:
        self.channel += 1

    def hide(self, n: int, bodies=None) -> int:
        """The current channel's next ``n`` patterns are named but not written out (a pinned row's
        ``HIDE_n``): they take their numbers in its table, with their ``bodies`` where the song is known,
        else with bodies no stream writes (a REF to one plays nothing). Returns how many entered (the
        table holds at most ``max_refs``)."""
        c = self.channel
        self.channel += 1
        table = self.tables[c]
        n = max(0, min(int(n), self.max_refs - len(table)))
        for j in range(n):
            body = tuple(bodies[j]) if bodies is not None and j < len(bodies) else _stand_in(len(table))
            self._index[c].setdefault(body, len(table) + 1)
            table.append(body)
        return n

    def hole(self) -> None:
        """The current channel's cell is a hole (the fill layout): nothing enters its table."""
        self.channel += 1

    def at(self, channel: int) -> None:
        """The next item is channel ``channel``'s (a hole's content, written after the song)."""
        self.channel = int(channel)

    def ref(self, k: int) -> tuple[int, ...] | None:
        """The current channel plays its pattern k; returns its body (None: no such pattern)."""
        body = self.body_of(k)
        self.channel += 1
        return body

    def new(self, body) -> int | None:
        """The current channel writes ``body`` out; returns its number (None: the table is full). A body
        the table already holds keeps its number."""
        body = tuple(body)
        c = self.channel
        self.channel += 1
        known = self._index[c].get(body)
        if known is not None:
            return known
        if len(self.tables[c]) >= self.max_refs:
            return None
        self.tables[c].append(body)
        self._index[c][body] = len(self.tables[c])
        return len(self.tables[c])

    def write(self, body) -> tuple[int, ...]:
        """The encoder's item for the current channel: ``EMPTY`` for no notes, ``REF_k`` for a pattern the
        channel has, else ``NEW body END``; advances to the next channel."""
        body = tuple(body)
        if not body:
            self.empty()
            return (EMPTY,)
        known = self.ref_of(body)
        if known is not None:
            self.channel += 1
            return (self.ref_token(known),)
        self.new(body)
        return (NEW, *body, END)

    def ref_token(self, k: int) -> int:
        return self.ref_base + k - 1

    @classmethod
    def for_vocab(cls, vocab, channels: int) -> PatternStream:
        return cls(channels, vocab.max_refs, vocab.id_of("REF", 1))


@dataclass
class StreamParts:
    """A pattern stream (or a prefix of one) read into its parts. ``bars[b][c]`` is channel c's body in bar
    b (``()`` for silence); the last bar may be incomplete, and ``partial`` holds the tokens after a ``NEW``
    whose ``END`` has not come yet (None: no pattern open)."""

    header: list[int]
    instruments: list[int]
    bars: list[list[tuple[int, ...] | None]] = field(default_factory=list)
    pins: list[list[tuple[int, ...]]] = field(default_factory=list)  # the pinned rows, as bars are
    partial: list[int] | None = None
    ended: bool = False  # EOS was written
    total_bars: int = 0  # the bar count the header declares
    fill: bool = False  # the fill layout (tokens/fill.py): ``bars`` holds None where a hole stands
    holes: list[tuple[int, int]] = field(default_factory=list)  # (bar, channel) of each hole, in order
    answers: list[tuple[int, ...]] = field(default_factory=list)  # the holes' content written so far
    tables: list[list[tuple[int, ...]]] = field(default_factory=list)  # each channel's patterns, numbered
    spans: list[tuple[int, int, int, int]] = field(default_factory=list)  # (bar, channel, first, end) of
    # each bar item's tokens (the song layout's bars; not pinned rows, holes or their content)


def split_stream(tokens, vocab, channels: int, known=None) -> StreamParts:
    """The parts of a well-formed pattern stream or prefix of one (as the grammar accepts them), in the
    song layout or the fill layout (``tokens/fill.py``: holes as None in ``bars``, their content in
    ``answers``). ``known``: each channel's pattern table of the song a window was cut from (a
    ``StreamParts.tables``), which gives hidden pinned patterns their notes."""
    toks = np.asarray(tokens, dtype=np.int64).tolist()
    if not toks or toks[0] != BOS:
        raise ValueError("a pattern stream starts with BOS")
    stops = {BAR} | {t for t in (vocab.fill, getattr(vocab, "pin", None)) if t is not None}
    first_bar = next((i for i, t in enumerate(toks) if t in stops), len(toks))
    parts = StreamParts(header=toks[:HEADER_LENGTH], instruments=toks[HEADER_LENGTH:first_bar])
    if len(parts.header) > BARS_AT:
        parts.total_bars = int(vocab.value[parts.header[BARS_AT]])
    stream = PatternStream.for_vocab(vocab, channels)
    hole_lo = vocab.start.get("HOLE", -1)
    hole_hi = hole_lo + vocab.fill_holes
    answering = False
    row: list | None = None  # the bar or pinned row being read
    i, n = first_bar, len(toks)
    while i < n:
        t = toks[i]
        if t == EOS:
            parts.ended = True
            break
        if t == vocab.fill:
            parts.fill = True
            i += 1
            continue
        if t == vocab.sep:
            answering = True
            i += 1
            continue
        if answering:  # HOLE_k, then hole k's item
            if not hole_lo <= t < hole_hi or t - hole_lo >= len(parts.holes):
                raise ValueError(f"token {vocab.name(t)} at {i}: a hole's marker was expected")
            stream.at(parts.holes[t - hole_lo][1])
            i += 1
            if i >= n:
                break
            body, i = _read_item(toks, i, stream, vocab, parts, known)
            if body is None:
                break
            parts.answers.append(body)
            continue
        if t == BAR:
            stream.start_bar()
            parts.bars.append([])
            row = parts.bars[-1]
            i += 1
            continue
        if t == getattr(vocab, "pin", None) and not parts.bars:
            stream.start_pin()
            parts.pins.append([])
            row = parts.pins[-1]
            i += 1
            continue
        if hole_lo <= t < hole_hi:
            parts.holes.append((len(parts.bars) - 1, stream.channel))
            parts.bars[-1].append(None)
            stream.hole()
            i += 1
            continue
        if row is None:
            raise ValueError(f"token {vocab.name(t)} at {i}: an item before the first bar")
        at, channel = i, stream.channel
        body, i = _read_item(toks, i, stream, vocab, parts, known)
        if body is None:
            break
        row.append(body)
        if parts.bars and row is parts.bars[-1]:
            parts.spans.append((len(parts.bars) - 1, channel, at, i))
    parts.tables = stream.tables
    return parts


def _read_item(
    toks: list[int], i: int, stream: PatternStream, vocab, parts: StreamParts, known=None
) -> tuple[tuple[int, ...] | None, int]:
    """One channel's item at ``i``: its body (``()`` for silence, and for a pinned row's ``HIDE_n``) and
    where the next item starts; None where a pattern is still open (its tokens go to ``parts.partial``)."""
    t = toks[i]
    ref_lo = vocab.start["REF"]
    ref_hi = ref_lo + vocab.max_refs
    if t == EMPTY:
        stream.empty()
        return (), i + 1
    if vocab.is_family(t, "HIDE"):
        c, have = stream.channel, stream.count()
        bodies = known[c][have:] if known is not None and c < len(known) else None
        stream.hide(int(vocab.value[t]), bodies)
        return (), i + 1
    if ref_lo <= t < ref_hi:
        body = stream.ref(t - ref_lo + 1)
        return (body if body is not None else ()), i + 1
    if t == NEW:
        try:
            end = toks.index(END, i + 1)
        except ValueError:
            parts.partial = toks[i + 1 :]
            return None, len(toks)
        body = tuple(toks[i + 1 : end])
        stream.new(body)
        return body, end + 1
    raise ValueError(f"token {vocab.name(t)} at {i} is not a bar item")


def join_parts(
    parts: StreamParts,
    vocab,
    channels: int,
    start_bar: int = 0,
    bars: list[list[tuple[int, ...]]] | None = None,
    budget: int | None = None,
    wanted=(),
    room: int | None = None,
) -> list[int]:
    """The stream of ``parts`` from bar ``start_bar`` on, as a song of its own: the header with the bar
    count left, the instruments, pinned rows of the patterns played before ``start_bar`` (where the
    vocabulary has ``PIN`` and a ``budget`` of tokens is given: ``choose_pins``, the ``wanted`` ones
    written out first, within ``room``), the bars written by a fresh ``PatternStream``, an open pattern's tokens, EOS if
    the stream had ended."""
    rows = parts.bars if bars is None else bars
    start_bar = max(0, min(int(start_bar), max(len(rows) - 1, 0)))
    header = list(parts.header)
    if start_bar and len(header) > BARS_AT:
        header[BARS_AT] = vocab.id_of("BARS", max(1, parts.total_bars - start_bar))
    out = header + list(parts.instruments)
    stream = PatternStream.for_vocab(vocab, channels)
    pin = getattr(vocab, "pin", None)
    if start_bar and budget and pin is not None:
        pins, _tokens, _every = choose_pins(rows[:start_bar], channels, budget, vocab.max_refs, wanted, room)
        for r in range(max((len(p) for p in pins), default=0)):
            out.append(pin)
            stream.start_pin()
            for c in range(channels):
                item = pins[c][r] if r < len(pins[c]) else ()
                if isinstance(item, list):  # a run of patterns named, not written out
                    out.append(vocab.id_of("HIDE", stream.hide(len(item), item)))
                else:
                    out.extend(stream.write(item))
    for row in rows[start_bar:]:
        out.append(BAR)
        stream.start_bar()
        for body in row:
            out.extend(stream.write(body))
    if parts.partial is not None:
        out.append(NEW)
        out.extend(parts.partial)
    if parts.ended:
        out.append(EOS)
    return out


def choose_pins(
    rows, channels: int, budget: int, max_refs: int, wanted=(), room: int | None = None
) -> tuple[list[list], int, bool]:
    """Per channel, the items of its pinned rows: every pattern ``rows`` (the bars before a window) wrote,
    in the order the song first played them (its numbering, at most ``max_refs``), each either written out
    (its body, a tuple) or in a run of patterns named but not shown (a list of bodies: one ``HIDE_n``).
    First the ``wanted`` ones (``(channel, body)`` pairs, in their order: the patterns the window's bars
    play again) are written out while the rows' tokens fit ``room`` (default ``budget``), then the others,
    the most recently played first, while they fit ``budget`` (and ``room``). Returns the items, the
    rows' tokens and whether every wanted pattern is written out."""
    order: list[list[tuple[int, ...]]] = [[] for _ in range(channels)]
    first: dict[tuple[int, tuple[int, ...]], int] = {}
    last: dict[tuple[int, tuple[int, ...]], int] = {}
    for b, row in enumerate(rows):
        for c, body in enumerate(row[:channels]):
            if body and (c, body) not in first and len(order[c]) < max_refs:
                first[(c, body)] = b
                order[c].append(body)
            if (c, body) in first:
                last[(c, body)] = b
    shown: list[set[tuple[int, ...]]] = [set() for _ in range(channels)]

    def items(c: int) -> list:
        out: list = []
        for body in order[c]:
            if body in shown[c]:
                out.append(body)
            elif out and isinstance(out[-1], list):
                out[-1].append(body)
            else:
                out.append([body])
        return out

    def cost(counts: list[int]) -> int:  # rows x (PIN + one token per cell), plus what bodies add
        return max(counts, default=0) * (1 + channels) + extra

    counts = [len(items(c)) for c in range(channels)]
    extra = 0  # the written-out bodies' tokens beyond one per cell (NEW body END)
    rank = {key: i for i, key in enumerate(wanted)}
    room = budget if room is None else room
    every = True
    for c, body in sorted(last, key=lambda key: (rank.get(key, len(rank)), -last[key], first[key], key[0])):
        shown[c].add(body)
        trial = counts[:c] + [len(items(c))] + counts[c + 1 :]
        if cost(trial) + len(body) + 1 > (room if (c, body) in rank else min(budget, room)):
            shown[c].discard(body)
            every = every and (c, body) not in rank
            continue
        counts, extra = trial, extra + len(body) + 1
    return [items(c) for c in range(channels)], cost(counts), every


def view(tokens, vocab, channels: int, start_bar: int, block_size: int | None = None) -> list[int]:
    """The stream from bar ``start_bar`` on as a song of its own (bar 0: the stream itself), for a model of
    context ``block_size`` where the vocabulary has ``PIN``: pinned rows that write out every pattern the
    bars the context holds play again (as many bars as hold with them, at least one), then, within
    ``pin_budget``, the most recently played others."""
    toks = np.asarray(tokens, dtype=np.int64).tolist()
    if start_bar <= 0:
        return toks
    parts = _parts_of(tuple(toks), vocab, channels)  # read only here: a song's windows share it
    head = len(parts.header) + len(parts.instruments)
    budget = pin_budget(block_size, head)
    if not budget or getattr(vocab, "pin", None) is None:
        return join_parts(parts, vocab, channels, start_bar)
    start_bar = max(0, min(int(start_bar), max(len(parts.bars) - 1, 0)))
    lines = np.flatnonzero(np.asarray(toks) == BAR).tolist()
    ends = lines[1:] + [toks.index(EOS) if EOS in toks else len(toks)]
    reach = int(block_size) + 1 - head  # the context after the header

    def holds(k: int) -> tuple[bool, list, int]:  # bars start_bar..k-1 with the patterns they play again
        left = reach - (ends[k - 1] - lines[start_bar])
        want = played_again(parts, start_bar, k)
        _items, tokens, every = choose_pins(
            parts.bars[:start_bar], channels, budget, vocab.max_refs, want, left
        )
        return every and tokens <= left, want, left

    _fits, wanted, room = holds(start_bar + 1)  # the first bar, whether its patterns fit or not
    lo, hi = start_bar + 1, len(parts.bars)  # the most bars that hold (more bars never hold more)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        fits, want, left = holds(mid)
        if fits:
            lo, wanted, room = mid, want, left
        else:
            hi = mid - 1
    return join_parts(parts, vocab, channels, start_bar, budget=budget, wanted=wanted, room=max(room, 0))


@functools.lru_cache(maxsize=4)
def _parts_of(tokens: tuple[int, ...], vocab, channels: int) -> StreamParts:
    """``split_stream`` of a song, kept for its next windows (never to be changed by the caller)."""
    return split_stream(tokens, vocab, channels)


def played_again(parts: StreamParts, start_bar: int, end_bar: int | None = None) -> list[tuple[int, tuple]]:
    """``(channel, body)`` of each pattern played before ``start_bar`` that bars ``start_bar``..``end_bar``
    play again, in the order they first do: the patterns a window from ``start_bar`` names."""
    before = {(c, body) for row in parts.bars[:start_bar] for c, body in enumerate(row) if body}
    out: dict[tuple[int, tuple], None] = {}
    for row in parts.bars[start_bar:end_bar]:
        for c, body in enumerate(row):
            if body and (c, body) in before:
                out.setdefault((c, body), None)
    return list(out)


def defined_part(
    tokens, vocab, channels: int, limit: int | None = None, shown_only: bool = False
) -> list[int]:
    """``tokens`` (a view; at most ``limit`` of them) up to the first bar after its first that plays a
    pattern whose notes are out of view (a ``REF`` to a pattern a pinned row only names, ``HIDE``): a
    window in which every ``REF`` names a pattern written inside it, but for a first bar that plays more
    patterns than the context can show with it. ``shown_only`` (training): that first bar is cut too,
    before its first such item, so every ``REF`` names a pattern written inside the window."""
    toks = np.asarray(tokens, dtype=np.int64)[:limit].tolist()
    parts = split_stream(toks, vocab, channels)
    for bar, channel, first, _end in parts.spans:
        if is_hidden(parts.bars[bar][channel]):
            if bar:
                return toks[: int(np.flatnonzero(np.asarray(toks) == BAR)[bar])]
            if shown_only:
                return toks[:first]
    return toks


def pinned_mask(tokens, vocab) -> np.ndarray:
    """bool[n]: the tokens of pinned rows (each ``PIN`` up to the next bar line), given, never predicted."""
    toks = np.asarray(tokens, dtype=np.int64)
    pin = getattr(vocab, "pin", None)
    if pin is None or not len(toks):
        return np.zeros(len(toks), dtype=bool)
    marks = (toks == pin) | (toks == BAR) | (toks == BOS) | (toks == EOS)
    last = np.maximum.accumulate(np.where(marks, np.arange(len(toks)), -1))
    return (last >= 0) & (toks[np.maximum(last, 0)] == pin)
