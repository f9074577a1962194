"""A training killed with SIGKILL after a checkpoint resumes into the same run with the same loss curve."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest
from mlflow.tracking import MlflowClient

from beepbrain import settings
from beepbrain.train import TrainConfig, train

ARGS = dict(
    dataset="syn",
    model="tiny",
    max_steps=30,
    batch_size=4,
    lr=3e-3,
    seed=11,
    eval_interval=10,
    eval_batches=2,
    checkpoint_interval=10,
    log_interval=5,
)


def cli_args(data) -> list[str]:
    return [
        sys.executable,
        "-m",
        "beepbrain.cli",
        "train",
        "--data-dir",
        str(data),
        "--dataset",
        ARGS["dataset"],
        "--config",
        ARGS["model"],
        "--max-steps",
        str(ARGS["max_steps"]),
        "--batch-size",
        str(ARGS["batch_size"]),
        "--lr",
        str(ARGS["lr"]),
        "--seed",
        str(ARGS["seed"]),
        "--eval-interval",
        str(ARGS["eval_interval"]),
        "--eval-batches",
        str(ARGS["eval_batches"]),
        "--checkpoint-interval",
        str(ARGS["checkpoint_interval"]),
        "--log-interval",
        str(ARGS["log_interval"]),
        "--device",
        "cpu",
    ]


def curve(client, run_id, key) -> dict[int, list[float]]:
    points: dict[int, list[float]] = {}
    for m in client.get_metric_history(run_id, key):
        points.setdefault(m.step, []).append(m.value)
    return points


@pytest.mark.slow
def test_sigkill_then_resume_matches_an_uninterrupted_run(train_data):
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        cli_args(train_data), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    )
    run_id, seen = None, []
    for line in proc.stdout:
        seen.append(line)
        if line.startswith("MLflow run "):
            run_id = line.split()[2]
        if line.startswith("checkpoint at step 10"):
            os.kill(proc.pid, signal.SIGKILL)
            break
    assert proc.wait(timeout=60) == -signal.SIGKILL, "".join(seen)
    assert run_id is not None, "".join(seen)
    assert not any(line.startswith("step 30/30") for line in seen)  # killed mid-training

    resumed = subprocess.run(
        [*cli_args(train_data)[:4], "--data-dir", str(train_data), "--resume", run_id],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert f"resuming run {run_id} at step 10" in resumed.stdout

    reference = train(TrainConfig(data_dir=str(train_data), **ARGS), log=lambda *a, **k: None)

    uri = settings.tracking_uri(train_data)
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    run = client.get_run(run_id)
    assert run.info.status == "FINISHED" and run.data.tags["resumed_at_step"] == "10"
    for key in ("train_loss", "val_loss"):
        got, want = curve(client, run_id, key), curve(client, reference.run_id, key)
        assert sorted(got) == sorted(want), key
        for step, values in got.items():  # steps replayed after the checkpoint are not logged twice
            assert values == pytest.approx(want[step], rel=1e-5, abs=1e-6), (key, step)
    versions = client.search_model_versions("name='beepbrain'")
    assert run_id in {v.run_id for v in versions}
