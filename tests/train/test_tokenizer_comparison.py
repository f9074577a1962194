"""With the same model and the same training budget in tokens, the pattern tokenizer's model predicts
unseen real songs in fewer bits per note than the tick tokenizer's (benchmarks/tokenizers.py prints the
full comparison)."""

from __future__ import annotations

import pytest

from beepbrain.archive.records import song_id
from beepbrain.format import parse_song
from beepbrain.generate.evaluate import load_split, song_bits
from beepbrain.generate.stats import played_notes
from beepbrain.tokens import PatternTokenizer, TickTokenizer
from beepbrain.tokens.dataset import build_dataset_from_songs
from beepbrain.train import TrainConfig, train
from beepbrain.train.registry import load_model

pytestmark = pytest.mark.slow


def test_pattern_model_needs_fewer_bits_per_note_than_tick_model(corpus_records, tmp_path):
    strings = [r["data"] for r in corpus_records]
    notes_of = {}
    for s in strings:
        try:
            notes_of[song_id(s)] = played_notes(parse_song(s))
        except ValueError:
            continue
    datasets = tmp_path / "datasets"
    pattern = build_dataset_from_songs(
        strings, datasets / "pattern", tokenizer=PatternTokenizer(), val_fraction=0.1, test_fraction=0.1
    )
    fixed = {sid: split for split in ("val", "test") for sid in pattern["splits"][split]["song_ids"]}
    tick = build_dataset_from_songs(strings, datasets / "tick", tokenizer=TickTokenizer(), fixed_splits=fixed)
    # the same test songs, but for songs one tokenizer finds duplicates of others (e.g. equal on the tick grid)
    same = set(tick["splits"]["test"]["song_ids"]) & set(pattern["splits"]["test"]["song_ids"])
    assert len(same) >= 0.8 * len(pattern["splits"]["test"]["song_ids"])
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    bits_per_note = {}
    for name, manifest in (("pattern", pattern), ("tick", tick)):
        result = train(
            TrainConfig(
                dataset=name,
                data_dir=str(tmp_path),
                model="tiny",
                max_steps=150,
                eval_interval=0,
                checkpoint_interval=0,
                tracking_uri=uri,
                device="cpu",
            ),
            log=lambda *a, **k: None,
        )
        model, tokenizer, _info = load_model(f"models:/beepbrain/{result.model_version}", uri)
        test = load_split(datasets / name, "test")
        notes = sum(notes_of[sid] for sid in manifest["splits"]["test"]["song_ids"])
        bits_per_note[name] = float(song_bits(model, tokenizer, test.songs, test.cond).sum()) / notes
    assert bits_per_note["pattern"] < bits_per_note["tick"], bits_per_note
