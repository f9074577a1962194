"""A training killed with SIGKILL at each point resumes into the same MLflow run and ends as an uninterrupted
run ends: one metric entry per step with the same values, the run FINISHED, one model version registered.

Kills come from inside (BEEPBRAIN_CRASH_AT, beepbrain.crashpoints); the resumes run in this process.
"""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys

import numpy as np
import pytest
import torch
from mlflow.tracking import MlflowClient

from beepbrain import settings
from beepbrain.train import TrainConfig, train
from beepbrain.train.checkpoint import load_checkpoint

ARGS = dict(
    dataset="syn",
    model="tiny",
    max_steps=20,
    batch_size=4,
    lr=3e-3,
    seed=5,
    eval_interval=10,
    eval_batches=2,
    checkpoint_interval=10,
    log_interval=5,
    device="cpu",
)
KEYS = ("train_loss", "val_loss", "lr")


@pytest.fixture(scope="module")
def data(tmp_path_factory, dataset_factory):
    data = tmp_path_factory.mktemp("crash-train")
    dataset_factory(data)
    return data


@pytest.fixture(scope="module")
def client(data):
    uri = settings.tracking_uri(data)
    return MlflowClient(tracking_uri=uri, registry_uri=uri)


@pytest.fixture(scope="module")
def reference(data):
    return train(TrainConfig(data_dir=str(data), **ARGS), log=lambda *a, **k: None)


def run_ids(data) -> set[str]:
    uri = settings.tracking_uri(data)
    client = MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name("beepbrain")
    return (
        set()
        if experiment is None
        else {r.info.run_id for r in client.search_runs([experiment.experiment_id])}
    )


def killed_training(data, point: str) -> str:
    """Start `beepbrain train` with a crash point; returns the MLflow run id of the killed run."""
    before = run_ids(data)
    cmd = [sys.executable, "-m", "beepbrain.cli", "train", "--data-dir", str(data)]
    for key, value in ARGS.items():
        cmd += [f"--{'config' if key == 'model' else key.replace('_', '-')}", str(value)]
    env = {**os.environ, "BEEPBRAIN_CRASH_AT": point, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == -signal.SIGKILL, proc.stdout + proc.stderr
    (run_id,) = run_ids(data) - before
    return run_id


def history(client, run_id) -> dict[str, list[tuple[int, float]]]:
    return {k: sorted((m.step, m.value) for m in client.get_metric_history(run_id, k)) for k in KEYS}


def resume(data, run_id):
    return train(TrainConfig(dataset="", data_dir=str(data), resume=run_id), log=lambda *a, **k: None)


def check_like_reference(client, run_id, reference) -> None:
    got, want = history(client, run_id), history(client, reference.run_id)
    for key in KEYS:
        steps = [s for s, _ in got[key]]
        assert steps == [s for s, _ in want[key]], (key, steps)  # each step once, none missing
        assert [v for _, v in got[key]] == pytest.approx([v for _, v in want[key]], rel=1e-5, abs=1e-6), key
    run = client.get_run(run_id)
    assert run.info.status == "FINISHED"
    versions = [v for v in client.search_model_versions("name='beepbrain'") if v.run_id == run_id]
    assert len(versions) == 1


def test_killed_mid_way_resumes_with_each_step_logged_once(data, client, reference):
    """Killed at step 15, after steps 11-15 were logged past the step-10 checkpoint (which the issue saw
    logged twice)."""
    run_id = killed_training(data, "train.step.15")
    logged = history(client, run_id)["train_loss"]
    assert [s for s, _ in logged] == list(range(1, 16))
    result = resume(data, run_id)
    assert result.step == 20 and result.model_version is not None
    check_like_reference(client, run_id, reference)
    assert client.get_run(run_id).data.tags["resumed_at_step"] == "10"


@pytest.mark.slow
def test_killed_before_the_first_checkpoint_starts_over_in_the_same_run(data, client, reference):
    run_id = killed_training(data, "train.step.5")
    assert "checkpoint_step" not in client.get_run(run_id).data.tags
    result = resume(data, run_id)
    assert result.run_id == run_id and result.step == 20
    check_like_reference(client, run_id, reference)
    assert client.get_run(run_id).data.tags["resumed_at_step"] == "0"


@pytest.mark.slow
def test_killed_after_the_final_checkpoint_is_closed_and_registered(data, client, reference):
    run_id = killed_training(data, "train.checkpoint.20")
    assert client.get_run(run_id).info.status == "RUNNING"
    assert not [v for v in client.search_model_versions("name='beepbrain'") if v.run_id == run_id]
    result = resume(data, run_id)
    assert result.step == 20 and result.model_version is not None and result.train_loss is not None
    check_like_reference(client, run_id, reference)


@pytest.mark.slow
def test_killed_after_registering_is_closed_without_a_second_version(data, client, reference):
    run_id = killed_training(data, "train.registered")
    (version,) = [v for v in client.search_model_versions("name='beepbrain'") if v.run_id == run_id]
    result = resume(data, run_id)
    assert result.model_version == str(version.version)
    check_like_reference(client, run_id, reference)


@pytest.mark.slow
def test_killed_before_it_saved_its_config_is_marked_failed(data, client):
    run_id = killed_training(data, "train.run-created")
    with pytest.raises(ValueError, match="marked FAILED"):
        resume(data, run_id)
    assert client.get_run(run_id).info.status == "FAILED"
    with pytest.raises(ValueError, match="marked FAILED"):  # and says so again, not something else
        resume(data, run_id)


class _Boom:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def test_checkpoints_load_weights_only(tmp_path, reference):
    state = load_checkpoint(reference.checkpoint)
    assert isinstance(state["rng"]["numpy"], list) and state["step"] == 20
    legacy = dict(state, rng=dict(state["rng"], numpy=np.random.get_state()))  # older: NumPy arrays
    torch.save(legacy, tmp_path / "legacy.pt")
    assert load_checkpoint(tmp_path / "legacy.pt")["rng"]["numpy"][0] == "MT19937"
    torch.save(dict(state, extra=_Boom()), tmp_path / "hostile.pt")
    with pytest.raises(pickle.UnpicklingError):
        load_checkpoint(tmp_path / "hostile.pt")
