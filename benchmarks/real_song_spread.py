"""How exactly the real songs pin down the statistics `generated_vs_real.py` compares: each split's songs
cut to their first bars, the mean of issue 21's five statistics, and for the test split the standard error
of each mean over its songs (how far the reference itself may be off).

    .venv/bin/python benchmarks/real_song_spread.py [--data-dir beepbrain-data] [--dataset sample] [--max-bars 16]

The train split is what the model learns from, per song and as training draws it (``--balances``: a
song of K windows is drawn K**(1 - song_balance) times as often as a one-window song; at 0 a long, dense
song weighs as many songs as it has windows; any augmented copies are songs of their own); the test split is what its
songs are compared with (`generated_vs_real.py`; `--splits val,test` adds the validation songs, which the
model is not trained on either: the last row). A generated figure within one standard error of the
reference's is as near as its songs can tell.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from beepbrain.generate.stats import JUDGED_STATS as STATS


def drawn_shares(dataset, block_size: int, balances: list[float]) -> dict:
    """Each train song's share of the windows training draws, at each ``song_balance`` in ``balances``."""
    import numpy as np

    from beepbrain.tokens.loader import WindowLoader

    loader = WindowLoader(dataset, "train", block_size=block_size)  # the windows are cut once
    return {
        b: np.bincount(loader.starts[:, 0], weights=loader.draw_chances(b), minlength=len(loader.index))
        for b in balances
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default="beepbrain-data")
    parser.add_argument("--dataset", default="sample")
    parser.add_argument("--max-bars", type=int, default=16)
    parser.add_argument(
        "--balances",
        default="0,0.5,1",
        help="also the train split's means as training draws its windows at these song_balance values "
        "(each song weighted by the chance its windows get: 0 every window alike; default 0,0.5,1)",
    )
    parser.add_argument("--block-size", type=int, default=512, help="the context the windows are cut for")
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

    def songs_of(split: str) -> list[dict]:
        songs = load_split(dataset, split)
        refs = reference_songs(tokenizer, songs, len(songs.songs)) if songs.songs else []
        return [song_stats(first_bars(s, min(s.bar_count, args.max_bars))) for s in refs]

    def row(label: str, per: list[dict], weights=None, spread: bool = False) -> None:
        """One table row: each statistic's mean over the songs that have it (weighted by ``weights``),
        with ``spread`` its standard error as a share of the mean."""
        cells = []
        for name in STATS:
            x = np.array([p[name] for p in per], dtype=float)
            keep = ~np.isnan(x)
            x = x[keep]
            mean = (
                float(np.average(x, weights=None if weights is None else weights[keep]))
                if len(x)
                else float("nan")
            )
            cell = f"{mean:.3f}"
            if spread and len(x) > 1 and mean:
                cell += f" ± {100 * x.std(ddof=1) / np.sqrt(len(x)) / abs(mean):.0f}% (n={len(x)})"
            cells.append(cell)
        print(f"| {label} | {len(per)} | " + " | ".join(cells) + " |")

    train = songs_of("train")
    if train:
        row("train", train)
        balances = [float(b) for b in args.balances.split(",") if b.strip()]
        for balance, weights in drawn_shares(dataset, args.block_size, balances).items():
            row(f"train, as drawn at song_balance {balance:g}", train, weights)
    held_out = []
    for split in ("val", "test"):
        per = songs_of(split)
        if per:
            row(split, per, spread=True)
            held_out += per
    if held_out:
        row("val+test", held_out, spread=True)
    print("\n± : the standard error of a held-out split's mean, as a share of it (sd / sqrt(n) / mean)")


if __name__ == "__main__":
    main()
