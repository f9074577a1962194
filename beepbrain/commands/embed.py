"""`beepbrain embed`: pattern and song vectors for the catalog (training the encoder first if needed)."""

from __future__ import annotations

import argparse
import json
import sys


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "embed",
        help="vectors for every catalog song's patterns (trains the embedding model if needed)",
        description="Train and register the pattern encoder (beepbrain-embed) when none is registered or on "
        "--retrain, then compute vectors for the catalog songs not embedded yet (on Dask) into "
        "Parquet, with the DuckDB views pattern_embeddings and song_embeddings.",
    )
    p.add_argument(
        "--data-dir", default=None, help="data directory (default: $BEEPBRAIN_DATA_DIR or ./beepbrain-data)"
    )
    p.add_argument("--retrain", action="store_true", help="train and register a new embedding model first")
    p.add_argument("--steps", type=int, default=None, help="training steps (default 120)")
    p.add_argument(
        "--batch-size", type=int, default=None, help="pattern pairs per training step (default 128)"
    )
    p.add_argument("--max-seconds", type=float, default=None, help="stop training after this many seconds")
    p.add_argument(
        "--tracking-uri", default=None, help="MLflow tracking URI (default: the SQLite store in the data dir)"
    )
    p.add_argument(
        "--dask-address",
        default=None,
        help="Dask scheduler (default: $BEEPBRAIN_DASK_ADDRESS, else a LocalCluster)",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=None,
        help="LocalCluster worker processes (default: one per core; 0 works in this process)",
    )
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    from beepbrain import settings
    from beepbrain.commands._progress import IngestProgress

    for name in ("steps", "batch_size", "max_seconds"):
        value = getattr(args, name)
        if value is not None and value <= 0:
            print(f"beepbrain embed: --{name.replace('_', '-')} must be positive", file=sys.stderr)
            return 2
    if args.workers is not None and args.workers < 0:
        print("beepbrain embed: --workers must be >= 0", file=sys.stderr)
        return 2
    data = settings.data_dir(args.data_dir)
    if not (data / "corpus.duckdb").exists():
        print(
            f"beepbrain embed: no corpus catalog at {data / 'corpus.duckdb'}; run `beepbrain ingest` first",
            file=sys.stderr,
        )
        return 2
    train_config = {
        k: v
        for k, v in (
            ("steps", args.steps),
            ("batch_size", args.batch_size),
            ("max_seconds", args.max_seconds),
        )
        if v is not None
    }
    settings.configure_prefect_env()
    from flows.embed import embed_flow

    try:
        with IngestProgress(enabled=not args.json) as progress:
            report = embed_flow(
                progress=progress,
                data_dir=str(data),
                retrain=args.retrain,
                train_config=train_config,
                tracking_uri=args.tracking_uri,
                dask_address=args.dask_address,
                workers=args.workers,
            )
    except (FileNotFoundError, ValueError, LookupError) as exc:
        print(f"beepbrain embed: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(report, indent=1, default=str))
        return 0
    from beepbrain.embed.job import EmbedReport

    trained = report.pop("trained")
    if trained:
        print(
            f"trained beepbrain-embed version {trained['version']}: {trained['steps']} steps on "
            f"{trained['patterns']:,} patterns in {trained['seconds']:.0f}s, loss {trained['final_loss']:.3f} "
            f"(MLflow run {trained['run_id']}); {trained.get('held_out_songs', 0):,} songs held out "
            "(every dataset's val and test songs: evaluate's Fréchet distance measures songs it never saw)"
        )
    print(EmbedReport(**report).summary())
    print(
        f"views pattern_embeddings, song_embeddings in {data / 'corpus.duckdb'}  "
        "(try: beepbrain similar SONG)"
    )
    return 0
