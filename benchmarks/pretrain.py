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
    parser.add_argument("--scores", default="music21:bach", help="comma-separated score sources (default music21:bach)")
    parser.add_argument("--config", default="tiny", choices=["tiny", "small", "base"])
    parser.add_argument("--pretrain-steps", type=int, default=300)
    parser.add_argument("--finetune-steps", type=int, default=300, help="steps of (a), and of (b)'s fine-tuning")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="Dask workers for ingest (0: in process)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", help="also write the results to this JSON file")
    args = parser.parse_args()

    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    data = Path(args.data_dir or tempfile.mkdtemp(prefix="beepbrain-pretrain-"))
    data.mkdir(parents=True, exist_ok=True)
    timings: dict[str, float] = {}

    t0 = time.perf_counter()
    reports = ingest_all(data, [None, *args.scores.split(",")], args.workers)
    timings["ingest_s"] = time.perf_counter() - t0

    from beepbrain.tokens.dataset import build_dataset

    t0 = time.perf_counter()
    beepbox = build_dataset(data, "beepbox", where="fork IN ('beepbox', 'jummbox')", use_dask=False,
                            val_fraction=0.05, test_fraction=0.1)
    scores = build_dataset(data, "scores", where="fork = 'music21'", use_dask=False,
                           val_fraction=0.02, test_fraction=0.02)
    timings["datasets_s"] = time.perf_counter() - t0
    for m in (beepbox, scores):
        print(f"dataset {m['name']}: " + ", ".join(f"{s} {c['songs']} songs / {c['tokens']:,} tokens"
                                                   for s, c in m["splits"].items()), flush=True)

    common = dict(data_dir=str(data), model=args.config, batch_size=args.batch_size, seed=args.seed,
                  eval_interval=0, eval_batches=4, checkpoint_interval=0, log_interval=50)
    from beepbrain.train import TrainConfig, train

    t0 = time.perf_counter()
    scratch = train(TrainConfig(dataset="beepbox", max_steps=args.finetune_steps, **common))
    timings["train_a_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    pretrained = train(TrainConfig(dataset="scores", max_steps=args.pretrain_steps, **common))
    timings["pretrain_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    tuned = train(TrainConfig(dataset="beepbox", max_steps=args.finetune_steps,
                              init_from=f"models:/beepbrain/{pretrained.model_version}", **common))
    timings["finetune_s"] = time.perf_counter() - t0

    from beepbrain import settings
    from beepbrain.generate.evaluate import load_split, model_bits_per_token
    from beepbrain.train.registry import load_model

    held_out = load_split(data / "datasets" / "beepbox", "test")
    uri = settings.tracking_uri(data)
    results = {}
    for label, run in (("a_beepbox_only", scratch), ("b_pretrained_then_finetuned", tuned),
                       ("c_pretrained_only", pretrained)):
        model, _, _ = load_model(f"models:/beepbrain/{run.model_version}", uri)
        results[label] = {"bits_per_token": model_bits_per_token(model, held_out), "run_id": run.run_id}
    vocab = beepbox["vocab_size"]
    out = {
        "config": args.config, "scores": args.scores, "pretrain_steps": args.pretrain_steps,
        "finetune_steps": args.finetune_steps, "batch_size": args.batch_size,
        "tokens_per_step": args.batch_size * 512,
        "held_out": {"songs": len(held_out.songs), "tokens": int(sum(len(s) for s in held_out.songs))},
        "datasets": {m["name"]: {split: {k: c[k] for k in ("songs", "tokens")} for split, c in m["splits"].items()}
                     for m in (beepbox, scores)},
        "ingest": [{k: r.as_dict()[k] for k in ("source", "records_read", "songs_new", "duplicates", "rejected")}
                   for r in reports],
        "results": results, "uniform_bits_per_token": math.log2(vocab), "timings": timings, "data_dir": str(data),
    }
    print()
    print(f"held-out BeepBox songs: {out['held_out']['songs']} songs, {out['held_out']['tokens']:,} tokens "
          f"(uniform guess: {out['uniform_bits_per_token']:.2f} bits/token)")
    print(f"{'model':34} {'bits/token':>10}")
    for label, r in results.items():
        print(f"{label:34} {r['bits_per_token']:10.3f}")
    print("timings: " + ", ".join(f"{k} {v:.0f}" for k, v in timings.items()))
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1))


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
