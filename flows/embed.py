"""The embed flows: `train-embed` trains the pattern encoder on the catalog and registers it as
`beepbrain-embed`; `embed` makes sure one is registered (training it when none is, or on retrain), then
embeds the catalog songs not embedded yet on Dask and rebuilds the views. Tables of contents over
`beepbrain.embed`."""

from __future__ import annotations

from beepbrain import settings

settings.configure_prefect_env()

from prefect import flow, get_run_logger, task  # noqa: E402
from prefect.artifacts import create_markdown_artifact  # noqa: E402

# Set by run_embed_flow for the duration of a run in this process (a callable is not a flow parameter).
_progress_hook = None


@task(name="train-encoder")
def train_encoder_task(data_dir: str, config: dict, tracking_uri: str | None, register: bool) -> dict:
    from beepbrain.embed.tracked import train_and_register
    from beepbrain.embed.train import EmbedTrainConfig

    logger = get_run_logger()
    result = train_and_register(data_dir, EmbedTrainConfig.from_dict(config), tracking_uri, register,
                                log=logger.info)
    result.pop("model")
    return result


@flow(name="train-embed", log_prints=True)
def train_embed_flow(data_dir: str | None = None, config: dict | None = None, tracking_uri: str | None = None,
                     register_model: bool = True) -> dict:
    """Train the encoder on DATA_DIR's catalog with `config` (EmbedTrainConfig fields) and register it."""
    from beepbrain.embed.train import EmbedTrainConfig

    cfg = EmbedTrainConfig.from_dict(config or {}).to_dict()
    result = train_encoder_task(str(settings.data_dir(data_dir)), cfg, tracking_uri, register_model)
    rows = "\n".join(f"| {k} | {v} |" for k, v in result.items())
    create_markdown_artifact(key="train-embed-result", markdown=f"| | |\n|---|---|\n{rows}\n",
                             description="the pattern encoder's training")
    return result


@task(name="embed-songs")
def embed_songs(data_dir: str, tracking_uri: str, dask_address: str | None, workers: int | None,
                chunk_size: int) -> dict:
    from beepbrain.corpus.cluster import dask_client
    from beepbrain.embed.job import embed_catalog
    from beepbrain.embed.registry import load_encoder

    logger = get_run_logger()
    encoder = load_encoder(tracking_uri)
    progress = _progress_hook
    address = settings.dask_address(dask_address)
    if workers == 0 and not address:
        report = embed_catalog(data_dir, encoder, chunk_size=chunk_size, progress=progress, log=logger.info)
    else:
        with dask_client(address, workers) as client:
            report = embed_catalog(data_dir, encoder, client=client, chunk_size=chunk_size, progress=progress,
                                   log=logger.info)
    logger.info(report.summary())
    return report.__dict__


@flow(name="embed", log_prints=True)
def embed_flow(data_dir: str | None = None, retrain: bool = False, train_config: dict | None = None,
               tracking_uri: str | None = None, dask_address: str | None = None, workers: int | None = None,
               chunk_size: int = 100) -> dict:
    """Vectors for every catalog song (see the module docstring); returns the embedding report."""
    from mlflow.tracking import MlflowClient

    from beepbrain.embed.registry import latest_version

    data = settings.data_dir(data_dir)
    uri = settings.tracking_uri(data, tracking_uri)
    if not (data / "corpus.duckdb").exists():
        raise FileNotFoundError(f"no corpus catalog at {data / 'corpus.duckdb'}; run `beepbrain ingest` first")
    trained = None
    if retrain or latest_version(MlflowClient(tracking_uri=uri, registry_uri=uri)) is None:
        trained = train_embed_flow(str(data), train_config, uri, True)
    report = embed_songs(str(data), uri, dask_address, workers, chunk_size)
    report["trained"] = trained
    return report


def run_embed_flow(progress=None, **params) -> dict:
    """Run the flow in this process with a progress callback ``progress(stage, done, total)``."""
    global _progress_hook
    _progress_hook = progress
    try:
        return embed_flow(**params)
    finally:
        _progress_hook = None
