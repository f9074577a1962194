"""The whole of `beepbrain run`: ingest -> dataset -> train -> register -> generate, one flow.

It reads as the pipeline's table of contents: each stage is the other parts' flow run as a subflow, so
each can also run, and be tested, alone.
"""

from __future__ import annotations

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact

from beepbrain import settings
from beepbrain.generate.defaults import RUN_DEFAULTS
from flows.dataset import build_dataset_flow
from flows.generate import generate_flow
from flows.ingest import ingest_flow
from flows.train import train_flow

DEFAULT_DATASET = RUN_DEFAULTS["dataset"]
DEFAULT_STEPS = RUN_DEFAULTS["steps"]
DEFAULT_SONGS = RUN_DEFAULTS["songs"]
DEFAULT_CONFIG = RUN_DEFAULTS["config"]
DEFAULT_BARS = RUN_DEFAULTS["bars"]


def _build_dataset(data_dir: str, name: str) -> dict:
    """The dataset flow as a subflow, with the main job's tokenizer and augmentation."""
    return build_dataset_flow(
        name=name,
        data_dir=data_dir,
        overwrite=True,
        tokenizer=RUN_DEFAULTS["tokenizer"],
        augment_channels=RUN_DEFAULTS["augment_channels"],
        augment_transpose=RUN_DEFAULTS["augment_transpose"],
        augment_octaves=RUN_DEFAULTS["augment_octaves"],
    )


@flow(name="pipeline", log_prints=True)
def pipeline_flow(
    data_dir: str | None = None,
    source: str | None = None,
    dataset: str = DEFAULT_DATASET,
    config: str = DEFAULT_CONFIG,
    steps: int = DEFAULT_STEPS,
    songs: int = DEFAULT_SONGS,
    bars: int = DEFAULT_BARS,
    seed: int = 0,
    tracking_uri: str | None = None,
    workers: int | None = None,
) -> dict:
    """Ingest ``source`` (default: the bundled sample archive), build dataset ``dataset``, train a
    ``config`` model for ``steps`` steps, register it, and write ``songs`` songs of ``bars`` bars.
    Returns where everything is: data dir, MLflow store, model version, songs (URL and files)."""
    logger = get_run_logger()
    data = settings.data_dir(data_dir)
    uri = settings.tracking_uri(data, tracking_uri)

    print(f"[1/4] ingest {source or 'the bundled sample archive'} into {data}")
    report = ingest_flow(source=source, data_dir=str(data), workers=workers)
    print(
        f"      {report['records_read']} records: {report['songs_new']} new songs, "
        f"{report['duplicates']} duplicates, {report['rejected']} rejected, {report['skipped']} already there"
    )

    print(f"[2/4] build dataset {dataset!r}")
    manifest = _build_dataset(str(data), dataset)
    splits = ", ".join(
        f"{k} {v.get('songs')} songs / {v.get('tokens')} tokens"
        for k, v in manifest.get("splits", {}).items()
    )
    print(
        f"      {manifest.get('tokenizer_kind', 'tick')} tokenizer, vocabulary {manifest.get('vocab_size')} "
        f"tokens; {splits}"
    )

    print(f"[3/4] train a {config} model for {steps} steps (MLflow: {uri})")
    trained = train_flow(
        dataset=dataset,
        data_dir=str(data),
        config=config,
        max_steps=steps,
        eval_interval=max(steps // 3, 1),
        checkpoint_interval=0,
        seed=seed,
        tracking_uri=uri,
        register_model=True,
        device="cpu" if config in ("tiny", "small") else "auto",
        fill=RUN_DEFAULTS["fill"],
    )
    version = trained.get("model_version")
    if not version:
        raise RuntimeError(f"training registered no model: {trained}")
    model_uri = f"models:/beepbrain/{version}"
    val = trained.get("val_loss")
    print(
        f"      train loss {trained['train_loss']:.3f}, val loss {'-' if val is None else f'{val:.3f}'}; "
        f"registered {model_uri}"
    )

    print(f"[4/4] generate {songs} song(s) of {bars} bars")
    out = str(data / "generated")
    rows = (
        generate_flow(
            model=model_uri,
            data_dir=str(data),
            tracking_uri=uri,
            bars=bars,
            count=songs,
            seed=seed,
            out=out,
            temperature=RUN_DEFAULTS["temperature"],
            header_temperature=RUN_DEFAULTS["header_temperature"],
        )
        if songs
        else []
    )

    summary = {
        "data_dir": str(data),
        "catalog": str(data / "corpus.duckdb"),
        "dataset": str(data / "datasets" / dataset),
        "tracking_uri": uri,
        "mlflow_ui": mlflow_ui_command(uri, data),
        "run_id": trained.get("run_id"),
        "model_uri": model_uri,
        "generated_dir": out,
        "songs": rows,
    }
    logger.info("pipeline done: %s", {k: v for k, v in summary.items() if k != "songs"})
    create_markdown_artifact(
        key="pipeline-summary",
        markdown=summary_markdown(summary),
        description="where the pipeline's outputs are",
    )
    return summary


def mlflow_ui_command(uri: str, data) -> str:
    """The command that opens the MLflow UI on this store."""
    if uri.startswith("sqlite:"):
        return (
            f"mlflow ui --backend-store-uri {uri} "
            f"--default-artifact-root {settings.mlflow_artifact_root(data).as_uri()}"
        )
    return f"open {uri}" if uri.startswith("http") else f"mlflow ui --backend-store-uri {uri}"


def summary_markdown(summary: dict) -> str:
    lines = ["# BeepBrain pipeline", ""]
    for key in ("data_dir", "catalog", "dataset", "tracking_uri", "model_uri", "generated_dir"):
        lines.append(f"- **{key}**: `{summary[key]}`")
    lines.append(f"- **MLflow UI**: `{summary['mlflow_ui']}`")
    lines += ["", "## Songs", ""]
    lines += [f"- [seed {r['seed']}]({r['url']})" for r in summary["songs"]]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    settings.configure_prefect_env()
    pipeline_flow()
