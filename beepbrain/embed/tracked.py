"""Training the encoder on the catalog as one MLflow run: parameters, per-step loss and learning rate,
checkpoints, the final model registered as ``beepbrain-embed``."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from beepbrain import settings
from beepbrain.embed.corpus import catalog_songs, dataset_held_out, held_out_songs, unique_patterns
from beepbrain.embed.registry import log_and_register, write_files
from beepbrain.embed.train import EmbedTrainConfig, train_encoder

EXPERIMENT = "beepbrain-embed"


def train_and_register(
    data_dir, cfg: EmbedTrainConfig, tracking_uri: str | None = None, register: bool = True, log=print
) -> dict:
    """Train on every distinct pattern of the catalog's songs less the held-out ones (``cfg.holdout`` of
    them by id, and with ``cfg.holdout_datasets`` every dataset's val and test songs and their twins:
    ``corpus.held_out_songs``); the held-out record goes with the model (``holdout.json``) and into the
    run's parameters. Returns run id, registered version, steps, final loss, pattern count, seconds and
    the number of held-out songs."""
    from mlflow.entities import Metric
    from mlflow.tracking import MlflowClient

    from beepbrain.train.tracking import MetricBuffer, ensure_experiment, flatten_params, git_commit

    data = settings.data_dir(data_dir)
    uri = settings.tracking_uri(data, tracking_uri)
    catalog = catalog_songs(data)
    holdout = held_out_songs(catalog, cfg.holdout, dataset_held_out(data) if cfg.holdout_datasets else None)
    held = set(holdout["song_ids"])
    songs = [(sid, text) for sid, text in catalog if sid not in held]
    log(
        f"embed: {len(held):,} of {len(catalog):,} catalog songs held out (val and test songs of "
        f"{len(holdout['datasets'])} dataset(s), {holdout['twins']} twin(s) of them, fraction {cfg.holdout}); "
        f"reading the patterns of {len(songs):,} ..."
    )
    patterns = [p for _sid, p in unique_patterns(songs)]
    log(f"embed: {len(patterns):,} distinct patterns; training {cfg.steps} steps of {cfg.batch_size} pairs")

    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    experiment = ensure_experiment(client, EXPERIMENT, data, uri)
    run = client.create_run(
        experiment,
        run_name=f"embed-{time.strftime('%Y%m%d-%H%M%S')}",
        tags={"beepbrain.kind": "embed", "git_commit": git_commit()},
    )
    run_id = run.info.run_id
    params = flatten_params("", cfg.to_dict())
    params.update(
        {
            "data.songs": str(len(songs)),
            "data.patterns": str(len(patterns)),
            "data_dir": str(data),
            "data.held_out_songs": str(len(held)),
            "data.held_out_datasets": ",".join(sorted(holdout["datasets"])) or "-",
        }
    )
    client.log_batch(run_id, params=[_param(k, v) for k, v in params.items()])
    buffer = MetricBuffer(client, run_id)

    def on_step(step: int, loss: float, lr: float) -> None:
        buffer.add(step, train_loss=loss, lr=lr)
        if step % 50 == 0:
            buffer.flush()

    def on_checkpoint(step: int, model) -> None:
        buffer.flush()
        with tempfile.TemporaryDirectory(prefix="beepbrain-embed-ckpt-") as tmp:
            folder = write_files(model, Path(tmp) / f"step-{step:06d}")
            client.log_artifacts(run_id, str(folder), f"checkpoints/step-{step:06d}")

    try:
        result = train_encoder(patterns, cfg, on_step=on_step, on_checkpoint=on_checkpoint, log=log)
        buffer.flush()
        now = int(time.time() * 1000)
        client.log_batch(
            run_id,
            metrics=[
                Metric("final_loss", result.losses[-1], now, result.steps),
                Metric("train_seconds", result.seconds, now, result.steps),
                Metric("params", float(result.model.num_params()), now, result.steps),
            ],
        )
        version = log_and_register(client, run_id, result.model, register=register, holdout=holdout)
    except BaseException:
        client.set_terminated(run_id, "FAILED")
        raise
    client.set_terminated(run_id, "FINISHED")
    log(
        f"embed: trained {result.steps} steps in {result.seconds:.0f}s, loss {result.losses[-1]:.3f}; "
        + (f"registered beepbrain-embed version {version}" if version else "not registered")
    )
    return {
        "run_id": run_id,
        "version": version,
        "steps": result.steps,
        "final_loss": result.losses[-1],
        "patterns": len(patterns),
        "seconds": result.seconds,
        "tracking_uri": uri,
        "held_out_songs": len(held),
        "model": result.model,
    }


def _param(key: str, value: str):
    from mlflow.entities import Param

    return Param(key, value)
