"""`beepbrain train`: train the transformer on a dataset, tracked in MLflow (or resume a run).

Multi-GPU: `torchrun --nproc_per_node N -m beepbrain.cli train ...` (DistributedDataParallel; rank 0 logs).
"""

from __future__ import annotations

import argparse
import sys


def register(subparsers) -> None:
    from beepbrain.train.config import TrainConfig  # its defaults are the options' (one place for each)

    p = subparsers.add_parser(
        "train", help="train the model on a dataset (MLflow-tracked)", description=__doc__.splitlines()[0]
    )
    p.add_argument("--data-dir", help="data directory (default $BEEPBRAIN_DATA_DIR or ./beepbrain-data)")
    p.add_argument("--dataset", help="dataset name under DATA_DIR/datasets (required unless --resume)")
    p.add_argument(
        "--config",
        default="tiny",
        choices=["tiny", "small", "base"],
        help="model size: tiny (CPU tests), small (CPU, minutes), base (86.3M with the pattern tokenizer, 90.9M with the tick one; GPU) (default tiny)",
    )
    p.add_argument("--max-steps", type=int, help="optimizer steps (default 2000; on --resume: the run's own)")
    p.add_argument(
        "--batch-size", type=int, default=8, help="windows per micro-batch per process (default 8)"
    )
    p.add_argument("--grad-accum", type=int, default=1, help="micro-batches per step (default 1)")
    p.add_argument("--lr", type=float, help="peak learning rate (default by config: 2e-3, 1e-3, 6e-4)")
    p.add_argument(
        "--warmup-steps", type=int, help="linear warm-up steps (default 5%% of steps, at most 200)"
    )
    p.add_argument(
        "--eval-interval", type=int, default=100, help="steps between validation losses (default 100)"
    )
    p.add_argument(
        "--eval-batches", type=int, default=10, help="validation batches per evaluation (default 10)"
    )
    p.add_argument(
        "--checkpoint-interval", type=int, default=200, help="steps between checkpoints (default 200)"
    )
    p.add_argument("--log-interval", type=int, default=10, help="steps between progress lines (default 10)")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N, mps (default auto)")
    p.add_argument("--compile", action="store_true", help="torch.compile the model (worth it on CUDA)")
    p.add_argument("--seed", type=int, default=0, help="seed for weights and data order (default 0)")
    p.add_argument("--tracking-uri", help="MLflow tracking URI (default: SQLite store in the data dir)")
    p.add_argument("--experiment", default="beepbrain", help="MLflow experiment (default beepbrain)")
    p.add_argument("--no-register", action="store_true", help="log the model but do not register it")
    p.add_argument("--resume", metavar="RUN_ID", help="continue this MLflow run from its last checkpoint")
    p.add_argument(
        "--init-from",
        metavar="MODEL_URI",
        help="start from this registered model's weights (models:/beepbrain/VERSION or "
        "models:/beepbrain/latest; same tokenizer and --config), e.g. to fine-tune a "
        "pretrained model; the run records it as its parent",
    )
    p.add_argument(
        "--fill",
        type=float,
        default=0.0,
        metavar="SHARE",
        help="share of training windows that are fill tasks (bars or a channel written anew, "
        "for `beepbrain fill`; pattern tokenizer) (default 0: songs only)",
    )
    p.add_argument(
        "--song-balance",
        type=float,
        default=TrainConfig.song_balance,
        metavar="B",
        help="how training windows are drawn: 0 every window alike (a long song counts once per window), "
        f"1 every song alike; between, a song of K windows gives each K**-B (default {TrainConfig.song_balance})",
    )
    p.add_argument(
        "--dropout",
        type=float,
        default=TrainConfig.dropout,
        metavar="P",
        help="dropout on what each attention and MLP block adds to the residual stream while training "
        f"(default {TrainConfig.dropout}; 0: none)",
    )
    p.add_argument(
        "--weight-decay",
        type=float,
        default=TrainConfig.weight_decay,
        metavar="WD",
        help=f"AdamW weight decay on the weight matrices (default {TrainConfig.weight_decay})",
    )
    p.add_argument(
        "--decision-weight",
        type=float,
        default=1.0,
        metavar="W",
        help="the loss's weight on each channel's per-bar decision (silent, a repeat, a new pattern) "
        "against 1 for every other token (pattern tokenizer; default 1)",
    )
    p.add_argument(
        "--channel-embedding",
        action="store_true",
        help="give the model each token's channel (an embedding read from the stream; pattern tokenizer; "
        "off by default: it scored worse at the main job's budget, docs/train.md)",
    )
    p.add_argument(
        "--recall",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="tell each position what the channel whose bar item comes next did in its last bar item "
        "(silent, sounding, unseen; pattern tokenizer; on by default, docs/train.md)",
    )
    p.add_argument(
        "--recall-pattern",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="with --recall, also show which pattern that item played (the REF token that repeats it; "
        "on by default, docs/train.md)",
    )
    p.add_argument(
        "--recall-kind",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="with --recall, its embedding also tells a drum channel's item from a pitch channel's "
        "(on by default, docs/train.md)",
    )
    p.add_argument(
        "--note-end",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="after each pin of a note, show the model the position token where the note then ends and "
        "the beats its bar has left (where the next note may start; pattern tokenizer; on by default, "
        "docs/train.md)",
    )
    p.set_defaults(func=handle)


def handle(args) -> int:
    if not args.dataset and not args.resume:
        print("error: --dataset is required (or --resume RUN_ID)", file=sys.stderr)
        return 2
    from beepbrain.train import TrainConfig, train

    try:
        config = TrainConfig(
            dataset=args.dataset or "",
            data_dir=args.data_dir,
            model=args.config,
            max_steps=args.max_steps,
            batch_size=args.batch_size,
            grad_accum=args.grad_accum,
            lr=args.lr,
            warmup_steps=args.warmup_steps,
            eval_interval=args.eval_interval,
            eval_batches=args.eval_batches,
            checkpoint_interval=args.checkpoint_interval,
            log_interval=args.log_interval,
            device=args.device,
            compile=args.compile,
            seed=args.seed,
            tracking_uri=args.tracking_uri,
            experiment=args.experiment,
            register=not args.no_register,
            resume=args.resume,
            init_from=args.init_from,
            fill=args.fill,
            song_balance=args.song_balance,
            decision_weight=args.decision_weight,
            dropout=args.dropout,
            weight_decay=args.weight_decay,
            channel_embedding=args.channel_embedding,
            recall=args.recall,
            note_end=args.note_end,
            recall_pattern=args.recall_pattern,
            recall_kind=args.recall_kind,
        )
        result = train(config)
    except (FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if result.run_id is None:  # a torchrun worker other than rank 0: rank 0 reports
        return 0
    loss = (
        "n/a" if result.train_loss is None else f"{result.train_loss:.4f}"
    )  # a resumed run with nothing left
    print(
        f"run {result.run_id}: step {result.step}, train_loss {loss}"
        + (f", val_loss {result.val_loss:.4f}" if result.val_loss is not None else "")
        + (f", model beepbrain version {result.model_version}" if result.model_version else "")
    )
    return 0
