"""beepbrain.tracking_retry against a real MLflow server that goes away and comes back."""

from __future__ import annotations

import threading
import time

import pytest
from mlflow.entities import Metric
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from beepbrain.tracking_retry import TrackingUnavailable, retry_call

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def mlflow_only(stack, monkeypatch_module):
    """The session's MLflow server, with MLflow's own HTTP retries off: an outage reaches retry_call at once."""
    monkeypatch_module.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch_module.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "5")
    yield stack


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as mp:
        yield mp


def test_a_call_during_a_restart_waits_and_lands(mlflow_only):
    client = MlflowClient(tracking_uri=mlflow_only.mlflow_uri)
    run_id = client.create_run(client.create_experiment(f"retry-{time.time_ns()}")).info.run_id
    mlflow_only.stop_mlflow(crash=True)
    restarter = threading.Timer(4.0, mlflow_only.start_mlflow)
    restarter.start()
    messages: list[str] = []
    metrics = [Metric("loss", 1.0 / s, int(time.time() * 1000), s) for s in range(1, 51)]
    try:
        retry_call(
            client.log_batch,
            run_id,
            metrics=metrics,
            what="log metrics",
            first_delay=0.5,
            log=messages.append,
        )
    finally:
        restarter.join()
    assert any("retrying" in m for m in messages)
    assert [m.step for m in client.get_metric_history(run_id, "loss")] == list(range(1, 51))


def test_a_refused_request_is_not_retried(mlflow_only):
    client = MlflowClient(tracking_uri=mlflow_only.mlflow_uri)
    messages: list[str] = []
    with pytest.raises(MlflowException):
        retry_call(client.get_run, "0" * 32, log=messages.append)
    assert messages == []


def test_an_outage_past_the_deadline_fails_clearly(mlflow_only):
    client = MlflowClient(tracking_uri=mlflow_only.mlflow_uri)
    mlflow_only.stop_mlflow(crash=True)
    try:
        with pytest.raises(TrackingUnavailable, match="unreachable"):
            retry_call(client.search_experiments, deadline=2, first_delay=0.5, log=None)
    finally:
        mlflow_only.start_mlflow()
