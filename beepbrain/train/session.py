"""One training's MLflow run: opened (or re-opened on resume), fed checkpoints, closed with the model.

A resumed run's metric history reads like an uninterrupted one: the steps a killed process had already
logged past its last checkpoint are not logged again when the resumed process replays them (the replayed
values are the same: data order and RNG state come back with the checkpoint).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import mlflow
from mlflow.tracking import MlflowClient

from beepbrain.crashpoints import crash_point
from beepbrain.model import GPT, GPTConfig
from beepbrain.tokens.shards import manifest_path
from beepbrain.tracking_retry import retry_call
from beepbrain.train import registry, tracking
from beepbrain.train.config import TrainConfig
from beepbrain.train.resume import CONFIG_ARTIFACT


def logged_steps(client: MlflowClient, run_id: str, after: int) -> dict[str, set[int]]:
    """Metric key -> the steps above ``after`` that the run already holds."""
    run = client.get_run(run_id)
    out = {}
    for key in run.data.metrics:
        steps = {m.step for m in client.get_metric_history(run_id, key) if m.step > after}
        if steps:
            out[key] = steps
    return out


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
        resume=None,
    ) -> TrainingRun:
        uri = mlflow.get_tracking_uri()  # set by the caller (tracking.using_store)
        client = MlflowClient(tracking_uri=uri, registry_uri=uri)
        logged: dict[str, set[int]] = {}
        if resume is not None:
            run = mlflow.start_run(run_id=resume.run_id)
            client.set_tag(run.info.run_id, "resumed_at_step", str(resume.step))
            logged = logged_steps(client, resume.run_id, after=resume.step)
        else:
            experiment_id = tracking.ensure_experiment(client, config.experiment, data, uri)
            stamp = time.strftime("%Y%m%d-%H%M%S")
            run = mlflow.start_run(
                experiment_id=experiment_id, run_name=f"{config.model}-{config.dataset}-{stamp}"
            )
            crash_point("train.run-created")
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
            client.log_dict(run.info.run_id, config.to_dict(), CONFIG_ARTIFACT)
            client.log_artifact(
                run.info.run_id,
                str(manifest_path(data / "datasets" / config.dataset)),
                artifact_path="dataset",
            )
        run_id = run.info.run_id
        return cls(
            client=client,
            run_id=run_id,
            uri=uri,
            metrics=tracking.MetricBuffer(client, run_id, already_logged=logged),
        )

    def log_checkpoint(self, path: Path, step: int) -> None:
        retry_call(
            self.client.log_artifact,
            self.run_id,
            str(path),
            artifact_path="checkpoints",
            what="log checkpoint",
        )
        retry_call(self.client.set_tag, self.run_id, "checkpoint_step", str(step), what="tag checkpoint")

    def finish(self, model: GPT, dataset_dir: Path, register: bool = True) -> str | None:
        """Log (and register) the model and close the run; a run killed after registering its model (and
        resumed) is closed without a second version."""
        self.metrics.flush()
        version = registry.registered_version(self.client, self.run_id) if register else None
        if version is None:
            version = registry.log_model(model, dataset_dir, register=register)
        crash_point("train.registered")
        mlflow.end_run("FINISHED")
        return version

    def fail(self, status: str = "FAILED") -> None:
        try:
            self.metrics.flush()
        finally:
            mlflow.end_run(status)
