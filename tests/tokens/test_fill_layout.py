"""The fill layout (tokens/fill.py): pattern numbering across holes is the one PatternStream rule, the
grammar's fill mode accepts every layout and constrains the content to its channel, the layout reads back
to the song, and the loader's fill tasks keep their markers out of the loss."""

from __future__ import annotations

import numpy as np
import pytest

from beepbrain.format import parse_song
from beepbrain.tokens import Conditioning, PatternTokenizer, PatternTokenizerConfig
from beepbrain.tokens.fill import draw_holes, fill_layout, marker_mask, read_fill
from beepbrain.tokens.pattern_stream import split_stream
from beepbrain.tokens.pattern_vocab import BAR, EMPTY, END, EOS, NEW

from .test_pattern_stream import song_with_repeats


@pytest.fixture(scope="module")
def tok():
    return PatternTokenizer(PatternTokenizerConfig(trim_trailing_silence=False))


def names(tok, tokens):
    return [tok.vocab.name(t) for t in tokens]


def test_a_pattern_first_played_in_a_hole_is_written_out_where_the_context_next_uses_it(tok):
    song = song_with_repeats(6)  # channel 0 plays patterns 1,1,2,2,3,3
    enc = tok.encode(song)
    C = enc.conditioning.channels
    parts = split_stream(enc.tokens, tok.vocab, C)
    layout = fill_layout(parts, [(0, 0)], tok.vocab, C)
    n = names(tok, layout)
    first_bar = n.index("BAR")
    assert n[first_bar - 1] == "FILL" and n[first_bar + 1] == "HOLE_1"
    second_bar = n.index("BAR", first_bar + 1)
    assert n[second_bar + 1] == "NEW"  # bar 2 plays bar 1's pattern: the context writes it out there
    sep = n.index("SEP")
    assert n[sep + 1 :] == ["HOLE_1", "REF_1", "EOS"]  # and the hole names it by the one rule
    assert read_fill(layout, tok.vocab, C).bars == parts.bars


def test_every_layout_of_real_songs_is_accepted_and_reads_back(tok, corpus_records):
    rng = np.random.default_rng(20)
    checked = 0
    for record in corpus_records[:60]:
        try:
            song = parse_song(record["data"])
        except ValueError:
            continue
        enc = tok.encode(song)
        cond = enc.conditioning
        parts = split_stream(enc.tokens, tok.vocab, cond.channels)
        for _ in range(3):
            holes = draw_holes(parts.bars, cond.channels, rng, limit=tok.vocab.fill_holes)
            layout = fill_layout(parts, holes, tok.vocab, cond.channels)
            grammar = tok.grammar(cond, beats_per_bar=None, fill=True)
            for t in layout:
                assert grammar.allows(t), tok.vocab.name(t)
                grammar.advance(t)
            assert grammar.done
            back = read_fill(layout, tok.vocab, cond.channels)
            assert back.bars == parts.bars and back.holes == sorted(holes)
            mask = marker_mask(layout, tok.vocab)
            assert mask.sum() == 2 * len(holes) + 2  # each marker twice, FILL, SEP
            checked += 1
    assert checked > 100


def test_the_fill_grammar_writes_each_hole_for_its_channel_and_the_song_grammar_refuses_fill(tok):
    song = song_with_repeats(4)  # two pitch channels, one drum channel
    enc = tok.encode(song)
    cond = enc.conditioning
    parts = split_stream(enc.tokens, tok.vocab, cond.channels)
    prompt = fill_layout(parts, [(1, 0), (1, 2), (3, 2)], tok.vocab, cond.channels, answers=False)
    plain = tok.grammar(cond, beats_per_bar=None)
    for t in prompt:
        if t == tok.vocab.fill:
            assert not plain.allows(t)  # a new song is never a fill task
            break
        plain.advance(t)
    rng = np.random.default_rng(3)
    for _ in range(40):
        grammar = tok.grammar(cond, beats_per_bar=None, fill=True, in_scale=True)
        grammar.relax(True)  # the context is checked for validity only, as a prompt is
        for t in prompt:
            grammar.advance(t)
        grammar.relax(False)
        written = list(prompt)
        hole_channels = []
        while not grammar.done:
            allowed = np.flatnonzero(grammar.mask())
            if tok.vocab.is_family(int(allowed[0]), "HOLE") and len(allowed) == 1:
                hole_channels.append(grammar.holes[grammar.answered])
            elif grammar.phase.name == "ITEM":  # a wrong hole's marker is never allowed
                assert not any(tok.vocab.is_family(int(t), "HOLE") for t in allowed)
            prefer = [t for t in allowed if t in (END, EOS)] if rng.random() < 0.5 else []
            token = int(prefer[0] if prefer else rng.choice(allowed))
            grammar.advance(token)
            written.append(token)
        assert hole_channels == [0, 2, 2]
        back = read_fill(written, tok.vocab, cond.channels)
        for (_b, c), body in zip(back.holes, back.answers, strict=True):
            fams = {tok.vocab.families[int(tok.vocab.family[t])][0] for t in body if tok.vocab.family[t] >= 0}
            assert ("D" not in fams) if c < cond.pitch_channels else ("P" not in fams)
            if c < cond.pitch_channels:  # the content keeps to the header's scale
                assert all(
                    tok.vocab.value[t] % 12 in _scale_classes(song.scale)
                    for t in body
                    if tok.vocab.is_family(t, "P")
                )
        assert back.bars[0] == parts.bars[0] and back.bars[2] == parts.bars[2]  # the context untouched


def _scale_classes(scale: int) -> set[int]:
    from beepbrain.format import config as fc

    return set(fc.SCALE_PITCH_CLASSES[scale])


def test_a_tokenizer_saved_before_the_fill_layout_loads_without_fill_tokens():
    old = PatternTokenizer.from_dict(
        {
            "format": "beepbrain-pattern-tokenizer",
            "kind": "pattern",
            "config": {"max_refs": 64, "trim_trailing_silence": True, "instrument_detail": "compact"},
        }
    )
    new = PatternTokenizer()
    assert old.vocab.fill is None and new.vocab.fill is not None
    assert new.vocab.names[: len(old.vocab)] == old.vocab.names  # every earlier id means the same
    with pytest.raises(ValueError, match="no fill tokens"):
        old.grammar(Conditioning(1, 1, 0), fill=True)


def test_loader_fill_tasks_keep_markers_out_of_the_loss(tmp_path, corpus_records):
    from beepbrain.tokens.dataset import build_dataset_from_songs
    from beepbrain.tokens.loader import WindowLoader

    build_dataset_from_songs(
        [r["data"] for r in corpus_records[:40]],
        tmp_path / "f",
        tokenizer=PatternTokenizer(),
        val_fraction=0,
        test_fraction=0,
    )
    loader = WindowLoader(tmp_path / "f", "train", block_size=256, batch_size=8, seed=2, fill=0.5)
    vocab = loader.tokenizer.vocab
    tasks = 0
    for step in range(4):
        x, y, _cond = loader.get_batch_numpy(step)
        assert not marker_mask(np.where(y >= 0, y, 0), vocab)[y >= 0].any()
        tasks += int((x == vocab.fill).sum())
        assert (x == BAR).any() and (x == EMPTY).any() | (x == NEW).any()
    assert tasks > 0
    plain = WindowLoader(tmp_path / "f", "train", block_size=256, batch_size=8, seed=2)
    assert not (plain.get_batch_numpy(0)[0] == vocab.fill).any()
    with pytest.raises(ValueError, match="share"):
        WindowLoader(tmp_path / "f", "train", block_size=256, fill=1.5)
