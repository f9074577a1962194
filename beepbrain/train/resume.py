"""What `--resume RUN_ID` continues from, wherever the run was killed.

- after a checkpoint: its model, optimizer, step, RNG state and config;
- after its final checkpoint: the same, with nothing left to train: the loop is skipped and the run is
  closed and its model registered (unless a model version of the run is registered already);
- before its first checkpoint: the run starts over at step 0 in the same MLflow run, from the config it
  logged when it opened (``train_config.json``); a run killed before even that is marked FAILED, and the
  error says so.

A run that finished is not resumed unless ``max_steps`` asks for more steps.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from beepbrain import settings
from beepbrain.train.checkpoint import CHECKPOINT_NAME, load_checkpoint, run_dir
from beepbrain.train.config import TrainConfig

CONFIG_ARTIFACT = (
    "train_config.json"  # logged when a run opens: what a run without a checkpoint restarts from
)


@dataclass
class Resume:
    run_id: str
    config: TrainConfig  # the run's own config, with this invocation's data_dir, device, max_steps ...
    checkpoint: dict | None  # None: no checkpoint was written; training starts over at step 0

    @property
    def step(self) -> int:
        return 0 if self.checkpoint is None else int(self.checkpoint["step"])


def _download(uri: str, run_id: str, artifact: str, dst: Path) -> Path | None:
    import mlflow.artifacts

    dst.mkdir(parents=True, exist_ok=True)
    try:
        return Path(
            mlflow.artifacts.download_artifacts(
                run_id=run_id, artifact_path=artifact, dst_path=str(dst), tracking_uri=uri
            )
        )
    except Exception:  # noqa: BLE001 - any store error means the artifact is not to be had
        return None


def find_checkpoint(uri: str, data: Path, run_id: str, tags: dict) -> Path | None:
    """The run's checkpoint: DATA_DIR/runs/<run_id>/ckpt.pt, else from the run's artifacts; None when the
    run never logged one. Raises FileNotFoundError when it logged one that cannot be fetched."""
    local = run_dir(data, run_id) / CHECKPOINT_NAME
    if local.exists():
        return local
    path = _download(uri, run_id, f"checkpoints/{CHECKPOINT_NAME}", local.parent)
    if path is not None:
        return path
    if "checkpoint_step" in tags:
        raise FileNotFoundError(
            f"run {run_id} logged a checkpoint at step {tags['checkpoint_step']} but it is neither at {local} "
            f"nor fetchable from MLflow"
        )
    return None


def plan_resume(config: TrainConfig, data: Path) -> Resume:
    import json

    from mlflow.exceptions import MlflowException
    from mlflow.tracking import MlflowClient

    run_id = config.resume
    uri = settings.tracking_uri(data, config.tracking_uri)
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    try:
        run = client.get_run(run_id)
    except MlflowException as exc:
        raise ValueError(f"no MLflow run {run_id} in {uri}: {exc.message}") from None
    path = find_checkpoint(uri, data, run_id, run.data.tags)
    if path is not None:
        checkpoint = load_checkpoint(path)
        saved = TrainConfig.saved(checkpoint["train_config"])
    else:
        checkpoint = None
        config_path = _download(uri, run_id, CONFIG_ARTIFACT, run_dir(data, run_id))
        if config_path is None:
            client.set_tag(run_id, "failed_reason", "killed before it saved its configuration; cannot resume")
            client.set_terminated(run_id, "FAILED")
            raise ValueError(
                f"run {run_id} was killed before it saved its configuration or a checkpoint, so it "
                f"cannot be resumed; it is now marked FAILED: start a new training"
            )
        saved = TrainConfig.saved(json.loads(config_path.read_text()))
    merged = replace(
        saved,
        resume=run_id,
        data_dir=config.data_dir,
        device=config.device,
        compile=config.compile,
        tracking_uri=config.tracking_uri,
        max_steps=config.max_steps or saved.max_steps,
    )
    resume = Resume(run_id, merged, checkpoint)
    if resume.step > merged.steps:
        raise ValueError(
            f"run {run_id} already reached step {resume.step}; max_steps {merged.steps} is fewer"
        )
    if resume.step == merged.steps and run.info.status == "FINISHED":
        raise ValueError(
            f"run {run_id} already finished at step {resume.step}; "
            f"pass a larger max_steps to train it further"
        )
    return resume
