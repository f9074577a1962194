"""One pattern stream: the encoder, the decoder and the grammar number patterns by one rule, so a stream the
grammar accepts decodes to the song that encodes back to that very stream; and a window of a song is a song
of its own (header first, every REF naming a pattern written inside it)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from beepbrain.format import Note, NotePin, new_song, parse_song
from beepbrain.tokens import (
    Conditioning,
    PatternTokenizer,
    PatternTokenizerConfig,
    TickTokenizer,
    TickTokenizerConfig,
)
from beepbrain.tokens.pattern_stream import PatternStream, is_hidden, split_stream
from beepbrain.tokens.pattern_vocab import BAR, BOS, EMPTY, END, EOS, IEND, NEW

sys.path.insert(0, str(Path(__file__).parent))
from token_helpers import song_of_many_patterns  # noqa: E402


@pytest.fixture(scope="module")
def tok():
    return PatternTokenizer(PatternTokenizerConfig(trim_trailing_silence=False))


def walk(grammar, vocab, rng, *, end_bias: float) -> list[int]:
    """A seeded random walk through the grammar that favours short patterns of few, low notes (so the
    same pattern is often written twice) and plain instruments."""
    tokens = []
    while not grammar.done:
        allowed = np.flatnonzero(grammar.mask())
        assert len(allowed), "the grammar left no way on"
        names = [vocab.name(t) for t in allowed]
        if IEND in allowed:
            token = IEND
        elif END in allowed and rng.random() < end_bias:
            token = END
        elif any(n.startswith(("POS_", "DUR_")) for n in names) and rng.random() < 0.7:
            token = next(t for t, n in zip(allowed, names, strict=True) if n.startswith(("POS_", "DUR_")))
        else:
            few = [
                t
                for t, n in zip(allowed, names, strict=True)
                if not (n.startswith(("P_", "D_")) and int(n.split("_")[1]) > 3)
            ]
            token = int(rng.choice(few or allowed))
        grammar.advance(int(token))
        tokens.append(int(token))
    return tokens


def test_thousands_of_random_walks_decode_to_the_song_that_encodes_back_to_them(tok):
    rng = np.random.default_rng(19)
    repeated_new_refused = 0
    for _ in range(2000):
        cond = Conditioning(int(rng.integers(0, 5)), int(rng.integers(1, 3)), int(rng.integers(0, 2)))
        grammar = tok.grammar(
            cond, beats_per_bar=int(rng.integers(3, 5)), bars=int(rng.integers(1, 6)), strict_rhythm=True
        )
        tokens = walk(grammar, tok.vocab, rng, end_bias=0.8)
        song = tok.decode(tokens, cond)
        assert tok.encode(song).tokens.tolist() == tokens
        repeated_new_refused += grammar.refused_repeats
    assert repeated_new_refused > 50  # the walks did try to write a pattern the channel already had


def test_thousands_of_tick_random_walks_round_trip_too():
    tick = TickTokenizer(TickTokenizerConfig(trim_trailing_silence=False))
    rng = np.random.default_rng(7)
    for _ in range(2000):
        cond = Conditioning(int(rng.integers(0, 5)), int(rng.integers(1, 3)), int(rng.integers(0, 2)))
        beats = int(rng.integers(3, 5))
        grammar = tick.grammar(cond, beats_per_bar=beats, bars=int(rng.integers(1, 4)))
        tokens = []
        while not grammar.done:
            token = int(rng.choice(np.flatnonzero(grammar.mask())))
            grammar.advance(token)
            tokens.append(token)
        song = tick.decode(np.array(tokens), cond, beats_per_bar=beats)
        assert tick.encode(song).tokens.tolist() == tokens


def one_note(tok, pitch: int) -> list[int]:
    v = tok.vocab
    return [NEW, v.id_of("POS", 0), v.id_of("P", pitch), v.id_of("DUR", 24), END]


def test_a_repeated_new_is_refused_and_a_ref_names_what_the_decoder_plays(tok):
    """NEW[36] | NEW[36] | NEW[40] | REF_2: the grammar refuses the second NEW[36]; read tolerantly, REF_2
    is the second distinct pattern (40) for the decoder, as for the grammar's table."""
    v = tok.vocab
    cond = Conditioning(1, 1, 0)
    song = new_song(1, 0, bars=4, beats_per_bar=4)
    header = tok.encode(song).tokens.tolist()
    head = header[: header.index(BAR)]
    head[5] = v.id_of("BARS", 4)
    bars = [one_note(tok, 36), one_note(tok, 36), one_note(tok, 40), [v.id_of("REF", 2)]]
    stream = head + [t for bar in bars for t in [BAR, *bar]] + [EOS]
    grammar = tok.grammar(cond, beats_per_bar=None)
    at = None
    for i, t in enumerate(stream):
        if not grammar.allows(t):
            at = i
            break
        grammar.advance(t)
    second = len(head) + 1 + len(bars[0]) + 1  # the second bar's NEW
    assert at == second + len(bars[1]) - 1  # its END: the channel has that pattern, REF_1 writes it
    played = tok.decode(stream, cond)
    pitches = [played.pattern_at(0, b).notes[0].pitches[0] for b in range(4)]
    assert pitches == [36, 36, 40, 40]
    canonical = tok.encode(played).tokens.tolist()
    assert canonical.count(NEW) == 2 and v.id_of("REF", 1) in canonical


def test_the_stream_state_is_the_one_rule():
    stream = PatternStream(2, max_refs=2, ref_base=100)
    stream.start_bar()
    assert stream.write((5, 6)) == (NEW, 5, 6, END)
    assert stream.write(()) == (EMPTY,)
    stream.start_bar()
    assert stream.write((5, 6)) == (100,)  # REF_1
    assert stream.write((5, 6)) == (NEW, 5, 6, END)  # channel 1 has its own table
    stream.start_bar()
    assert stream.new((7,)) == 2
    stream.empty()
    stream.start_bar()
    assert stream.new((8,)) is None  # a full table numbers no more
    assert stream.write((8,)) == (NEW, 8, END)  # so the encoder writes such a pattern out each time
    assert stream.bar_complete and stream.body_of(2, channel=0) == (7,)


def song_with_repeats(bars: int = 12):
    song = new_song(2, 1, bars=bars, beats_per_bar=4, patterns_per_channel=3)
    for c, channel in enumerate(song.channels):
        for k, pattern in enumerate(channel.patterns):
            pitch = (k * 3 + c) % 12 if c == 2 else 24 + 4 * k + c
            pattern.notes = [Note([pitch], 0, 12, [NotePin(0, 0, 3), NotePin(0, 12, 3)])]
        channel.bars = [1 + (b // 2 + c) % 3 for b in range(bars)]
    return parse_song(song.to_url())


def assert_is_song(tok, window, cond, shown: bool = False):
    """``window`` is a song of its own, or a prefix of one: BOS and the header first, every REF naming a
    pattern numbered earlier inside it (``shown``: one whose notes are written inside it, not only named
    by a pinned ``HIDE``), and the grammar accepts every token."""
    from beepbrain.tokens.pattern_stream import is_hidden

    assert window[0] == BOS
    grammar = tok.grammar(cond, beats_per_bar=None)
    grammar.relax(True)  # a given window: its pinned rows are accepted, as the sampler replays them
    refs = 0
    for t in window:  # the grammar allows REF_k only where the channel wrote k patterns in this stream
        assert grammar.allows(t), tok.vocab.name(t)
        if tok.vocab.is_family(t, "REF"):
            refs += 1
            k = int(tok.vocab.value[t])
            assert k <= grammar.stream.count()
            assert not (shown and is_hidden(grammar.stream.body_of(k))), f"REF_{k} names a hidden pattern"
        grammar.advance(t)
    return refs


def test_a_view_from_any_bar_is_a_song_that_plays_those_bars(tok):
    song = song_with_repeats()
    enc = tok.encode(song)
    for start in range(song.bar_count):
        window = tok.view(enc.tokens, enc.conditioning, start)
        refs = assert_is_song(tok, window, enc.conditioning)
        assert refs > 0 or start >= song.bar_count - 2  # bars repeat two by two
        part = tok.decode(window, enc.conditioning)
        assert part.bar_count == song.bar_count - start
        for c in range(song.channel_count):
            for b in range(part.bar_count):
                assert part.pattern_at(c, b).notes == song.pattern_at(c, b + start).notes
        back = tok.rejoin(enc.tokens, window, enc.conditioning, start)
        assert back == enc.tokens.tolist()


def test_a_pinned_view_holds_the_patterns_played_before_so_its_bars_are_the_songs_own(tok):
    """With room for them, a view from bar b pins every pattern played before b in the song's order, so
    its bars are token for token the song's bars from b (a repeat stays one REF); it still decodes to
    those bars, rejoins to the song, and its pinned rows are exactly what ``pinned_mask`` gives."""
    from beepbrain.tokens.pattern_stream import pinned_mask

    song = song_with_repeats()
    enc = tok.encode(song)
    whole = enc.tokens.tolist()
    lines = tok.bar_lines(whole).tolist()
    head = lines[0]  # BOS, the header and the instruments
    pin = tok.vocab.pin
    assert pin is not None
    for start in range(1, song.bar_count):
        window = tok.view(whole, enc.conditioning, start, block_size=4096)
        first = window.index(BAR)
        assert window[first:] == whole[lines[start] :]  # the bars, as the song wrote them
        assert window[head] == pin  # pinned rows right after the header and instruments
        assert_is_song(tok, window, enc.conditioning)
        mask = pinned_mask(window, tok.vocab)
        assert mask[head:first].all() and not mask[:head].any() and not mask[first:].any()
        part = tok.decode(window, enc.conditioning)
        assert part.bar_count == song.bar_count - start
        for c in range(song.channel_count):
            for b in range(part.bar_count):
                assert part.pattern_at(c, b).notes == song.pattern_at(c, b + start).notes
        assert tok.rejoin(whole, window, enc.conditioning, start) == whole
        plain = tok.view(whole, enc.conditioning, start)  # no budget: first uses written out
        assert pin not in plain and plain.count(NEW) > window[first:].count(NEW)
    small = tok.view(whole, enc.conditioning, 6, block_size=40)  # room for one pattern or two
    pinned = pinned_mask(small, tok.vocab)
    assert 0 < pinned.sum() <= 20
    fresh = tok.grammar(enc.conditioning, beats_per_bar=None)  # a sampled song never writes PIN
    for t in whole[:head]:
        fresh.advance(t)
    assert not fresh.allows(pin) and fresh.allows(BAR)


def test_a_view_that_cannot_show_every_pattern_names_the_rest_so_its_bars_stay_the_songs_own(tok):
    """With room for only some patterns, a view pins the others as ``HIDE_n`` runs: its bars are still
    token for token the song's own, the grammar accepts it (and refuses HIDE outside a pinned row), the
    window read alone plays a hidden pattern as silence, and rejoin gives the whole song back."""
    from beepbrain.tokens.pattern_stream import pinned_mask

    song = song_with_repeats(16)
    enc = tok.encode(song)
    whole = enc.tokens.tolist()
    lines = tok.bar_lines(whole).tolist()
    hide_lo, hide_hi = tok.vocab.span("HIDE")
    hidden_views = 0
    for block_size in (24, 40, 64):
        for start in range(1, song.bar_count):
            window = tok.view(whole, enc.conditioning, start, block_size=block_size)
            first = window.index(BAR)
            assert window[first:] == whole[lines[start] :]
            assert_is_song(tok, window, enc.conditioning)
            hides = [t for t in window if hide_lo <= t < hide_hi]
            hidden_views += bool(hides)
            assert pinned_mask(window, tok.vocab)[lines[0] : first].all()
            assert tok.rejoin(whole, window, enc.conditioning, start) == whole
            part = tok.decode(window, enc.conditioning)
            assert part.bar_count == song.bar_count - start
            for c in range(song.channel_count):
                for b in range(part.bar_count):
                    notes = part.pattern_at(c, b).notes if part.pattern_at(c, b) else []
                    want = song.pattern_at(c, b + start).notes
                    assert notes in (want, [])  # as the song plays it, or silent where hidden
    assert hidden_views > 0
    grammar = tok.grammar(enc.conditioning, beats_per_bar=None)
    grammar.relax(True)
    for t in whole[: lines[0] + 1]:  # the header, then a bar (not a pinned row)
        grammar.advance(t)
    assert not grammar.allows(hide_lo)


def test_a_window_shows_the_patterns_its_bars_play_again_and_ends_before_one_it_cannot(tok):
    """``tokenizer.window``: the view's prefix of at most ``block_size + 1`` tokens, whose pins write out
    first the patterns its bars play again; where the pins cannot show one, the window ends at the bar
    line before the bar that plays it, so every REF after its first bar names a pattern shown inside it;
    a training window (``shown_only``) ends inside a first bar that plays one, before that item, so every
    REF in it does. Against pins that favour the most recently played (the rule before), windows hold
    more bars whole."""
    from beepbrain.tokens import pattern_stream

    song = song_of_many_patterns()
    enc = tok.encode(song)
    whole, cond = enc.tokens.tolist(), enc.conditioning
    cuts = held = held_by_recency = inside = 0
    for block_size in (48, 64, 128, 256):
        for start in range(1, song.bar_count):
            view = tok.view(whole, cond, start, block_size)
            window = tok.window(view, cond, block_size)
            assert window == view[: len(window)] and len(window) <= block_size + 1
            parts = split_stream(window, tok.vocab, cond.channels)
            hidden = [b for b, c, _f, _e in parts.spans if pattern_stream.is_hidden(parts.bars[b][c])]
            assert set(hidden) <= {0}  # only a first bar that plays more than the pins can show
            training = tok.window(view, cond, block_size, shown_only=True)
            assert_is_song(tok, training, cond, shown=True)
            if hidden == []:
                assert training == window
            else:  # cut before the first bar's first item that plays a hidden pattern
                inside += 1
                first = next(
                    f for b, c, f, _e in parts.spans if b == 0 and pattern_stream.is_hidden(parts.bars[b][c])
                )
                assert training == window[:first]
            if len(window) < min(len(view), block_size + 1):  # cut: the next bar plays a hidden pattern
                cuts += 1
                assert view[len(window)] == BAR
                rest = split_stream(view, tok.vocab, cond.channels)
                k = window.count(BAR)
                assert any(pattern_stream.is_hidden(body) for body in rest.bars[k])
            held += window.count(BAR)
            recent = pattern_stream.join_parts(  # the same budget, pins chosen by recency alone
                split_stream(whole, tok.vocab, cond.channels),
                tok.vocab,
                cond.channels,
                start,
                budget=pattern_stream.pin_budget(block_size, whole.index(BAR)),
            )
            held_by_recency += pattern_stream.defined_part(
                recent, tok.vocab, cond.channels, block_size + 1
            ).count(BAR)
    assert cuts > 0 and inside > 0 and held > held_by_recency


def test_a_grammar_given_the_songs_tables_knows_what_a_hidden_pin_plays(tok):
    """Replaying a view whose pins hide patterns, a grammar given the whole song's tables (``known``) holds
    their notes, as ``split_stream(..., known=)`` reads them; without them it holds stand-ins no stream
    writes, so a written-out copy of a hidden pattern would not be seen as a repeat."""
    from beepbrain.tokens.pattern_stream import is_hidden

    song = song_with_repeats(16)
    enc = tok.encode(song)
    whole = enc.tokens.tolist()
    tables = split_stream(whole, tok.vocab, enc.conditioning.channels).tables
    start = song.bar_count - 2
    window = tok.view(whole, enc.conditioning, start, block_size=24)
    assert any(tok.vocab.is_family(t, "HIDE") for t in window)
    for known in (tables, None):
        grammar = tok.grammar(enc.conditioning, beats_per_bar=None, known=known)
        grammar.relax(True)
        for t in window:
            grammar.advance(t)
        got = grammar.stream.tables
        if known is None:
            assert any(is_hidden(body) for table in got for body in table)
        else:
            assert all(table == tables[c][: len(table)] for c, table in enumerate(got))
            read = split_stream(window, tok.vocab, enc.conditioning.channels, known=tables).tables
            assert got == read


def test_split_stream_reads_an_unfinished_stream(tok):
    enc = tok.encode(song_with_repeats(4))
    toks = enc.tokens.tolist()
    cut = toks[: len(toks) - 4]  # inside the last bar's last pattern
    parts = split_stream(cut, tok.vocab, enc.conditioning.channels)
    assert len(parts.bars) == 4 and not parts.ended
    assert parts.partial is not None or len(parts.bars[-1]) < enc.conditioning.channels
    whole = split_stream(toks, tok.vocab, enc.conditioning.channels)  # each item's tokens, where they stand
    assert [(b, c) for b, c, _f, _e in whole.spans] == [
        (b, c) for b in range(4) for c in range(enc.conditioning.channels)
    ]
    for k, (bar, channel, first, end) in enumerate(whole.spans):
        assert toks[first - 1] == BAR if channel == 0 else whole.spans[k - 1][3] == first  # back to back
        if toks[first] == NEW:
            assert toks[end - 1] == END and whole.bars[bar][channel] == tuple(toks[first + 1 : end - 1])
        else:
            assert end == first + 1  # EMPTY or a REF: one token


def test_every_packed_training_window_is_a_song(tmp_path, corpus_records):
    """The loader's rows, pattern tokenizer: each window in a row starts with BOS and the header, and every
    REF in it names a pattern whose notes are written inside that window (the grammar, started at its BOS,
    accepts it); the windows' targets cover every bar of every song."""
    from beepbrain.tokens.dataset import build_dataset_from_songs
    from beepbrain.tokens.loader import WindowLoader

    songs = [r["data"] for r in corpus_records[:80]]
    build_dataset_from_songs(
        songs, tmp_path / "p", tokenizer=PatternTokenizer(), val_fraction=0, test_fraction=0
    )
    loader = WindowLoader(tmp_path / "p", "train", block_size=512, batch_size=16, seed=1)
    tok = loader.tokenizer
    assert any(bar > 0 for _song, bar in loader.starts)  # long songs get windows from later bars
    from beepbrain.tokens.pattern_stream import pinned_mask

    windows = refs = pinned = 0
    for step in range(3):
        x, y, cond = loader.get_batch_numpy(step)
        for r in range(len(x)):
            row = x[r].tolist() + [int(y[r, -1])] if y[r, -1] >= 0 else x[r].tolist()
            given = pinned_mask(row, tok.vocab)[1 : len(y[r]) + 1]  # targets inside pinned rows
            assert (y[r][: len(given)][given] == -1).all()  # are given, never predicted
            pinned += int(given.sum())
            starts = [i for i, t in enumerate(row) if t == BOS]
            assert starts[0] == 0
            for a, b in zip(starts, starts[1:] + [len(row)], strict=True):
                window = row[a:b]
                assert tok.vocab.is_family(window[1], "TEMPO") if len(window) > 1 else True
                c = Conditioning(*[int(v) for v in _cond_of(cond[r, a])])
                refs += assert_is_song(tok, window, c)
                windows += 1
    assert windows > 48 and refs > 0 and pinned > 0
    shown = cut_inside = 0
    for song, bar in loader.starts:  # every REF names a pattern whose notes the window writes out
        window = loader.window(song, bar).tolist()
        toks, c = loader.song_tokens(song).tolist(), loader.conds[song]
        parts = split_stream(window, tok.vocab, c.channels)
        assert not any(is_hidden(parts.bars[b][ch]) for b, ch, _f, _e in parts.spans)
        shown += assert_is_song(tok, window, c, shown=True) > 0
        if parts.bars and len(parts.bars[0]) < c.channels and len(window) < loader.block_size + 1:
            # a first bar that ends short of the context: cut before an item the pins cannot show,
            cut_inside += 1  # as only a bar that with the fewest pins that show it exceeds the context is
            assert not bar_fits(tok, toks, c, bar, loader.block_size)
    assert shown > 10 and 0 < cut_inside < len(loader.starts) // 8
    for song in range(len(loader.index)):  # every bar is a target in some window
        lines = tok.bar_lines(loader.song_tokens(song))
        if len(lines) and lines[0] >= loader.block_size:  # instruments that fill the context alone
            assert len([s for s, _b in loader.starts if s == song]) == 1
            continue
        bars = len(lines)
        covered = set()
        for s, bar in loader.starts:
            if s == song:
                covered |= set(range(bar, bar + loader.window(s, bar).tolist().count(BAR)))
        assert covered >= set(range(bars))


def bar_fits(tok, toks, cond, bar: int, block_size: int) -> bool:
    """Whether bar ``bar`` of a song fits a context with the header and the least pinned rows that show the
    patterns it plays again: each written out once, every other earlier pattern in a run that one ``HIDE``
    names, in the song's order (a channel's k-th item in row k)."""
    parts = split_stream(toks, tok.vocab, cond.channels)
    lines = tok.bar_lines(toks).tolist() + [toks.index(EOS) if EOS in toks else len(toks)]
    rows, bodies = 0, 0
    for c in range(cond.channels):
        order = list(dict.fromkeys(r[c] for r in parts.bars[:bar] if r[c]))  # the song's numbering
        want = {parts.bars[bar][c]} & set(order)
        items = sum(1 for k, body in enumerate(order) if body in want or k == 0 or order[k - 1] in want)
        rows, bodies = max(rows, items), bodies + sum(len(body) + 1 for body in want)
    pins = rows * (1 + cond.channels) + bodies
    return lines[0] + pins + (lines[bar + 1] - lines[bar]) <= block_size + 1


def _cond_of(vector):
    """(rhythm, pitch channels, drum channels) back from a conditioning vector's three one-hots."""
    v = np.asarray(vector)
    return int(np.argmax(v[:5])), int(np.argmax(v[5:15])) + 1, int(np.argmax(v[15:21]))
