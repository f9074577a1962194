"""The train flow: train (or resume) the transformer on a dataset, tracked in MLflow, and report.

A table of contents over `beepbrain.train`; the dataset flow can call it when a dataset is ready.
Single process: for several GPUs run `torchrun -m beepbrain.cli train` instead.
"""

from __future__ import annotations

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact

from beepbrain import settings


@task(name="train-model")
def train_model(config: dict) -> dict:
    """Run the training loop; progress lines go to the flow's log."""
    from beepbrain.train import TrainConfig, train

    logger = get_run_logger()
    result = train(TrainConfig.from_dict(config), log=lambda *a, **k: logger.info(" ".join(map(str, a))))
    return {
        "run_id": result.run_id,
        "step": result.step,
        "train_loss": result.train_loss,
        "val_loss": result.val_loss,
        "model_version": result.model_version,
        "checkpoint": None if result.checkpoint is None else str(result.checkpoint),
    }


@flow(name="train", log_prints=True)
def train_flow(
    dataset: str,
    data_dir: str | None = None,
    config: str = "tiny",
    max_steps: int | None = None,
    batch_size: int = 8,
    grad_accum: int = 1,
    lr: float | None = None,
    eval_interval: int = 100,
    checkpoint_interval: int = 200,
    device: str = "auto",
    compile: bool = False,
    seed: int = 0,
    tracking_uri: str | None = None,
    register_model: bool = True,
    resume: str | None = None,
    fill: float = 0.0,
) -> dict:
    """Train `config` (tiny, small, base) on DATA_DIR/datasets/`dataset`; returns the run's result."""
    data = str(settings.data_dir(data_dir))
    result = train_model(
        {
            "dataset": dataset,
            "data_dir": data,
            "model": config,
            "max_steps": max_steps,
            "batch_size": batch_size,
            "grad_accum": grad_accum,
            "lr": lr,
            "eval_interval": eval_interval,
            "checkpoint_interval": checkpoint_interval,
            "device": device,
            "compile": compile,
            "seed": seed,
            "tracking_uri": tracking_uri,
            "register": register_model,
            "resume": resume,
            "fill": fill,
        }
    )
    get_run_logger().info("trained: %s", result)
    rows = "\n".join(f"| {k} | {v} |" for k, v in result.items())
    create_markdown_artifact(
        key="train-result",
        markdown=f"| | |\n|---|---|\n{rows}\n",
        description=f"training {config} on {dataset}",
    )
    return result
