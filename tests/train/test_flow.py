"""The train flow runs under Prefect and registers a model."""

from __future__ import annotations

import pytest


@pytest.mark.slow
def test_train_flow_trains_and_registers(prefect_harness, train_data):
    from beepbrain.train.registry import load_model
    from flows.train import train_flow

    assert train_flow.name == "train"
    result = train_flow(
        dataset="syn",
        data_dir=str(train_data),
        config="tiny",
        max_steps=6,
        batch_size=2,
        eval_interval=3,
        checkpoint_interval=0,
        device="cpu",
        seed=5,
    )
    assert result["step"] == 6 and result["model_version"] is not None
    assert result["val_loss"] is not None and result["checkpoint"].endswith("ckpt.pt")
    from beepbrain import settings

    model, tokenizer, info = load_model(
        f"models:/beepbrain/{result['model_version']}", tracking_uri=settings.tracking_uri(train_data)
    )
    assert info["run_id"] == result["run_id"] and model.config.n_layer == 2
