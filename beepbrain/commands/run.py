"""`beepbrain run`: the whole pipeline on this machine, offline: ingest the bundled sample, build a
dataset, train a small model, register it, generate songs, and say where everything is."""

from __future__ import annotations

import sys
import time


def register(subparsers) -> None:
    from beepbrain.generate.defaults import RUN_DEFAULTS as DEFAULTS

    p = subparsers.add_parser(
        "run",
        help="the main job: sample archive -> dataset -> model -> new songs, in a few minutes on CPU",
        description=__doc__.replace("\n", " ").split(": ", 1)[-1] if __doc__ else None,
    )
    p.add_argument("--data-dir", help="data directory (default $BEEPBRAIN_DATA_DIR or ./beepbrain-data)")
    p.add_argument("--source", help="archive source to ingest (default: the bundled sample archive)")
    p.add_argument(
        "--steps", type=int, default=DEFAULTS["steps"], help=f"training steps (default {DEFAULTS['steps']})"
    )
    p.add_argument(
        "--songs",
        type=int,
        default=DEFAULTS["songs"],
        help=f"songs to generate (default {DEFAULTS['songs']})",
    )
    p.add_argument(
        "--bars", type=int, default=DEFAULTS["bars"], help=f"bars per song (default {DEFAULTS['bars']})"
    )
    p.add_argument(
        "--config",
        default=DEFAULTS["config"],
        choices=("tiny", "small"),
        help=f"model size (default {DEFAULTS['config']})",
    )
    p.add_argument(
        "--dataset", default=DEFAULTS["dataset"], help=f"dataset name (default {DEFAULTS['dataset']})"
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--tracking-uri", help="MLflow tracking URI (default: the SQLite store in the data dir)")
    p.add_argument(
        "--workers", type=int, default=None, help="Dask workers for ingest (default: one per core)"
    )
    p.set_defaults(func=handle)


def handle(args) -> int:
    from beepbrain import settings
    from beepbrain.format.config import BAR_COUNT_MAX

    if args.steps < 1 or args.songs < 0 or not 1 <= args.bars <= BAR_COUNT_MAX:
        print(f"error: --steps >= 1, --songs >= 0, --bars in 1..{BAR_COUNT_MAX}", file=sys.stderr)
        return 2
    from beepbrain.archive.sources import check_source

    try:
        check_source(args.source)  # told before the pipeline starts, and never retried
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    settings.configure_prefect_env()
    data = settings.data_dir(args.data_dir)
    print(f"BeepBrain: the whole pipeline into {data} (Prefect local mode starts first)", flush=True)
    started = time.perf_counter()
    from flows.pipeline import pipeline_flow

    try:
        summary = pipeline_flow(
            data_dir=str(data),
            source=args.source,
            dataset=args.dataset,
            config=args.config,
            steps=args.steps,
            songs=args.songs,
            bars=args.bars,
            seed=args.seed,
            tracking_uri=args.tracking_uri,
            workers=args.workers,
        )
    except (FileNotFoundError, OSError, ValueError, RuntimeError) as exc:
        print(f"beepbrain run: {type(exc).__name__}: {exc}", file=sys.stderr)
        print(f"(what finished so far is kept in {data}; run again to retry)", file=sys.stderr)
        return 1
    print_summary(summary, time.perf_counter() - started)
    return 0


def print_summary(summary: dict, seconds: float) -> None:
    print(f"\nDone in {seconds / 60:.1f} min.\n")
    for i, row in enumerate(summary["songs"], 1):
        print(f"Song {i} (seed {row['seed']}): {row['url']}")
    print()
    rows = [
        ("data dir", summary["data_dir"]),
        ("corpus catalog", summary["catalog"] + "   (beepbrain query ...)"),
        ("dataset", summary["dataset"]),
        ("MLflow store", summary["tracking_uri"]),
        ("model", f"{summary['model_uri']}   (run {summary['run_id']})"),
        ("generated files", summary["generated_dir"] + "   (.json: BeepBox File > Import; .mid; .url)"),
        ("MLflow UI", summary["mlflow_ui"]),
    ]
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"{key:<{width}}  {value}")
    from beepbrain.generate.defaults import RUN_DEFAULTS

    print(
        "\nMore songs: beepbrain generate --data-dir "
        + summary["data_dir"]
        + f" --bars 16 --count 3 --temperature {RUN_DEFAULTS['temperature']} (add --tempo, --key, --instrument ...)"
    )
    print("How typical is a song: beepbrain score URL --data-dir " + summary["data_dir"])
    print("Measure the model: beepbrain evaluate --data-dir " + summary["data_dir"])
