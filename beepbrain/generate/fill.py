"""Fill and accompany: bars of a user's song written anew, or a channel added to it, by the model that
writes songs, through the fill layout (``tokens/fill.py``).

``fill_song`` takes the song and its target cells ((bar, channel), 0-based), and works through them in
bar order in chunks that fit the model's context: each chunk is a view of the song's bars around its
holes (as many bars before and after as fit, never bars that still hold holes of later chunks), laid out
with the holes, and the model writes the holes' content under the fill grammar (the channel's kind, the
rhythm grid and the header's scale when asked). What a chunk wrote is context for the next. The result is
the user's song with only the target cells replaced (``format/edit.put_pattern``): every other bar of
every channel, its instruments and settings, stay exactly as they were.

``hole_bits`` scores the target cells' real content the same way (every token of the content, given the
context): with the rest of the song (``full``), with the bars up to the hole only (``before``), or with
the header alone (``header``: the hole's bars, nothing else of the song), so a user and a benchmark see
what the context is worth.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

from beepbrain.format.config import BAR_COUNT_MAX
from beepbrain.format.edit import put_pattern, with_channel
from beepbrain.format.song import Song
from beepbrain.generate.sampling import (
    ModelScorer,
    SamplingConfig,
    decoding_threads,
    sample_sequence,
    token_kinds,
)
from beepbrain.generate.stats import sounding_bars
from beepbrain.tokens.conditioning import Conditioning
from beepbrain.tokens.fill import fill_layout, marker_mask, read_fill
from beepbrain.tokens.pattern_stream import BARS_AT, join_parts, split_stream
from beepbrain.tokens.protocol import Tokenizer

CONTEXTS = ("full", "before", "header", "inline")
LAYOUTS = ("fill", "inline")  # the hole's content after the song (fill layout), or in its place
DEFAULT_PATTERN_TOKENS = 40  # a hole's content when nothing in the song says how long its patterns are


@dataclass
class FilledSong:
    song: Song
    holes: list[tuple[int, int]]  # the cells written anew, (bar, channel), 0-based
    streams: list[list[int]]  # each chunk's fill-layout stream
    seed: int
    seconds: float
    stats: dict = field(default_factory=dict)

    @property
    def url(self) -> str:
        from beepbrain.generate.songs import BEEPBOX_URL

        return BEEPBOX_URL + self.song.to_url()

    @property
    def tokens(self) -> list[int]:
        return [t for stream in self.streams for t in stream]

    @property
    def hole_notes(self) -> int:
        return sum(len(p.notes) for p in (self.song.pattern_at(c, b) for b, c in self.holes) if p is not None)


def bar_cells(song: Song, first: int, last: int, channels=None) -> list[tuple[int, int]]:
    """The cells of bars ``first``..``last`` (1-based, inclusive) of ``channels`` (1-based; None: all),
    0-based; ValueError with one line where they are outside the song."""
    if not 1 <= first <= last <= song.bar_count:
        raise ValueError(f"bars {first}-{last} are outside the song's 1-{song.bar_count}")
    chosen = list(range(1, song.channel_count + 1)) if not channels else [int(c) for c in channels]
    for c in chosen:
        if not 1 <= c <= song.channel_count:
            raise ValueError(f"channel {c} is outside the song's 1-{song.channel_count}")
    return [(b - 1, c - 1) for b in range(first, last + 1) for c in sorted(set(chosen))]


def _rows(tokenizer: Tokenizer, song: Song) -> tuple[object, list[list[tuple[int, ...]]], Conditioning]:
    """The song's stream parts and one row of bodies per bar (trailing silent bars included), the parts'
    header declaring that many bars (so ``join_parts`` of the rows is the whole song)."""
    enc = tokenizer.encode(song)
    cond = enc.conditioning
    parts = split_stream(enc.tokens, tokenizer.vocab, cond.channels)
    rows = [list(row) for row in parts.bars]
    while len(rows) < min(song.bar_count, BAR_COUNT_MAX):
        rows.append([()] * cond.channels)
    parts.header[BARS_AT] = tokenizer.vocab.id_of("BARS", len(rows))
    parts.total_bars = len(rows)
    return parts, rows, cond


def plan_chunks(
    rows,
    cells,
    tokens_of: Callable[[int, int, list], int],
    budget: int,
    max_holes: int,
    least: Callable[[int, int, list], int] | None = None,
    room: int = 0,
) -> list[tuple[int, int, list[tuple[int, int]]]]:
    """(first bar, end bar, cells) per chunk: the cells in bar order, as many bars of them per chunk as fit
    ``budget`` (``tokens_of(first, end, cells)``: the chunk's tokens with that view), then the view grown
    by bars before and after while it fits; a view never takes in a bar holding a later chunk's cell. A
    single cell whose estimate does not fit is still tried where ``least`` (its tokens at the least: the
    prompt) does. The view grows only while ``room`` tokens stay free beyond the estimate."""
    cells = sorted(cells)
    chunks = []
    i = 0
    while i < len(cells):
        end_i = None
        j = i
        while j < len(cells):
            k = j
            while k < len(cells) and cells[k][0] == cells[j][0]:
                k += 1
            chunk = cells[i:k]
            if len(chunk) > max_holes or tokens_of(chunk[0][0], chunk[-1][0] + 1, chunk) > budget:
                break
            end_i = j = k
        if end_i is None:  # one bar's cells do not fit together: one cell at a time
            fits = least or tokens_of
            if fits(cells[i][0], cells[i][0] + 1, cells[i : i + 1]) > budget:
                raise RuntimeError(
                    f"bar {cells[i][0] + 1} alone takes more than the model's context: use a "
                    "model with a longer context"
                )
            end_i = i + 1
        chunk = cells[i:end_i]
        later = {b for b, _c in cells[end_i:]}
        first, end = chunk[0][0], chunk[-1][0] + 1
        grew = True
        while grew:
            grew = False
            for f, e in ((first - 1, end), (first, end + 1)):
                new_bar = f if f < first else e - 1
                if f < 0 or e > len(rows) or new_bar in later:
                    continue
                if tokens_of(f, e, chunk) <= budget - room:
                    first, end, grew = f, e, True
        chunks.append((first, end, chunk))
        i = end_i
    return chunks


def _pattern_lengths(rows, channels: int, drums_from: int) -> list[float]:
    """Per channel, the mean length of its distinct patterns written out (NEW ... END), for estimating
    what a hole will take; a channel with none takes its kind's mean, else DEFAULT_PATTERN_TOKENS."""
    per = []
    for c in range(channels):
        bodies = {row[c] for row in rows if c < len(row) and row[c]}
        per.append(float(np.mean([len(b) + 2 for b in bodies])) if bodies else None)
    out = []
    for c in range(channels):
        if per[c] is not None:
            out.append(per[c])
            continue
        same = [p for k, p in enumerate(per) if p is not None and (k >= drums_from) == (c >= drums_from)]
        out.append(float(np.mean(same)) if same else DEFAULT_PATTERN_TOKENS)
    return out


def repeat_leaders(rows, cells) -> dict[tuple[int, int], tuple[int, int]]:
    """{follower: leader}: a hole (bar, channel) whose bar repeats an earlier hole's bar of the same channel
    in every other channel (the same patterns, some of them sounding, none of them a hole) follows that
    hole: it plays the pattern written there, as the song's other channels repeat theirs."""
    holes = set(cells)
    first: dict[tuple, tuple[int, int]] = {}
    out: dict[tuple[int, int], tuple[int, int]] = {}
    for b, c in sorted(holes):
        others = range(len(rows[b]))
        context = tuple(rows[b][k] for k in others if k != c)
        if not any(context) or any((b, k) in holes for k in others if k != c):
            continue
        leader = first.setdefault((c, context), (b, c))
        if leader != (b, c):
            out[(b, c)] = leader
    return out


def fill_song(
    model,
    tokenizer: Tokenizer,
    song: Song,
    cells,
    sampling: SamplingConfig,
    *,
    constraints: bool = True,
    new_channel: int | None = None,
    follow_repeats: bool = False,
    layout: str = "inline",
) -> FilledSong:
    """``song`` with ``cells`` ((bar, channel), 0-based) written anew by ``model``; nothing else changes.
    ``new_channel``: the index of a channel added for this (its cells are all targets; in place and with
    ``constraints`` its first bar is not left silent, as a new song's first bar sounds). ``follow_repeats``:
    a hole whose bar repeats an earlier hole's bar in every other channel takes that hole's pattern
    (``repeat_leaders``) instead of being written on its own. ``layout``: ``inline`` (each cell in its
    place, with everything before it in view: ``generate/inline.py``) or ``fill`` (the content after the
    song, with the bars on both sides in view); docs/fill.md has what each writes."""
    from beepbrain.generate.songs import check_song

    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {', '.join(LAYOUTS)}")
    if layout == "inline":
        from beepbrain.generate.inline import write_in_place

        if not tokenizer.HAS_HEADER:
            raise ValueError(
                "this model's tokenizer has no bars of items to write in place: use a pattern-tokenizer model"
            )

        first = [(b, c) for b, c in sorted(cells) if c == new_channel][:1]
        return write_in_place(
            model,
            tokenizer,
            song,
            cells,
            sampling,
            constraints=constraints,
            follow_repeats=follow_repeats,
            sounding=first,
        )
    started = time.perf_counter()
    if getattr(tokenizer.vocab, "fill", None) is None:
        raise ValueError(
            "this model's tokenizer has no fill tokens: train a model with a current pattern "
            "tokenizer (beepbrain run, or beepbrain train --fill 0.25)"
        )
    parts, rows, cond = _rows(tokenizer, song)
    cells = sorted({(int(b), int(c)) for b, c in cells})
    followers = repeat_leaders(rows, cells) if follow_repeats else {}
    vocab, C = tokenizer.vocab, cond.channels
    estimate = _pattern_lengths(rows, C, cond.pitch_channels)  # a new channel's: its kind's
    T = int(model.config.block_size)
    budget = T - 2

    scale = [1.0]  # how far the estimate of the content's length is raised after an overrun

    def least(first: int, end: int, chunk) -> int:
        rel = [(b - first, c) for b, c in chunk]
        return (
            len(fill_layout(parts, rel, vocab, C, answers=False, rows=rows[first:end])) + 2 * len(chunk) + 1
        )

    def tokens_of(first: int, end: int, chunk) -> int:
        return least(first, end, chunk) + int(sum(estimate[c] for _b, c in chunk) * scale[0])

    options = (
        {k: True for k in tokenizer.GRAMMAR_CONSTRAINTS if k != "start_with_notes"} if constraints else {}
    )
    device = next(model.parameters()).device.type
    streams = []
    was_training = model.training
    model.eval()
    try:
        written = [cell for cell in cells if cell not in followers]
        queue = plan_chunks(rows, written, tokens_of, budget, vocab.fill_holes, least, room=T // 4)
        kinds = token_kinds(vocab)  # for sampling.kind_temperature
        n = 0
        while queue:
            first, end, chunk = queue.pop(0)
            n += 1
            rel = [(b - first, c) for b, c in chunk]
            prompt = fill_layout(parts, rel, vocab, C, answers=False, rows=rows[first:end])
            grammar = tokenizer.grammar(cond, beats_per_bar=None, fill=True, **options)
            scorer = ModelScorer(model, cond.vector(), device=device)
            with decoding_threads(model):
                try:
                    tokens = sample_sequence(
                        grammar,
                        scorer.logits,
                        replace(sampling, seed=sampling.seed + n - 1),
                        prefix=prompt,
                        kinds=kinds,
                    )
                except ValueError as exc:
                    if "exceed the model's context" not in str(exc):
                        raise
                    if len(chunk) == 1 or scale[0] >= 16:
                        raise RuntimeError(
                            f"the content of bars {first + 1}-{end} ran past the model's context "
                            f"of {T} tokens: use a model with a longer context"
                        ) from exc
                    # the content came out longer than estimated: plan what is left with room for more
                    scale[0] *= 2
                    left = chunk + [cell for _f, _e, ch in queue for cell in ch]
                    queue = plan_chunks(rows, left, tokens_of, budget, vocab.fill_holes, least, room=T // 4)
                    continue
            streams.append(tokens)
            view = read_fill(tokens, vocab, C)
            for b, c in rel:
                rows[first + b][c] = view.bars[b][c]
    finally:
        model.train(was_training)
    for (b, c), (a, _c) in followers.items():
        rows[b][c] = rows[a][c]
    parts.bars = rows
    whole = join_parts(parts, vocab, C)
    decoded = tokenizer.decode(np.asarray(whole), cond)
    result = copy.deepcopy(song)
    for b, c in cells:
        put_pattern(result, c, b, decoded.pattern_at(c, b))
    check_song(result, cond)
    return FilledSong(result, cells, streams, sampling.seed, time.perf_counter() - started)


def added_cells(song: Song, channel: int) -> list[tuple[int, int]]:
    """The cells a channel added to ``song`` at index ``channel`` is written in: every bar up to the song's
    last note (``sounding_bars``, at least bar 1). Silent bars at a song's end are not part of the song as
    the tokenizer reads it (``trim_trailing_silence``), so the model has never seen music go on there; the
    added channel leaves them silent, as the song does."""
    return [(b, channel) for b in range(min(sounding_bars(song), BAR_COUNT_MAX))]


def add_channel(
    model,
    tokenizer: Tokenizer,
    song: Song,
    kind: str,
    sampling: SamplingConfig,
    *,
    instrument_type: int | None = None,
    constraints: bool = True,
    follow_repeats: bool = False,
    layout: str = "inline",
) -> FilledSong:
    """``song`` with one more ``kind`` channel (pitch or drum) written for the whole song, up to its last
    note (``added_cells``; ``layout``: see ``fill_song``)."""
    bigger, index = with_channel(song, kind, instrument_type)
    cells = added_cells(song, index)
    return fill_song(
        model,
        tokenizer,
        bigger,
        cells,
        sampling,
        constraints=constraints,
        new_channel=index,
        follow_repeats=follow_repeats,
        layout=layout,
    )


def hole_bits(
    model, tokenizer: Tokenizer, song: Song, cells, context: str = "full"
) -> tuple[float, int, int]:
    """(bits, tokens scored, notes) of the real content of ``cells`` ((bar, channel), 0-based) given the
    ``context`` (``full``, ``before`` or ``header``): every token of each hole's content after its marker
    (the markers and the closing EOS are given, so not scored); ``inline``: each cell's item in its place
    in the song's own stream, everything before it in view (``song_bits`` over those cells)."""
    import torch
    import torch.nn.functional as F

    if context not in CONTEXTS:
        raise ValueError(f"context must be one of {', '.join(CONTEXTS)}")
    cells = sorted({(int(b), int(c)) for b, c in cells})
    notes = sum(len(p.notes) for p in (song.pattern_at(c, b) for b, c in cells) if p is not None)
    if context == "inline":
        from beepbrain.generate.evaluate import song_bits

        parts, rows, cond = _rows(tokenizer, song)
        whole = join_parts(replace(parts, bars=rows), tokenizer.vocab, cond.channels)
        counts: list[int] = []
        bits = song_bits(model, tokenizer, [np.asarray(whole)], [cond], counts=counts, cells=[cells])
        return float(bits[0]), counts[0], notes
    if getattr(tokenizer.vocab, "fill", None) is None:
        raise ValueError("this model's tokenizer has no fill tokens: it cannot score holes")
    parts, rows, cond = _rows(tokenizer, song)
    vocab, C = tokenizer.vocab, cond.channels
    targets = set(cells)
    last = max(b for b, _c in cells)
    if context == "before":
        rows = rows[: last + 1]
    elif context == "header":
        hole_bars = sorted({b for b, _c in cells})
        rows = [
            [body if (b, c) in targets else () for c, body in enumerate(rows[b])]
            if b in hole_bars
            else [()] * C
            for b in range(len(rows))
        ]
    T = int(model.config.block_size)

    def layout(first: int, end: int, chunk) -> list[int]:
        rel = [(b - first, c) for b, c in chunk]
        view = rows[first:end]
        if context == "header":  # only the hole's bars: nothing else of the song
            keep = sorted({b for b, _c in rel})
            view = [view[b] for b in keep]
            rel = [(keep.index(b), c) for b, c in rel]
        return fill_layout(parts, rel, vocab, C, rows=view)

    device = next(model.parameters()).device
    bits = 0.0
    scored = 0
    was_training = model.training
    model.eval()
    try:
        chunks = plan_chunks(rows, cells, lambda f, e, ch: len(layout(f, e, ch)), T + 1, vocab.fill_holes)
        for first, end, chunk in chunks:
            tokens = np.asarray(layout(first, end, chunk), dtype=np.int64)
            sep = int(np.flatnonzero(tokens == vocab.sep)[0])
            scored_at = np.zeros(len(tokens), dtype=bool)
            scored_at[sep + 1 :] = True
            scored_at &= ~marker_mask(tokens, vocab)
            scored_at[-1] = False  # the EOS after the last hole: forced
            x = torch.from_numpy(tokens[None, :-1]).to(device)
            y = torch.from_numpy(np.where(scored_at[1:], tokens[1:], -1)[None]).to(device)
            c = torch.from_numpy(np.asarray(cond.vector(), dtype=np.float32)[None]).to(device)
            with torch.no_grad():
                logits, _ = model(x, c)
            nats = F.cross_entropy(
                logits.float().reshape(-1, logits.size(-1)), y.reshape(-1), ignore_index=-1, reduction="sum"
            )
            bits += float(nats) / np.log(2)
            scored += int(scored_at[1:].sum())
    finally:
        model.train(was_training)
    return bits, scored, notes


__all__ = [
    "CONTEXTS",
    "LAYOUTS",
    "FilledSong",
    "add_channel",
    "bar_cells",
    "fill_song",
    "hole_bits",
    "plan_chunks",
]
