"""How much do the main job's model and its songs change from one training run to the next? The main job's
model trained again with other seeds on the same dataset, each scored (bits per note on the test split) and
sampled like for like against the test songs (``generated_vs_real.py``'s statistics), with the spread.

    .venv/bin/python benchmarks/seed_spread.py --data-dir DIR [--seeds 0,1,2] [--samples 48] [--temperature 1.0]
        [--steps 800] [--train-args '--decision-weight 4']  # after `beepbrain run --data-dir DIR`

``--steps 300,500,800`` trains each seed at each budget (the training schedule follows the budget, as
`beepbrain train --max-steps` sets it) and prints the spread per budget: where the main job's model stops
learning the songs and starts learning its train split by heart.

Each model is trained with `beepbrain train` at `beepbrain run`'s settings (model, steps, fill share) and
the given seed (which sets the initial weights, the windows' order and the fill tasks) and registered as a
new version of `beepbrain`. A difference between two models (an augmentation, a change of the model) that
is smaller than the spread printed here cannot be told from one run of each.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from beepbrain.generate.stats import JUDGED_STATS as STATS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default="beepbrain-data")
    parser.add_argument("--seeds", default="0,1,2", help="comma-separated training seeds")
    parser.add_argument("--samples", type=int, default=48)
    parser.add_argument("--max-bars", type=int, default=16)
    parser.add_argument("--temperature", type=float, default=1.0)
    parser.add_argument("--steps", default="", help="comma-separated step budgets (default: beepbrain run's)")
    parser.add_argument(
        "--train-args", default="", help="more `beepbrain train` options, e.g. '--decision-weight 4'"
    )
    args = parser.parse_args()

    import numpy as np
    from augmentation import train_like_main_job  # benchmarks/ is on sys.path when run as a script

    from beepbrain import settings
    from beepbrain.generate.defaults import RUN_DEFAULTS
    from beepbrain.generate.evaluate import (
        MODEL,
        MODEL_FREE,
        TEST_CUT,
        like_for_like,
        load_split,
        reference_songs,
        song_bits,
        split_notes,
    )
    from beepbrain.generate.sampling import SamplingConfig
    from beepbrain.train.registry import load_model

    data = Path(args.data_dir).resolve()
    uri = settings.tracking_uri(data)
    dataset = data / "datasets" / RUN_DEFAULTS["dataset"]
    test = load_split(dataset, "test")
    rows = []
    budgets = [int(s) for s in args.steps.split(",") if s] or [RUN_DEFAULTS["steps"]]
    runs = [(steps, int(seed)) for steps in budgets for seed in args.seeds.split(",") if seed]
    for steps, seed in runs:
        print(f"--- {steps} steps, seed {seed}: training", flush=True)
        version = train_like_main_job(
            data,
            RUN_DEFAULTS["dataset"],
            "--seed",
            str(seed),
            *args.train_args.split(),
            steps=steps,
            quiet=True,
        )
        model, tokenizer, _info = load_model(f"models:/beepbrain/{version}", uri)
        notes = split_notes(tokenizer, test)
        bits = song_bits(model, tokenizer, test.songs, test.cond).sum() / max(int(notes.sum()), 1)
        refs = reference_songs(tokenizer, test, len(test.songs))
        pairs = like_for_like(
            model,
            tokenizer,
            refs,
            samples=args.samples,
            max_bars=args.max_bars,
            sampling=SamplingConfig(temperature=args.temperature, top_p=1.0, seed=0),
            progress=lambda _msg: None,
        )
        stats = pairs.stats()
        row = {"steps": steps, "seed": seed, "version": version, "bits": float(bits)}
        for mode, key in (("free", MODEL_FREE), ("constrained", MODEL)):
            for name in STATS:
                real = stats[TEST_CUT][name]
                row[(mode, name)] = 100 * (stats[key][name] - real) / abs(real) if real else float("nan")
        rows.append(row)
        print(
            f"{steps} steps, seed {seed} (version {version}): {bits:.3f} bits/note on {len(test.songs)} test songs; "
            f"{len(pairs.model)} samples vs the test songs cut to them (T={args.temperature:g}): "
            + ", ".join(
                f"{name} {row[('free', name)]:+.0f}% free / {row[('constrained', name)]:+.0f}%"
                for name in STATS
            ),
            flush=True,
        )

    def spread(values) -> str:
        v = np.asarray(values, dtype=float)
        return f"{v.mean():+.0f}% (sd {v.std(ddof=1) if len(v) > 1 else 0:.0f}, {v.min():+.0f} to {v.max():+.0f})"

    for steps in budgets:
        group = [r for r in rows if r["steps"] == steps]
        bits = np.array([r["bits"] for r in group])
        print(f"\n{steps} steps, {len(group)} seeds: bits/note {bits.mean():.3f} "
              f"(sd {bits.std(ddof=1) if len(bits) > 1 else 0:.3f}, {bits.min():.3f}-{bits.max():.3f})")  # fmt: skip
        print("generated vs real, per statistic: mean over seeds (sd, min to max)")
        for name in STATS:
            free = spread([r[("free", name)] for r in group])
            constrained = spread([r[("constrained", name)] for r in group])
            print(f"  {name:22} free {free:32} constrained {constrained}")


if __name__ == "__main__":
    main()
