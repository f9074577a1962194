"""Tick tokenizer vs pattern tokenizer (with and without BPE), and the n-gram baseline, on the same songs.

Builds the datasets from one song source with the same test and validation songs (the pattern dataset's
content split, imposed on the others), trains one model per dataset with the same configuration and the
same budget in tokens (steps x batch x context), registers each in a private MLflow store, and prints:

- tokens per test song (median, p90) and the share of test songs that fit whole in 512 tokens;
- bits per note on the test songs (total bits of their token streams / the notes the songs play), for
  each model and for an n-gram fitted on each dataset's train split;
- seconds to generate a 16-bar song (3 pitch + 1 drum channels, 8 beats), where the grammar allows it;
- musical statistics of generated songs (the test songs' layouts, 8 bars) next to the test songs.

    .venv/bin/python benchmarks/tokenizers.py [--source FILE] [--config tiny] [--steps 600] [--merges 1000]

Default source: ../shared/corpus/songs.jsonl.zst when present, else the bundled sample archive.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from pathlib import Path

# run as a script, this file's folder comes first on sys.path, where its name would shadow Hugging Face's
# `tokenizers` package (which the BPE merges use)
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "corpus" / "songs.jsonl.zst"


def default_source() -> Path:
    if SHARED.exists():
        return SHARED
    from beepbrain.archive.sources import sample_archive

    return sample_archive()


def build(source: Path, work: Path, merges: int, log) -> dict[str, Path]:
    """The three datasets (pattern, tick, pattern+BPE) under ``work/datasets``, same splits."""
    from beepbrain.tokens import PatternTokenizer, TickTokenizer
    from beepbrain.tokens.dataset import build_dataset_from_songs
    from beepbrain.tokens.stats import read_song_strings

    strings = [data for _id, data in read_song_strings(source) if data]
    log(f"{len(strings)} song strings from {source}")
    out = work / "datasets"
    pattern = build_dataset_from_songs(
        strings,
        out / "pattern",
        tokenizer=PatternTokenizer(),
        val_fraction=0.1,
        test_fraction=0.1,
        overwrite=True,
    )
    fixed = {sid: split for split in ("val", "test") for sid in pattern["splits"][split]["song_ids"]}
    build_dataset_from_songs(
        strings, out / "tick", tokenizer=TickTokenizer(), fixed_splits=fixed, overwrite=True
    )
    build_bpe(out / "pattern", out / "pattern-bpe", merges)
    return {"pattern": out / "pattern", "tick": out / "tick", "pattern+bpe": out / "pattern-bpe"}


def build_bpe(src: Path, dst: Path, merges: int) -> None:
    """``src`` (a pattern dataset) re-encoded with BPE merges learned on its train split."""
    import shutil

    from beepbrain.tokens.bpe import BPE, MergedTokenizer
    from beepbrain.tokens.load import load_tokenizer
    from beepbrain.tokens.shards import (
        conditionings,
        load_split_songs,
        read_index,
        read_manifest,
        write_manifest,
        write_split,
    )

    manifest = read_manifest(src)
    bpe = BPE.train(load_split_songs(src, "train"), manifest["vocab_size"], merges)
    if dst.exists():
        shutil.rmtree(dst)
    dst.mkdir(parents=True)
    for split in ("train", "val", "test"):
        conds = conditionings(read_index(src, split))
        songs = load_split_songs(src, split)
        streams = ((bpe.encode(s), c) for s, c in zip(songs, conds, strict=True))
        info = write_split(dst, split, streams)
        manifest["splits"][split].update({k: info[k] for k in ("tokens", "bars")})
    manifest.update(vocab_size=bpe.vocab_size, tokenizer_kind="pattern+bpe", name=dst.name)
    write_manifest(dst, manifest)
    MergedTokenizer(load_tokenizer(src), bpe).save(dst / "tokenizer.json")  # views cut merged streams


def train_one(work: Path, name: str, config: str, steps: int, log) -> str:
    """Train and register a model on dataset ``name``; its model URI."""
    from beepbrain.train import TrainConfig, train

    uri = f"sqlite:///{work / 'mlflow.db'}"
    result = train(
        TrainConfig(
            dataset=name,
            data_dir=str(work),
            model=config,
            max_steps=steps,
            eval_interval=0,
            checkpoint_interval=0,
            log_interval=max(steps // 4, 1),
            tracking_uri=uri,
            device="cpu",
        ),
        log=lambda *a, **k: None,
    )
    log(f"  {name}: trained {steps} steps, train loss {result.train_loss:.3f}, model {result.model_version}")
    return f"models:/beepbrain/{result.model_version}"


def trained_models(work: Path) -> dict[str, str]:
    """The newest registered model trained on each of the three datasets in ``work``'s MLflow store."""
    from mlflow.tracking import MlflowClient

    uri = f"sqlite:///{work / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    names = {"pattern": "pattern", "tick": "tick", "pattern-bpe": "pattern+bpe"}
    out: dict[str, str] = {}
    for version in sorted(client.search_model_versions("name='beepbrain'"), key=lambda v: int(v.version)):
        dataset = client.get_run(version.run_id).data.params.get("train.dataset")
        if dataset in names:
            out[names[dataset]] = f"models:/beepbrain/{version.version}"
    missing = sorted(set(names.values()) - set(out))
    if missing:
        raise SystemExit(f"no trained model for {', '.join(missing)} in {work}: run without --rescore")
    return out


def measure(
    work: Path, datasets: dict[str, Path], models: dict[str, str], notes_of: dict[str, int], samples: int, log
) -> dict[str, dict]:
    from beepbrain.generate.evaluate import fit_baseline, load_split, ngram_bits, ngram_song, song_bits
    from beepbrain.generate.sampling import SamplingConfig
    from beepbrain.generate.songs import SongRequest, generate_song
    from beepbrain.generate.stats import song_stats, summarize
    from beepbrain.tokens.shards import read_manifest
    from beepbrain.train.registry import load_model

    uri = f"sqlite:///{work / 'mlflow.db'}"
    rows: dict[str, dict] = {}
    refs_stats = None
    for name, path in datasets.items():
        manifest = read_manifest(path)
        test = load_split(path, "test")
        lengths = np.array([len(s) for s in test.songs])
        notes = sum(notes_of[sid] for sid in manifest["splits"]["test"]["song_ids"])
        model, tokenizer, info = load_model(models[name], uri)
        bits = song_bits(model, tokenizer, test.songs, test.cond)
        ngram = fit_baseline(path, manifest["vocab_size"], 0, 200_000, lambda m: None)
        ngram_total, _count = ngram_bits(ngram, test)
        row = {
            "params": info["params"],
            "test_songs": len(test.songs),
            "tokens_median": float(np.median(lengths)),
            "tokens_p90": float(np.percentile(lengths, 90)),
            "fit_512": float((lengths <= 512).mean()),
            "bits_per_note": float(bits.sum()) / notes,
            "ngram_bits_per_note": ngram_total / notes,
            "ngram_order": ngram.order,
        }
        if name != "pattern+bpe":  # the grammar walks base tokens: no constrained sampling over merges
            started = time.perf_counter()
            generate_song(model, tokenizer, SongRequest(bars=16), SamplingConfig(seed=0))
            row["seconds_16_bars"] = time.perf_counter() - started
            refs = [tokenizer.decode(t, c) for t, c in zip(test.songs, test.cond, strict=True)]
            if refs_stats is None or name == "pattern":
                refs_stats = summarize([song_stats(s) for s in refs])
            gen, base = [], []
            for i in range(samples):
                ref = refs[i % len(refs)]
                request = SongRequest(
                    rhythm=ref.rhythm,
                    pitch_channels=ref.pitch_channel_count,
                    drum_channels=ref.noise_channel_count,
                    bars=8,
                    beats_per_bar=ref.beats_per_bar,
                )
                gen.append(song_stats(generate_song(model, tokenizer, request, SamplingConfig(seed=i)).song))
                base.append(song_stats(ngram_song(ngram, tokenizer, request, SamplingConfig(seed=i))))
            row["stats"] = summarize(gen)
            row["ngram_stats"] = summarize(base)
        rows[name] = row
        log(f"  measured {name}")
    rows["test songs"] = {"stats": refs_stats}
    return rows


def report(rows: dict[str, dict], config: str, steps: int, tokens_per_step: int) -> str:
    names = [n for n in rows if n != "test songs"]
    lines = [
        f"model {config}, {steps} steps x {tokens_per_step} tokens = {steps * tokens_per_step:,} tokens each",
        "",
        f"{'':<28}" + "".join(f"{n:>14}" for n in names),
    ]

    def line(label, key, fmt):
        vals = [rows[n].get(key) for n in names]
        lines.append(
            f"{label:<28}"
            + "".join(f"{format(v, fmt):>14}" if v is not None else f"{'n/a':>14}" for v in vals)
        )

    line("parameters", "params", ",")
    line("test songs", "test_songs", "d")
    line("tokens/song, median", "tokens_median", ".0f")
    line("tokens/song, p90", "tokens_p90", ".0f")
    line("share fitting 512 tokens", "fit_512", ".2f")
    line("bits per note (model)", "bits_per_note", ".3f")
    line("bits per note (n-gram)", "ngram_bits_per_note", ".3f")
    line("seconds, 16-bar song", "seconds_16_bars", ".1f")
    from beepbrain.generate.stats import STAT_NAMES

    sources = [("test songs", rows["test songs"]["stats"])]
    for n in names:
        if "stats" in rows[n]:
            sources += [(f"{n} model", rows[n]["stats"]), (f"{n} n-gram", rows[n]["ngram_stats"])]
    lines += [
        "",
        "generated songs (8 bars, the test songs' layouts) next to the test songs:",
        f"{'statistic':<22}" + "".join(f"{s:>16}" for s, _ in sources),
    ]
    for stat in STAT_NAMES:
        lines.append(
            f"{stat:<22}"
            + "".join(f"{v[stat]:>16.3f}" if not math.isnan(v[stat]) else f"{'nan':>16}" for _s, v in sources)
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=None, help="songs: .jsonl(.zst) archive or URL list")
    parser.add_argument("--config", default="tiny", help="model configuration for every model")
    parser.add_argument("--steps", type=int, default=600, help="training steps for every model")
    parser.add_argument("--merges", type=int, default=1000, help="BPE merges")
    parser.add_argument("--samples", type=int, default=6, help="generated songs per model for the statistics")
    parser.add_argument("--work", type=Path, default=None, help="working folder (default: a temporary one)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures as JSON here")
    parser.add_argument(
        "--rescore",
        action="store_true",
        help="with --work: measure the datasets and models an earlier run left there (no building, no training)",
    )
    args = parser.parse_args()

    import torch

    from beepbrain.archive.records import song_id
    from beepbrain.format import parse_song
    from beepbrain.generate.stats import played_notes
    from beepbrain.model import CONFIGS
    from beepbrain.tokens.stats import read_song_strings

    torch.manual_seed(0)
    source = args.source or default_source()
    with tempfile.TemporaryDirectory(prefix="beepbrain-tokenizers-") as tmp:
        work = args.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        log = lambda m: print(m, flush=True)  # noqa: E731
        if args.rescore:
            if args.work is None:
                parser.error("--rescore needs --work, the folder of an earlier run")
            datasets = {"pattern": work / "datasets" / "pattern", "tick": work / "datasets" / "tick",
                        "pattern+bpe": work / "datasets" / "pattern-bpe"}  # fmt: skip
        else:
            datasets = build(source, work, args.merges, log)
        notes_of = {}
        for _id, data in read_song_strings(source):
            try:
                notes_of[song_id(data)] = played_notes(parse_song(data))
            except Exception:  # noqa: BLE001 - a song that does not parse is in no dataset
                continue
        if args.rescore:
            models = trained_models(work)
        else:
            models = {
                name: train_one(
                    work, name if name != "pattern+bpe" else "pattern-bpe", args.config, args.steps, log
                )
                for name in datasets
            }
        rows = measure(work, datasets, models, notes_of, args.samples, log)
        tokens_per_step = CONFIGS[args.config].block_size * 8
        print()
        print(report(rows, args.config, args.steps, tokens_per_step))
        if args.json:
            args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
