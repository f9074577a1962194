"""BeepBrain's Prefect deployments and work pools: what `beepbrain deploy` registers on a Prefect API.

Two process work pools: `beepbrain-cpu` (ingest, datasets, generation) and `beepbrain-gpu` (anything that
trains; concurrency 1: one training per GPU). Flow code is read from the project directory (a local source:
the worker's pull step changes into it), so `prefect worker start --pool beepbrain-cpu` on a host with this
checkout runs them; no image is built. Deployed runs read BEEPBRAIN_DATA_DIR, BEEPBRAIN_DASK_ADDRESS and
MLFLOW_TRACKING_URI from the worker's environment, unless `deploy_all(env=...)` pins values on the deployments.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parents[2]

CPU_POOL = "beepbrain-cpu"
GPU_POOL = "beepbrain-gpu"
# Pool -> (concurrency limit or None, description).
POOLS: dict[str, tuple[int | None, str]] = {
    CPU_POOL: (None, "BeepBrain: ingest, datasets, generation (CPU; Dask does the parallel work)"),
    GPU_POOL: (1, "BeepBrain: training; one flow run at a time per GPU worker"),
}


@dataclass(frozen=True)
class DeploymentSpec:
    """One deployment: a flow entrypoint (relative to the project), its pool, schedule and defaults."""

    flow: str
    name: str
    entrypoint: str
    pool: str
    description: str
    cron: str | None = None
    parameters: Mapping[str, Any] = field(default_factory=dict)
    concurrency: int | None = 1
    tags: tuple[str, ...] = ("beepbrain",)

    @property
    def full_name(self) -> str:
        return f"{self.flow}/{self.name}"


# Parameters not listed take the flow's own defaults, which come from beepbrain.settings in the worker.
DEPLOYMENTS: list[DeploymentSpec] = [
    DeploymentSpec(
        "ingest", "nightly", "flows/ingest.py:ingest_flow", CPU_POOL,
        "Fetch the BeepBox Archive and refresh the corpus (Parquet + DuckDB), every night at 03:00 UTC.",
        cron="0 3 * * *", tags=("beepbrain", "ingest"),
    ),
    DeploymentSpec(
        "build-dataset", "on-demand", "flows/dataset.py:build_dataset_flow", CPU_POOL,
        "Select songs with SQL and (re)write a token dataset.",
        parameters={"name": "sample", "overwrite": True}, tags=("beepbrain", "tokens"),
    ),
    DeploymentSpec(
        "train", "on-demand", "flows/train.py:train_flow", GPU_POOL,
        "Train a model on a dataset; tracked and registered in MLflow.",
        parameters={"dataset": "sample"}, tags=("beepbrain", "train"),
    ),
    DeploymentSpec(
        "generate", "on-demand", "flows/generate.py:generate_flow", CPU_POOL,
        "Generate songs with a registered model.", concurrency=None, tags=("beepbrain", "generate"),
    ),
    # The pipeline trains in-process (its train step is a subflow), so it runs where training may run.
    DeploymentSpec(
        "pipeline", "weekly", "flows/pipeline.py:pipeline_flow", GPU_POOL,
        "The whole of `beepbrain run`: ingest, dataset, train, register, generate; Sundays 04:00 UTC.",
        cron="0 4 * * 0", tags=("beepbrain", "pipeline"),
    ),
]  # fmt: skip

# What a deployment may pin for its runs (also the worker's environment, which is the default).
ENV_KEYS = ("BEEPBRAIN_DATA_DIR", "BEEPBRAIN_DASK_ADDRESS", "MLFLOW_TRACKING_URI")


class DeployError(RuntimeError):
    """A deployment could not be registered (missing flow file, unknown parameter, API unreachable)."""


def select(names: Iterable[str] | None) -> list[DeploymentSpec]:
    """The specs named `flow/name` or `flow` (all when `names` is empty)."""
    names = list(names or [])
    if not names:
        return list(DEPLOYMENTS)
    chosen = [s for s in DEPLOYMENTS if s.full_name in names or s.flow in names]
    unknown = set(names) - {s.full_name for s in chosen} - {s.flow for s in chosen}
    if unknown:
        known = ", ".join(s.full_name for s in DEPLOYMENTS)
        raise DeployError(f"unknown deployment {', '.join(sorted(unknown))}; known: {known}")
    return chosen


def ensure_work_pools(pools: Iterable[str] = tuple(POOLS)) -> dict[str, str]:
    """Create the process work pools that are missing; (re)apply their concurrency limits.

    Returns pool -> "created" or "exists".
    """
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate, WorkPoolUpdate
    from prefect.exceptions import ObjectNotFound
    from prefect.workers.process import ProcessWorker

    result = {}
    with get_client(sync_client=True) as client:
        for name in pools:
            limit, description = POOLS[name]
            try:
                pool = client.read_work_pool(name)
            except ObjectNotFound:
                client.create_work_pool(
                    WorkPoolCreate(
                        name=name,
                        type="process",
                        description=description,
                        concurrency_limit=limit,
                        base_job_template=ProcessWorker.get_default_base_job_template(),
                    )
                )
                result[name] = "created"
                continue
            if pool.type != "process":
                raise DeployError(
                    f"work pool {name!r} exists with type {pool.type!r}; BeepBrain needs 'process'"
                )
            if pool.concurrency_limit != limit:
                client.update_work_pool(name, WorkPoolUpdate(concurrency_limit=limit))
            result[name] = "exists"
    return result


def _check_parameters(spec: DeploymentSpec, flow) -> None:
    accepted = inspect.signature(flow.fn).parameters
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in accepted.values())
    unknown = [k for k in spec.parameters if k not in accepted and not takes_any]
    if unknown:
        raise DeployError(f"{spec.full_name}: {spec.entrypoint} takes no parameter {', '.join(unknown)}")


def deploy_one(
    spec: DeploymentSpec,
    *,
    project_dir: Path = PROJECT_DIR,
    env: Mapping[str, str] | None = None,
    parameters: Mapping[str, Any] | None = None,
):
    """Register one deployment (created, or updated in place); returns its id."""
    from prefect import flow as prefect_flow
    from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy

    path = project_dir / spec.entrypoint.split(":")[0]
    if not path.is_file():
        raise DeployError(f"{spec.full_name}: flow file {path} does not exist")
    try:
        loaded = prefect_flow.from_source(source=str(project_dir), entrypoint=spec.entrypoint)
    except Exception as exc:
        raise DeployError(f"{spec.full_name}: cannot load {spec.entrypoint}: {exc}") from exc
    if loaded.name != spec.flow:
        raise DeployError(f"{spec.entrypoint} defines flow {loaded.name!r}, expected {spec.flow!r}")
    spec = _with_parameters(spec, parameters)
    _check_parameters(spec, loaded)
    concurrency = None
    if spec.concurrency:
        # Runs beyond the limit wait in line rather than being cancelled.
        concurrency = ConcurrencyLimitConfig(
            limit=spec.concurrency, collision_strategy=ConcurrencyLimitStrategy.ENQUEUE
        )
    job_variables = {"env": dict(env)} if env else {}
    deployment = loaded.to_deployment(
        name=spec.name,
        cron=spec.cron,
        parameters=dict(spec.parameters),
        description=spec.description,
        tags=list(spec.tags),
        concurrency_limit=concurrency,
        job_variables=job_variables,
        work_pool_name=spec.pool,
    )
    return deployment.apply(work_pool_name=spec.pool)


def _with_parameters(spec: DeploymentSpec, extra: Mapping[str, Any] | None) -> DeploymentSpec:
    if not extra:
        return spec
    from dataclasses import replace

    return replace(spec, parameters={**spec.parameters, **extra})


def deploy_all(
    *,
    api_url: str | None = None,
    project_dir: Path = PROJECT_DIR,
    only: Iterable[str] | None = None,
    env: Mapping[str, str] | None = None,
    parameters: Mapping[str, Mapping[str, Any]] | None = None,
    progress=print,
) -> dict[str, str]:
    """Create the work pools and register the deployments; returns `flow/name` -> deployment id.

    `api_url` overrides PREFECT_API_URL for these calls; `env` is pinned on every deployment (its runs see
    these variables whatever the worker's environment); `parameters` maps `flow/name` to extra defaults.
    """
    from prefect.settings import PREFECT_API_URL, temporary_settings

    specs = select(only)
    parameters = parameters or {}
    updates = {PREFECT_API_URL: api_url} if api_url else {}
    with temporary_settings(updates=updates):
        url = PREFECT_API_URL.value()
        if not url:
            raise DeployError(
                "no Prefect API: set PREFECT_API_URL or pass --prefect-api-url "
                "(deployments need a Prefect server, e.g. `prefect server start`)"
            )
        try:
            pools = ensure_work_pools(sorted({s.pool for s in specs}))
        except DeployError:
            raise
        except Exception as exc:
            raise DeployError(f"cannot reach the Prefect API at {url}: {exc}") from exc
        for pool, state in pools.items():
            progress(f"work pool {pool}: {state}")
        ids = {}
        for spec in specs:
            extra = parameters.get(spec.full_name) or parameters.get(spec.flow)
            ids[spec.full_name] = str(deploy_one(spec, project_dir=project_dir, env=env, parameters=extra))
            schedule = f", cron {spec.cron!r}" if spec.cron else ""
            progress(f"deployment {spec.full_name} -> {spec.pool}{schedule} ({ids[spec.full_name]})")
    return ids
