"""What the CLI says: help texts without doubled defaults, figures that agree with the code, no empty lines."""

from __future__ import annotations

import re

import pytest

from beepbrain.cli import build_parser


def help_of(command: str) -> str:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command").choices[command]
    return sub.format_help()


def test_deploy_help_names_each_default_once():
    text = " ".join(help_of("deploy").split())
    assert "(default: None)" not in text and "(default: [])" not in text
    for option in re.split(r"\s(?=--[a-z])", text):
        assert option.count("default") <= 1, option


def test_train_help_states_the_base_parameter_count():
    from beepbrain.model.gpt import CONFIGS, count_params
    from beepbrain.tokens import PatternTokenizer, TickTokenizer

    text = " ".join(help_of("train").split())  # argparse wraps lines
    figures = re.search(
        r"base \(([\d.]+)M with the pattern tokenizer, ([\d.]+)M with the tick", text
    ).groups()
    for figure, tokenizer in zip(figures, (PatternTokenizer(), TickTokenizer()), strict=True):
        assert figure == f"{count_params(CONFIGS['base'].with_data(tokenizer.vocab_size)) / 1e6:.1f}"


@pytest.mark.parametrize(
    "rows, shown", [({}, "rows written: none"), ({"songs": 0, "sources": 3}, "rows written: sources 3")]
)
def test_ingest_summary_says_what_was_written(rows, shown):
    from beepbrain.corpus.ingest import IngestReport

    report = IngestReport("sample", "b", records_read=3, skipped=3, rows=rows, timings={"read": 0.1})
    lines = report.summary().splitlines()
    assert shown in lines and all(line.strip() and not line.endswith(":") for line in lines)
