"""Where BeepBrain keeps its data, and the environment it reads.

Every setting is also a CLI option; the environment variables are the defaults so that deployed flow
runs pick them up from the worker's environment.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

DATA_DIR_ENV = "BEEPBRAIN_DATA_DIR"
DASK_ADDRESS_ENV = "BEEPBRAIN_DASK_ADDRESS"


def data_dir(explicit: str | os.PathLike | None = None) -> Path:
    """The data directory: the explicit argument, else $BEEPBRAIN_DATA_DIR, else ./beepbrain-data."""
    value = explicit or os.environ.get(DATA_DIR_ENV) or "beepbrain-data"
    return Path(value).expanduser().resolve()


def dask_address(explicit: str | None = None) -> str | None:
    """The Dask scheduler to join, or None for a LocalCluster sized to the machine."""
    return explicit or os.environ.get(DASK_ADDRESS_ENV) or None


def tracking_uri(data: Path, explicit: str | None = None) -> str:
    """MLflow tracking URI: explicit, else $MLFLOW_TRACKING_URI, else a SQLite store in the data dir."""
    value = explicit or os.environ.get("MLFLOW_TRACKING_URI")
    if value:
        return value
    return f"sqlite:///{(data / 'mlflow.db').as_posix()}"


def mlflow_artifact_root(data: Path) -> Path:
    """Artifact folder used with the default local tracking store."""
    return data / "mlartifacts"


PREFECT_DEFAULTS = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
}


def configure_prefect_env() -> None:
    """Defaults that let Prefect's local mode run offline (where the environment does not set them). Called
    where a flow or command starts (the CLI's handlers, a flow module run as a script, the tests), never at
    import; when prefect is imported already, its settings are re-read so that they hold."""
    added = [key for key in PREFECT_DEFAULTS if key not in os.environ]
    for key in added:
        os.environ[key] = PREFECT_DEFAULTS[key]
    context = sys.modules.get("prefect.context")
    if added and context is not None:
        context.refresh_global_settings_context()
