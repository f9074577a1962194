"""A registered model is stored as code plus plain files (MLflow's models from code): loading it, with
`load_model` or `mlflow.pyfunc.load_model`, unpickles nothing, and planted pickles are never run."""

from __future__ import annotations

import json
import os
import pickle
from pathlib import Path

import mlflow
import numpy as np
import pytest
import torch
import yaml

from beepbrain.model import GPT
from beepbrain.model.gpt import CONFIGS
from beepbrain.tokens import TickTokenizer
from beepbrain.train import tracking
from beepbrain.train.registry import ModelNotFoundError, load_model, log_model


class Payload:
    """Unpickling this runs os.system: it touches a marker file."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """(tracking uri, folder, tiny model, dataset folder): one MLflow store for this module's models."""
    tmp = tmp_path_factory.mktemp("registry")
    tokenizer = TickTokenizer()
    dataset = tmp / "dataset"
    dataset.mkdir()
    tokenizer.save(dataset / "tokenizer.json")
    (dataset / "manifest.json").write_text(json.dumps({"name": "syn"}))
    torch.manual_seed(0)
    model = GPT(CONFIGS["tiny"].with_data(tokenizer.vocab_size)).eval()
    return f"sqlite:///{tmp}/mlflow.db", tmp, model, dataset


def register(store, name: str):
    """Log and register the store's model in a fresh experiment; (version, the logged model's folder)."""
    uri, tmp, model, dataset = store
    with tracking.using_store(uri):
        experiment = mlflow.create_experiment(name, artifact_location=(tmp / name).as_uri())
        with mlflow.start_run(experiment_id=experiment):
            version = log_model(model, dataset)
    [mlmodel] = list((tmp / name).rglob("MLmodel"))
    return version, mlmodel.parent


@pytest.fixture(scope="module")
def registered(store):
    uri, _, model, _ = store
    version, folder = register(store, "plain")
    return uri, model, version, folder


def logits(model, idx, cond):
    with torch.no_grad():
        return model(idx, cond)[0]


def test_the_stored_model_is_code_and_plain_files(registered):
    uri, model, version, folder = registered
    flavor = yaml.safe_load((folder / "MLmodel").read_text())["flavors"]["python_function"]
    assert "python_model" not in flavor and flavor["model_code_path"].endswith("pyfunc_code.py")
    names = {p.name for p in folder.rglob("*") if p.is_file()}
    assert {"weights.pt", "model_config.json", "tokenizer.json", "manifest.json"} <= names
    assert not [n for n in names if n.endswith((".pkl", ".pickle", ".cloudpickle"))]
    # weights.pt is a state dict that loads with weights_only=True
    assert set(torch.load(next(folder.rglob("weights.pt")), weights_only=True)) == set(model.state_dict())


def test_both_loaders_give_the_same_logits(registered):
    uri, model, version, folder = registered
    idx = torch.randint(0, model.config.vocab_size, (2, 12), generator=torch.Generator().manual_seed(1))
    cond = torch.zeros(2, 21)
    cond[:, [1, 7, 15]] = 1
    loaded, tokenizer, info = load_model(f"models:/beepbrain/{version}", tracking_uri=uri)
    assert torch.equal(logits(loaded, idx, cond), logits(model, idx, cond))
    assert isinstance(tokenizer, TickTokenizer) and info["manifest"] == {"name": "syn"}
    with tracking.using_store(uri):
        pyfunc = mlflow.pyfunc.load_model(f"models:/beepbrain/{version}")
    got = pyfunc.predict({"tokens": idx.tolist(), "cond": cond.tolist()})
    assert np.allclose(got, logits(model, idx, cond)[:, -1].numpy(), atol=1e-6)


def test_planted_pickles_are_never_run(store, tmp_path):
    """Someone with write access to the store swaps in pickles that run code; loading runs none of them."""
    uri = store[0]
    version, folder = register(store, "tampered")
    marker = tmp_path / "pwned"
    with open(folder / "python_model.pkl", "wb") as fh:  # what a CloudPickle'd pyfunc would load
        pickle.dump(Payload(marker), fh)
    # the pyfunc's flavor names only its code: the planted pickle is not read
    with tracking.using_store(uri):
        mlflow.pyfunc.load_model(f"models:/beepbrain/{version}")
    assert not marker.exists()
    # weights.pt replaced by a pickle that runs code: refused by weights_only, with a clear error
    weights = next(folder.rglob("weights.pt"))
    with open(weights, "wb") as fh:
        pickle.dump({"wte.weight": Payload(marker)}, fh)
    with pytest.raises(ValueError, match="not a plain state dict"):
        load_model(f"models:/beepbrain/{version}", tracking_uri=uri)
    assert not marker.exists()


def test_a_missing_model_is_a_lookup_error(registered, tmp_path):
    uri, model, version, folder = registered
    with pytest.raises(ModelNotFoundError, match="no model models:/beepbrain/99"):
        load_model("models:/beepbrain/99", tracking_uri=uri)
    with pytest.raises(ModelNotFoundError, match="no versions of registered model 'other'"):
        load_model("models:/other/latest", tracking_uri=uri)
    with pytest.raises(ModelNotFoundError, match="no MLflow store"):
        load_model(tracking_uri=f"sqlite:///{tmp_path}/none/mlflow.db")
    assert not (tmp_path / "none").exists()
