"""The ingest flow: fetch the source, open the corpus state, parse chunks on Dask and write a batch,
rebuild the catalog, report. A table of contents over `beepbrain.archive` and `beepbrain.corpus`."""

from __future__ import annotations

from pathlib import Path

from beepbrain import settings

settings.configure_prefect_env()

from prefect import flow, get_run_logger, task  # noqa: E402
from prefect.artifacts import create_markdown_artifact  # noqa: E402

from beepbrain.archive.download import is_transient  # noqa: E402
from beepbrain.archive.sources import resolve_source  # noqa: E402
from beepbrain.corpus.catalog import catalog_path  # noqa: E402
from beepbrain.corpus.cluster import dask_client  # noqa: E402
from beepbrain.corpus.ingest import CHUNK_SIZE, IngestReport, ingest, refresh_catalog  # noqa: E402

# Set by run_ingest_flow for the duration of a run in this process (a callable is not a flow parameter).
_progress_hook = None


def _progress(stage: str, done: int, total: int | None) -> None:
    if _progress_hook is not None:
        _progress_hook(stage, done, total)


def retry_network_errors(task, task_run, state) -> bool:
    """Retry only what a retry can fix (the network, a busy server); bad input fails at once."""
    exc = state.data if isinstance(state.data, BaseException) else state.result(raise_on_failure=False)
    return is_transient(exc)


@task(name="fetch-source", retries=2, retry_delay_seconds=10, retry_condition_fn=retry_network_errors)
def fetch_source(source: str | None, data_dir: str, sha256: str | None = None) -> str:
    """Download a URL source into the cache (or find it there), or check a local one; returns its kind."""
    src = resolve_source(source, data_dir, sha256=sha256,
                         progress=lambda done, total: _progress("download", done, total))
    get_run_logger().info("source %s: %s (%s)", src.name, src.path, src.kind)
    return src.kind


@task(name="parse-and-write")
def parse_and_write(source: str | None, data_dir: str, dask_address: str | None, workers: int | None,
                    chunk_size: int, retry_rejects: bool, sha256: str | None) -> IngestReport:
    """Read records in chunks, parse the chunks in parallel on Dask, write one Parquet batch.

    One task, streaming: the archive never sits in memory as a whole, and chunks flow from reader to
    workers to writer (the library's `ingest`); `workers=0` parses in this process."""
    logger = get_run_logger()
    address = settings.dask_address(dask_address)
    if workers == 0 and not address:
        return ingest(source, data_dir, progress=_progress, chunk_size=chunk_size, catalog=False,
                      retry_rejects=retry_rejects, sha256=sha256)
    with dask_client(address, workers) as client:
        logger.info("parsing on Dask: %s", client.dashboard_link if address else f"{workers or 'auto'} local workers")
        return ingest(source, data_dir, client=client, progress=_progress, chunk_size=chunk_size,
                      catalog=False, retry_rejects=retry_rejects, sha256=sha256)


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
) -> dict:
    """Ingest `source` (default: the bundled sample archive) into `data_dir`; returns the report as a dict."""
    logger = get_run_logger()
    data = str(settings.data_dir(data_dir))
    fetch_source(source, data, sha256)  # the download happens here; the next step finds it cached
    report = parse_and_write(source, data, dask_address, workers, chunk_size, retry_rejects, sha256)
    catalog_path = catalog(data)
    logger.info(report.summary())
    create_markdown_artifact(key="ingest-report", markdown=_markdown(report, catalog_path),
                             description="records read and where each went")
    if not report.balanced:
        raise RuntimeError(f"ingest check failed (counts or stored tables): {report.summary()}")
    return report.as_dict()


def _markdown(report: IngestReport, catalog_path: str) -> str:
    rows = [("records read", report.records_read), ("new songs", report.songs_new),
            ("duplicates (source kept)", report.duplicates), ("rejected", report.rejected),
            ("already ingested", report.skipped)]
    table = "\n".join(f"| {k} | {v} |" for k, v in rows)
    return (f"# Ingest of `{report.source}`\n\n| | records |\n|---|---|\n{table}\n\n"
            f"Rejects by stage: {report.rejects_by_stage or 'none'}\n\nCatalog: `{catalog_path}`\n"
            + "".join(f"\n**Stored corpus damaged**: {p}\n" for p in report.stored_problems))


def run_ingest_flow(progress=None, **params) -> IngestReport:
    """Run the flow in this process with a progress callback; returns the IngestReport."""
    global _progress_hook
    _progress_hook = progress
    try:
        result = ingest_flow(**params)
    finally:
        _progress_hook = None
    return report_from_dict(result)


def report_from_dict(d: dict) -> IngestReport:
    return IngestReport(source=d["source"], batch=d["batch"], records_read=d["records_read"],
                        skipped=d["skipped"], songs_new=d["songs_new"], duplicates=d["duplicates"],
                        rejects_by_stage=d["rejects_by_stage"], rows=d["rows"], timings=d["timings"],
                        workers=d["workers"], files=d["files"],
                        stored_problems=d.get("stored_problems", []), debris_removed=d.get("debris_removed", []))


if __name__ == "__main__":
    print(ingest_flow())
