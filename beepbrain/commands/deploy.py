"""`beepbrain deploy`: register BeepBrain's work pools and deployments on a Prefect server."""

from __future__ import annotations

import json
import os
import sys


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "deploy",
        help="register work pools and deployments on a Prefect server",
        description=(
            "Create the process work pools beepbrain-cpu and beepbrain-gpu (concurrency 1) when missing, and "
            "register ingest/nightly, build-dataset/on-demand, train/on-demand, generate/on-demand and "
            "pipeline/weekly. Start `prefect worker start --pool beepbrain-cpu` (and beepbrain-gpu) in the "
            "project folder to run them. Runs read BEEPBRAIN_DATA_DIR, BEEPBRAIN_DASK_ADDRESS and "
            "MLFLOW_TRACKING_URI from the worker's environment; the options below pin values instead."
        ),
    )
    p.add_argument(
        "--prefect-api-url",
        default=os.environ.get("PREFECT_API_URL"),
        help="Prefect API to register on (default: $PREFECT_API_URL)",
    )
    p.add_argument("--only", nargs="+", metavar="FLOW[/NAME]", help="register only these deployments")
    p.add_argument("--data-dir", help="pin BEEPBRAIN_DATA_DIR for deployed runs (default: the worker's)")
    p.add_argument(
        "--dask-address", help="pin BEEPBRAIN_DASK_ADDRESS for deployed runs (default: the worker's)"
    )
    p.add_argument(
        "--mlflow-tracking-uri", help="pin MLFLOW_TRACKING_URI for deployed runs (default: the worker's)"
    )
    p.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="FLOW/NAME:KEY=JSON",
        help="extra default parameter, e.g. 'train/on-demand:max_steps=2000' (repeatable)",
    )
    p.add_argument("--project-dir", help="project checkout the workers run flows from (default: this one)")
    p.set_defaults(func=handle)


def parse_params(items: list[str]) -> dict[str, dict]:
    """`flow/name:key=json` items -> {flow/name: {key: value}}; a value that is not JSON stays a string."""
    out: dict[str, dict] = {}
    for item in items:
        target, sep, assignment = item.partition(":")
        key, eq, raw = assignment.partition("=")
        if not sep or not eq or not key:
            raise ValueError(f"--param {item!r}: expected FLOW/NAME:KEY=VALUE")
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            value = raw
        out.setdefault(target, {})[key] = value
    return out


def handle(args) -> int:
    from pathlib import Path

    from beepbrain.settings import configure_prefect_env

    if args.prefect_api_url:
        os.environ["PREFECT_API_URL"] = args.prefect_api_url
    configure_prefect_env()
    from beepbrain.service.deploy import PROJECT_DIR, DeployError, deploy_all, select

    env = {}
    if args.data_dir:
        env["BEEPBRAIN_DATA_DIR"] = str(Path(args.data_dir).expanduser().resolve())
    if args.dask_address:
        env["BEEPBRAIN_DASK_ADDRESS"] = args.dask_address
    if args.mlflow_tracking_uri:
        env["MLFLOW_TRACKING_URI"] = args.mlflow_tracking_uri
    try:
        params = parse_params(args.param)
        ids = deploy_all(
            api_url=args.prefect_api_url,
            project_dir=Path(args.project_dir).resolve() if args.project_dir else PROJECT_DIR,
            only=args.only,
            env=env or None,
            parameters=params,
        )
    except (DeployError, ValueError) as exc:
        print(f"beepbrain deploy: {exc}", file=sys.stderr)
        return 2
    pools = sorted({s.pool for s in select(args.only)})
    print(f"{len(ids)} deployments registered. Run them with a worker in {args.project_dir or PROJECT_DIR}:")
    for pool in pools:
        print(f"  prefect worker start --pool {pool}")
    print("and trigger one with e.g. `prefect deployment run pipeline/weekly`.")
    return 0
