"""The build-dataset flow: the table of contents of a dataset's making, one task per job, each job a module
of `beepbrain.tokens`:

- ``select-songs``: which catalog songs, by read-only SQL (`tokens/select.py`);
- ``tokenize-songs``: songs to token streams, in parallel on Dask (`tokens/encoding.py`);
- ``write-dataset``: duplicates dropped, splits by content (`tokens/splits.py`), the train split's augmented
  copies (`tokens/augment.py`), and the files: shards, index, manifest (`tokens/shards.py`), put together by
  `tokens/dataset.py:write_dataset`.

Then, with ``train_config``, the train flow on the new dataset."""

from __future__ import annotations

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from beepbrain import settings
from beepbrain.tokens.dataset import dataset_dir, write_dataset
from beepbrain.tokens.encoding import Tokenized, tokenize_all
from beepbrain.tokens.load import new_tokenizer, tokenizer_from_dict
from beepbrain.tokens.select import select_songs


# Inputs are whole corpora: no input hashing for cache keys.
@task(name="select-songs", cache_policy=NO_CACHE)
def select(data_dir: str, where: str | None) -> tuple[list[tuple[str, str]], str, str]:
    """The songs matching ``where`` (read-only SQL on the catalog), the SQL, the corpus version."""
    items, sql, version = select_songs(data_dir, where)
    get_run_logger().info("selected %d songs: %s", len(items), sql)
    if not items:
        raise ValueError(f"no songs match {where!r}" if where else "the catalog holds no songs")
    return items, sql, version


@task(name="tokenize-songs", cache_policy=NO_CACHE)
def tokenize(
    items: list[tuple[str, str]],
    spec: dict,
    dask_address: str | None,
    workers: int | None,
    chunk_size: int,
    augment_channels: int = 0,
) -> Tokenized:
    """Parse and tokenize every song in parallel on Dask (``workers=0``: in this process) with the tokenizer
    ``spec`` describes (its ``to_dict()``)."""
    logger = get_run_logger()
    address = settings.dask_address(dask_address)
    result = tokenize_all(
        items,
        tokenizer_from_dict(spec),
        dask_address=address,
        use_dask=workers != 0 or bool(address),
        workers=workers or None,
        chunk_size=chunk_size,
        augment_channels=augment_channels,
        progress=logger.info,
    )
    logger.info("tokenized %d songs, rejected %d", len(result.encoded), len(result.rejected))
    return result


@task(name="write-dataset", cache_policy=NO_CACHE)
def write(
    result: Tokenized,
    out_dir: str,
    name: str,
    spec: dict,
    val_fraction: float,
    test_fraction: float,
    augment_transpose: int,
    extra: dict,
    overwrite: bool,
    augment_octaves: int = 0,
) -> dict:
    """Split by content, drop duplicate streams, augment the train split, write shards and manifest."""
    return write_dataset(
        result.encoded,
        out_dir,
        name=name,
        tokenizer=tokenizer_from_dict(spec),
        val_fraction=val_fraction,
        test_fraction=test_fraction,
        augment_transpose=augment_transpose,
        augment_octaves=augment_octaves,
        rejected=result.rejected,
        silent=result.silent,
        extra=extra,
        overwrite=overwrite,
        progress=get_run_logger().info,
    )


@flow(name="build-dataset", log_prints=True)
def build_dataset_flow(
    name: str,
    data_dir: str | None = None,
    where: str | None = None,
    augment_transpose: int = 0,
    augment_channels: int = 0,
    augment_octaves: int = 0,
    tokenizer: str = "pattern",
    ticks_per_beat: int = 12,
    val_fraction: float = 0.05,
    test_fraction: float = 0.05,
    dask_address: str | None = None,
    workers: int | None = None,
    chunk_size: int = 64,
    overwrite: bool = False,
    train_config: str | None = None,
    train_steps: int | None = None,
    tracking_uri: str | None = None,
) -> dict:
    """Build ``DATA_DIR/datasets/NAME`` from the catalog songs matching ``where``; returns the manifest.

    ``tokenizer`` is ``pattern`` (header + patterns + bar sequence) or ``tick`` (``ticks_per_beat`` grid);
    ``augment_transpose`` / ``augment_octaves`` / ``augment_channels`` add train copies (in other keys; pitch
    channels an octave or more away; channels reordered or left out).

    With ``train_config`` (tiny, small, base) the flow then triggers the `train` flow on the new dataset as a
    subflow (``train_steps`` steps, the model registered in MLflow); its result is returned under
    ``"training"`` beside the manifest's keys.
    """
    from pathlib import Path

    data = settings.data_dir(data_dir)
    out_dir = dataset_dir(data, name)
    if out_dir.exists() and not overwrite:
        raise FileExistsError(f"dataset {out_dir} exists (use overwrite=True to replace it)")
    settings_ = {"ticks_per_beat": ticks_per_beat} if tokenizer == "tick" else {}
    spec = new_tokenizer(tokenizer, **settings_).to_dict()
    items, sql, version = select(str(data), where)
    result = tokenize(items, spec, dask_address, workers, chunk_size, augment_channels)
    extra = {
        "sql": sql,
        "where": where,
        "corpus_version": version,
        "source": str(Path(data) / "corpus.duckdb"),
    }
    manifest = write(
        result,
        str(out_dir),
        name,
        spec,
        val_fraction,
        test_fraction,
        augment_transpose,
        extra,
        overwrite,
        augment_octaves,
    )
    create_markdown_artifact(
        key="dataset-manifest",
        markdown=_markdown(manifest),
        description=f"dataset {name}: splits, tokens, losses",
    )
    if train_config:
        from flows.train import train_flow

        training = train_flow(
            dataset=name,
            data_dir=str(data),
            config=train_config,
            max_steps=train_steps,
            tracking_uri=tracking_uri,
        )
        return {**manifest, "training": training}
    return manifest


def _markdown(manifest: dict) -> str:
    rows = "\n".join(
        f"| {s} | {i['songs']} | {i['augmented_songs']} | {i['tokens']} | {i['bars']} |"
        for s, i in manifest["splits"].items()
    )
    losses = "\n".join(f"| {k} | {v} |" for k, v in manifest["losses"].items())
    return (
        f"# Dataset `{manifest['name']}`\n\nSQL: `{manifest['sql']}`  \nCorpus version: "
        f"`{manifest['corpus_version']}`  \nTokenizer: {manifest.get('tokenizer_kind', 'tick')}, "
        f"vocabulary: {manifest['vocab_size']}\n\n"
        f"| split | songs | augmented | tokens | bars |\n|---|---|---|---|---|\n{rows}\n\n"
        f"Rejected {manifest['songs_rejected']}, duplicates dropped {manifest['duplicates_dropped']}.\n\n"
        f"| loss counter | count |\n|---|---|\n{losses}\n"
    )


if __name__ == "__main__":
    settings.configure_prefect_env()
    import sys

    print(build_dataset_flow(name=sys.argv[1] if len(sys.argv) > 1 else "default"))
