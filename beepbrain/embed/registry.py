"""The embedding model in MLflow: plain files, no pickled code.

A logged embedding model is the run's artifact folder ``embed-model/`` holding ``weights.pt`` (a state
dict, read back with ``torch.load(weights_only=True)``), ``config.json`` (the ``EmbedConfig``) and
``holdout.json`` (the songs it was trained without: ``corpus.held_out_songs``' record). It is registered
as ``beepbrain-embed`` by pointing a model version at that folder; loading downloads the files and
rebuilds the ``PatternEncoder``. A model logged before ``holdout.json`` existed was trained on every
catalog song (``holdout`` was 0): its ``held_out`` is empty.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

import torch

from beepbrain.embed.model import EmbedConfig, PatternEncoder

REGISTERED_NAME = "beepbrain-embed"
ARTIFACT_PATH = "embed-model"
HOLDOUT_FILE = "holdout.json"
DEFAULT_URI = f"models:/{REGISTERED_NAME}/latest"


class NoEmbeddingModel(LookupError):
    """No embedding model is registered (yet) in this MLflow store."""


@dataclass
class LoadedEncoder:
    model: PatternEncoder
    version: str | None
    run_id: str | None
    held_out: frozenset[str] = frozenset()  # catalog song ids it was trained without

    @property
    def tag(self) -> str:
        return f"v{self.version}" if self.version else "unregistered"


def write_files(model: PatternEncoder, folder: Path, holdout: dict | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().to("cpu", torch.float32) for k, v in model.state_dict().items()}
    torch.save(state, folder / "weights.pt")
    (folder / "config.json").write_text(json.dumps(model.config.to_dict(), indent=2))
    if holdout is not None:
        (folder / HOLDOUT_FILE).write_text(json.dumps(holdout, indent=1))
    return folder


def read_holdout(folder: Path) -> dict:
    """The held-out record logged with the model (``{"song_ids": []}`` for one logged without)."""
    path = Path(folder) / HOLDOUT_FILE
    return json.loads(path.read_text()) if path.exists() else {"song_ids": []}


def read_files(folder: Path) -> PatternEncoder:
    model = PatternEncoder(EmbedConfig.from_dict(json.loads((folder / "config.json").read_text())))
    model.load_state_dict(torch.load(folder / "weights.pt", map_location="cpu", weights_only=True))
    return model.eval()


def log_and_register(
    client, run_id: str, model: PatternEncoder, register: bool = True, holdout: dict | None = None
) -> str | None:
    """Log the model's files (with ``holdout``, its held-out record) to ``run_id`` and register them as a
    new version; returns the version."""
    with tempfile.TemporaryDirectory(prefix="beepbrain-embed-") as tmp:
        client.log_artifacts(
            run_id, str(write_files(model, Path(tmp) / ARTIFACT_PATH, holdout)), ARTIFACT_PATH
        )
    if not register:
        return None
    import contextlib

    from mlflow.exceptions import MlflowException

    with contextlib.suppress(MlflowException):  # already there
        client.create_registered_model(
            REGISTERED_NAME, description="BeepBrain's pattern encoder (beepbrain.embed)"
        )
    source = f"{client.get_run(run_id).info.artifact_uri.rstrip('/')}/{ARTIFACT_PATH}"
    version = client.create_model_version(REGISTERED_NAME, source, run_id=run_id)
    return str(version.version)


def latest_version(client):
    from mlflow.exceptions import MlflowException

    try:
        versions = client.search_model_versions(f"name='{REGISTERED_NAME}'")
    except MlflowException:
        return None
    return max(versions, key=lambda v: int(v.version)) if versions else None


def load_encoder(tracking_uri: str, version: str | None = None) -> LoadedEncoder:
    """The registered encoder (latest version unless ``version``); NoEmbeddingModel when none is."""
    import mlflow
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
    mv = client.get_model_version(REGISTERED_NAME, version) if version else latest_version(client)
    if mv is None:
        raise NoEmbeddingModel(
            f"no embedding model is registered as {REGISTERED_NAME!r} in {tracking_uri}; "
            "run `beepbrain embed` (it trains one) first"
        )
    with tempfile.TemporaryDirectory(prefix="beepbrain-embed-load-") as tmp:
        local = mlflow.artifacts.download_artifacts(
            artifact_uri=mv.source, dst_path=tmp, tracking_uri=tracking_uri
        )
        model = read_files(Path(local))
        held_out = frozenset(read_holdout(Path(local)).get("song_ids") or ())
    return LoadedEncoder(model, str(mv.version), mv.run_id, held_out)
