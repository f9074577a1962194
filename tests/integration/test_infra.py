"""infra/: the compose file and Dockerfile are consistent with the code (no Docker engine needed)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from beepbrain.service.deploy import ENV_KEYS, POOLS, PROJECT_DIR

INFRA = PROJECT_DIR / "infra"


def compose() -> dict:
    return yaml.safe_load((INFRA / "docker-compose.yml").read_text())


def test_compose_services_reference_each_other_consistently():
    services = compose()["services"]
    for name, svc in services.items():
        deps = svc.get("depends_on", {})
        for dep in deps if isinstance(deps, list) else deps.keys():
            assert dep in services, f"{name} depends on unknown service {dep}"
        assert "image" in svc, name
        if svc["image"].startswith("beepbrain"):
            assert svc["build"]["dockerfile"] == "infra/Dockerfile", name
    named_volumes = set(compose()["volumes"])
    for name, svc in services.items():
        for vol in svc.get("volumes", []):
            source = vol.split(":")[0]
            assert source.startswith((".", "/")) or source in named_volumes, f"{name}: volume {source}"


def test_workers_serve_every_pool_with_the_service_environment():
    services = compose()["services"]
    pools = {}
    for name, svc in services.items():
        match = re.search(r"prefect worker start --pool (\S+)", str(svc.get("command", "")))
        if match:
            pools[match.group(1)] = name
            env = svc["environment"]
            for key in (*ENV_KEYS, "PREFECT_API_URL"):
                assert key in env, f"{name} lacks {key}"
            assert env["PREFECT_API_URL"] == "http://prefect-server:4200/api"
            assert env["MLFLOW_TRACKING_URI"] == "http://mlflow:5000"
            assert env["BEEPBRAIN_DASK_ADDRESS"] == "tcp://dask-scheduler:8786"
    assert set(pools) == set(POOLS)
    gpu = services[pools["beepbrain-gpu"]]
    devices = gpu["deploy"]["resources"]["reservations"]["devices"]
    assert devices[0]["capabilities"] == ["gpu"]


def test_servers_use_postgres_and_an_s3_artifact_store():
    services = compose()["services"]
    assert (
        "postgresql+asyncpg://"
        in services["prefect-server"]["environment"]["PREFECT_SERVER_DATABASE_CONNECTION_URL"]
    )
    mlflow = " ".join(services["mlflow"]["command"].split())
    assert "--backend-store-uri postgresql://" in mlflow
    assert "--artifacts-destination s3://" in mlflow
    assert services["mlflow"]["environment"]["MLFLOW_S3_ENDPOINT_URL"] == "http://minio:9000"
    assert services["dask-worker"]["deploy"]["replicas"] >= 2


def test_dockerfile_copies_paths_that_exist():
    text = (INFRA / "Dockerfile").read_text()
    for src in re.findall(r"^COPY (\S+(?: \S+)*) \S+$", text, flags=re.M):
        for path in src.split():
            assert (PROJECT_DIR / path).exists(), f"Dockerfile copies missing {path}"
    assert Path(PROJECT_DIR / "pyproject.toml").exists()
