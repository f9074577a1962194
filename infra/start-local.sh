#!/usr/bin/env bash
# Start BeepBrain's servers on this host as plain processes (no containers): Prefect server, MLflow server
# (SQLite + local artifacts), a Dask scheduler with workers, the deployments, and Prefect workers on
# beepbrain-cpu and beepbrain-gpu. Prints the environment to use them; Ctrl-C stops everything.
#   infra/start-local.sh [ROOT]        (state and logs under ROOT, default ./beepbrain-data/service)
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-.venv/bin/python}"
exec "$PY" -m beepbrain.service.stack up --root "${1:-beepbrain-data/service}" --dask-workers "${DASK_WORKERS:-2}"
