"""Does pretraining on imported scores help a model of BeepBox songs? Bits per note (and per token) of
unseen BeepBox songs, with the pattern tokenizer, for

  (a) a model trained on BeepBox songs only, for PRETRAIN + FINETUNE steps,
  (b) a model pretrained on scores for PRETRAIN steps, then fine-tuned on the same BeepBox songs for
      FINETUNE steps (``train --init-from``),
  (c) the pretrained model of (b) without fine-tuning (PRETRAIN steps, no BeepBox song seen),

so (a) and (b) get the same budget: as many optimizer steps of as many tokens (batch size x the config's
context), (a)'s all on BeepBox songs. The defaults are the main job's (``beepbrain run``,
``beepbrain.generate.defaults.RUN_DEFAULTS``): the tiny config, 800 steps of 8 x 512 tokens for (a) (400 + 400
for (b)), a quarter of the BeepBox trainings' windows fill tasks (``--fill``, ``TrainConfig.fill``: (a)'s
whole training and (b)'s fine-tuning; the scores pretraining is song windows only unless ``--pretrain-fill``).
Each schedule (warmup, cosine decay) spans its own training: (a)'s its 800 steps, (b)'s pretraining and
fine-tuning one each.

Everything runs in a fresh data directory: the bundled sample archive and the scores are ingested, two
datasets built with the pattern tokenizer (BeepBox songs: ``fork IN ('beepbox', 'jummbox')``; scores:
``fork IN ('music21', 'midi')``), and the three trainings run once per seed (``--seeds N``: seeds
0..N-1, ``TrainConfig.seed``; the pretraining is repeated per seed too). Each model is scored on the BeepBox
dataset's test and val splits (songs no training saw, split by content): every token with its song's
header and the patterns it names in view (``song_bits``), bits per note = the split's total bits / the
notes its songs play (``split_notes``). The table gives per model the mean over seeds with the spread
(standard deviation, min-max), and the paired difference (b) - (a) per seed.

Scores (``--scores``, comma-separated): ``music21`` (music21's whole bundled corpus), ``music21:SUBSET``
(one of its collections, the corpus's top folders: ``bach``, ``palestrina``, ... and the folk-song and
tune collections ``essenFolksong``, ``nottingham-dataset``, ``oneills1850``, ``ryansMammoth``,
``airdsAirs``, ``miscFolk``), or PATH, a folder of MIDI files (``.mid``/``.midi``, searched recursively)
or one MIDI file, as ``beepbrain ingest --source PATH`` reads it.

    python benchmarks/pretrain.py --data-dir /tmp/pretrain --json pretrain.json    # bach, tiny, 800 vs 400+400, 3 seeds
    python benchmarks/pretrain.py --scores music21:bach,music21:essenFolksong,~/midi --seeds 5
    python benchmarks/pretrain.py --data-dir /tmp/pretrain --json pretrain.json --rescore   # score again
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import tempfile
import time
from pathlib import Path

TOKENIZER = "pattern"  # the main job's (RUN_DEFAULTS["tokenizer"]); issue 21 item 5 measures with it
LABELS = ("a_beepbox_only", "b_pretrained_then_finetuned", "c_pretrained_only")
SPLITS = ("test", "val")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", help="where to build everything (default: a new temporary folder)")
    parser.add_argument(
        "--scores",
        default="music21:bach",
        help="comma-separated score sources: music21[:SUBSET] or a MIDI folder/file (default music21:bach)",
    )
    parser.add_argument("--config", default="tiny", choices=["tiny", "small", "base"])
    parser.add_argument("--pretrain-steps", type=int, default=400, help="steps of (b)'s pretraining, and (c)")
    parser.add_argument(
        "--finetune-steps",
        type=int,
        default=400,
        help="steps of (b)'s fine-tuning; (a) trains pretrain + finetune steps",
    )
    parser.add_argument(
        "--finetune-lr",
        type=float,
        default=None,
        help="peak learning rate of (b)'s fine-tuning (default: the config's, as for (a))",
    )
    parser.add_argument(
        "--fill",
        type=float,
        default=0.25,
        help="share of fill-task windows in the BeepBox trainings ((a), (b)'s fine-tuning; the main job's 0.25)",
    )
    parser.add_argument(
        "--pretrain-fill",
        type=float,
        default=0.0,
        help="share of fill-task windows in the scores pretraining",
    )
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--seeds", type=int, default=3, help="repeat the trainings for seeds 0..N-1")
    parser.add_argument("--workers", type=int, default=2, help="Dask workers for ingest (0: in process)")
    parser.add_argument(
        "--reuse-data",
        action="store_true",
        help="use the datasets an earlier run built in --data-dir (no ingest, no dataset build)",
    )
    parser.add_argument("--json", help="also write the results to this JSON file")
    parser.add_argument(
        "--rescore",
        action="store_true",
        help="only score again the models of an earlier run: needs its --data-dir and --json",
    )
    args = parser.parse_args()
    if args.seeds < 1:
        parser.error("--seeds must be at least 1")
    if args.rescore:
        if not (args.data_dir and args.json):
            parser.error("--rescore needs the earlier run's --data-dir and --json")
        out = json.loads(Path(args.json).read_text())
        out["results"], out["held_out"] = score(Path(args.data_dir), earlier_runs(out))
        out["summary"] = summarize(out["results"])
        show(out)
        Path(args.json).write_text(json.dumps(out, indent=1))
        return

    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    if args.reuse_data and not args.data_dir:
        parser.error("--reuse-data needs the earlier run's --data-dir")
    data = Path(args.data_dir or tempfile.mkdtemp(prefix="beepbrain-pretrain-"))
    data.mkdir(parents=True, exist_ok=True)
    timings: dict[str, float] = {}

    from beepbrain.tokens.dataset import build_dataset
    from beepbrain.tokens.load import new_tokenizer
    from beepbrain.tokens.shards import read_manifest

    reports = []
    if args.reuse_data:
        beepbox, scores = (read_manifest(data / "datasets" / name) for name in ("beepbox", "scores"))
        print(f"reusing the datasets in {data / 'datasets'} (no ingest)", flush=True)
    else:
        t0 = time.perf_counter()
        sources = [os.path.expanduser(s.strip()) for s in args.scores.split(",") if s.strip()]
        reports = ingest_all(data, [None, *sources], args.workers)
        timings["ingest_s"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        beepbox = build_dataset(
            data,
            "beepbox",
            where="fork IN ('beepbox', 'jummbox')",
            tokenizer=new_tokenizer(TOKENIZER),
            use_dask=False,
            val_fraction=0.05,
            test_fraction=0.1,
        )
        scores = build_dataset(
            data,
            "scores",
            where="fork IN ('music21', 'midi')",
            tokenizer=new_tokenizer(TOKENIZER),
            use_dask=False,
            val_fraction=0.02,
            test_fraction=0.02,
        )
        timings["datasets_s"] = time.perf_counter() - t0
    for m in (beepbox, scores):
        if m.get("tokenizer_kind") != TOKENIZER:
            raise SystemExit(
                f"dataset {m['name']} has a {m.get('tokenizer_kind')} tokenizer, not {TOKENIZER}"
            )
        print(
            f"dataset {m['name']} ({m['tokenizer_kind']} tokenizer, vocabulary {m['vocab_size']}): "
            + ", ".join(f"{s} {c['songs']} songs / {c['tokens']:,} tokens" for s, c in m["splits"].items()),
            flush=True,
        )

    from beepbrain.model import CONFIGS
    from beepbrain.train import TrainConfig, train

    steps = {
        "a_beepbox_only": args.pretrain_steps + args.finetune_steps,
        "b_pretrained_then_finetuned": args.pretrain_steps + args.finetune_steps,
        "c_pretrained_only": args.pretrain_steps,
    }
    runs: dict[str, list[tuple[int, str]]] = {label: [] for label in LABELS}
    for seed in range(args.seeds):
        common = dict(
            data_dir=str(data),
            model=args.config,
            batch_size=args.batch_size,
            seed=seed,
            eval_interval=0,
            eval_batches=4,
            checkpoint_interval=0,
            log_interval=50,
        )
        print(f"\nseed {seed}: (a) {steps['a_beepbox_only']} steps on BeepBox songs", flush=True)
        t0 = time.perf_counter()
        scratch = train(
            TrainConfig(dataset="beepbox", max_steps=steps["a_beepbox_only"], fill=args.fill, **common)
        )
        timings[f"seed{seed}_train_a_s"] = time.perf_counter() - t0
        print(f"seed {seed}: (b, c) pretraining {args.pretrain_steps} steps on scores", flush=True)
        t0 = time.perf_counter()
        pretrained = train(
            TrainConfig(dataset="scores", max_steps=args.pretrain_steps, fill=args.pretrain_fill, **common)
        )
        timings[f"seed{seed}_pretrain_s"] = time.perf_counter() - t0
        print(f"seed {seed}: (b) fine-tuning {args.finetune_steps} steps on BeepBox songs", flush=True)
        t0 = time.perf_counter()
        tuned = train(
            TrainConfig(
                dataset="beepbox",
                max_steps=args.finetune_steps,
                lr=args.finetune_lr,
                init_from=f"models:/beepbrain/{pretrained.model_version}",
                fill=args.fill,
                **common,
            )
        )
        timings[f"seed{seed}_finetune_s"] = time.perf_counter() - t0
        runs["a_beepbox_only"].append((seed, scratch.run_id))
        runs["b_pretrained_then_finetuned"].append((seed, tuned.run_id))
        runs["c_pretrained_only"].append((seed, pretrained.run_id))

    out = {
        "tokenizer": TOKENIZER,
        "vocab_size": beepbox["vocab_size"],
        "config": args.config,
        "scores": args.scores,
        "seeds": list(range(args.seeds)),
        "pretrain_steps": args.pretrain_steps,
        "finetune_steps": args.finetune_steps,
        "steps": steps,
        "finetune_lr": args.finetune_lr,
        "fill": args.fill,
        "pretrain_fill": args.pretrain_fill,
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
        "data_dir": str(data),
        "reused_data": args.reuse_data,
    }
    t0 = time.perf_counter()
    out["results"], out["held_out"] = score(data, runs)
    timings["score_s"] = time.perf_counter() - t0
    out["timings"] = timings
    out["summary"] = summarize(out["results"])
    show(out)
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1))


def earlier_runs(out: dict) -> dict[str, list[tuple[int, str]]]:
    """(seed, run id) per model of an earlier run's JSON (also of the one-seed shape before --seeds)."""
    runs = {}
    for label, r in out["results"].items():
        if "per_seed" in r:
            runs[label] = [(s["seed"], s["run_id"]) for s in r["per_seed"]]
        else:
            runs[label] = [(out.get("seed", 0), r["run_id"])]
    out.setdefault("seeds", sorted({seed for pairs in runs.values() for seed, _ in pairs}))
    return runs


def score(data: Path, runs: dict[str, list[tuple[int, str]]]) -> tuple[dict, dict]:
    """Per model and seed, bits per note and per token of its registered model on the BeepBox dataset's
    held-out splits (test, val, and both together); and what those splits hold."""
    from mlflow.tracking import MlflowClient

    from beepbrain import settings
    from beepbrain.generate.evaluate import load_split, song_bits, split_notes
    from beepbrain.tokens.load import load_tokenizer
    from beepbrain.train.registry import load_model

    uri = settings.tracking_uri(data)
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    dataset = data / "datasets" / "beepbox"
    tokenizer = load_tokenizer(dataset)
    splits = {split: load_split(dataset, split) for split in SPLITS}
    notes = {split: int(split_notes(tokenizer, songs).sum()) for split, songs in splits.items()}
    held_out = {
        split: {
            "songs": len(songs.songs),
            "tokens": int(sum(len(x) for x in songs.songs)),
            "notes": notes[split],
        }
        for split, songs in splits.items()
    }
    results: dict = {}
    for label, pairs in runs.items():
        per_seed = []
        for seed, run_id in pairs:
            version = max(int(v.version) for v in client.search_model_versions(f"run_id='{run_id}'"))
            model, model_tokenizer, _ = load_model(f"models:/beepbrain/{version}", uri)
            if model_tokenizer is not None and model_tokenizer.to_dict() != tokenizer.to_dict():
                raise SystemExit(f"{label} (seed {seed}): its tokenizer is not the BeepBox dataset's")
            r = {"seed": seed, "run_id": run_id, "model_version": version}
            total_bits = total_tokens = 0.0
            for split, songs in splits.items():
                counts: list[int] = []
                bits = song_bits(model, tokenizer, songs.songs, songs.cond, counts=counts)
                r[f"{split}_bits_per_note"] = float(bits.sum()) / max(notes[split], 1)
                r[f"{split}_bits_per_token"] = float(bits.sum()) / max(sum(counts), 1)
                held_out[split]["scored_tokens"] = int(sum(counts))
                total_bits += float(bits.sum())
                total_tokens += sum(counts)
            # both splits together: every held-out note (token) counts once
            r["all_bits_per_note"] = total_bits / max(sum(notes.values()), 1)
            r["all_bits_per_token"] = total_bits / max(total_tokens, 1)
            per_seed.append(r)
            print(
                f"scored {label} seed {seed}: test {r['test_bits_per_note']:.3f} bits/note, "
                f"{r['test_bits_per_token']:.3f} bits/token",
                flush=True,
            )
        results[label] = {"per_seed": per_seed}
    return results, held_out


def spread(values: list[float]) -> dict:
    """Mean, sample standard deviation (0 for one value), min and max."""
    return {
        "mean": statistics.fmean(values),
        "std": statistics.stdev(values) if len(values) > 1 else 0.0,
        "min": min(values),
        "max": max(values),
        "n": len(values),
    }


METRICS = tuple(f"{split}_bits_per_{unit}" for split in (*SPLITS, "all") for unit in ("note", "token"))


def summarize(results: dict) -> dict:
    """Per model the spread over seeds of every metric; the paired difference (b) - (a) per seed."""
    summary: dict = {
        label: {m: spread([r[m] for r in res["per_seed"]]) for m in METRICS} for label, res in results.items()
    }
    a = {r["seed"]: r for r in results.get("a_beepbox_only", {}).get("per_seed", [])}
    b = {r["seed"]: r for r in results.get("b_pretrained_then_finetuned", {}).get("per_seed", [])}
    seeds = sorted(set(a) & set(b))
    if seeds:
        summary["b_minus_a"] = {
            m: {
                "per_seed": {str(s): b[s][m] - a[s][m] for s in seeds},
                **spread([b[s][m] - a[s][m] for s in seeds]),
            }
            for m in METRICS
        }
    return summary


def show(out: dict) -> None:
    results, held, summary = out["results"], out["held_out"], out["summary"]
    seeds = out.get("seeds", [])
    print()
    print(
        f"{out.get('tokenizer', 'pattern')} tokenizer, {out['config']} config, scores {out['scores']}, "
        f"{len(seeds)} seed(s) {seeds}"
    )
    print(
        "held-out BeepBox songs: "
        + ", ".join(
            f"{split} {h['songs']} songs / {h['notes']:,} notes / {h['tokens']:,} tokens"
            for split, h in held.items()
        )
        + f" (uniform guess: {out['uniform_bits_per_token']:.2f} bits/token)"
    )
    tps = out.get("tokens_per_step", 0)
    steps = out.get("steps") or {
        "a_beepbox_only": out["finetune_steps"],
        "b_pretrained_then_finetuned": out["pretrain_steps"] + out["finetune_steps"],
        "c_pretrained_only": out["pretrain_steps"],
    }
    fill = out.get("fill", 0.0)
    budget = {
        "a_beepbox_only": f"{steps['a_beepbox_only']} BeepBox",
        "b_pretrained_then_finetuned": f"{out['pretrain_steps']} scores + {out['finetune_steps']} BeepBox",
        "c_pretrained_only": f"{out['pretrain_steps']} scores",
    }
    print(
        f"budget: optimizer steps of {tps:,} tokens, (a) as many as (b)'s pretraining + fine-tuning; fill-task "
        f"share {fill:g} of the BeepBox trainings' windows ((a), (b)'s fine-tuning), "
        f"{out.get('pretrain_fill', 0.0):g} of the scores pretraining's"
    )

    def cell(s: dict) -> str:
        return f"{s['mean']:.3f} ±{s['std']:.3f} [{s['min']:.3f}-{s['max']:.3f}]"

    print(
        f"{'model':28} {'steps':>24}  {'test bits/note (sd, min-max)':>31}  {'val bits/note':>31}  "
        f"{'test bits/token':>15}"
    )
    for label in results:
        s = summary[label]
        print(
            f"{label:28} {budget.get(label, steps.get(label, '')):>24}  {cell(s['test_bits_per_note']):>31}  "
            f"{cell(s['val_bits_per_note']):>31}  {s['test_bits_per_token']['mean']:15.3f}"
        )
    print("per seed (test bits/note):")
    for seed in seeds:
        row = {
            label: next((r for r in res["per_seed"] if r["seed"] == seed), None)
            for label, res in results.items()
        }
        print(
            f"  seed {seed}: "
            + ", ".join(f"{label[0]} {r['test_bits_per_note']:.3f}" for label, r in row.items() if r)
        )
    if "b_minus_a" in summary:
        for split in ("test", "val"):
            d = summary["b_minus_a"][f"{split}_bits_per_note"]
            print(
                f"(b) - (a), {split} bits/note, paired by seed: "
                + ", ".join(f"seed {s} {v:+.3f}" for s, v in d["per_seed"].items())
                + f"; mean {d['mean']:+.3f} ±{d['std']:.3f} [{d['min']:+.3f} to {d['max']:+.3f}]"
                + " (negative: pretraining helps)"
            )
    print("timings (s): " + ", ".join(f"{k} {v:.0f}" for k, v in out.get("timings", {}).items()))


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
