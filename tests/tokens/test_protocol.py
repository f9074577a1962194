"""The Tokenizer protocol: both tokenizers fill every member, and say where they differ without a kind."""

from __future__ import annotations

import json
import typing

import pytest

from beepbrain.tokens import (
    Conditioning,
    Grammar,
    PatternTokenizer,
    TickTokenizer,
    TickTokenizerConfig,
    Tokenizer,
    load_tokenizer,
)
from beepbrain.tokens.stats import merge_stats

TOKENIZERS = (PatternTokenizer, TickTokenizer)


def protocol_members(protocol) -> set[str]:
    return set(typing._get_protocol_attrs(protocol))


@pytest.mark.parametrize("cls", TOKENIZERS)
def test_both_tokenizers_fill_the_protocol(cls):
    tokenizer = cls()
    members = protocol_members(Tokenizer)
    assert {"encode", "decode", "grammar", "vocab", "to_dict", "save", "prompt_tokens", "view"} <= members
    assert not [m for m in members if not hasattr(tokenizer, m)]
    grammar = tokenizer.grammar(Conditioning(1, 2, 1))
    assert not [m for m in protocol_members(Grammar) if not hasattr(grammar, m)]


def test_listed_shapes_say_what_the_kind_said():
    tick = TickTokenizer(TickTokenizerConfig(pitch_shapes=[(), (7,)], drum_shapes=[()]))
    assert tick.listed_shapes == ({(), (7,)}, {()})
    assert PatternTokenizer().listed_shapes is None
    part = {
        "songs": 1,
        "rejected": 0,
        "silent": 0,
        "tokens": 10,
        "bars": 1,
        "losses": {},
        "pitch_shapes": {(): 3, (4, 7): 1},
        "drum_shapes": {(): 2},
        "errors": {},
    }
    assert merge_stats([part], tick)["pitch_shapes"]["covered_notes"] == 3
    assert merge_stats([part], PatternTokenizer())["pitch_shapes"]["covered_notes"] == 4


def test_a_saved_tick_tokenizer_loads_as_before(tmp_path):
    saved = TickTokenizer().to_dict()
    assert saved["format"] == "beepbrain-tokenizer" and saved["kind"] == "tick"
    (tmp_path / "tokenizer.json").write_text(json.dumps(saved))
    loaded = load_tokenizer(tmp_path)
    assert isinstance(loaded, TickTokenizer) and loaded.to_dict() == saved
