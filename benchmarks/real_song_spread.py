"""How exactly the real songs pin down the statistics `generated_vs_real.py` compares: each split's songs
cut to their first bars, the mean of issue 21's five statistics, and for the test split the standard error
of each mean over its songs (how far the reference itself may be off).

    .venv/bin/python benchmarks/real_song_spread.py [--data-dir beepbrain-data] [--dataset sample] [--max-bars 16]

The train split is what the model learns from (with any augmented copies); the test split is what its
songs are compared with. A generated figure within one standard error of the test songs' is as near as 16
songs can tell.
"""

from __future__ import annotations

import argparse
from pathlib import Path

STATS = ("pitch_onsets_per_bar", "polyphony", "drum_onsets_per_bar", "bar_repeat", "pitch_class_entropy")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default="beepbrain-data")
    parser.add_argument("--dataset", default="sample")
    parser.add_argument("--max-bars", type=int, default=16)
    args = parser.parse_args()

    import numpy as np

    from beepbrain.generate.evaluate import load_split, reference_songs
    from beepbrain.generate.stats import first_bars, song_stats
    from beepbrain.tokens.load import load_tokenizer

    dataset = Path(args.data_dir) / "datasets" / args.dataset
    tokenizer = load_tokenizer(dataset / "tokenizer.json")
    print(f"{dataset}: each song's first {args.max_bars} bars")
    print("| split | songs | " + " | ".join(STATS) + " |")
    print("|---|---:|" + "---:|" * len(STATS))
    for split in ("train", "val", "test"):
        songs = load_split(dataset, split)
        if not songs.songs:
            continue
        refs = reference_songs(tokenizer, songs, len(songs.songs))
        per = [song_stats(first_bars(s, min(s.bar_count, args.max_bars))) for s in refs]
        cells = []
        for name in STATS:
            x = np.array([p[name] for p in per], dtype=float)
            x = x[~np.isnan(x)]
            mean = float(x.mean()) if len(x) else float("nan")
            cell = f"{mean:.3f}"
            if split == "test" and len(x) > 1 and mean:
                cell += f" ± {100 * x.std(ddof=1) / np.sqrt(len(x)) / abs(mean):.0f}% (n={len(x)})"
            cells.append(cell)
        print(f"| {split} | {len(refs)} | " + " | ".join(cells) + " |")
    print("\n± : the standard error of the test songs' mean, as a share of it (sd / sqrt(n) / mean)")


if __name__ == "__main__":
    main()
