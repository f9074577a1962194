"""`beepbrain deploy` against a real Prefect server: pools, deployments, schedules, limits, idempotence."""

from __future__ import annotations

import pytest

from beepbrain.service.deploy import DEPLOYMENTS, GPU_POOL, PROJECT_DIR
from beepbrain.service.processes import free_port

pytestmark = pytest.mark.integration


def test_work_pools_are_process_pools_and_gpu_runs_one_at_a_time(prefect_api):
    cpu = prefect_api.work_pool("beepbrain-cpu")
    gpu = prefect_api.work_pool("beepbrain-gpu")
    assert cpu["type"] == gpu["type"] == "process"
    assert gpu["concurrency_limit"] == 1
    assert cpu["concurrency_limit"] is None


def test_every_deployment_is_registered_where_it_belongs(prefect_api):
    for spec in DEPLOYMENTS:
        dep = prefect_api.deployment(spec.full_name)
        assert dep["work_pool_name"] == spec.pool, spec.full_name
        assert dep["entrypoint"] == spec.entrypoint
        # Local source: the worker changes into the project folder before loading the flow.
        steps = dep["pull_steps"]
        assert steps and steps[0]["prefect.deployments.steps.set_working_directory"]["directory"] == str(
            PROJECT_DIR
        )
        crons = [s["schedule"].get("cron") for s in dep["schedules"]]
        assert crons == ([spec.cron] if spec.cron else []), spec.full_name
    assert prefect_api.deployment("train/on-demand")["work_pool_name"] == GPU_POOL
    assert prefect_api.deployment("train/on-demand")["global_concurrency_limit"]["limit"] == 1
    assert prefect_api.deployment("ingest/nightly")["schedules"][0]["schedule"]["cron"] == "0 3 * * *"


def test_deploying_again_updates_in_place(stack, prefect_api, beepbrain_cli):
    before = {d["name"]: d["id"] for d in prefect_api.deployments()}
    again = beepbrain_cli(["deploy", "--param", "generate/on-demand:count=3"], stack.client_env())
    assert again.returncode == 0, again.stderr
    after = {d["name"]: d["id"] for d in prefect_api.deployments()}
    assert after == before
    assert prefect_api.deployment("generate/on-demand")["parameters"]["count"] == 3


def test_deploy_without_a_server_fails_clearly(stack, beepbrain_cli):
    env = stack.client_env()
    env["PREFECT_API_URL"] = f"http://127.0.0.1:{free_port()}/api"
    result = beepbrain_cli(["deploy", "--only", "ingest"], env, timeout=120)
    assert result.returncode == 2
    assert "cannot reach the Prefect API" in result.stderr


def test_unknown_deployment_name_is_refused(stack, beepbrain_cli):
    result = beepbrain_cli(["deploy", "--only", "nosuch/flow"], stack.client_env())
    assert result.returncode == 2
    assert "unknown deployment nosuch/flow" in result.stderr


def test_deploy_options_pin_the_environment_of_deployed_runs(stack, prefect_api, beepbrain_cli, tmp_path):
    env = stack.client_env()
    pinned = beepbrain_cli(
        [
            "deploy",
            "--only",
            "generate",
            "--data-dir",
            str(tmp_path),
            "--mlflow-tracking-uri",
            "http://mlflow:5000",
        ],
        env,
    )
    assert pinned.returncode == 0, pinned.stderr
    variables = prefect_api.deployment("generate/on-demand")["job_variables"]
    assert variables["env"] == {
        "BEEPBRAIN_DATA_DIR": str(tmp_path),
        "MLFLOW_TRACKING_URI": "http://mlflow:5000",
    }
    # Without the options, runs take the worker's environment again.
    reset = beepbrain_cli(["deploy", "--only", "generate"], env)
    assert reset.returncode == 0, reset.stderr
    assert not prefect_api.deployment("generate/on-demand")["job_variables"].get("env")
