"""Does augmentation help at the main job's budget? Bits per note on the main job's unseen test songs of
a model trained on the main job's dataset, and of models trained, at the same budget and settings, on the
same songs with key-change or octave-shift copies added to the train split.

    .venv/bin/python benchmarks/augmentation.py --data-dir DIR   # after `beepbrain run --data-dir DIR`

Each variant's dataset is built from the same catalog with the same selection, so its splits (by content)
are the main job's: the script checks that no test song is in a variant's train split. Each model is
trained with `beepbrain train` (`beepbrain run`'s model size, steps, fill share and seed) and registered
as a new version of `beepbrain`; all are scored on the base dataset's test split with the scoring that
`evaluate` and `score` use. Prints one line per model and the paired per-song differences.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

VARIANTS = {
    "key": ["--augment-transpose", "2"],  # KEY +-1, +-2: notes stay as written, relative to the key
    "octave": ["--augment-octaves", "1"],  # pitch channels an octave up and down where they fit
    "channels": ["--augment-channels", "2"],  # pitch channels reordered, one left out, drums left out
}


def beepbrain(*args: str, quiet: bool = False) -> None:
    exe = Path(sys.executable).with_name("beepbrain")
    out = subprocess.DEVNULL if quiet else None
    subprocess.run([str(exe), *args], check=True, env=os.environ.copy(), stdout=out)


def train_like_main_job(
    data: Path, dataset: str, *extra: str, steps: int | None = None, quiet: bool = False
) -> int:
    """Train on ``dataset`` with `beepbrain run`'s model, steps (or ``steps``) and fill share (and ``extra``
    options of `beepbrain train`); the version of `beepbrain` it registered."""
    from beepbrain import settings
    from beepbrain.generate.defaults import RUN_DEFAULTS

    beepbrain(
        "train", "--data-dir", str(data), "--dataset", dataset, "--config", RUN_DEFAULTS["config"],
        "--max-steps", str(steps or RUN_DEFAULTS["steps"]), "--fill", str(RUN_DEFAULTS["fill"]), *extra, quiet=quiet,
    )  # fmt: skip
    return latest_version(settings.tracking_uri(data))


def latest_version(tracking_uri: str) -> int:
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
    return max(int(v.version) for v in client.search_model_versions("name='beepbrain'"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default="beepbrain-data")
    parser.add_argument("--base-model", default="models:/beepbrain/1", help="the main job's model")
    parser.add_argument(
        "--variants",
        default="key,octave,channels,octave+channels",
        help=f"comma-separated, each one of {', '.join(VARIANTS)} or several joined by +",
    )
    parser.add_argument("--steps", type=int, default=None, help="default: beepbrain run's")
    args = parser.parse_args()

    import numpy as np

    from beepbrain import settings
    from beepbrain.generate.defaults import RUN_DEFAULTS
    from beepbrain.generate.evaluate import load_split, song_bits, split_song_ids
    from beepbrain.generate.stats import played_notes
    from beepbrain.train.registry import load_model

    data = Path(args.data_dir).resolve()
    uri = settings.tracking_uri(data)
    base = data / "datasets" / RUN_DEFAULTS["dataset"]
    test = load_split(base, "test")
    test_ids = set(split_song_ids(base, "test"))
    steps = args.steps or RUN_DEFAULTS["steps"]
    models = {"none (the main job)": args.base_model}
    names = [v for v in args.variants.split(",") if v]
    unknown = sorted({part for name in names for part in name.split("+")} - set(VARIANTS))
    if unknown:
        parser.error(f"unknown variant {', '.join(unknown)}: choose from {', '.join(VARIANTS)}")
    for name in names:
        dataset = f"aug_{name.replace('+', '_')}"
        print(f"--- {name}: dataset {dataset}, {steps} steps", flush=True)
        beepbrain(
            "dataset", "build", "--data-dir", str(data), "--name", dataset, "--overwrite",
            "--tokenizer", RUN_DEFAULTS["tokenizer"], *[a for part in name.split("+") for a in VARIANTS[part]],
        )  # fmt: skip
        leaked = test_ids & set(split_song_ids(data / "datasets" / dataset, "train"))
        if leaked:
            raise SystemExit(f"{len(leaked)} test songs are in {dataset}'s train split")
        models[name] = f"models:/beepbrain/{train_like_main_job(data, dataset, steps=steps)}"

    base_tokenizer = load_model(args.base_model, uri)[1]
    pairs = zip(test.songs, test.cond, strict=True)
    notes = np.array([played_notes(base_tokenizer.decode(t, c)) for t, c in pairs])
    per_song = {}
    for name, model_uri in models.items():
        model, tokenizer, _info = load_model(model_uri, uri)
        bits = song_bits(model, tokenizer, test.songs, test.cond)
        per_song[name] = bits / np.maximum(notes, 1)
        print(
            f"augmentation {name:<22} {model_uri:<22} {bits.sum() / notes.sum():.3f} bits/note on "
            f"{len(notes)} test songs ({int(notes.sum()):,} notes)"
        )
    ref = per_song.pop("none (the main job)")
    for name, per in per_song.items():
        d = per - ref
        print(
            f"  {name} - none, per song: mean {d.mean():+.3f} bits/note (sd {d.std(ddof=1):.3f}), "
            f"better on {int((d < 0).sum())} of {len(d)}"
        )


if __name__ == "__main__":
    main()
