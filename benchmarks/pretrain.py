"""Does pretraining on imported scores help a model of BeepBox songs? Held-out BeepBox songs' bits per token for

  (a) a model trained on BeepBox songs only,
  (b) a model pretrained on scores (music21's corpus, converted through the MIDI importer), then fine-tuned on
      the same BeepBox songs with the same budget as (a) (``train --init-from``),
  (c) the pretrained model of (b) without fine-tuning,

with a uniform guess for reference. Everything runs in a fresh data directory: the bundled sample
archive and the scores are ingested, two datasets built with the same tokenizer (BeepBox songs:
``fork IN ('beepbox', 'jummbox')``; scores: ``fork = 'music21'``), three trainings run, and each model is scored
on the BeepBox dataset's test split (songs no training saw).

    python benchmarks/pretrain.py                                   # music21:bach, tiny, 300 + 300 steps
    python benchmarks/pretrain.py --scores music21:bach,music21:essenFolksong --config small \
        --pretrain-steps 2000 --finetune-steps 1000
"""

from __future__ import annotations

import argparse
import json
import math
import os
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", help="where to build everything (default: a new temporary folder)")
    parser.add_argument(
        "--scores", default="music21:bach", help="comma-separated score sources (default music21:bach)"
    )
    parser.add_argument("--config", default="tiny", choices=["tiny", "small", "base"])
    parser.add_argument("--pretrain-steps", type=int, default=300)
    parser.add_argument(
        "--finetune-steps", type=int, default=300, help="steps of (a), and of (b)'s fine-tuning"
    )
    parser.add_argument(
        "--finetune-lr",
        type=float,
        default=None,
        help="peak learning rate of (b)'s fine-tuning (default: the config's, as for (a))",
    )
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="Dask workers for ingest (0: in process)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", help="also write the results to this JSON file")
    parser.add_argument(
        "--rescore",
        action="store_true",
        help="only score again the models of an earlier run: needs its --data-dir and --json",
    )
    args = parser.parse_args()
    if args.rescore:
        if not (args.data_dir and args.json):
            parser.error("--rescore needs the earlier run's --data-dir and --json")
        out = json.loads(Path(args.json).read_text())
        runs = {label: r["run_id"] for label, r in out["results"].items()}
        out["results"] = score(Path(args.data_dir), runs)
        show(out)
        Path(args.json).write_text(json.dumps(out, indent=1))
        return

    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    data = Path(args.data_dir or tempfile.mkdtemp(prefix="beepbrain-pretrain-"))
    data.mkdir(parents=True, exist_ok=True)
    timings: dict[str, float] = {}

    t0 = time.perf_counter()
    reports = ingest_all(data, [None, *args.scores.split(",")], args.workers)
    timings["ingest_s"] = time.perf_counter() - t0

    from beepbrain.tokens.dataset import build_dataset

    t0 = time.perf_counter()
    beepbox = build_dataset(
        data,
        "beepbox",
        where="fork IN ('beepbox', 'jummbox')",
        use_dask=False,
        val_fraction=0.05,
        test_fraction=0.1,
    )
    scores = build_dataset(
        data, "scores", where="fork = 'music21'", use_dask=False, val_fraction=0.02, test_fraction=0.02
    )
    timings["datasets_s"] = time.perf_counter() - t0
    for m in (beepbox, scores):
        print(
            f"dataset {m['name']}: "
            + ", ".join(f"{s} {c['songs']} songs / {c['tokens']:,} tokens" for s, c in m["splits"].items()),
            flush=True,
        )

    common = dict(
        data_dir=str(data),
        model=args.config,
        batch_size=args.batch_size,
        seed=args.seed,
        eval_interval=0,
        eval_batches=4,
        checkpoint_interval=0,
        log_interval=50,
    )
    from beepbrain.model import CONFIGS
    from beepbrain.train import TrainConfig, train

    t0 = time.perf_counter()
    scratch = train(TrainConfig(dataset="beepbox", max_steps=args.finetune_steps, **common))
    timings["train_a_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    pretrained = train(TrainConfig(dataset="scores", max_steps=args.pretrain_steps, **common))
    timings["pretrain_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    tuned = train(
        TrainConfig(
            dataset="beepbox",
            max_steps=args.finetune_steps,
            lr=args.finetune_lr,
            init_from=f"models:/beepbrain/{pretrained.model_version}",
            **common,
        )
    )
    timings["finetune_s"] = time.perf_counter() - t0

    runs = {
        "a_beepbox_only": scratch.run_id,
        "b_pretrained_then_finetuned": tuned.run_id,
        "c_pretrained_only": pretrained.run_id,
    }
    out = {
        "config": args.config,
        "scores": args.scores,
        "pretrain_steps": args.pretrain_steps,
        "finetune_steps": args.finetune_steps,
        "finetune_lr": args.finetune_lr,
        "batch_size": args.batch_size,
        "tokens_per_step": args.batch_size * CONFIGS[args.config].block_size,
        "datasets": {
            m["name"]: {split: {k: c[k] for k in ("songs", "tokens")} for split, c in m["splits"].items()}
            for m in (beepbox, scores)
        },
        "ingest": [
            {k: r.as_dict()[k] for k in ("source", "records_read", "songs_new", "duplicates", "rejected")}
            for r in reports
        ],
        "uniform_bits_per_token": math.log2(beepbox["vocab_size"]),
        "timings": timings,
        "data_dir": str(data),
    }
    out["results"] = score(data, runs)
    show(out)
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1))


def score(data: Path, runs: dict[str, str]) -> dict:
    """Bits per token of each run's registered model on the BeepBox dataset's held-out splits (test, val)."""
    from mlflow.tracking import MlflowClient

    from beepbrain import settings
    from beepbrain.generate.evaluate import load_split, model_bits_per_token
    from beepbrain.train.registry import load_model

    uri = settings.tracking_uri(data)
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    splits = {split: load_split(data / "datasets" / "beepbox", split) for split in ("test", "val")}
    results = {}
    for label, run_id in runs.items():
        version = max(int(v.version) for v in client.search_model_versions(f"run_id='{run_id}'"))
        model, tokenizer, _ = load_model(f"models:/beepbrain/{version}", uri)
        results[label] = {"run_id": run_id, "model_version": version}
        for split, songs in splits.items():
            results[label][f"{split}_bits_per_token"] = model_bits_per_token(model, tokenizer, songs)
            results[label][f"{split}_held_out"] = {
                "songs": len(songs.songs),
                "tokens": int(sum(len(x) for x in songs.songs)),
            }
        # both splits together: every held-out token counts once (the model_bits_per_token weighting)
        r = results[label]
        weights = {split: r[f"{split}_held_out"]["tokens"] for split in splits}
        r["all_bits_per_token"] = sum(r[f"{split}_bits_per_token"] * w for split, w in weights.items()) / sum(
            weights.values()
        )
    return results


def show(out: dict) -> None:
    results = out["results"]
    first = next(iter(results.values()))
    print()
    print(
        f"held-out BeepBox songs: test {first['test_held_out']['songs']} songs / "
        f"{first['test_held_out']['tokens']:,} tokens, val {first['val_held_out']['songs']} songs / "
        f"{first['val_held_out']['tokens']:,} tokens (uniform guess: {out['uniform_bits_per_token']:.2f} bits/token)"
    )
    print(f"{'model':34} {'test bits/token':>16} {'val bits/token':>15} {'both':>8}")
    for label, r in results.items():
        print(
            f"{label:34} {r['test_bits_per_token']:16.3f} {r['val_bits_per_token']:15.3f} "
            f"{r['all_bits_per_token']:8.3f}"
        )
    print("timings: " + ", ".join(f"{k} {v:.0f}" for k, v in out.get("timings", {}).items()))


def ingest_all(data: Path, sources: list[str | None], workers: int):
    from beepbrain.corpus.cluster import dask_client
    from beepbrain.corpus.ingest import ingest

    reports = []
    if workers == 0:
        for source in sources:
            reports.append(ingest(source, data))
    else:
        with dask_client(None, workers) as client:
            for source in sources:
                reports.append(ingest(source, data, client=client))
    for source, report in zip(sources, reports, strict=True):
        print(f"ingest {source or 'sample'}: {report.summary().splitlines()[0]}", flush=True)
    return reports


if __name__ == "__main__":
    main()
