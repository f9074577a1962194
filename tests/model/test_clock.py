"""The bar clock: each token's time in its bar and the parts left, read from a pattern stream."""

from __future__ import annotations

import torch

from beepbrain.format import Note, NotePin, new_song
from beepbrain.model import CONFIGS, GPT
from beepbrain.model.gpt import clock_buckets
from beepbrain.tokens import new_tokenizer
from beepbrain.tokens.clock import BEATS, BODY, CLOCK_PARTS, DUR, POS, START, clock_tables
from beepbrain.tokens.pattern_vocab import NEW

OUT = CLOCK_PARTS + 1  # the bucket of a token outside any pattern


def song_tokens(tok):
    song = new_song(1, 1, bars=2, beats_per_bar=4)  # 96 parts a bar
    song.channels[0].patterns[0].notes = [
        Note([30, 34], 0, 24, [NotePin(0, 0, 3), NotePin(2, 12, 3), NotePin(2, 24, 3)]),
        Note([37], 48, 60, [NotePin(0, 0, 3), NotePin(0, 12, 3)]),
    ]
    song.channels[1].patterns[0].notes = [Note.simple([3], 72, 96)]
    return tok.encode(song)


def test_tables_name_the_tokens_the_clock_reads():
    tok = new_tokenizer("pattern")
    v = tok.vocab
    kind, value = clock_tables(v, 1856)
    assert len(kind) == 1856
    assert kind[v.id_of("POS", 12)] == POS and value[v.id_of("POS", 12)] == 12
    assert kind[v.id_of("DUR", 30)] == DUR and value[v.id_of("DUR", 30)] == 30
    assert kind[v.id_of("P", 40)] == BODY and kind[v.id_of("D", 3)] == BODY
    assert kind[NEW] == START
    assert kind[v.id_of("BEATS", 4)] == BEATS and value[v.id_of("BEATS", 4)] == 96
    assert kind[v.id_of("REF", 1)] == 0 and kind[v.id_of("TEMPO", 150)] == 0
    assert clock_tables(new_tokenizer("tick").vocab) is None  # no pattern bodies: no clock


def test_buckets_follow_note_starts_and_pins_through_the_bar():
    tok = new_tokenizer("pattern")
    v = tok.vocab
    enc = song_tokens(tok)
    toks = [int(t) for t in enc.tokens]
    kind, value = (torch.as_tensor(t) for t in clock_tables(v))
    time, left = (b[0].tolist() for b in clock_buckets(torch.tensor([toks]), kind, value, CLOCK_PARTS))
    named = [(v.name(t), a, b) for t, a, b in zip(toks, time, left, strict=True)]
    first = next(i for i, (name, _a, _b) in enumerate(named) if name == "NEW")
    end = next(i for i in range(first, len(named)) if named[i][0] == "END")
    body = named[first:end]
    # NEW at 0; the first note starts at 0, its pins at 12 and 24; the next note starts at 48, ends at 60
    assert [(n, a) for n, a, _b in body if n.startswith(("NEW", "POS", "DUR"))] == [
        ("NEW", 0), ("POS_0", 0), ("DUR_12", 12), ("DUR_24", 24), ("POS_48", 48), ("DUR_12", 60)
    ]  # fmt: skip
    for name, a, b in named:
        if name.startswith(("P_", "D_", "POS", "DUR", "NEW", "VOL", "BEND", "TIE")):
            assert 0 <= a <= 96 and b == 96 - a  # the parts left in a 4-beat bar
        else:
            assert (a, b) == (OUT, OUT), name  # header, bar lines, END, EMPTY, REF: outside a pattern
    drum = [(n, a) for n, a, _b in named[end:] if n.startswith(("POS", "DUR"))]
    assert drum == [("POS_72", 72), ("DUR_24", 96)]


def test_a_packed_row_reads_each_song_on_its_own_clock():
    tok = new_tokenizer("pattern")
    toks = [int(t) for t in song_tokens(tok).tokens]
    kind, value = (torch.as_tensor(t) for t in clock_tables(tok.vocab))
    one = clock_buckets(torch.tensor([toks]), kind, value, CLOCK_PARTS)
    two = clock_buckets(torch.tensor([toks + toks]), kind, value, CLOCK_PARTS)
    for a, b in zip(one, two, strict=True):
        assert torch.equal(b[0, len(toks) :], a[0]) and torch.equal(b[0, : len(toks)], a[0])


def test_a_model_with_the_clock_decodes_the_same_with_its_cache_and_keeps_its_tables():
    tok = new_tokenizer("pattern")
    enc = song_tokens(tok)
    toks = torch.tensor([[int(t) for t in enc.tokens]])
    cond = torch.from_numpy(enc.conditioning.vector()[None])
    config = CONFIGS["tiny"].with_data(len(tok.vocab.names))
    assert config.clock_parts == CLOCK_PARTS
    torch.manual_seed(0)
    model = GPT(config).eval()
    blind, _ = model(toks, cond)
    model.set_clock(clock_tables(tok.vocab, config.padded_vocab_size))
    with torch.no_grad():
        full, _ = model(toks, cond)
        cache = model.new_cache()
        pieces = [model(toks[:, :9], cond, cache=cache)[0]]
        pieces += [model(toks[:, t : t + 1], cond, cache=cache)[0] for t in range(9, toks.size(1))]
    assert torch.allclose(torch.cat(pieces, dim=1), full, atol=1e-5)
    assert not torch.allclose(full, blind, atol=1e-4)  # the tables are what the clock reads
    again = GPT(config).eval()
    again.load_state_dict(model.state_dict())  # saved with the weights, as log_model saves them
    with torch.no_grad():
        assert torch.allclose(again(toks, cond)[0], full, atol=1e-6)
