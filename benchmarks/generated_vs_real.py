"""Generated songs next to real ones, like for like: a table of musical statistics for songs sampled free
(no musical constraint beyond a valid song), songs sampled with the grammar's constraints (the defaults:
notes on the rhythm's grid and in the header's scale, a first bar with sound), and the test songs whose
shapes they took, cut to the same bars; with each generated figure's difference from the real one (and,
for reference, the whole test songs: what the comparison was before the cut).

    .venv/bin/python benchmarks/generated_vs_real.py [--data-dir beepbrain-data] [--model models:/beepbrain/latest]
        [--dataset NAME] [--samples 16] [--max-bars 16] [--temperature 1.0] [--seed 0] [--splits test]
        [--json FILE]

Sample i takes test song i's (in turn) rhythm, pitch- and drum-channel counts and beats per bar, for
N = min(its bars, --max-bars) bars (``--splits val,test``: the songs of both held-out splits in turn; ``--splits train``: the songs the
model learned from, the largest sample of the corpus, to see whether it writes what it was shown), and is drawn twice from seed S + i, free and constrained; the test song
is cut to its first N bars (``beepbrain.generate.evaluate.like_for_like``, what `beepbrain evaluate` reports
as ``gen_free_*``, ``gen_*`` and ``ref_cut_*``). ``benchmarks/generated_songs.py`` reads the statistics of
songs already written (``.url`` files); this script samples its own, so that each has a real counterpart.
``--model`` takes any URI ``load_model`` does (``models:/beepbrain/N``, ``runs:/...``); the dataset is
the model's own unless ``--dataset`` names another in DATA_DIR/datasets.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

from beepbrain.generate.stats import JUDGED_STATS

FIRST = (
    *JUDGED_STATS,
    "scale_consistency",
    "header_scale_share",
)  # issue 21's statistics first, then the rest


BREAKDOWN = {
    "pitch_silent": "share of pitch-channel bars that are silent",
    "drum_silent": "share of drum-channel bars that are silent",
    "pitch_onsets": "note starts per sounding pitch-channel bar",
    "drum_onsets": "note starts per sounding drum-channel bar",
    "pitches": "pitches per pitch-channel note",
    "length": "length of a pitch-channel note (parts)",
}


def breakdown(song) -> dict[str, float]:
    """Where a song's notes are: silent bars per kind of channel, notes per sounding bar, chord size and
    note length (what makes up onsets per bar and polyphony)."""
    import numpy as np

    got = {key: [] for key in BREAKDOWN}
    for c in range(song.channel_count):
        kind = "drum" if song.is_noise_channel(c) else "pitch"
        for bar in range(song.bar_count):
            pattern = song.pattern_at(c, bar)
            notes = pattern.notes if pattern is not None else []
            got[f"{kind}_silent"].append(0.0 if notes else 1.0)
            if notes:
                got[f"{kind}_onsets"].append(len(notes))
            if kind == "pitch":
                got["pitches"] += [len(n.pitches) for n in notes]
                got["length"] += [min(n.end, song.parts_per_bar) - n.start for n in notes]
    return {key: float(np.mean(v)) if v else float("nan") for key, v in got.items()}


def relative(value: float, real: float) -> str:
    if math.isnan(value) or math.isnan(real) or real == 0:
        return "-"
    return f"{100 * (value - real) / abs(real):+.0f}%"


def table(stats: dict[str, dict[str, float]], free: str, constrained: str, real: str) -> str:
    from beepbrain.generate.stats import STAT_NAMES

    names = list(FIRST) + [n for n in STAT_NAMES if n not in FIRST]
    head = (
        "statistic",
        f"free ({free})",
        f"constrained ({constrained})",
        "test songs, cut",
        "free vs real",
        "constrained vs real",
        "test songs, whole",
    )
    rows = [head, tuple("-" * len(h) for h in head)]
    for name in names:
        f, c, r, w = (stats[k][name] for k in ("free", "constrained", "real", "whole"))
        rows.append((name, f"{f:.3f}", f"{c:.3f}", f"{r:.3f}", relative(f, r), relative(c, r), f"{w:.3f}"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    return "\n".join(
        "| "
        + " | ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        )
        + " |"
        for row in rows
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default="beepbrain-data")
    parser.add_argument("--tracking-uri", default=None, help="default: the SQLite store in the data dir")
    parser.add_argument("--model", default="models:/beepbrain/latest")
    parser.add_argument("--dataset", default=None, help="default: the model's own dataset")
    parser.add_argument("--samples", type=int, default=16)
    parser.add_argument("--max-bars", type=int, default=16)
    parser.add_argument("--temperature", type=float, default=1.0, help="for both modes (default 1.0)")
    parser.add_argument(
        "--shape-temperature",
        type=float,
        default=None,
        help="a pitch-channel note's shape after its first pitch (chord pitches, length, pins; default: "
        "--temperature)",
    )
    parser.add_argument(
        "--kind-temperature",
        type=float,
        default=None,
        help="the choice between kinds of token (SamplingConfig.kind_temperature; default: none, one "
        "temperature over all tokens)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--splits",
        default="test",
        help="the songs whose shapes the samples take and with which they are compared, comma separated "
        "(default test; val,test: both held-out splits, twice the songs; the model is never trained on "
        "either, the val split only gives the validation loss; train: the songs it learned from, many "
        "more of them: whether it writes what it was shown)",
    )
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()

    import numpy as np

    from beepbrain import settings
    from beepbrain.generate.evaluate import (
        MODEL,
        MODEL_FREE,
        TEST_CUT,
        like_for_like,
        load_split,
        reference_songs,
    )
    from beepbrain.generate.sampling import SamplingConfig
    from beepbrain.generate.stats import song_stats, summarize
    from beepbrain.tokens.shards import is_dataset
    from beepbrain.train.registry import load_model

    data = Path(args.data_dir)
    uri = settings.tracking_uri(data, args.tracking_uri)
    model, tokenizer, info = load_model(args.model, uri)
    name = args.dataset or info.get("manifest", {}).get("name")
    dataset = data / "datasets" / str(name)
    if not is_dataset(dataset):
        raise SystemExit(f"no dataset {name!r} at {dataset}: pass --dataset")
    refs, used_splits = [], []
    for split in [s.strip() for s in args.splits.split(",") if s.strip()]:
        if split not in ("train", "val", "test"):
            raise SystemExit(f"--splits takes train, val and test, not {split!r}")
        held = load_split(dataset, split)
        if held.songs:
            refs += reference_songs(tokenizer, held, len(held.songs))
            used_splits.append(split)
    if not refs and "val" not in used_splits:  # a small dataset with an empty test split
        held = load_split(dataset, "val")
        refs, used_splits = reference_songs(tokenizer, held, len(held.songs)), ["val"]
    split = "+".join(used_splits)
    print(
        f"model {args.model} (version {info.get('version')}, {info.get('params', 0):,} parameters); "
        f"{len(refs)} {split} songs of {dataset}; {args.samples} samples of at most {args.max_bars} bars, "
        f"T={args.temperature}"
        + (f" (a note's shape {args.shape_temperature})" if args.shape_temperature is not None else "")
        + (f" (kinds {args.kind_temperature})" if args.kind_temperature is not None else "")
        + f", seeds {args.seed}..{args.seed + args.samples - 1}"
    )
    started = time.perf_counter()
    pairs = like_for_like(
        model,
        tokenizer,
        refs,
        samples=args.samples,
        max_bars=args.max_bars,
        sampling=SamplingConfig(
            temperature=args.temperature,
            top_p=1.0,
            seed=args.seed,
            shape_temperature=args.shape_temperature,
            kind_temperature=args.kind_temperature,
        ),
        progress=lambda msg: print(msg, flush=True),
    )
    seconds = time.perf_counter() - started
    stats = pairs.stats()
    failed = {i for i, _mode, _error in pairs.failed}
    used = [refs[i % len(refs)] for i in range(args.samples) if i not in failed]  # whole, as often as paired
    stats = {
        "free": stats[MODEL_FREE],
        "constrained": stats[MODEL],
        "real": stats[TEST_CUT],
        "whole": summarize([song_stats(s) for s in used]),
    }
    bars = sum(s.bar_count for s in pairs.test_cut) / max(1, len(pairs.test_cut))
    print(
        f"\n{len(pairs.model)} songs per mode in {seconds:.0f}s, {bars:.1f} bars on average "
        f"(the test songs cut to each sample's bars)"
        + (f"; {len(pairs.failed)} sample(s) failed, their pairs left out" if pairs.failed else "")
        + "\n"
    )
    label = (
        f"T={args.temperature:g}"
        + (f", shapes {args.shape_temperature:g}" if args.shape_temperature is not None else "")
        + (f", kinds {args.kind_temperature:g}" if args.kind_temperature is not None else "")
    )
    print(table(stats, label, label, "cut"))
    print("\nwhere the notes go (per bar of a channel, per note; mean over the songs):")
    rows = {"free": pairs.model_free, "constrained": pairs.model, "test songs, cut": pairs.test_cut}
    parts = {name: [breakdown(song) for song in songs] for name, songs in rows.items() if songs}
    for key, what in BREAKDOWN.items():
        values = {name: float(np.nanmean([b[key] for b in got])) for name, got in parts.items()}
        print(f"  {what:44} " + "  ".join(f"{name} {v:6.3f}" for name, v in values.items()))
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "model": args.model,
                    "version": info.get("version"),
                    "dataset": str(dataset),
                    "split": split,
                    "samples": args.samples,
                    "max_bars": args.max_bars,
                    "temperature": args.temperature,
                    "seed": args.seed,
                    "stats": stats,
                    "urls": pairs.urls,
                    "free_urls": pairs.free_urls,
                    "failed": pairs.failed,
                },
                indent=1,
            )
        )


if __name__ == "__main__":
    main()
