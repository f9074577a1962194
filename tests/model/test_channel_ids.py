"""The channel a model reads for each token (``GPT.channel_ids`` with the pattern tokenizer's
``channel_marks``): the channel whose instrument or bar item the token writes, in songs, pinned views,
packed rows and the fill layout, and the same token by token through the KV cache as in one pass. And
what each position recalls of the channel whose item comes next (``GPT.recall_ids``)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from beepbrain.format import parse_song
from beepbrain.model import GPT, GPTConfig
from beepbrain.model.gpt import (
    RECALL_BREAK,
    RECALL_NONE,
    RECALL_OFF,
    RECALL_SILENT,
    RECALL_SOUNDING,
    RECALL_UNSEEN,
)
from beepbrain.tokens import PatternTokenizer
from beepbrain.tokens.fill import draw_holes, fill_layout
from beepbrain.tokens.pattern_stream import split_stream
from beepbrain.tokens.pattern_vocab import BAR, BOS, EMPTY, END, EOS, IEND, NEW


@pytest.fixture(scope="module")
def tok():
    return PatternTokenizer()


def reader(
    tok,
    block_size: int = 1024,
    recall: bool = False,
    note_end: bool = False,
    pattern: bool = False,
    kind: bool = False,
) -> GPT:
    torch.manual_seed(0)
    config = GPTConfig(vocab_size=tok.vocab_size, block_size=block_size, n_layer=1, n_head=2, n_embd=32)
    marks = tok.channel_marks()
    config = config.with_data(
        tok.vocab_size,
        marks=marks,
        recall=recall,
        note_end=note_end,
        recall_pattern=pattern,
        recall_kind=kind,
    )
    return GPT(config).eval()


def ids_of(model, tokens) -> list[int]:
    return model.channel_ids(torch.tensor([list(tokens)]))[0].tolist()


def songs(tok, corpus_records, n: int = 12):
    out = []
    for record in corpus_records:
        try:
            out.append(tok.encode(parse_song(record["data"])))
        except ValueError:
            continue
        if len(out) == n:
            break
    return out


def assert_channels_of_song(tok, tokens, ids, channels: int) -> None:
    """Every bar item's tokens read its channel + 1; the header, bar lines, BOS and EOS read 0; the k-th
    instrument's tokens read k + 1."""
    parts = split_stream(tokens, tok.vocab, channels)
    for _bar, channel, first, end in parts.spans:
        assert ids[first:end] == [channel + 1] * (end - first)
    assert ids[:6] == [0] * 6  # BOS and the header
    for i, t in enumerate(tokens):
        if t in (BOS, BAR, EOS):
            assert ids[i] == 0
    ends = [
        i for i, t in enumerate(tokens[: tokens.index(BAR) if BAR in tokens else len(tokens)]) if t == IEND
    ]
    for k, end in enumerate(ends):
        assert ids[end] == k + 1


def test_every_item_reads_its_channel_in_songs_views_and_packed_rows(tok, corpus_records):
    model = reader(tok)
    checked = 0
    for enc in songs(tok, corpus_records):
        whole, cond = enc.tokens.tolist(), enc.conditioning
        if len(whole) > 1024:
            continue
        ids = ids_of(model, whole)
        assert_channels_of_song(tok, whole, ids, cond.channels)
        assert max(ids) == cond.channels
        for start in (1, enc.bars // 2):  # views with pinned rows: a pinned row is not a bar
            view = tok.view(whole, cond, start, 128)
            assert_channels_of_song(tok, view, ids_of(model, view), cond.channels)
        packed = whole + whole[: len(whole) // 2]  # a second song packed after the first
        assert ids_of(model, packed) == ids + ids[: len(whole) // 2]
        checked += 1
    assert checked >= 5


def test_the_content_of_each_hole_reads_the_channel_of_its_hole(tok, corpus_records):
    """Fill layout: the k-th HOLE marker after SEP and the content after it read the channel the k-th
    hole stands in; the holes themselves read their channel where they stand."""
    model = reader(tok)
    rng = np.random.default_rng(0)
    checked = 0
    for enc in songs(tok, corpus_records):
        cond = enc.conditioning
        parts = split_stream(enc.tokens.tolist(), tok.vocab, cond.channels)
        holes = draw_holes(parts.bars, cond.channels, rng, limit=tok.vocab.fill_holes)
        tokens = fill_layout(parts, holes, tok.vocab, cond.channels)
        if len(tokens) > 1024 or not holes:
            continue
        ids = ids_of(model, tokens)
        read = split_stream(tokens, tok.vocab, cond.channels)
        hole_lo = tok.vocab.start["HOLE"]
        sep = tokens.index(tok.vocab.sep)
        assert ids[sep] == 0
        markers = [i for i in range(sep + 1, len(tokens)) if hole_lo <= tokens[i] < hole_lo + len(read.holes)]
        assert len(markers) == len(read.holes)
        for k, (at, nxt) in enumerate(zip(markers, markers[1:] + [len(tokens) - 1], strict=True)):
            channel = read.holes[tokens[at] - hole_lo][1]
            assert ids[at:nxt] == [channel + 1] * (nxt - at), k
        stand = [i for i in range(sep) if hole_lo <= tokens[i] < hole_lo + len(read.holes)]
        assert [ids[i] - 1 for i in stand] == [c for _b, c in read.holes]
        assert ids_of(model, tokens + tokens) == ids + ids  # two fill tasks packed in one row
        checked += 1
    assert checked >= 5


@pytest.mark.parametrize(
    "recall, note_end, pattern", [(False, False, False), (True, False, False), (True, True, True)]
)
def test_token_by_token_through_the_cache_equals_one_pass(tok, corpus_records, recall, note_end, pattern):
    model = reader(tok, block_size=256, recall=recall, note_end=note_end, pattern=pattern, kind=pattern)
    enc = next(e for e in songs(tok, corpus_records) if len(e.tokens) >= 200)
    toks = torch.tensor([enc.tokens.tolist()[:200]])
    cond = torch.from_numpy(enc.conditioning.vector()[None]).float()
    with torch.no_grad():
        full, _ = model(toks, cond)
        cache = model.new_cache()
        pieces = [model(toks[:, :50], cond, cache=cache)[0]]
        pieces += [model(toks[:, t : t + 1], cond, cache=cache)[0] for t in range(50, 200)]
    assert torch.allclose(torch.cat(pieces, dim=1), full, atol=1e-5)


def test_a_model_saved_without_marks_reads_no_channels(tok):
    """An older model's configuration (no marks) builds the model it was: no channel embedding."""
    config = GPTConfig(vocab_size=tok.vocab_size, block_size=64, n_layer=1, n_head=2, n_embd=32)
    old = {k: v for k, v in config.to_dict().items() if not k.startswith(("channel_", "hole", "sep"))}
    model = GPT(GPTConfig.from_dict(old))
    assert model.wch is None and not any(k.startswith("wch") for k in model.state_dict())
    marked = GPTConfig.from_dict(config.with_data(tok.vocab_size, marks=tok.channel_marks()).to_dict())
    assert marked.reads_channels and GPT(marked).wch is not None


def recall_of(model, tokens) -> list[int]:
    idx = torch.tensor([list(tokens)])
    return model.recall_ids(idx, model.channel_ids(idx))[0].tolist()


def test_each_item_decision_recalls_what_its_channel_did_a_bar_before(tok, corpus_records):
    """Where the model chooses a channel's bar item (the position before it), it is told whether that
    channel was silent or sounded in the bar before (silent after it sounded earlier: a break), and
    nowhere else; in a song's first bar and in a window's first bar (whose pinned rows are patterns, not
    bars) it is told nothing, and in a window's second bar a channel its pins show sounding before is on
    a break; a second song packed in the row starts from nothing."""
    model = reader(tok, recall=True)
    checked = silent = breaks = pinned_breaks = 0
    for enc in songs(tok, corpus_records):
        whole, cond = enc.tokens.tolist(), enc.conditioning
        if len(whole) > 1024:
            continue
        recall = recall_of(model, whole)
        parts = split_stream(whole, tok.vocab, cond.channels)
        for bar, channel, first, _end in parts.spans:
            if bar == 0:
                want = RECALL_NONE
            elif parts.bars[bar - 1][channel]:
                want = RECALL_SOUNDING
            else:
                before = any(parts.bars[b][channel] for b in range(bar - 1))
                want = RECALL_BREAK if before else RECALL_SILENT
            silent += want == RECALL_SILENT
            breaks += want == RECALL_BREAK
            assert recall[first - 1] == want, (bar, channel)
        assert set(recall[: whole.index(BAR)]) == {RECALL_OFF}  # the header: no bar item comes next
        decisions = {first - 1 for _b, _c, first, _e in parts.spans}
        for _bar, _channel, first, end in parts.spans:  # inside a pattern no bar item comes next
            assert all(recall[i] == RECALL_OFF for i in range(first, end - 1) if i not in decisions)
        breaking = [  # a later bar where a channel that sounded before is silent
            b
            for b in range(1, len(parts.bars))
            for c in range(cond.channels)
            if not parts.bars[b][c] and any(parts.bars[a][c] for a in range(b))
        ]
        start = breaking[0] if breaking else enc.bars // 2
        if start:
            view = tok.view(whole, cond, start, 128)
            first_bar = split_stream(view, tok.vocab, cond.channels).spans[: cond.channels]
            assert [recall_of(model, view)[f - 1] for _b, _c, f, _e in first_bar] == [RECALL_NONE] * len(
                first_bar
            )
            spans = split_stream(view, tok.vocab, cond.channels).spans
            for _b, channel, f, _e in spans[cond.channels : 2 * cond.channels]:  # the window's second bar
                if not parts.bars[start][channel] and any(parts.bars[b][channel] for b in range(start)):
                    assert recall_of(model, view)[f - 1] == RECALL_BREAK
                    pinned_breaks += 1
        packed = whole + whole[: len(whole) // 2]
        assert recall_of(model, packed) == recall + recall[: len(whole) // 2]
        checked += 1
    assert checked >= 5 and silent > 0 and breaks > 0 and pinned_breaks > 0


def whole_channel_holes(tok, corpus_records):
    """Songs in the fill layout with their last channel's every bar a hole (adding a channel), that fit
    1,024 tokens with two holes or more: (tokens, the position of each answer's HOLE marker after SEP,
    the channel, the conditioning)."""
    for enc in songs(tok, corpus_records):
        cond = enc.conditioning
        parts = split_stream(enc.tokens.tolist(), tok.vocab, cond.channels)
        channel = cond.channels - 1
        holes = [(bar, channel) for bar in range(len(parts.bars))][: tok.vocab.fill_holes]
        tokens = fill_layout(parts, holes, tok.vocab, cond.channels)
        if len(tokens) > 1024 or len(holes) < 2:
            continue
        hole_lo = tok.vocab.start["HOLE"]
        sep = tokens.index(tok.vocab.sep)
        markers = [i for i in range(sep + 1, len(tokens)) if hole_lo <= tokens[i] < hole_lo + len(holes)]
        assert len(markers) == len(holes)
        yield tokens, markers, channel, cond


def test_a_whole_channel_hole_recalls_its_own_answers(tok, corpus_records):
    """Fill layout with one channel's every bar a hole (adding a channel): the holes stand where the
    channel's items were (unseen), so its first answer recalls "unseen", and each later answer the one
    written before it."""
    model = reader(tok, recall=True)
    checked = 0
    for tokens, markers, _channel, _cond in whole_channel_holes(tok, corpus_records):
        recall = recall_of(model, tokens)
        assert recall[markers[0]] == RECALL_UNSEEN
        for before, at in zip(markers, markers[1:], strict=False):
            said = RECALL_SILENT if tokens[before + 1] == EMPTY else RECALL_SOUNDING
            assert recall[at] == said
        checked += 1
    assert checked >= 5


def patterns_of(model, tokens) -> list[int]:
    idx = torch.tensor([list(tokens)])
    return model.recall_tokens(idx, model.channel_ids(idx))[1][0].tolist()


def expected_patterns(tok, tokens, channels: int) -> dict[int, int]:
    """Position before each bar item -> the REF token of the pattern its channel played in the bar
    before (-1: silent, or the stream's first bar), numbered by ``split_stream``'s tables (the stream's
    one numbering rule: pinned patterns, written or hidden, first)."""
    parts = split_stream(tokens, tok.vocab, channels)
    out = {}
    for bar, channel, first, _end in parts.spans:
        before = parts.bars[bar - 1][channel] if bar else None
        out[first - 1] = tok.vocab.id_of("REF", parts.tables[channel].index(before) + 1) if before else -1
    return out


def test_each_item_decision_recalls_which_pattern_its_channel_played(tok, corpus_records):
    """Where a channel's bar item comes next after a bar it played, the model is also shown the REF token
    that plays that pattern again, numbered as the stream numbers patterns: in whole songs, in windows
    whose pinned rows write some patterns out and name others (HIDE_n), and in packed rows (the second
    song numbers afresh); nowhere else. Without ``recall_pattern`` nothing is shown."""
    model = reader(tok, recall=True, pattern=True)
    v = tok.vocab
    checked = repeats = others = hidden = 0
    for enc in songs(tok, corpus_records):
        whole, cond = enc.tokens.tolist(), enc.conditioning
        if len(whole) > 1024:
            continue
        shown = patterns_of(model, whole)
        want = expected_patterns(tok, whole, cond.channels)
        assert {i: shown[i] for i in want} == want
        assert all(t == -1 for i, t in enumerate(shown) if i not in want)
        for i, t in want.items():  # the songs repeat the bar before, and name other patterns too
            repeats += t >= 0 and whole[i + 1] == t
            others += t >= 0 and whole[i + 1] != t and v.names[whole[i + 1]].startswith("REF_")
        for start in (enc.bars // 2, enc.bars - 1):
            view = tok.view(whole, cond, start, 160)  # a small budget: some pinned patterns hidden
            hidden += any(v.names[t].startswith("HIDE_") for t in view)
            want = expected_patterns(tok, view, cond.channels)
            shown = patterns_of(model, view)
            assert {i: shown[i] for i in want} == want
        packed = whole + whole[: len(whole) // 2]
        assert (
            patterns_of(model, packed)
            == patterns_of(model, whole) + patterns_of(model, whole)[: len(whole) // 2]
        )
        checked += 1
    assert checked >= 5 and repeats > 50 and others > 5 and hidden > 0
    plain = reader(tok, recall=True)
    assert set(patterns_of(plain, whole)) == {-1} and not plain.config.recalls_patterns


def test_a_whole_channel_hole_recalls_the_pattern_of_its_answer_before(tok, corpus_records):
    """Fill layout, one channel's bars all holes: each answer after a sounding one is shown the REF of
    the pattern that answer wrote or named, numbered in the rearranged stream's order."""
    model = reader(tok, recall=True, pattern=True)
    checked = 0
    for tokens, markers, channel, cond in whole_channel_holes(tok, corpus_records):
        shown = patterns_of(model, tokens)
        laid = split_stream(tokens, tok.vocab, cond.channels)
        assert shown[markers[0]] == -1
        for answer, at in zip(laid.answers, markers[1:], strict=False):
            if answer:
                k = laid.tables[channel].index(answer) + 1
                assert shown[at] == tok.vocab.id_of("REF", k)
                checked += 1
            else:
                assert shown[at] == -1
    assert checked >= 20


def test_recall_tells_a_drum_channels_item_from_a_pitch_channels(tok, corpus_records):
    """With ``recall_kind``, recall's embedding row at each item decision is a drum row where the channel
    whose item comes next is a drum channel (by the conditioning's pitch-channel count), the same for a
    conditioning given per position (packed rows), and nothing is added where no item comes next."""
    from beepbrain.model.gpt import RECALL_OFF

    model = reader(tok, recall=True, pattern=True, kind=True)
    assert model.wrec.num_embeddings == 12
    drums = pitches = 0
    for enc in songs(tok, corpus_records):
        whole, cond = enc.tokens.tolist(), enc.conditioning
        if len(whole) > 1024 or not cond.noise_channels:
            continue
        idx = torch.tensor([whole])
        recall, _pattern, nxt = model.recall_tokens(idx, model.channel_ids(idx))
        vector = torch.from_numpy(cond.vector()[None])
        rows = model.drum_rows(recall, nxt, vector)[0].tolist()
        assert rows == model.drum_rows(recall, nxt, vector[:, None, :].expand(1, len(whole), -1))[0].tolist()
        parts = split_stream(whole, tok.vocab, cond.channels)
        for _bar, channel, first, _end in parts.spans:
            drum = channel >= cond.pitch_channels
            assert rows[first - 1] == (6 if drum else 0), (channel, cond.pitch_channels)
            drums += drum
            pitches += not drum
        off = recall[0] == RECALL_OFF
        assert all(r == 0 for r, o in zip(rows, off.tolist(), strict=True) if o)
    assert drums > 20 and pitches > 20


def test_recall_is_kept_in_the_saved_configuration(tok):
    config = GPTConfig(vocab_size=tok.vocab_size, block_size=64, n_layer=1, n_head=2, n_embd=32)
    recalling = config.with_data(tok.vocab_size, marks=tok.channel_marks(), embed=False, recall=True)
    back = GPTConfig.from_dict(recalling.to_dict())
    assert back == recalling and back.recalls and not back.embeds_channels
    model = GPT(back)
    assert model.wch is None and model.wrec is not None
    assert not GPT(config.with_data(tok.vocab_size, marks=tok.channel_marks())).wrec  # off unless asked
    patterned = config.with_data(tok.vocab_size, marks=tok.channel_marks(), recall=True, recall_pattern=True)
    back = GPTConfig.from_dict(patterned.to_dict())
    assert back == patterned and back.recalls_patterns and not back.recall_kinds
    kinds = config.with_data(tok.vocab_size, marks=tok.channel_marks(), recall=True, recall_kind=True)
    assert GPTConfig.from_dict(kinds.to_dict()).recall_kinds and GPT(kinds).wrec.num_embeddings == 12
    older = {k: v for k, v in recalling.to_dict().items() if k not in ("recall_patterns", "new_id", "refs")}
    assert not GPTConfig.from_dict(older).recalls_patterns  # a model saved before it loads as it was


def test_each_pin_shows_where_the_next_note_would_start(tok):
    """After a note's length (and a pin's volume or bend after it) the model is shown the position token
    where the note then ends (END at the bar's end) and the beats the bar has left; nowhere else."""
    v = tok.vocab
    names = ["BAR", "NEW", "POS_0", "P_60", "DUR_24"]  # a plain note: position, pitch, length
    names += ["POS_24", "P_62", "VOL_2", "DUR_12", "VOL_1", "DUR_48", "BEND_2"]  # a starting volume, two pins
    names += ["POS_360", "P_40", "DUR_24", "END"]  # a note past the longest bar's end
    ids = [v.ids[n] for n in names]
    model = reader(tok, note_end=True)
    shown, left = (x[0].tolist() for x in model.note_ends(torch.tensor([ids])))
    expected = [-1] * len(ids)
    expected[4] = v.ids["POS_24"]  # the first note: 0 + 24
    for i in (8, 9):  # the second note's first pin: 24 + 12 (VOL_2 before it is its starting volume)
        expected[i] = v.ids["POS_36"]
    for i in (10, 11):
        expected[i] = v.ids["POS_72"]  # its last pin: 24 + 48
    expected[14] = END  # 360 + 24: no header says the bar's length, so the longest bar's end
    assert shown == expected, [v.names[t] if t >= 0 else "-" for t in shown]
    assert left == [0, 0, 0, 0, 15, 0, 0, 0, 15, 15, 13, 13, 0, 0, 0, 0]  # of 16 beats, 24 parts each

    header = [v.ids[n] for n in ("BOS", "TEMPO_120", "KEY_0", "SCALE_0", "BEATS_4", "BARS_1")]
    in_four = header + [
        v.ids[n] for n in ("BAR", "NEW", "POS_0", "P_60", "DUR_30", "POS_48", "P_60", "DUR_48")
    ]
    shown, left = (x[0].tolist()[len(header) :] for x in model.note_ends(torch.tensor([in_four])))
    assert shown == [-1] * 4 + [v.ids["POS_30"], -1, -1, END]  # a 4-beat bar ends at 96
    assert left == [0] * 4 + [3, 0, 0, 0]  # 66 parts left: 3 beats, rounded up


def test_note_ends_in_real_songs_name_the_next_legato_note(tok, corpus_records):
    """In real songs, wherever a note's next note starts where it ends, the position before that note
    is shown exactly its position token, and every note that ends its bar END (through the KV cache:
    ``test_token_by_token_through_the_cache_equals_one_pass``); the configuration keeps it."""
    model = reader(tok, recall=True, note_end=True)
    v = tok.vocab
    legato = at_end = 0
    for enc in songs(tok, corpus_records):
        tokens, bar = enc.tokens.tolist(), None
        shown = model.note_ends(torch.tensor([tokens]))[0][0].tolist()
        start = length = None
        for i, t in enumerate(tokens):
            name = v.names[t]
            if name.startswith("BEATS_"):
                bar = 24 * int(v.value[t])
            if name.startswith("POS_"):
                if start is not None and length is not None and start + length == v.value[t] < bar:
                    assert shown[i - 1] == t
                    legato += 1
                start, length = int(v.value[t]), None
                assert shown[i] == -1
            elif name.startswith("DUR_"):
                length = int(v.value[t])
            elif t in (BAR, NEW, EMPTY) or name.startswith(("P_", "D_", "REF_", "ITYPE")):
                assert shown[i] == -1
            if t == END and start is not None and length is not None and start + length == bar:
                assert shown[i - 1] == END  # the bar's end
                at_end += 1
            if t in (BAR, NEW):
                start = length = None
    assert legato > 100 and at_end > 10
    back = GPTConfig.from_dict(model.config.to_dict())
    assert back == model.config and back.ends_notes
