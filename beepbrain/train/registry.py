"""The final model in MLflow: logged with its tokenizer, registered as `beepbrain`, loaded back.

A logged model is an MLflow pyfunc whose artifacts are plain files: `weights.pt` (a state dict, loaded
with `weights_only=True`), `model_config.json` (the `GPTConfig`), `tokenizer.json` and the dataset's
`manifest.json`. The pyfunc is logged as code (`beepbrain/train/pyfunc_code.py`, MLflow's models from
code), not as a pickle, so no load runs pickled code. `load_model` rebuilds the `GPT` from the files alone
(it never reads the MLmodel's flavors); `mlflow.pyfunc.load_model(uri)` works too
(`.unwrap_python_model().model` is the `GPT`).
"""

from __future__ import annotations

import json
import pickle
import re
import tempfile
import warnings
from pathlib import Path

import mlflow
import mlflow.pyfunc
import torch
from mlflow.exceptions import MlflowException

from beepbrain import settings
from beepbrain.model import GPT, GPTConfig
from beepbrain.tokens.load import load_tokenizer
from beepbrain.tokens.protocol import Tokenizer
from beepbrain.tokens.shards import MANIFEST, is_dataset, read_manifest
from beepbrain.train import tracking

REGISTERED_NAME = "beepbrain"
MODEL_NAME = "model"  # the logged model's name within its run
PYFUNC_CODE = Path(__file__).with_name("pyfunc_code.py")


class ModelNotFoundError(LookupError):
    """The model URI names no model in the tracking store (or there is no store): the user's to fix."""


def build_model(files: Path, device: str | torch.device = "cpu") -> tuple[GPT, dict]:
    """The GPT from a directory holding weights.pt and model_config.json."""
    config = GPTConfig.from_dict(json.loads((files / "model_config.json").read_text()))
    model = GPT(config)
    try:  # weights_only: tensors and plain containers; a pickle that would build anything else is refused
        state = torch.load(files / "weights.pt", map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        raise ValueError(
            f"{files / 'weights.pt'} is not a plain state dict (refused to unpickle: "
            f"{str(exc).splitlines()[0]})"
        ) from None
    model.load_state_dict(state)
    return model.to(device).eval(), config.to_dict()


def log_model(model: GPT, dataset_dir: Path, register: bool = True) -> str | None:
    """Log `model` with the dataset's tokenizer to the active run; returns the registered version."""
    with tempfile.TemporaryDirectory(prefix="beepbrain-model-") as tmp:
        files = Path(tmp)
        state = {k: v.detach().to("cpu", torch.float32) for k, v in model.state_dict().items()}
        torch.save(state, files / "weights.pt")
        (files / "model_config.json").write_text(json.dumps(model.config.to_dict(), indent=2))
        artifacts = {"weights": str(files / "weights.pt"), "model_config": str(files / "model_config.json")}
        for name in ("tokenizer.json", MANIFEST):
            if (dataset_dir / name).exists():
                artifacts[name.removesuffix(".json")] = str(dataset_dir / name)
        with warnings.catch_warnings():  # predict() takes a plain dict: no signature to infer
            warnings.simplefilter("ignore", UserWarning)
            info = mlflow.pyfunc.log_model(
                name=MODEL_NAME,
                python_model=str(PYFUNC_CODE),  # models from code: the source is stored, nothing pickled
                artifacts=artifacts,
                registered_model_name=REGISTERED_NAME if register else None,
                pip_requirements=[f"torch=={torch.__version__.split('+')[0]}", "numpy", "beepbrain"],
            )
    version = getattr(info, "registered_model_version", None)
    return None if version is None else str(version)


def registered_version(client, run_id: str, name: str = REGISTERED_NAME) -> str | None:
    """The version of ``name`` registered from run ``run_id``, if there is one."""
    versions = [v for v in client.search_model_versions(f"name='{name}'") if v.run_id == run_id]
    return str(max(int(v.version) for v in versions)) if versions else None


def resolve_version(client, model_uri: str):
    """The registry's ModelVersion for `models:/NAME/VERSION|latest` or `models:/NAME@ALIAS`, else None."""
    match = re.fullmatch(r"models:/([^/@]+)(?:/([^/]+)|@(.+))", model_uri)
    if not match:
        return None
    name, version, alias = match.groups()
    if alias:
        return client.get_model_version_by_alias(name, alias)
    if version.lower() == "latest":
        versions = client.search_model_versions(f"name='{name}'")
        if not versions:
            raise ModelNotFoundError(f"no versions of registered model {name!r}")
        return max(versions, key=lambda v: int(v.version))
    return client.get_model_version(name, version)


def load_model(
    model_uri: str = f"models:/{REGISTERED_NAME}/latest",
    tracking_uri: str | None = None,
    device: str | torch.device = "cpu",
) -> tuple[GPT, Tokenizer | None, dict]:
    """(model in eval mode, tokenizer, info) for a registered or logged model.

    `tracking_uri` defaults to `beepbrain.settings.tracking_uri(settings.data_dir())`; `info` holds the
    resolved version, run id, model config and dataset manifest.
    """
    from mlflow.tracking import MlflowClient

    uri = tracking_uri or settings.tracking_uri(settings.data_dir())
    if uri.startswith("sqlite:///") and not Path(uri.removeprefix("sqlite:///")).exists():
        # MLflow would create an empty store there; say instead that there is nothing to load
        raise ModelNotFoundError(
            f"no MLflow store at {uri.removeprefix('sqlite:///')}, so no model {model_uri}"
        )
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    try:
        version = resolve_version(client, model_uri)
        source = model_uri
        if version is not None:
            source = client.get_model_version_download_uri(version.name, version.version)
    except MlflowException as exc:
        if exc.error_code == "RESOURCE_DOES_NOT_EXIST":
            raise ModelNotFoundError(f"no model {model_uri} in {uri}") from None
        raise
    with tempfile.TemporaryDirectory(prefix="beepbrain-load-") as tmp, tracking.using_store(uri):
        try:
            local = Path(
                mlflow.artifacts.download_artifacts(artifact_uri=source, dst_path=tmp, tracking_uri=uri)
            )
        except MlflowException as exc:
            if exc.error_code in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"):
                raise ModelNotFoundError(f"no model {model_uri} in {uri}") from None
            raise
        files = local / "artifacts"
        model, config = build_model(files, device)
        tokenizer = (
            load_tokenizer(files) if (files / "tokenizer.json").exists() else None
        )  # logged without one
        manifest = read_manifest(files) if is_dataset(files) else {}  # the dataset's manifest, logged with it
    info = {
        "model_uri": model_uri,
        "version": None if version is None else str(version.version),
        "run_id": None if version is None else version.run_id,
        "config": config,
        "manifest": manifest,
        "params": model.num_params(),
    }
    return model, tokenizer, info
