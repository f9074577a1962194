"""One training's MLflow run: opened (or re-opened on resume), fed checkpoints, closed with the model."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import mlflow
from mlflow.tracking import MlflowClient

from beepbrain.model import GPT, GPTConfig
from beepbrain.tracking_retry import retry_call
from beepbrain.train import registry, tracking
from beepbrain.train.config import TrainConfig

MANIFEST_PARAMS = ("name", "vocab_size", "pad_id", "cond_dim", "corpus_version", "created", "sql")


@dataclass
class TrainingRun:
    client: MlflowClient
    run_id: str
    uri: str
    metrics: tracking.MetricBuffer

    @classmethod
    def open(
        cls,
        data: Path,
        config: TrainConfig,
        model_config: GPTConfig,
        manifest: dict,
        n_params: int,
        checkpoint: dict | None,
    ) -> TrainingRun:
        uri = mlflow.get_tracking_uri()  # set by the caller (tracking.using_store)
        client = MlflowClient(tracking_uri=uri, registry_uri=uri)
        if checkpoint is not None:
            run = mlflow.start_run(run_id=checkpoint["run_id"])
            client.set_tag(run.info.run_id, "resumed_at_step", str(checkpoint["step"]))
        else:
            experiment_id = tracking.ensure_experiment(client, config.experiment, data, uri)
            stamp = time.strftime("%Y%m%d-%H%M%S")
            run = mlflow.start_run(
                experiment_id=experiment_id, run_name=f"{config.model}-{config.dataset}-{stamp}"
            )
            params = {
                **tracking.flatten_params("train", config.to_dict()),
                **tracking.flatten_params("model", model_config.to_dict()),
                **tracking.flatten_params(
                    "dataset", {k: manifest[k] for k in MANIFEST_PARAMS if k in manifest}
                ),
                **tracking.flatten_params(
                    "dataset.splits",
                    {
                        split: {k: v for k, v in counts.items() if k in ("songs", "tokens")}
                        for split, counts in manifest.get("splits", {}).items()
                    },
                ),
                "n_params": str(n_params),
                "git_commit": tracking.git_commit(),
            }
            client.log_batch(run.info.run_id, params=[mlflow.entities.Param(k, v) for k, v in params.items()])
            client.set_tag(run.info.run_id, "dataset", config.dataset)
            manifest_path = data / "datasets" / config.dataset / "manifest.json"
            client.log_artifact(run.info.run_id, str(manifest_path), artifact_path="dataset")
        run_id = run.info.run_id
        return cls(client=client, run_id=run_id, uri=uri, metrics=tracking.MetricBuffer(client, run_id))

    def log_checkpoint(self, path: Path, step: int) -> None:
        retry_call(self.client.log_artifact, self.run_id, str(path), artifact_path="checkpoints",
                   what="log checkpoint")
        retry_call(self.client.set_tag, self.run_id, "checkpoint_step", str(step), what="tag checkpoint")

    def finish(self, model: GPT, dataset_dir: Path, register: bool = True) -> str | None:
        self.metrics.flush()
        version = registry.log_model(model, dataset_dir, register=register)
        mlflow.end_run("FINISHED")
        return version

    def fail(self, status: str = "FAILED") -> None:
        try:
            self.metrics.flush()
        finally:
            mlflow.end_run(status)
