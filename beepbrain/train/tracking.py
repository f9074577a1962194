"""MLflow for a training run: the store, the run, buffered metrics, parameters and artifacts."""

from __future__ import annotations

import json
import os
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

import mlflow
from mlflow.entities import Metric
from mlflow.tracking import MlflowClient

from beepbrain import settings
from beepbrain.tracking_retry import retry_call

MAX_PARAM_LENGTH = 500


@contextmanager
def using_store(uri: str):
    """MLflow's global tracking and registry URIs set to `uri` for the block, then put back as they were.

    `mlflow.set_tracking_uri` also exports $MLFLOW_TRACKING_URI, which `beepbrain.settings` reads: left
    set, it would point every later training or load in this process at this store.
    """
    from mlflow.tracking._model_registry import utils as registry_utils
    from mlflow.tracking._tracking_service import utils as tracking_utils

    saved = (tracking_utils._tracking_uri, registry_utils._registry_uri)
    saved_env = {k: os.environ.get(k) for k in ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI")}
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    try:
        yield uri
    finally:
        tracking_utils._tracking_uri, registry_utils._registry_uri = saved
        for key, value in saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def is_local_store(uri: str) -> bool:
    return uri.startswith(("sqlite:", "file:")) or "://" not in uri


def ensure_experiment(client: MlflowClient, name: str, data: Path, uri: str) -> str:
    """The experiment's id; a new one on a local store keeps its artifacts in DATA_DIR/mlartifacts."""
    experiment = client.get_experiment_by_name(name)
    if experiment is not None:
        return experiment.experiment_id
    location = settings.mlflow_artifact_root(data).as_uri() if is_local_store(uri) else None
    try:
        return client.create_experiment(name, artifact_location=location)
    except mlflow.exceptions.MlflowException:  # created meanwhile by another process
        return client.get_experiment_by_name(name).experiment_id


def git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=Path(__file__).parent,
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip() or "unknown"


def flatten_params(prefix: str, values: dict) -> dict[str, str]:
    """MLflow parameters from a dict: nested keys joined with dots, long values cut."""
    params: dict[str, str] = {}
    for key, value in values.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict):
            params.update(flatten_params(name, value))
            continue
        text = value if isinstance(value, str) else json.dumps(value, default=str)
        params[name] = text if len(text) <= MAX_PARAM_LENGTH else text[: MAX_PARAM_LENGTH - 3] + "..."
    return params


class MetricBuffer:
    """Per-step metrics collected in memory and written to the run in batches (one store call each)."""

    def __init__(self, client: MlflowClient, run_id: str, already_logged: dict[str, set[int]] | None = None):
        self.client = client
        self.run_id = run_id
        self.pending: list[Metric] = []
        # key -> steps the run holds already (logged before a kill, replayed after resuming): not logged twice
        self.already_logged = already_logged or {}

    def add(self, step: int, **values: float) -> None:
        now = int(time.time() * 1000)
        self.pending.extend(
            Metric(k, float(v), now, step)
            for k, v in values.items()
            if v is not None and step not in self.already_logged.get(k, ())
        )

    def flush(self) -> None:
        """Write what is pending; a batch leaves the buffer only once the store has it, so a tracking
        server outage (retried up to $BEEPBRAIN_TRACKING_RETRY_SECONDS) loses nothing."""
        while self.pending:  # the store takes at most 1000 metrics per call
            batch = self.pending[:1000]
            retry_call(
                self.client.log_batch, self.run_id, metrics=batch, synchronous=True, what="log metrics"
            )
            del self.pending[: len(batch)]
