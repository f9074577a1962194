"""The ingest flow: fetch the source, open the corpus state, parse chunks on Dask and write a batch,
rebuild the catalog, report. A table of contents over `beepbrain.archive` and `beepbrain.corpus`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import DEFAULT

from beepbrain import settings
from beepbrain.archive.download import is_transient
from beepbrain.archive.sources import resolve_source
from beepbrain.corpus.catalog import catalog_path
from beepbrain.corpus.cluster import dask_client
from beepbrain.corpus.ingest import CHUNK_SIZE, IngestReport, ingest, refresh_catalog

Progress = Callable[[str, int, int | None], None]  # progress(stage, done, total)
NOT_PROGRESS = (
    DEFAULT - "progress"
)  # a task's cache key leaves its progress callback out (it cannot be hashed)


def retry_network_errors(task, task_run, state) -> bool:
    """Retry only what a retry can fix (the network, a busy server); bad input fails at once."""
    exc = state.data if isinstance(state.data, BaseException) else state.result(raise_on_failure=False)
    return is_transient(exc)


@task(
    name="fetch-source",
    retries=2,
    retry_delay_seconds=10,
    retry_condition_fn=retry_network_errors,
    cache_policy=NOT_PROGRESS,
)
def fetch_source(
    source: str | None, data_dir: str, sha256: str | None = None, progress: Progress | None = None
) -> str:
    """Download a URL source into the cache (or find it there), or check a local one; returns its kind."""
    download = None if progress is None else (lambda done, total: progress("download", done, total))
    src = resolve_source(source, data_dir, sha256=sha256, progress=download)
    get_run_logger().info("source %s: %s (%s)", src.name, src.path, src.kind)
    return src.kind


@task(name="parse-and-write", cache_policy=NOT_PROGRESS)
def parse_and_write(
    source: str | None,
    data_dir: str,
    dask_address: str | None,
    workers: int | None,
    chunk_size: int,
    retry_rejects: bool,
    sha256: str | None,
    progress: Progress | None = None,
) -> IngestReport:
    """Read records in chunks, parse the chunks in parallel on Dask, write one Parquet batch.

    One task, streaming: the archive never sits in memory as a whole, and chunks flow from reader to
    workers to writer (the library's `ingest`); `workers=0` parses in this process."""
    logger = get_run_logger()
    address = settings.dask_address(dask_address)
    if workers == 0 and not address:
        return ingest(
            source,
            data_dir,
            progress=progress,
            chunk_size=chunk_size,
            catalog=False,
            retry_rejects=retry_rejects,
            sha256=sha256,
        )
    with dask_client(address, workers) as client:
        logger.info(
            "parsing on Dask: %s", client.dashboard_link if address else f"{workers or 'auto'} local workers"
        )
        return ingest(
            source,
            data_dir,
            client=client,
            progress=progress,
            chunk_size=chunk_size,
            catalog=False,
            retry_rejects=retry_rejects,
            sha256=sha256,
        )


@task(name="build-catalog")
def catalog(data_dir: str) -> str:
    refresh_catalog(Path(data_dir))
    return str(catalog_path(data_dir))


@flow(name="ingest", log_prints=True)
def ingest_flow(
    source: str | None = None,
    data_dir: str | None = None,
    dask_address: str | None = None,
    workers: int | None = None,
    chunk_size: int = CHUNK_SIZE,
    sha256: str | None = None,
    retry_rejects: bool = False,
    progress: Progress | None = None,
) -> dict:
    """Ingest `source` (default: the bundled sample archive) into `data_dir`; returns the report as a dict.
    ``progress(stage, done, total)``: a callback for runs in this process (deployments leave it unset)."""
    logger = get_run_logger()
    data = str(settings.data_dir(data_dir))
    fetch_source(source, data, sha256, progress)  # the download happens here; the next step finds it cached
    report = parse_and_write(source, data, dask_address, workers, chunk_size, retry_rejects, sha256, progress)
    catalog_path = catalog(data)
    logger.info(report.summary())
    create_markdown_artifact(
        key="ingest-report",
        markdown=_markdown(report, catalog_path),
        description="records read and where each went",
    )
    if not report.balanced:
        raise RuntimeError(f"ingest check failed (counts or stored tables): {report.summary()}")
    return report.as_dict()


def _markdown(report: IngestReport, catalog_path: str) -> str:
    rows = [
        ("records read", report.records_read),
        ("new songs", report.songs_new),
        ("duplicates (source kept)", report.duplicates),
        ("rejected", report.rejected),
        ("already ingested", report.skipped),
    ]
    table = "\n".join(f"| {k} | {v} |" for k, v in rows)
    return (
        f"# Ingest of `{report.source}`\n\n| | records |\n|---|---|\n{table}\n\n"
        f"Rejects by stage: {report.rejects_by_stage or 'none'}\n\nCatalog: `{catalog_path}`\n"
        + "".join(f"\n**Stored corpus damaged**: {p}\n" for p in report.stored_problems)
    )


def run_ingest_flow(progress: Progress | None = None, **params) -> IngestReport:
    """Run the flow in this process with a progress callback; returns the IngestReport."""
    return report_from_dict(ingest_flow(progress=progress, **params))


def report_from_dict(d: dict) -> IngestReport:
    return IngestReport(
        source=d["source"],
        batch=d["batch"],
        records_read=d["records_read"],
        skipped=d["skipped"],
        songs_new=d["songs_new"],
        duplicates=d["duplicates"],
        rejects_by_stage=d["rejects_by_stage"],
        rows=d["rows"],
        timings=d["timings"],
        workers=d["workers"],
        files=d["files"],
        stored_problems=d.get("stored_problems", []),
        debris_removed=d.get("debris_removed", []),
    )


if __name__ == "__main__":
    settings.configure_prefect_env()
    print(ingest_flow())
