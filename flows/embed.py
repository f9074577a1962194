"""The embed flows: `train-embed` trains the pattern encoder on the catalog and registers it as
`beepbrain-embed`; `embed` makes sure one is registered (training it when none is, or on retrain), then
embeds the catalog songs not embedded yet on Dask and rebuilds the views. Tables of contents over
`beepbrain.embed`."""

from __future__ import annotations

from collections.abc import Callable

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import DEFAULT

from beepbrain import settings

Progress = Callable[[str, int, int | None], None]  # progress(stage, done, total)
NOT_PROGRESS = (
    DEFAULT - "progress"
)  # a task's cache key leaves its progress callback out (it cannot be hashed)


@task(name="train-encoder")
def train_encoder_task(data_dir: str, config: dict, tracking_uri: str | None, register: bool) -> dict:
    from beepbrain.embed.tracked import train_and_register
    from beepbrain.embed.train import EmbedTrainConfig

    logger = get_run_logger()
    result = train_and_register(
        data_dir, EmbedTrainConfig.from_dict(config), tracking_uri, register, log=logger.info
    )
    result.pop("model")
    return result


@flow(name="train-embed", log_prints=True)
def train_embed_flow(
    data_dir: str | None = None,
    config: dict | None = None,
    tracking_uri: str | None = None,
    register_model: bool = True,
) -> dict:
    """Train the encoder on DATA_DIR's catalog with `config` (EmbedTrainConfig fields) and register it."""
    from beepbrain.embed.train import EmbedTrainConfig

    cfg = EmbedTrainConfig.from_dict(config or {}).to_dict()
    result = train_encoder_task(str(settings.data_dir(data_dir)), cfg, tracking_uri, register_model)
    rows = "\n".join(f"| {k} | {v} |" for k, v in result.items())
    create_markdown_artifact(
        key="train-embed-result",
        markdown=f"| | |\n|---|---|\n{rows}\n",
        description="the pattern encoder's training",
    )
    return result


@task(name="embed-songs", cache_policy=NOT_PROGRESS)
def embed_songs(
    data_dir: str,
    tracking_uri: str,
    dask_address: str | None,
    workers: int | None,
    chunk_size: int,
    progress: Progress | None = None,
) -> dict:
    from beepbrain.corpus.cluster import dask_client
    from beepbrain.embed.job import embed_catalog
    from beepbrain.embed.registry import load_encoder

    logger = get_run_logger()
    encoder = load_encoder(tracking_uri)
    address = settings.dask_address(dask_address)
    if workers == 0 and not address:
        report = embed_catalog(data_dir, encoder, chunk_size=chunk_size, progress=progress, log=logger.info)
    else:
        with dask_client(address, workers) as client:
            report = embed_catalog(
                data_dir, encoder, client=client, chunk_size=chunk_size, progress=progress, log=logger.info
            )
    logger.info(report.summary())
    return report.__dict__


@flow(name="embed", log_prints=True)
def embed_flow(
    data_dir: str | None = None,
    retrain: bool = False,
    train_config: dict | None = None,
    tracking_uri: str | None = None,
    dask_address: str | None = None,
    workers: int | None = None,
    chunk_size: int = 100,
    progress: Progress | None = None,
) -> dict:
    """Vectors for every catalog song (see the module docstring); returns the embedding report.
    ``progress(stage, done, total)``: a callback for runs in this process (deployments leave it unset)."""
    from mlflow.tracking import MlflowClient

    from beepbrain.embed.registry import latest_version

    data = settings.data_dir(data_dir)
    uri = settings.tracking_uri(data, tracking_uri)
    if not (data / "corpus.duckdb").exists():
        raise FileNotFoundError(
            f"no corpus catalog at {data / 'corpus.duckdb'}; run `beepbrain ingest` first"
        )
    trained = None
    if retrain or latest_version(MlflowClient(tracking_uri=uri, registry_uri=uri)) is None:
        trained = train_embed_flow(str(data), train_config, uri, True)
    report = embed_songs(str(data), uri, dask_address, workers, chunk_size, progress)
    report["trained"] = trained
    return report
