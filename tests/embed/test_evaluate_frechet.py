"""`evaluate` with an embedding model adds Fréchet distances (test, model, n-gram, random notes) to its
metrics, which go to MLflow with the rest; test songs the embedding model trained on are not measured."""

from __future__ import annotations

import math

import pytest
import torch

from beepbrain.embed.model import PatternEncoder
from beepbrain.generate.evaluate import evaluate, log_to_mlflow
from beepbrain.model import CONFIGS, GPT
from beepbrain.tokens import PatternTokenizer
from beepbrain.tokens.dataset import build_dataset_from_songs


@pytest.mark.slow
def test_evaluate_reports_and_logs_frechet_distances(corpus_records, tmp_path):
    from mlflow.tracking import MlflowClient

    dataset = tmp_path / "small"
    build_dataset_from_songs(
        [r["data"] for r in corpus_records[:40]], dataset, "small", val_fraction=0.15, test_fraction=0.2
    )
    torch.manual_seed(0)
    model = GPT(CONFIGS["tiny"].with_data(PatternTokenizer().vocab_size)).eval()
    lines = []
    from beepbrain.generate.evaluate import split_song_ids

    held_out = frozenset(split_song_ids(dataset, "val") + split_song_ids(dataset, "test"))
    result = evaluate(
        model,
        PatternTokenizer(),
        dataset,
        samples=2,
        max_bars=2,
        max_tokens=5000,
        progress=lines.append,
        embedder=PatternEncoder().eval(),
        embed_held_out=held_out,
    )
    fds = {k: v for k, v in result.metrics.items() if k.startswith("fd_")}
    assert {"fd_test", "fd_test_cut", "fd_model", "fd_model_free", "fd_random"} <= set(fds)
    assert all(math.isfinite(v) and v >= 0 for v in fds.values())
    assert result.metrics["embed_seen_test_songs"] == 0
    assert result.metrics["embed_held_out_songs"] == len(held_out)
    assert any(line.startswith("Fréchet distance to train") for line in lines)
    # an embedding model that trained on the test songs does not measure them
    seen = evaluate(
        model,
        PatternTokenizer(),
        dataset,
        samples=2,
        max_bars=2,
        max_tokens=5000,
        progress=lambda _m: None,
        embedder=PatternEncoder().eval(),
        embed_held_out=frozenset(),
    )
    assert seen.metrics["embed_seen_test_songs"] == len(split_song_ids(dataset, "test")) > 0
    assert "fd_test" not in seen.metrics and "fd_test_cut" not in seen.metrics and "fd_model" in seen.metrics
    without = evaluate(
        model, PatternTokenizer(), dataset, samples=1, max_bars=1, max_tokens=5000, progress=lambda _m: None
    )
    assert not any(k.startswith("fd_") for k in without.metrics)

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri)
    run = client.create_run(client.create_experiment("t", artifact_location=(tmp_path / "art").as_uri()))
    log_to_mlflow(result, run.info.run_id, uri)
    assert client.get_run(run.info.run_id).data.metrics["fd_test"] == pytest.approx(fds["fd_test"])
