"""`--init-from MODEL_URI`: start a training from a registered (or logged) model's weights — fine-tuning a
model pretrained on other music — instead of a fresh initialisation.

The parent must have been trained with the same tokenizer (its dataset manifest's ``tokenizer`` entry and
vocabulary size) and the same model shape (``GPTConfig``) as this run, or the run stops with a clear error
before it opens. The new MLflow run records its parent: tags ``init_from`` (the URI as given),
``parent_run_id``, ``parent_model_version`` and MLflow's own ``mlflow.parentRunId``, so the tracking UI
lists the fine-tuning under the pretraining run.
"""

from __future__ import annotations

from dataclasses import dataclass

from beepbrain.model import GPTConfig

# model settings that act only while training: a child may take its own (the weights are the same shape)
TRAINING_ONLY = ("dropout",)


@dataclass
class Parent:
    uri: str
    state: dict  # the parent's weights (a state dict)
    run_id: str | None
    version: str | None


def load_parent(uri: str, tracking_uri: str | None, model_config: GPTConfig, manifest: dict) -> Parent:
    """The parent's weights, checked against this run's model shape and dataset tokenizer (ValueError)."""
    from beepbrain.train.registry import load_model

    try:
        model, _tokenizer, info = load_model(uri, tracking_uri)
    except Exception as exc:  # noqa: BLE001 - a bad URI, a missing version, an unreachable store
        raise ValueError(f"--init-from {uri}: cannot load the model: {type(exc).__name__}: {exc}") from None
    theirs = GPTConfig.from_dict(info.get("config") or {}).to_dict() if info.get("config") else {}
    ours = model_config.to_dict()
    differ = sorted(
        k for k in set(theirs) | set(ours) if k not in TRAINING_ONLY and theirs.get(k) != ours.get(k)
    )
    if differ:
        shown = ", ".join(f"{k} {theirs.get(k)!r} vs {ours.get(k)!r}" for k in differ)
        raise ValueError(
            f"--init-from {uri}: the model's shape differs from this run's ({shown}); "
            "train with the parent's --config (and its --channel-embedding, --recall or --no-recall, --note-end) "
            "on a dataset of the same tokenizer"
        )
    parent_manifest = info.get("manifest") or {}
    for key in ("tokenizer", "vocab_size", "cond_dim"):
        if key in parent_manifest and key in manifest and parent_manifest[key] != manifest[key]:
            raise ValueError(
                f"--init-from {uri}: the model was trained with a different {key} than dataset "
                f"{manifest.get('name')!r} ({parent_manifest[key]!r} vs {manifest[key]!r})"
            )
    return Parent(uri, model.state_dict(), info.get("run_id"), info.get("version"))


def tag_run(client, run_id: str, parent: Parent) -> None:
    tags = {
        "init_from": parent.uri,
        "parent_model_version": parent.version,
        "parent_run_id": parent.run_id,
        "mlflow.parentRunId": parent.run_id,
    }
    for key, value in tags.items():
        if value is not None:
            client.set_tag(run_id, key, str(value))
