"""MLflow for a training run: the store, the run, buffered metrics, parameters and artifacts."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import mlflow
from mlflow.entities import Metric
from mlflow.tracking import MlflowClient

from beepbrain import settings

MAX_PARAM_LENGTH = 500


def connect(data: Path, tracking_uri: str | None = None) -> str:
    """Point MLflow (tracking and registry) at the run's store; returns the URI."""
    uri = settings.tracking_uri(data, tracking_uri)
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    return uri


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

    def __init__(self, client: MlflowClient, run_id: str):
        self.client = client
        self.run_id = run_id
        self.pending: list[Metric] = []

    def add(self, step: int, **values: float) -> None:
        now = int(time.time() * 1000)
        self.pending.extend(Metric(k, float(v), now, step) for k, v in values.items() if v is not None)

    def flush(self) -> None:
        while self.pending:  # the store takes at most 1000 metrics per call
            batch, self.pending = self.pending[:1000], self.pending[1000:]
            self.client.log_batch(self.run_id, metrics=batch, synchronous=True)
