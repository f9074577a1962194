"""Faults on the real servers: a Dask worker dies mid-ingest; the MLflow server restarts mid-training."""

from __future__ import annotations

import json
import shutil
import time

import duckdb
import pytest
import zstandard

from beepbrain.service.processes import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def write_archive(path, records: list[dict], copies: int) -> int:
    """An archive of `copies` reposts of every record (distinct posts: same song, another URL)."""
    lines = []
    for i in range(copies):
        for n, rec in enumerate(records):
            lines.append(json.dumps({**rec, "url": f"https://example.org/repost/{i}/{n}"}))
    path.write_bytes(zstandard.ZstdCompressor().compress(("\n".join(lines) + "\n").encode()))
    return len(lines)


def processing_on(address: str, worker_name: str) -> int:
    """How many tasks the scheduler has assigned to the named worker right now."""
    from distributed import Client

    with Client(address, timeout=10) as client:
        info = client.scheduler_info(n_workers=-1)["workers"]
        addresses = [a for a, w in info.items() if w["name"] == worker_name]
        if not addresses:
            return 0
        return len(client.processing(addresses)[addresses[0]])


def test_ingest_survives_a_dask_worker_killed_mid_run(stack, prefect_api, corpus_records, tmp_path):
    source = tmp_path / "archive.jsonl.zst"
    total = write_archive(source, corpus_records, copies=6)
    data_dir = tmp_path / "data"
    run = prefect_api.run_deployment(
        "ingest/nightly", {"source": str(source), "data_dir": str(data_dir), "chunk_size": 20}
    )
    victim = stack.processes["dask-worker-0"]
    # Kill the worker as soon as it holds parse work: those chunks must be redone elsewhere.
    wait_until(
        lambda: processing_on(stack.dask_address, "dask-worker-0") > 0,
        timeout=180, what="dask-worker-0 to receive parse tasks", watch=[victim], interval=0.05,
    )  # fmt: skip
    state_at_kill = prefect_api.flow_run(run["id"])["state"]["type"]
    victim.kill()
    killed_at = time.monotonic()
    try:
        prefect_api.wait(run["id"], timeout=240, extra_logs=stack.logs)
        assert state_at_kill == "RUNNING"
        assert stack.dask_workers() == ["dask-worker-1"]

        with duckdb.connect(str(data_dir / "corpus.duckdb"), read_only=True) as con:
            sources = con.execute("SELECT count(*) FROM sources").fetchone()[0]
            rejects = con.execute("SELECT count(*) FROM rejects").fetchone()[0]
            songs = con.execute("SELECT count(*) FROM songs").fetchone()[0]
            distinct = con.execute("SELECT count(DISTINCT record_id) FROM sources").fetchone()[0]
        # Every record is accounted for exactly once: a source of a stored song, or a reject.
        assert sources + rejects == total
        assert distinct == sources
        assert 0 < songs <= len(corpus_records)
        print(
            f"worker killed {time.monotonic() - killed_at:.1f}s before the end; {total} records accounted for"
        )
    finally:
        stack.start_dask_worker(0)
        stack.wait_for_dask_workers(2)


def test_training_survives_an_mlflow_server_restart(stack, prefect_api, pipeline_run, tmp_path):
    from mlflow.tracking import MlflowClient

    steps = 40
    data_dir = tmp_path / "data"
    shutil.copytree(pipeline_run["data_dir"] / "datasets" / "sample", data_dir / "datasets" / "sample")
    params = {"dataset": "sample", "data_dir": str(data_dir), "max_steps": steps, "eval_interval": 0,
              "checkpoint_interval": 0}  # fmt: skip
    run = prefect_api.run_deployment("train/on-demand", params)
    client = MlflowClient(tracking_uri=stack.mlflow_uri, registry_uri=stack.mlflow_uri)
    server = stack.processes["mlflow-server"]
    found = {}

    def logging_started() -> bool:
        experiment = client.get_experiment_by_name("beepbrain")
        runs = client.search_runs(
            [experiment.experiment_id], filter_string=f"params.`train.data_dir` = '{data_dir}'"
        )
        if runs and "train_loss" in runs[0].data.metrics:
            found["run"] = runs[0]
            return True
        return False

    wait_until(logging_started, timeout=300, what="the training to log metrics", watch=[server], interval=0.5)
    logged_before = max(m.step for m in client.get_metric_history(found["run"].info.run_id, "train_loss"))
    stack.stop_mlflow(crash=True)
    time.sleep(3)  # the training keeps stepping while the server is away
    stack.start_mlflow()
    prefect_api.wait(run["id"], timeout=600, extra_logs=stack.logs)

    run_id = found["run"].info.run_id
    assert found["run"].info.status == "RUNNING" and logged_before < steps
    finished = client.get_run(run_id)
    assert finished.info.status == "FINISHED"
    # Nothing logged is lost, nothing twice: one train_loss per step, before and after the restart.
    history = sorted(m.step for m in client.get_metric_history(run_id, "train_loss"))
    assert history == list(range(1, steps + 1))
    assert client.search_model_versions(f"name = 'beepbrain' and run_id = '{run_id}'")
    print(f"MLflow restarted after step {logged_before} of {steps}; all {steps} steps logged")
