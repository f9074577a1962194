"""`beepbrain evaluate`: held-out bits per token and musical statistics, against an n-gram baseline."""

from __future__ import annotations

import sys

DEFAULT_MODEL = "models:/beepbrain/latest"


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "evaluate",
        help="measure a trained model against held-out songs and a baseline",
        description=__doc__.splitlines()[0],
    )
    p.add_argument("--model", default=DEFAULT_MODEL, help=f"MLflow model URI (default {DEFAULT_MODEL})")
    p.add_argument("--dataset", help="dataset name under DATA_DIR/datasets (default: the model's own)")
    p.add_argument("--data-dir", help="data directory (default $BEEPBRAIN_DATA_DIR or ./beepbrain-data)")
    p.add_argument("--tracking-uri", help="MLflow tracking URI (default: the SQLite store in the data dir)")
    p.add_argument("--samples", type=int, default=8, help="songs to generate from each model (default 8)")
    p.add_argument("--max-bars", type=int, default=8, help="bars per generated song at most (default 8)")
    p.add_argument(
        "--max-tokens",
        type=int,
        default=200_000,
        help="tokens of each split to score at most (default 200000)",
    )
    p.add_argument(
        "--ngram-order",
        type=int,
        default=0,
        help="order of the n-gram baseline (default 0: the order 1-4 best on val)",
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--no-free",
        action="store_true",
        help="sample only with the grammar's musical constraints (default: each song also without them)",
    )
    p.add_argument("--no-log", action="store_true", help="do not write results to the model's MLflow run")
    p.set_defaults(func=handle)


def handle(args) -> int:
    from beepbrain import settings

    if args.samples < 0 or args.max_bars < 1 or args.max_tokens < 1 or args.ngram_order < 0:
        print("error: --samples, --ngram-order >= 0; --max-bars, --max-tokens >= 1", file=sys.stderr)
        return 2
    data = settings.data_dir(args.data_dir)
    tracking = settings.tracking_uri(data, args.tracking_uri)

    from beepbrain.commands._model import load_or_explain
    from beepbrain.generate.evaluate import evaluate, log_to_mlflow, plot
    from beepbrain.generate.sampling import SamplingConfig

    loaded, code = load_or_explain(args.model, tracking)
    if loaded is None:
        return code
    model, tokenizer, info = loaded
    name = args.dataset or info.get("manifest", {}).get("name")
    if not name:
        print("error: the model names no dataset; pass --dataset", file=sys.stderr)
        return 2
    from beepbrain.tokens.shards import is_dataset

    dataset_dir = data / "datasets" / name
    if not is_dataset(dataset_dir):
        print(f"error: no dataset {name!r} at {dataset_dir}", file=sys.stderr)
        return 2
    from beepbrain.embed.registry import NoEmbeddingModel, load_encoder

    try:
        encoder = load_encoder(tracking)
    except NoEmbeddingModel as exc:
        encoder = None
        print(f"note: {exc}; Fréchet distances skipped", flush=True)
    print(
        f"evaluating {args.model} (version {info.get('version')}, {info.get('params', 0):,} parameters) "
        f"on {dataset_dir}",
        flush=True,
    )
    result = evaluate(
        model,
        tokenizer,
        dataset_dir,
        samples=args.samples,
        max_bars=args.max_bars,
        max_tokens=args.max_tokens,
        ngram_order=args.ngram_order,
        sampling=SamplingConfig(temperature=1.0, top_p=1.0, seed=args.seed),
        progress=lambda msg: print(msg, flush=True),
        free=not args.no_free,
        embedder=encoder.model if encoder else None,
        embed_held_out=encoder.held_out if encoder else None,
        embed_version=encoder.version if encoder else None,
    )
    print()
    print(result.table())
    m = result.metrics
    scale = [
        f"{label} {m[f'scale_consistency_{label}']:.3f}"
        for label in ("free", "constrained", "test")
        if f"scale_consistency_{label}" in m
    ]
    if scale:
        print(
            "scale consistency (generated songs sampled free / with the constraints; test songs cut to the "
            "same bars): " + ", ".join(scale)
        )
    fds = {
        k: v
        for k, v in result.metrics.items()
        if k.startswith("fd_") and k not in ("fd_songs", "fd_patterns")
    }
    if fds:
        print(
            f"Fréchet distance of pattern vectors to the train split (each set at {result.metrics['fd_songs']:.0f} "
            f"songs, {result.metrics['fd_patterns']:.0f} patterns): "
            + ", ".join(f"{k[3:]} {v:.4f}" for k, v in fds.items())
        )
    out = data / "evaluation"
    image = plot(result, out / f"evaluation-v{info.get('version') or 'x'}.png")
    print(f"\nplot: {image}")
    if not args.no_log and info.get("run_id"):
        log_to_mlflow(result, info["run_id"], tracking, image)
        from beepbrain.generate.pianoroll import log_eval_piano_rolls

        rolls = log_eval_piano_rolls(
            tracking, info["run_id"], result.songs.get("model", []), result.songs.get("test", [])
        )
        print(f"logged to MLflow run {info['run_id']} ({tracking}), with {len(rolls)} piano rolls")
    return 0
