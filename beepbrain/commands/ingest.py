"""`beepbrain ingest`: the archive (or any source) into the corpus, through the Prefect flow by default."""

from __future__ import annotations

import argparse
import json
import sys


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "ingest",
        help="ingest an archive source into the corpus (Parquet + DuckDB)",
        description="Read an archive source, parse every song (in parallel on Dask), store Parquet tables and "
        "the DuckDB catalog. Re-runs add only records not ingested before.",
    )
    p.add_argument(
        "--source",
        default=None,
        help="`archive` (the BeepBox Archive's dump on archive.org), an http(s) URL, "
        ".jsonl/.jsonl.zst file, text file of song URLs, raw twitter-archive folder, "
        "a folder of .mid/.midi files (each converted to a song; fork 'midi'), or "
        "music21[:SUBSET] for the scores bundled with music21 (fork 'music21'; needs "
        "pip install 'beepbrain[scores]') (default: the bundled sample archive)",
    )
    p.add_argument(
        "--data-dir", default=None, help="data directory (default: $BEEPBRAIN_DATA_DIR or ./beepbrain-data)"
    )
    p.add_argument(
        "--dask-address",
        default=None,
        help="Dask scheduler to use (default: $BEEPBRAIN_DASK_ADDRESS, else a LocalCluster)",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=None,
        help="LocalCluster worker processes (default: one per core; 0 parses in this process)",
    )
    p.add_argument("--chunk-size", type=int, default=None, help="records per parse task (default 500)")
    p.add_argument("--sha256", default=None, help="expected sha256 of a downloaded source")
    p.add_argument(
        "--retry-rejects",
        action="store_true",
        help="parse records that earlier runs rejected again (after a decoder upgrade)",
    )
    p.add_argument(
        "--no-prefect", action="store_true", help="run the library directly, without the Prefect flow"
    )
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    from beepbrain import settings
    from beepbrain.archive.sources import check_source
    from beepbrain.commands._progress import IngestProgress

    source = args.source
    try:
        check_source(source)  # bad input is told here, before any flow starts (and is never retried)
    except FileNotFoundError as exc:
        print(f"beepbrain ingest: {exc}", file=sys.stderr)
        return 2
    data_dir = settings.data_dir(args.data_dir)
    options = {"chunk_size": args.chunk_size, "sha256": args.sha256, "retry_rejects": args.retry_rejects}
    options = {k: v for k, v in options.items() if v not in (None, False)}
    try:
        with IngestProgress(enabled=not args.json) as progress:
            if args.no_prefect:
                report = _run_library(source, data_dir, args, progress, options)
            else:
                settings.configure_prefect_env()
                from flows.ingest import run_ingest_flow

                report = run_ingest_flow(
                    source=None if source is None else str(source),
                    data_dir=str(data_dir),
                    dask_address=args.dask_address,
                    workers=args.workers,
                    progress=progress,
                    **options,
                )
    except (FileNotFoundError, OSError, ValueError, RuntimeError) as exc:
        print(f"beepbrain ingest: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(report.as_dict(), indent=1))
    else:
        print(report.summary())
        print(f"catalog: {data_dir / 'corpus.duckdb'}  (try: beepbrain query --name corpus_stats)")
    return 0 if report.balanced else 2


def _run_library(source, data_dir, args, progress, options):
    from beepbrain import settings
    from beepbrain.corpus.cluster import dask_client
    from beepbrain.corpus.ingest import ingest

    address = settings.dask_address(args.dask_address)
    if args.workers == 0 and not address:
        return ingest(source, data_dir, progress=progress, **options)
    with dask_client(address, args.workers) as client:
        return ingest(source, data_dir, client=client, progress=progress, **options)
