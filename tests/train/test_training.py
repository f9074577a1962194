"""A short real training: what lands in MLflow, the checkpoint, and the registered model."""

from __future__ import annotations

import json
import os

import mlflow
import numpy as np
import torch
from mlflow.tracking import MlflowClient

from beepbrain import settings
from beepbrain.cli import main
from beepbrain.model import GPT, GPTConfig
from beepbrain.tokens import TickTokenizer
from beepbrain.train.checkpoint import load_checkpoint
from beepbrain.train.registry import load_model
from beepbrain.train.resume import find_checkpoint
from beepbrain.train.tracking import using_store


def client_for(data) -> MlflowClient:
    uri = settings.tracking_uri(data)
    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def history(client, run_id, key) -> dict[int, float]:
    return {m.step: m.value for m in client.get_metric_history(run_id, key)}


def test_training_lowers_the_loss(trained):
    data, config, result = trained
    losses = history(client_for(data), result.run_id, "train_loss")
    assert sorted(losses) == list(range(1, 41))
    first = np.mean([losses[s] for s in range(1, 4)])
    last = np.mean([losses[s] for s in range(38, 41)])
    assert first > 8.0  # about ln(vocab) at the start
    assert last < first / 1.7
    assert result.val_loss is not None and result.val_loss < first / 1.7


def test_mlflow_run_holds_params_metrics_and_artifacts(trained):
    data, config, result = trained
    client = client_for(data)
    run = client.get_run(result.run_id)
    assert run.info.status == "FINISHED"
    params = run.data.params
    assert params["train.model"] == "tiny" and params["train.max_steps"] == "40"
    assert params["dataset.name"] == "syn" and params["dataset.vocab_size"] == str(TickTokenizer().vocab_size)
    assert params["dataset.splits.train.songs"] == "40"
    assert len(params["git_commit"]) == 40 or params["git_commit"] == "unknown"
    assert int(params["n_params"]) > 0
    for key in ("lr", "tokens_per_s", "mfu"):
        assert sorted(history(client, result.run_id, key)) == list(range(1, 41)), key
    assert sorted(history(client, result.run_id, "val_loss")) == [20, 40]
    lrs = history(client, result.run_id, "lr")
    assert max(lrs.values()) <= 3e-3 + 1e-12 and lrs[40] < lrs[5]  # warm-up, then decay
    assert all(v > 0 for v in history(client, result.run_id, "tokens_per_s").values())
    artifacts = {a.path for a in client.list_artifacts(result.run_id, "checkpoints")}
    assert artifacts == {"checkpoints/ckpt.pt"}
    assert run.data.tags["checkpoint_step"] == "40"
    assert {a.path for a in client.list_artifacts(result.run_id, "dataset")} == {"dataset/manifest.json"}
    # artifacts of the default local store live in DATA_DIR/mlartifacts
    assert (
        settings.mlflow_artifact_root(data) / result.run_id / "artifacts" / "checkpoints" / "ckpt.pt"
    ).exists()


def test_checkpoint_is_complete(trained):
    data, config, result = trained
    assert result.checkpoint == data / "runs" / result.run_id / "ckpt.pt"
    state = load_checkpoint(result.checkpoint)
    assert state["step"] == 40 and state["run_id"] == result.run_id
    assert state["train_config"]["max_steps"] == 40
    assert {"model", "optimizer", "rng", "model_config"} <= set(state)
    assert not list(result.checkpoint.parent.glob("*.tmp"))


def test_registered_model_loads_back_with_same_logits(trained, tmp_path):
    data, config, result = trained
    assert result.model_version is not None
    client = client_for(data)
    print(
        client._registry_uri,
        [(v.version, type(v.version)) for v in client.search_model_versions("name='beepbrain'")],
        repr(result.model_version),
    )
    version = client.get_model_version("beepbrain", result.model_version)
    assert version.run_id == result.run_id

    state = load_checkpoint(result.checkpoint)
    reference = GPT(GPTConfig.from_dict(state["model_config"]))
    reference.load_state_dict(state["model"])
    reference.eval()

    uri = f"models:/beepbrain/{result.model_version}"
    store = settings.tracking_uri(data)
    with using_store(f"sqlite:///{tmp_path}/elsewhere.db"):  # load_model must not rely on MLflow's global
        model, tokenizer, info = load_model(uri, tracking_uri=store)
    assert isinstance(tokenizer, TickTokenizer) and tokenizer.vocab_size == model.config.vocab_size
    assert info["version"] == result.model_version and info["run_id"] == result.run_id
    assert info["manifest"]["name"] == "syn"

    idx = torch.randint(0, model.config.vocab_size, (2, 30), generator=torch.Generator().manual_seed(0))
    cond = torch.zeros(2, 21)
    cond[:, [1, 7, 15]] = 1
    with torch.no_grad():
        expected, _ = reference(idx, cond)
        got, _ = model(idx, cond)
    assert torch.equal(expected, got)

    # the same model through MLflow's own pyfunc loader
    with using_store(store):
        pyfunc = mlflow.pyfunc.load_model(uri)
    logits = pyfunc.predict({"tokens": idx.tolist(), "cond": cond.tolist()})
    assert np.allclose(logits, expected[:, -1].numpy(), atol=1e-6)


def test_latest_alias_and_logged_model_uris(trained):
    data, config, result = trained
    client = client_for(data)
    newest = max(int(v.version) for v in client.search_model_versions("name='beepbrain'"))
    _, _, info = load_model(tracking_uri=settings.tracking_uri(data))
    assert info["version"] == str(newest)
    client.set_registered_model_alias("beepbrain", "champion", result.model_version)
    _, _, info = load_model("models:/beepbrain@champion", tracking_uri=settings.tracking_uri(data))
    assert info["version"] == result.model_version
    logged = client.get_model_version("beepbrain", result.model_version).source  # models:/m-<id>
    model, tokenizer, info = load_model(logged, tracking_uri=settings.tracking_uri(data))
    assert info["version"] is None and model.config.n_layer == 2 and tokenizer is not None


def test_training_leaves_the_mlflow_environment_alone(trained):
    # mlflow.set_tracking_uri exports $MLFLOW_TRACKING_URI; training must not leave it pointing at its store
    assert "MLFLOW_TRACKING_URI" not in os.environ and "MLFLOW_REGISTRY_URI" not in os.environ
    data, config, result = trained
    assert settings.tracking_uri(data) == f"sqlite:///{data}/mlflow.db"


def test_cli_reports_a_missing_dataset(tmp_path, capsys):
    rc = main(["train", "--data-dir", str(tmp_path), "--dataset", "nope", "--max-steps", "1"])
    assert rc == 2
    assert "no dataset" in capsys.readouterr().err
    assert not (tmp_path / "mlflow.db").exists()  # nothing started for a bad request


def test_cli_requires_a_dataset(capsys):
    assert main(["train"]) == 2
    assert "--dataset is required" in capsys.readouterr().err


def test_manifest_param_shape(train_data):
    manifest = json.loads((train_data / "datasets" / "syn" / "manifest.json").read_text())
    assert manifest["vocab_size"] == TickTokenizer().vocab_size


def test_checkpoint_comes_back_from_mlflow_when_the_local_copy_is_gone(trained, tmp_path):
    data, config, result = trained
    local = result.checkpoint
    kept = tmp_path / "kept.pt"
    local.rename(kept)
    try:
        uri = settings.tracking_uri(data)
        tags = MlflowClient(tracking_uri=uri).get_run(result.run_id).data.tags
        found = find_checkpoint(uri, data, result.run_id, tags)
        assert found == local and found.read_bytes() == kept.read_bytes()
    finally:
        kept.replace(local)


def test_resume_of_an_unknown_run_is_a_clear_error(trained, capsys):
    data, config, result = trained
    rc = main(["train", "--data-dir", str(data), "--resume", "0123456789abcdef"])
    assert rc == 2
    assert "no MLflow run 0123456789abcdef" in capsys.readouterr().err


def test_resuming_a_finished_run_asks_for_more_steps(trained, capsys):
    data, config, result = trained
    assert main(["train", "--data-dir", str(data), "--resume", result.run_id]) == 2
    assert "already finished at step 40" in capsys.readouterr().err


def test_song_balance_defaults_and_a_saved_run_from_before_it():
    """New runs draw windows with song_balance 0.75; a run saved before the field existed drew every window
    alike, and resuming it must keep its data order (TrainConfig.saved)."""
    from beepbrain.train import TrainConfig

    assert TrainConfig(dataset="d").song_balance == 0.75
    assert TrainConfig.from_dict({"dataset": "d"}).song_balance == 0.75
    assert TrainConfig.saved({"dataset": "d", "fill": 0.25}).song_balance == 0.0
    assert TrainConfig.saved(TrainConfig(dataset="d", song_balance=1.0).to_dict()).song_balance == 1.0
    try:
        TrainConfig(dataset="d", song_balance=2.0)
    except ValueError as exc:
        assert "song_balance" in str(exc)
    else:
        raise AssertionError("song_balance 2 was accepted")


def test_dropout_trains_and_the_saved_model_is_deterministic(trained, tmp_path, capsys):
    """`--dropout` reaches the model while it trains and is saved with it; the model it saves gives the same
    logits twice (dropout is off outside training), and a bad value is refused before anything runs."""
    from dataclasses import replace

    from beepbrain.train import TrainConfig, train

    data, config, _ = trained
    quick = dict(max_steps=3, eval_interval=0, checkpoint_interval=0, register=False)
    result = train(replace(config, dropout=0.3, **quick))
    state = load_checkpoint(result.checkpoint)
    assert state["model_config"]["dropout"] == 0.3 and state["train_config"]["dropout"] == 0.3
    model = GPT(GPTConfig.from_dict(state["model_config"]))
    model.load_state_dict(state["model"])
    idx = torch.randint(0, model.config.vocab_size, (2, 30), generator=torch.Generator().manual_seed(0))
    cond = torch.zeros(2, 21)
    model.train()
    with torch.no_grad():
        noisy = [model(idx, cond)[0] for _ in range(2)]
    assert not torch.equal(*noisy)  # dropout acts while training
    model.eval()
    with torch.no_grad():
        assert torch.equal(model(idx, cond)[0], model(idx, cond)[0])
    assert TrainConfig(dataset="d").dropout == 0.1
    assert TrainConfig.saved({"dataset": "d"}).dropout == 0.0  # a run saved before dropout trained without

    assert main(["train", "--data-dir", str(tmp_path), "--dataset", "syn", "--dropout", "1.5"]) == 2
    assert "dropout must be in [0, 1)" in capsys.readouterr().err
