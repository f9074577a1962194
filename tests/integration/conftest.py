"""The real servers, started once per test session as processes on 127.0.0.1 (free ports).

`stack` starts a Prefect server (SQLite), an MLflow server (SQLite backend, local artifact root), a Dask
scheduler with two `dask worker` processes, registers the deployments with `beepbrain deploy`, and starts
Prefect workers on beepbrain-cpu and beepbrain-gpu in the project folder. Everything is stopped (process
groups terminated) when the session ends, failed or not.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from beepbrain.service.api import PrefectAPI
from beepbrain.service.deploy import DEPLOYMENTS, PROJECT_DIR
from beepbrain.service.processes import ServiceError
from beepbrain.service.stack import LocalStack


def run_cli(args: list[str], env: dict, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "beepbrain.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    root = tmp_path_factory.mktemp("service")
    s = LocalStack(root)
    try:
        s.start_prefect()
        s.start_mlflow()
        s.start_dask(workers=2)
        # Deploy what exists: a missing flow fails its own tests, not the whole session.
        present = [d.full_name for d in DEPLOYMENTS if (PROJECT_DIR / d.entrypoint.split(":")[0]).is_file()]
        deployed = run_cli(["deploy", "--only", *present], s.client_env())
        if deployed.returncode != 0:
            raise ServiceError(f"beepbrain deploy failed:\n{deployed.stdout}\n{deployed.stderr}\n{s.logs()}")
        s.deploy_output = deployed.stdout
        s.start_worker("beepbrain-cpu")
        s.start_worker("beepbrain-gpu")
        yield s
    finally:
        s.close()


@pytest.fixture(scope="session")
def beepbrain_cli():
    """Run `beepbrain ARGS` in a subprocess with the given environment."""
    return run_cli


@pytest.fixture(scope="session")
def prefect_api(stack):
    api = PrefectAPI(stack.prefect_api_url)
    yield api
    api.close()


# Small settings: the whole pipeline in about a minute on 2 cores.
PIPELINE_PARAMS = {"config": "tiny", "steps": 20, "songs": 2, "bars": 2, "seed": 1}


@pytest.fixture(scope="session")
def pipeline_run(stack, prefect_api, tmp_path_factory) -> dict:
    """One run of the `pipeline/weekly` deployment on the servers: {run, data_dir, params}."""
    data_dir = tmp_path_factory.mktemp("pipeline-data")
    run = prefect_api.run_deployment("pipeline/weekly", {**PIPELINE_PARAMS, "data_dir": str(data_dir)})
    done = prefect_api.wait(run["id"], timeout=600, extra_logs=stack.logs)
    stages = ", ".join(
        f"{prefect_api.flow_name(c['flow_id'])} {c['total_run_time']:.0f}s"
        for c in prefect_api.child_runs(done["id"])
    )
    print(f"\npipeline/weekly: {done['total_run_time']:.0f}s ({stages})")
    return {"run": done, "data_dir": data_dir, "params": PIPELINE_PARAMS}
