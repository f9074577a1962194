"""The weekly pipeline deployment, end to end on real servers: corpus, MLflow run, model version, songs."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from mlflow.tracking import MlflowClient

from beepbrain.format import parse_song

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SAMPLE_RECORDS = 370  # records in beepbrain/data/sample-archive.jsonl.zst (../shared/corpus/songs.jsonl.zst)


def test_pipeline_runs_every_stage_as_a_subflow(pipeline_run, prefect_api):
    run = pipeline_run["run"]
    children = {c["name"]: c for c in prefect_api.child_runs(run["id"])}
    flows = {prefect_api.flow_name(c["flow_id"]): c["state"]["type"] for c in children.values()}
    for name in ("ingest", "train", "generate"):
        assert flows.get(name) == "COMPLETED", flows


def test_pipeline_fills_the_corpus(pipeline_run):
    data_dir = pipeline_run["data_dir"]
    with duckdb.connect(str(data_dir / "corpus.duckdb"), read_only=True) as con:
        songs = con.execute("SELECT count(*) FROM songs").fetchone()[0]
        sources = con.execute("SELECT count(*) FROM sources").fetchone()[0]
        rejects = con.execute("SELECT count(*) FROM rejects").fetchone()[0]
    assert songs > 100
    assert sources + rejects == SAMPLE_RECORDS


def mlflow_runs(stack, data_dir) -> list:
    """The MLflow runs (on the server) of trainings on `data_dir`."""
    client = MlflowClient(tracking_uri=stack.mlflow_uri, registry_uri=stack.mlflow_uri)
    experiment = client.get_experiment_by_name("beepbrain")
    assert experiment is not None, "no `beepbrain` experiment on the MLflow server"
    return client.search_runs(
        [experiment.experiment_id], filter_string=f"params.`train.data_dir` = '{data_dir}'"
    )


def test_pipeline_tracks_and_registers_on_the_mlflow_server(pipeline_run, stack):
    data_dir = pipeline_run["data_dir"]
    client = MlflowClient(tracking_uri=stack.mlflow_uri, registry_uri=stack.mlflow_uri)
    runs = mlflow_runs(stack, data_dir)
    assert len(runs) == 1
    run = runs[0]
    assert run.info.status == "FINISHED"
    steps = [m.step for m in client.get_metric_history(run.info.run_id, "train_loss")]
    assert steps == list(range(1, pipeline_run["params"]["steps"] + 1))
    versions = client.search_model_versions(f"name = 'beepbrain' and run_id = '{run.info.run_id}'")
    assert len(versions) == 1 and versions[0].status == "READY"
    # Artifacts went through the server's proxy into its artifact root, not to a local folder.
    assert run.info.artifact_uri.startswith("mlflow-artifacts:")
    stored = {p.name for p in (stack.root / "mlflow" / "artifacts").rglob("*") if p.is_file()}
    assert {"weights.pt", "tokenizer.json"} <= stored
    assert not (data_dir / "mlflow.db").exists()


def test_pipeline_writes_songs_that_beepbox_can_open(pipeline_run):
    data_dir = pipeline_run["data_dir"]
    index = data_dir / "generated" / "index.jsonl"
    assert index.is_file(), f"no generated songs: {list((data_dir / 'generated').rglob('*'))}"
    rows = [json.loads(line) for line in index.read_text().splitlines() if line.strip()]
    assert len(rows) == pipeline_run["params"]["songs"]
    for row in rows:
        song = parse_song(row["url"])
        assert len(song.channels) == song.pitch_channel_count + song.noise_channel_count
        assert parse_song(Path(row["json"]).read_text()).to_url() == song.to_url()
        assert Path(row["midi"]).read_bytes()[:4] == b"MThd"
