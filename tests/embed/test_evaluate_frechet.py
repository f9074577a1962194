"""`evaluate` with an embedding model adds Fréchet distances (test, model, n-gram, random notes) to its
metrics, which go to MLflow with the rest."""

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
    build_dataset_from_songs([r["data"] for r in corpus_records[:40]], dataset, "small",
                             val_fraction=0.15, test_fraction=0.2)
    torch.manual_seed(0)
    model = GPT(CONFIGS["tiny"].with_data(PatternTokenizer().vocab_size)).eval()
    lines = []
    result = evaluate(model, PatternTokenizer(), dataset, samples=2, max_bars=2, max_tokens=5000,
                      progress=lines.append, embedder=PatternEncoder().eval())
    fds = {k: v for k, v in result.metrics.items() if k.startswith("fd_")}
    assert {"fd_test", "fd_random"} <= set(fds) and all(math.isfinite(v) and v >= 0 for v in fds.values())
    assert any(line.startswith("Fréchet distance to train") for line in lines)
    without = evaluate(model, PatternTokenizer(), dataset, samples=1, max_bars=1, max_tokens=5000,
                       progress=lambda _m: None)
    assert not any(k.startswith("fd_") for k in without.metrics)

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri)
    run = client.create_run(client.create_experiment("t", artifact_location=(tmp_path / "art").as_uri()))
    log_to_mlflow(result, run.info.run_id, uri)
    assert client.get_run(run.info.run_id).data.metrics["fd_test"] == pytest.approx(fds["fd_test"])
