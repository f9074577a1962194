"""`beepbrain dataset`: build token datasets from the corpus, and measure what tokenization loses."""

from __future__ import annotations

import argparse
import json
import sys

DATA_DIR_HELP = "data directory (default: $BEEPBRAIN_DATA_DIR or ./beepbrain-data)"
WHERE_HELP = 'SQL predicate on the catalog\'s songs table, e.g. "rhythm = 1 AND noise_channels > 0"'


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "dataset", help="build token datasets; tokenization statistics", description=__doc__
    )
    sub = p.add_subparsers(dest="dataset_command", metavar="ACTION")
    sub.required = True

    build = sub.add_parser(
        "build",
        help="tokenize catalog songs into DATA_DIR/datasets/NAME",
        description="Select songs from the catalog, split them train/val/test by content, "
        "tokenize them in parallel on Dask and write token shards.",
    )
    build.add_argument("--data-dir", default=None, help=DATA_DIR_HELP)
    build.add_argument("--name", required=True, help="dataset name (a folder under DATA_DIR/datasets)")
    build.add_argument("--where", default=None, help=WHERE_HELP)
    build.add_argument(
        "--augment-transpose",
        type=int,
        default=0,
        metavar="N",
        help="add train copies in keys +-1..N semitones away (pattern tokenizer: the KEY changes, the "
        "notes stay relative to it; tick: the notes move where they stay in range) (0-12)",
    )
    build.add_argument(
        "--augment-octaves",
        type=int,
        default=0,
        metavar="N",
        help="add train copies with the pitch channels moved +-1..N octaves where they stay in range (0-3)",
    )
    build.add_argument(
        "--augment-channels",
        type=int,
        default=0,
        metavar="N",
        help="add up to N train copies of each song with its pitch channels reordered or a "
        "channel left out (0-8)",
    )
    build.add_argument(
        "--tokenizer",
        default="pattern",
        choices=("pattern", "tick"),
        help="pattern: header, patterns and bar sequence (default); tick: channels interleaved tick by tick",
    )
    build.add_argument("--val-fraction", type=float, default=0.05, help="share of songs for validation")
    build.add_argument("--test-fraction", type=float, default=0.05, help="share of songs for test")
    build.add_argument(
        "--ticks-per-beat", type=int, default=12, help="tick tokenizer: model ticks per beat (divides 24)"
    )
    build.add_argument(
        "--dask-address",
        default=None,
        help="Dask scheduler (default: $BEEPBRAIN_DASK_ADDRESS, else a LocalCluster)",
    )
    build.add_argument(
        "--workers",
        type=int,
        default=None,
        help="LocalCluster worker processes (default: one per core; 0 tokenizes in this process)",
    )
    build.add_argument("--chunk-size", type=int, default=64, help="songs per tokenize task")
    build.add_argument("--overwrite", action="store_true", help="replace an existing dataset of that name")
    build.add_argument("--no-prefect", action="store_true", help="run the library directly, without the flow")
    build.add_argument(
        "--then-train",
        default=None,
        choices=("tiny", "small", "base"),
        metavar="CONFIG",
        help="then trigger the train flow on this dataset with model CONFIG (tiny, small, base)",
    )
    build.add_argument("--train-steps", type=int, default=None, help="training steps with --then-train")
    build.add_argument("--tracking-uri", default=None, help="MLflow tracking URI with --then-train")
    build.add_argument("--json", action="store_true", help="print the manifest as JSON")
    build.set_defaults(func=handle_build)

    stats = sub.add_parser(
        "stats",
        help="what the tokenizer keeps and loses over the corpus",
        description="Tokenize songs (the catalog's, or a file's) and report the loss "
        "counters, token counts and chord-shape coverage.",
    )
    stats.add_argument("--data-dir", default=None, help=DATA_DIR_HELP)
    stats.add_argument("--where", default=None, help=WHERE_HELP)
    stats.add_argument(
        "--source",
        default=None,
        help="read songs from a .jsonl/.jsonl.zst archive file or a text file of song strings "
        "instead of the catalog",
    )
    stats.add_argument(
        "--tokenizer",
        default="pattern",
        choices=("pattern", "tick"),
        help="the tokenizer to measure (default: pattern)",
    )
    stats.add_argument(
        "--ticks-per-beat", type=int, default=12, help="tick tokenizer: model ticks per beat (divides 24)"
    )
    stats.add_argument(
        "--dask", action="store_true", help="tokenize on Dask (a LocalCluster or --dask-address)"
    )
    stats.add_argument("--dask-address", default=None, help="Dask scheduler to use with --dask")
    stats.add_argument("--json", action="store_true", help="print the figures as JSON")
    stats.set_defaults(func=handle_stats)

    info = sub.add_parser("info", help="summary of a built dataset")
    info.add_argument("name", help="dataset name, or a dataset directory")
    info.add_argument("--data-dir", default=None, help=DATA_DIR_HELP)
    info.add_argument("--json", action="store_true", help="print the manifest as JSON")
    info.set_defaults(func=handle_info)


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def summary(manifest: dict) -> str:
    kind = manifest.get("tokenizer_kind", "tick")
    tpb = manifest.get("ticks_per_beat")  # the tick grid, where the tokenizer has one (None: none)
    grid = f", {tpb} ticks per beat" if tpb else ""
    lines = [
        f"dataset {manifest['name']}: {kind} tokenizer, vocabulary {manifest['vocab_size']}{grid}, "
        f"created {manifest['created']}"
    ]
    for split, info in manifest["splits"].items():
        extra = f" (+{info['augmented_songs']} augmented)" if info.get("augmented_songs") else ""
        lines.append(
            f"  {split:<5} {info['songs']:>7,} songs{extra} {info['tokens']:>12,} tokens "
            f"{info['bars']:>9,} bars"
        )
    lines.append(
        f"  selected {manifest['songs_selected']:,}, rejected {manifest['songs_rejected']:,}, "
        f"silent (no note, left out) {manifest.get('songs_silent', 0):,}, duplicates dropped {manifest['duplicates_dropped']:,}"
    )
    losses = manifest["losses"]
    if losses.get("notes"):
        lines.append(
            f"  notes {losses['notes']:,}: exact {losses['notes_exact']:,} "
            f"({100 * losses['notes_exact'] / losses['notes']:.2f}%), altered {losses['notes_altered']:,}, "
            f"dropped {losses['notes_dropped']:,}"
        )
    if manifest.get("sql"):
        lines.append(f"  sql: {manifest['sql']}")
    if manifest.get("training"):
        t = manifest["training"]
        lines.append(
            f"  trained: run {t.get('run_id')}, step {t.get('step')}, model version {t.get('model_version')}"
        )
    return "\n".join(lines)


def _tokenizer(args: argparse.Namespace):
    """The tokenizer the options ask for (``--ticks-per-beat`` applies to the tick tokenizer only)."""
    from beepbrain.tokens.load import new_tokenizer

    if args.tokenizer == "tick":
        return new_tokenizer("tick", ticks_per_beat=args.ticks_per_beat)
    if args.ticks_per_beat != 12:
        raise ValueError(
            "--ticks-per-beat applies to --tokenizer tick only (the pattern tokenizer keeps "
            "BeepBox's 24 parts per beat)"
        )
    return new_tokenizer("pattern")


def check_build(data_dir, name: str, where: str | None, overwrite: bool) -> None:
    """What can be told about a build request before it starts: the name, an existing dataset, a missing
    catalog, a --where that does not parse (a bad request fails here, never inside a flow)."""
    import duckdb

    from beepbrain.corpus.catalog import catalog_path
    from beepbrain.tokens.dataset import dataset_dir

    out_dir = dataset_dir(data_dir, name)
    if out_dir.exists() and not overwrite:
        raise FileExistsError(f"dataset {out_dir} exists (--overwrite replaces it)")
    if not catalog_path(data_dir).exists():
        raise FileNotFoundError(
            f"no corpus catalog at {catalog_path(data_dir)}; run `beepbrain ingest` first"
        )
    if where and where.strip():
        try:
            duckdb.extract_statements(f"SELECT 1 FROM songs WHERE ({where})")
        except duckdb.Error as exc:
            raise ValueError(f"--where is not a SQL predicate: {str(exc).splitlines()[0]}") from None
        from beepbrain.corpus.readonly import open_read_only

        with open_read_only(data_dir) as con:  # binds the predicate (unknown columns, types), reads no rows
            try:
                con.execute(f"SELECT 1 FROM songs WHERE ({where}) LIMIT 0").fetchall()
            except duckdb.Error as exc:
                raise ValueError(f"--where: {str(exc).splitlines()[0]}") from None


def handle_build(args: argparse.Namespace) -> int:
    from beepbrain import settings

    data_dir = settings.data_dir(args.data_dir)
    if args.then_train and args.no_prefect:
        print(
            "beepbrain dataset build: --then-train runs the train flow; drop --no-prefect "
            "(or run `beepbrain train` afterwards)",
            file=sys.stderr,
        )
        return 2
    try:
        tokenizer = _tokenizer(args)
        check_build(data_dir, args.name, args.where, args.overwrite)  # before any flow starts
        if args.no_prefect:
            from beepbrain.tokens.dataset import build_dataset

            address = settings.dask_address(args.dask_address)
            manifest = build_dataset(
                data_dir,
                args.name,
                where=args.where,
                augment_transpose=args.augment_transpose,
                augment_channels=args.augment_channels,
                augment_octaves=args.augment_octaves,
                tokenizer=tokenizer,
                val_fraction=args.val_fraction,
                test_fraction=args.test_fraction,
                dask_address=address,
                use_dask=args.workers != 0 or bool(address),
                workers=args.workers or None,
                chunk_size=args.chunk_size,
                overwrite=args.overwrite,
                progress=_say,
            )
        else:
            settings.configure_prefect_env()
            from flows.dataset import build_dataset_flow

            manifest = build_dataset_flow(
                data_dir=str(data_dir),
                name=args.name,
                where=args.where,
                augment_transpose=args.augment_transpose,
                augment_channels=args.augment_channels,
                augment_octaves=args.augment_octaves,
                tokenizer=args.tokenizer,
                ticks_per_beat=args.ticks_per_beat,
                val_fraction=args.val_fraction,
                test_fraction=args.test_fraction,
                dask_address=args.dask_address,
                workers=args.workers,
                chunk_size=args.chunk_size,
                overwrite=args.overwrite,
                train_config=args.then_train,
                train_steps=args.train_steps,
                tracking_uri=args.tracking_uri,
            )
    except (FileNotFoundError, FileExistsError, ValueError) as exc:
        print(f"beepbrain dataset build: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(manifest, indent=1) if args.json else summary(manifest))
    return 0


def handle_stats(args: argparse.Namespace) -> int:
    from beepbrain import settings
    from beepbrain.tokens.stats import corpus_stats, format_stats, read_song_strings

    try:
        config = _tokenizer(args)
        if args.source:
            if args.where:
                raise ValueError("--where selects catalog songs; it does not apply to --source")
            items = list(read_song_strings(args.source))
        else:
            from beepbrain.tokens.dataset import select_songs

            items, _sql, _version = select_songs(settings.data_dir(args.data_dir), args.where)
        _say(f"tokenizing {len(items)} songs")
        stats = corpus_stats(
            items, config, use_dask=args.dask, dask_address=settings.dask_address(args.dask_address)
        )
    except (FileNotFoundError, ValueError, OSError) as exc:
        print(f"beepbrain dataset stats: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(stats, indent=1) if args.json else format_stats(stats))
    return 0


def handle_info(args: argparse.Namespace) -> int:
    from pathlib import Path

    from beepbrain import settings
    from beepbrain.tokens.shards import is_dataset, read_manifest

    path = Path(args.name)
    if not is_dataset(path):
        path = settings.data_dir(args.data_dir) / "datasets" / args.name
    if not is_dataset(path):
        print(f"beepbrain dataset info: no dataset at {path}", file=sys.stderr)
        return 2
    manifest = read_manifest(path)
    print(json.dumps(manifest, indent=1) if args.json else summary(manifest))
    return 0
