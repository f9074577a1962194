"""Which model shape the main job's budget buys best on this machine: each shape trained like `beepbrain run`
trains (its dataset, steps, batch, fill share and seed; the learning rate of `tiny`), timed, and scored on
the dataset's unseen test (and val) songs in bits per note, next to the n-gram baseline on the same tokens.

    .venv/bin/python benchmarks/model_shape.py --data-dir DIR        # after `beepbrain run --data-dir DIR`
    .venv/bin/python benchmarks/model_shape.py --data-dir DIR --shapes 2x4x128,2x2x64,4x4x128,2x3x96:600

A shape is LAYERSxHEADSxWIDTH, optionally :STEPS (default: the main job's) and /DROPOUT. Each model is
registered as a new version of `beepbrain` in DIR's MLflow store (so the main job's `latest` moves on).
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path


def parse_shape(text: str, steps: int) -> dict:
    body, _, drop = text.partition("/")
    body, _, n_steps = body.partition(":")
    layers, heads, width = (int(x) for x in body.lower().split("x"))
    return {
        "n_layer": layers,
        "n_head": heads,
        "n_embd": width,
        "steps": int(n_steps) if n_steps else steps,
        "dropout": float(drop) if drop else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default="beepbrain-data")
    parser.add_argument("--shapes", default="2x4x128,2x2x64,4x4x128,2x3x96:600")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    from beepbrain import settings
    from beepbrain.generate.defaults import RUN_DEFAULTS
    from beepbrain.generate.evaluate import fit_baseline, load_split, ngram_bits, song_bits, split_notes
    from beepbrain.model import CONFIGS
    from beepbrain.tokens.shards import read_manifest
    from beepbrain.train import TrainConfig, train
    from beepbrain.train.config import DEFAULT_LR
    from beepbrain.train.registry import load_model

    data = Path(args.data_dir).resolve()
    uri = settings.tracking_uri(data)
    dataset = data / "datasets" / RUN_DEFAULTS["dataset"]
    splits = {name: load_split(dataset, name) for name in ("test", "val")}
    ngram = fit_baseline(dataset, read_manifest(dataset)["vocab_size"], 0, 200_000, lambda _m: None)
    base = CONFIGS[RUN_DEFAULTS["config"]]
    for text in [s for s in args.shapes.split(",") if s]:
        shape = parse_shape(text, RUN_DEFAULTS["steps"])
        steps = shape.pop("steps")
        CONFIGS["shape"] = dataclasses.replace(base, **shape)
        DEFAULT_LR["shape"] = DEFAULT_LR[RUN_DEFAULTS["config"]]
        t0 = time.perf_counter()
        result = train(
            TrainConfig(
                dataset=RUN_DEFAULTS["dataset"],
                data_dir=str(data),
                model="shape",
                max_steps=steps,
                fill=RUN_DEFAULTS["fill"],
                tracking_uri=uri,
                device="cpu",
                seed=args.seed,
                eval_interval=0,
                checkpoint_interval=0,
            ),
            log=lambda *a, **k: None,
        )
        seconds = time.perf_counter() - t0
        model, tokenizer, _info = load_model(f"models:/beepbrain/{result.model_version}", uri)
        params = sum(p.numel() for p in model.parameters())
        line = [f"shape {text:<14} {params / 1e6:5.2f}M params, {steps} steps in {seconds:4.0f} s:"]
        for name, split in splits.items():
            notes = split_notes(tokenizer, split).sum()
            bits = song_bits(model, tokenizer, split.songs, split.cond).sum()
            line.append(
                f"{name} {bits / notes:.3f} bits/note (n-gram {ngram_bits(ngram, split)[0] / notes:.3f})"
            )
        print(" ".join(line), flush=True)


if __name__ == "__main__":
    main()
