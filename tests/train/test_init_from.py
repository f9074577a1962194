"""`--init-from`: a run starts from a registered model's weights (its first loss is the parent's on the same
batch, not a fresh model's), records the parent in MLflow, and refuses a parent of another shape or tokenizer."""

from __future__ import annotations

import json
import math

import pytest
import torch
from mlflow.tracking import MlflowClient

from beepbrain import settings
from beepbrain.cli import main
from beepbrain.train import TrainConfig, train

pytestmark = pytest.mark.slow  # trains a parent model first (about 40 s on 2 busy cores)

ARGS = dict(
    dataset="syn",
    model="tiny",
    batch_size=4,
    lr=3e-3,
    eval_batches=1,
    log_interval=1,
    checkpoint_interval=0,
    eval_interval=0,
    dropout=0.0,  # the child's first training loss is compared with the parent's loss in eval mode
)


@pytest.fixture(scope="module")
def parent(tmp_path_factory, dataset_factory):
    data = tmp_path_factory.mktemp("init-from")
    dataset_factory(data)
    dataset_factory(data, name="other", seed=5)  # same tokenizer, other songs: the "fine-tuning" data
    result = train(TrainConfig(data_dir=str(data), max_steps=30, seed=1, **ARGS))
    return data, result


def first_batch_loss(model, data, dataset: str, seed: int) -> float:
    from beepbrain.tokens.loader import WindowLoader

    loader = WindowLoader(
        data / "datasets" / dataset,
        "train",
        block_size=model.config.block_size,
        batch_size=ARGS["batch_size"],
        seed=seed,
        song_balance=TrainConfig(dataset=dataset).song_balance,  # the batch training's first step takes
    )
    x, y, c = loader.get_batch(0)
    with torch.no_grad():
        return model.eval()(x, c, y)[1].item()


def test_init_from_starts_at_the_parents_loss_and_records_the_parent(parent):
    from beepbrain.model import CONFIGS, GPT
    from beepbrain.train.registry import load_model

    data, parent_result = parent
    uri = f"models:/beepbrain/{parent_result.model_version}"
    parent_model, _, _ = load_model(uri, settings.tracking_uri(data))
    expected = first_batch_loss(parent_model, data, "other", seed=7)
    torch.manual_seed(7)
    fresh = GPT(CONFIGS["tiny"].with_data(parent_model.config.vocab_size, parent_model.config.cond_dim))
    fresh_loss = first_batch_loss(fresh, data, "other", seed=7)
    assert fresh_loss - expected > 1.0  # the parent has learnt something a fresh model has not

    child = train(
        TrainConfig(
            data_dir=str(data),
            max_steps=3,
            seed=7,
            init_from=uri,
            register=False,
            **{**ARGS, "dataset": "other"},
        )
    )
    client = MlflowClient(settings.tracking_uri(data))
    losses = {m.step: m.value for m in client.get_metric_history(child.run_id, "train_loss")}
    assert math.isclose(losses[1], expected, rel_tol=1e-4, abs_tol=1e-4)
    tags = client.get_run(child.run_id).data.tags
    assert tags["init_from"] == uri
    assert tags["parent_run_id"] == tags["mlflow.parentRunId"] == parent_result.run_id
    assert tags["parent_model_version"] == parent_result.model_version

    # without --init-from the same run starts from a fresh model's loss
    scratch = train(
        TrainConfig(data_dir=str(data), max_steps=1, seed=7, register=False, **{**ARGS, "dataset": "other"})
    )
    first = client.get_metric_history(scratch.run_id, "train_loss")[0].value
    assert first - expected > 1.0


def test_init_from_takes_a_parent_trained_with_other_dropout(parent):
    """Dropout acts only while training: a child may fine-tune with its own."""
    data, parent_result = parent
    uri = f"models:/beepbrain/{parent_result.model_version}"
    child = train(
        TrainConfig(
            data_dir=str(data),
            max_steps=1,
            init_from=uri,
            register=False,
            **{**ARGS, "dataset": "other", "dropout": 0.2},
        )
    )
    from beepbrain.train.checkpoint import load_checkpoint

    assert load_checkpoint(child.checkpoint)["model_config"]["dropout"] == 0.2


def test_init_from_refuses_another_shape_or_tokenizer(parent, capsys):
    data, parent_result = parent
    uri = f"models:/beepbrain/{parent_result.model_version}"
    with pytest.raises(ValueError, match="shape differs"):
        train(
            TrainConfig(
                data_dir=str(data), max_steps=1, init_from=uri, register=False, **{**ARGS, "model": "small"}
            )
        )

    manifest_path = data / "datasets" / "other" / "manifest.json"
    original = manifest_path.read_text()
    manifest = json.loads(original)
    manifest["tokenizer"] = {**manifest["tokenizer"], "changed_for_the_test": True}
    manifest_path.write_text(json.dumps(manifest))
    try:
        assert (
            main(
                [
                    "train",
                    "--data-dir",
                    str(data),
                    "--dataset",
                    "other",
                    "--max-steps",
                    "1",
                    "--init-from",
                    uri,
                    "--no-register",
                    "--device",
                    "cpu",
                ]
            )
            == 2
        )
    finally:
        manifest_path.write_text(original)
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("error: --init-from") and "different tokenizer" in err[-1]

    assert (
        main(
            [
                "train",
                "--data-dir",
                str(data),
                "--dataset",
                "other",
                "--max-steps",
                "1",
                "--init-from",
                "models:/beepbrain/999",
                "--no-register",
                "--device",
                "cpu",
            ]
        )
        == 2
    )
    assert "cannot load the model" in capsys.readouterr().err
