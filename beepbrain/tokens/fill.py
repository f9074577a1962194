"""The fill layout: a song with holes, then what goes in them. One model continues songs, writes bars of a
song anew and adds channels to it, because a fill task is a song stream rearranged, not a second language.

Stream of a song with holes (the pattern tokenizer's, ``pattern_tokenizer``)::

    BOS TEMPO KEY SCALE BEATS BARS <instruments> FILL
    BAR <item or HOLE_k> ... BAR ... SEP  HOLE_1 <item>  HOLE_2 <item> ... EOS

``FILL`` says what the stream is (a plain song has none). Each target cell (a channel's bar) holds
``HOLE_k`` (k = 1, 2, ... in bar, channel order) where its item would stand; after ``SEP`` every hole's
content follows in the same order, each after its own marker, so the model finds the cell it writes by
matching ``HOLE_k`` (as MMM's and T5's sentinels do) rather than by counting. An item is an item of the
song layout (``EMPTY``, ``REF_j``, ``NEW ... END``).

Pattern numbering stays the one rule of ``PatternStream``, over the rearranged stream: the context's
bars are written by one stream in which a hole adds nothing to its channel's table (so a pattern that the
song first plays inside a hole is written out where the context next uses it), and the holes' content
goes on with the same stream, so a hole may ``REF`` any pattern its channel wrote before it in the
rearranged stream: the bars after the hole included, and earlier holes' content.

Why this layout: the context comes whole and in song order (the model reads it as it reads any song, and
the header and every pattern a ``REF`` names stay in view), the content comes last (a left-to-right model
writes it knowing both sides), and the hole's channel and place are implied by its marker, so nothing new
is needed for "add a channel": that is a song whose new channel is holes in every bar.

The markers (``FILL``, ``SEP``, ``HOLE_k``) are given, never predicted: ``marker_mask`` says where they
are so training leaves them out of the loss. ``draw_holes`` draws the training mix's holes the way the
infilling systems draw them (a whole channel, a span of bars over all or some channels, the song's tail,
random cells).
"""

from __future__ import annotations

import numpy as np

from beepbrain.tokens.pattern_stream import BARS_AT, PatternStream, StreamParts, split_stream
from beepbrain.tokens.pattern_vocab import BAR, EOS

HOLE_KINDS = ("channel", "span", "tail", "cells")


def fill_layout(
    parts: StreamParts, holes, vocab, channels: int, *, answers: bool = True, rows=None
) -> list[int]:
    """The fill layout of the song in ``parts`` (its ``bars``, or ``rows`` in their place) with ``holes``
    ((bar, channel) cells, 0-based) as holes. ``answers``: each hole's content follows ``SEP`` (training,
    scoring); False: the stream stops after ``SEP``, where a model writes the content (a prompt)."""
    if vocab.fill is None:
        raise ValueError(
            "this tokenizer has no fill tokens (saved before the fill layout): retrain with a "
            "current tokenizer to fill songs"
        )
    rows = parts.bars if rows is None else rows
    cells = sorted({(int(b), int(c)) for b, c in holes})
    if len(cells) > vocab.fill_holes:
        raise ValueError(f"{len(cells)} holes: the layout numbers at most {vocab.fill_holes}")
    for b, c in cells:
        if not (0 <= b < len(rows) and 0 <= c < channels):
            raise ValueError(f"hole at bar {b + 1}, channel {c + 1} is outside the song")
    number = {cell: k for k, cell in enumerate(cells)}
    header = list(parts.header)
    if len(header) > BARS_AT:
        header[BARS_AT] = vocab.id_of("BARS", max(1, len(rows)))
    out = header + list(parts.instruments) + [vocab.fill]
    stream = PatternStream.for_vocab(vocab, channels)
    for b, row in enumerate(rows):
        out.append(BAR)
        stream.start_bar()
        for c in range(channels):
            if (b, c) in number:
                out.append(hole_token(vocab, number[(b, c)]))
                stream.hole()
            else:
                body = row[c] if c < len(row) else ()
                out.extend(stream.write(() if body is None else body))
    out.append(vocab.sep)
    if not answers:
        return out
    for k, (b, c) in enumerate(cells):
        out.append(hole_token(vocab, k))
        stream.at(c)
        body = rows[b][c] if c < len(rows[b]) else ()
        out.extend(stream.write(() if body is None else body))
    out.append(EOS)
    return out


def hole_token(vocab, k: int) -> int:
    """The marker of hole k (0-based)."""
    return vocab.id_of("HOLE", k + 1)


def filled_rows(parts: StreamParts) -> list[list[tuple[int, ...]]]:
    """The song's bars with each hole's content in its place (a hole not written yet: silence)."""
    rows = [list(row) for row in parts.bars]
    for k, (b, c) in enumerate(parts.holes):
        rows[b][c] = parts.answers[k] if k < len(parts.answers) else ()
    return [[() if body is None else body for body in row] for row in rows]


def read_fill(tokens, vocab, channels: int) -> StreamParts:
    """A fill-layout stream read back: ``split_stream``'s parts with ``bars`` holding the holes' content
    (``holes`` says which cells they were)."""
    parts = split_stream(tokens, vocab, channels)
    parts.bars = filled_rows(parts)
    return parts


def marker_mask(tokens, vocab) -> np.ndarray:
    """bool per token: a fill marker (``FILL``, ``SEP``, ``HOLE_k``), given and so not a training target."""
    toks = np.asarray(tokens, dtype=np.int64)
    if vocab.fill is None:
        return np.zeros(len(toks), dtype=bool)
    hole = vocab.family[toks] == vocab.family_index["HOLE"]
    return hole | (toks == vocab.fill) | (toks == vocab.sep)


def draw_holes(rows, channels: int, rng: np.random.Generator, *, limit: int) -> list[tuple[int, int]]:
    """Holes for one training song, the infilling systems' mix: a whole channel, a span of bars (all
    channels or some), the song's tail, or random cells; at most ``limit`` cells, none of them empty only
    if the song has notes to hide. Returns (bar, channel) cells."""
    bars = len(rows)
    if bars == 0 or channels == 0:
        return []
    kind = HOLE_KINDS[int(rng.integers(0, len(HOLE_KINDS)))]
    if kind == "channel":
        sounding = [c for c in range(channels) if any(row[c] for row in rows if c < len(row))]
        c = int(rng.choice(sounding)) if sounding else int(rng.integers(0, channels))
        cells = [(b, c) for b in range(bars)]
    elif kind == "span":
        length = int(rng.integers(1, max(2, min(bars, 8) + 1)))
        start = int(rng.integers(0, bars - length + 1))
        chosen = (
            range(channels)
            if rng.random() < 0.5
            else sorted(rng.choice(channels, size=int(rng.integers(1, channels + 1)), replace=False))
        )
        cells = [(b, int(c)) for b in range(start, start + length) for c in chosen]
    elif kind == "tail":
        length = int(rng.integers(1, max(2, bars // 2 + 1)))
        cells = [(b, c) for b in range(bars - length, bars) for c in range(channels)]
    else:
        total = bars * channels
        count = int(rng.integers(1, max(2, min(total, 16) + 1)))
        picked = rng.choice(total, size=count, replace=False)
        cells = [(int(i) // channels, int(i) % channels) for i in picked]
    cells = sorted(set(cells))
    if len(cells) > limit:  # keep a run of cells, as the kind drew them
        first = int(rng.integers(0, len(cells) - limit + 1))
        cells = cells[first : first + limit]
    return cells


__all__ = ["HOLE_KINDS", "draw_holes", "fill_layout", "filled_rows", "hole_token", "marker_mask", "read_fill"]
