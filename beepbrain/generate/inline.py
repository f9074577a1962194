"""Cells of a song written in place: the model writes the song's own stream, as it writes any song, and
every cell outside the target is given (forced: the song's pattern there, numbered as the stream numbers
it at that point), so each target item is sampled with everything before it in view: the earlier bars of
every channel and the channels before it in its own bar. The view slides over a long song as it does for
a new one (``SongWindow``), and the same model that writes songs writes the cells; no fill layout.

This is how ``beepbrain fill`` writes by default. In place, each cell is read as the model reads every
song in training (three quarters of its windows), and what it writes comes close to the song's own
density and repeats; the fill layout (``generate/fill.py``, ``--layout fill``) also shows the bars after
the hole and scores a span's real notes a little better, but what a small model writes there is half as
dense as the song (docs/fill.md has the figures).
"""

from __future__ import annotations

import copy
import time

import numpy as np

from beepbrain.format.edit import put_pattern
from beepbrain.format.song import Song
from beepbrain.generate.sampling import SamplingConfig, sample_song
from beepbrain.tokens.pattern_grammar import Phase
from beepbrain.tokens.pattern_stream import is_hidden
from beepbrain.tokens.pattern_vocab import EMPTY, END, NEW
from beepbrain.tokens.protocol import Tokenizer


class GivenCells:
    """A pattern grammar whose items outside the target are given. ``given``: {(bar, channel): body} of the
    whole song (0-based bars; ``()`` a silent cell); the grammar's bar 0 is the song's bar ``start`` (a
    window). ``followers``: {cell: leader cell} of target cells that play what their leader was given by
    the model (``fill.repeat_leaders``); ``written`` collects each target cell's body as it is sampled
    (shared by the grammars of every window). A given item's tokens are forced and checked for validity
    only, as a prompt is; the target items keep every constraint the grammar was made with. ``sounding``:
    target cells that may not be silent (an added channel's first bar, as a new song's first bar sounds)."""

    def __init__(self, grammar, given: dict, start: int = 0, written=None, followers=None, sounding=()):
        self.grammar = grammar
        self.sounding = set(sounding)
        self.given = given
        self.start = int(start)
        self.written = written if written is not None else {}
        self.followers = followers or {}
        self._queue: list[int] = []
        self._recording: tuple[tuple[int, int], list[int]] | None = None

    def __getattr__(self, name):  # done, in_header, relax, ...: the grammar's own
        return getattr(self.grammar, name)

    def _cell(self) -> tuple[int, int] | None:
        """The song cell whose item comes next, None between items."""
        g = self.grammar
        if g.phase is not Phase.ITEM or g.pinning or g.stream.bar < 1 or g.stream.bar_complete:
            return None
        return self.start + g.stream.bar - 1, g.stream.channel

    def _tokens_for(self, body) -> list[int]:
        """A body's item at this point of the stream: EMPTY, a REF to the channel's pattern, or written out."""
        stream = self.grammar.stream
        if not body:
            return [EMPTY]
        k = stream.ref_of(body)
        return [stream.ref_token(k)] if k is not None else [NEW, *body, END]

    def _pending(self) -> list[int]:
        if self._queue or self._recording is not None:
            return self._queue
        cell = self._cell()
        if cell in self.given:
            self._queue = self._tokens_for(self.given[cell])
        elif cell in self.followers and self.followers[cell] in self.written:
            self._queue = self._tokens_for(self.written[self.followers[cell]])
        return self._queue

    def mask(self) -> np.ndarray:
        queue = self._pending()
        if not queue:
            out = self.grammar.mask()
            if self._cell() in self.sounding and not self.grammar.relaxed and out.sum() > out[EMPTY]:
                out = out.copy()
                out[EMPTY] = False
            return out
        out = np.zeros(self.grammar.size, dtype=bool)
        out[queue[0]] = True
        return out

    def allows(self, token: int) -> bool:
        return bool(self.mask()[int(token)])

    def advance(self, token: int) -> None:
        token = int(token)
        queue = self._pending()
        if queue:
            if token != queue[0]:
                raise ValueError(f"token {token}: the given cell's item continues with {queue[0]}")
            queue.pop(0)
            relaxed, self.grammar.relaxed = self.grammar.relaxed, True  # the song's own item: valid is enough
            try:
                self.grammar.advance(token)
            finally:
                self.grammar.relaxed = relaxed
            return
        if self._recording is None:
            cell = self._cell()
            if cell is not None:
                self._recording = (cell, [])
        self.grammar.advance(token)
        if self._recording is not None:
            self._recording[1].append(token)
            if self.grammar.phase in (Phase.ITEM, Phase.BAR) or self.grammar.done:
                self._close(*self._recording)
                self._recording = None

    def _close(self, cell: tuple[int, int], tokens: list[int]) -> None:
        """Keep what the model wrote at a target cell (its body), for the cells that follow it."""
        if tokens[0] == EMPTY:
            body: tuple[int, ...] | None = ()
        elif tokens[0] == NEW:
            body = tuple(tokens[1:-1])
        else:
            body = self.grammar.stream.body_of(tokens[0] - self.grammar.stream.ref_base + 1, cell[1])
            body = None if body is None or is_hidden(body) else body
        if body is not None:
            self.written[cell] = body


def write_in_place(
    model,
    tokenizer: Tokenizer,
    song: Song,
    cells,
    sampling: SamplingConfig,
    *,
    constraints: bool = True,
    follow_repeats: bool = False,
    sounding=(),
):
    """``song`` with ``cells`` ((bar, channel), 0-based) written anew in place; nothing else changes. With
    ``constraints``, the cells of ``sounding`` are not left silent (``GivenCells``)."""
    from beepbrain.generate.fill import FilledSong, _rows, repeat_leaders
    from beepbrain.generate.songs import check_song

    started = time.perf_counter()
    parts, rows, cond = _rows(tokenizer, song)
    cells = sorted({(int(b), int(c)) for b, c in cells})
    targets = set(cells)
    given = {
        (b, c): body for b, row in enumerate(rows) for c, body in enumerate(row) if (b, c) not in targets
    }
    followers = repeat_leaders(rows, cells) if follow_repeats else {}
    vocab = tokenizer.vocab
    prefix = list(parts.header) + list(parts.instruments)  # the header declares every row's bar
    options = (
        {k: True for k in tokenizer.GRAMMAR_CONSTRAINTS if k != "start_with_notes"} if constraints else {}
    )
    written: dict = {}

    def known(start_bar: int) -> list[list[tuple[int, ...]]]:
        """Each channel's patterns in the order the song first played them before ``start_bar`` (what a
        window from there pins, some of it by HIDE), with what the model wrote at target cells."""
        tables: list[list[tuple[int, ...]]] = [[] for _ in range(cond.channels)]
        for b in range(start_bar):
            for c in range(cond.channels):
                cell = (b, c)
                body = given.get(cell, written.get(followers.get(cell, cell), written.get(cell)))
                if body and body not in tables[c] and len(tables[c]) < vocab.max_refs:
                    tables[c].append(body)
        return tables

    def make_grammar(start_bar: int, _first: bool):
        grammar = tokenizer.grammar(
            cond, beats_per_bar=None, bars=len(rows) - start_bar, known=known(start_bar), **options
        )
        return GivenCells(grammar, given, start_bar, written, followers, sounding if constraints else ())

    was_training = model.training
    model.eval()
    try:
        tokens = sample_song(model, tokenizer, cond, make_grammar, sampling, prefix=prefix)
    finally:
        model.train(was_training)
    decoded = tokenizer.decode(np.asarray(tokens), cond)
    result = copy.deepcopy(song)
    for b, c in cells:
        put_pattern(result, c, b, decoded.pattern_at(c, b))
    check_song(result, cond)
    return FilledSong(result, cells, [list(tokens)], sampling.seed, time.perf_counter() - started)


__all__ = ["GivenCells", "write_in_place"]
