"""Musical statistics of generated songs, read back from their URLs: what docs/generate.md states for the
songs `beepbrain run` prints (bar repeat, scale consistency, onsets per bar, polyphony, tempo, instruments),
and, with ``--data-dir``, the same songs next to real songs of their shape (issue 21's criterion).

    .venv/bin/python benchmarks/generated_songs.py [DIR]    # default: ./beepbrain-data/generated
    .venv/bin/python benchmarks/generated_songs.py DIR --data-dir beepbrain-data [--dataset sample]
    .venv/bin/python benchmarks/generated_songs.py DIR --real SONGS.jsonl[.zst]   # songs of your own

Each `.url` file in DIR is one song (as `beepbrain run` and `beepbrain generate` write them).

With ``--data-dir``, the real songs are the catalog's (``corpus.duckdb``), read from their own song
strings with the BeepBox codec, not from tokens. A real song is of a generated song's shape when it has
the same rhythm, pitch- and drum-channel counts and beats per bar, and at least its bars; it is cut to the generated song's
bars (``generate.stats.same_shape``). A real song's length is counted two ways: as posted (its
bar count: a song left at BeepBox's default 16 bars with 8 written counts as 16 bars, half silent), and to
its last note (the silent bars at its end dropped, as the tokenizers drop them: the songs the model learns
from). Tempo, key, scale and instruments are left to the model, as
`beepbrain run` leaves them. The rows: the songs the dataset's model never saw (its validation and test
splits, from the dataset's manifest), the songs it learned from (train), and all of them (the largest
sample of real songs; not unseen). Each figure is a mean over songs with its standard error; each real row
also gives the generated mean's difference from it. Where the generated songs take several shapes, a real
row weighs each shape by the generated songs that took it.

With ``--real FILE`` (archive records, ``.jsonl`` or ``.jsonl.zst``, or one song string or URL a line), the
real songs are that file's too, in a row of their own: songs no corpus of the project holds, the issue's
"songs beyond ../shared". Songs the codec cannot read are counted and left out.
"""

from __future__ import annotations

import argparse
import math
from collections import Counter
from pathlib import Path

from beepbrain.generate.stats import JUDGED_STATS

STATS = (*JUDGED_STATS, "scale_consistency")
PER_SONG = (
    "bar_repeat",
    "scale_consistency",
    "pitch_onsets_per_bar",
    "drum_onsets_per_bar",
    "pitch_class_entropy",
)


def real_songs(data_dir: Path, dataset: str) -> dict[str, list]:
    """The catalog's songs in each group of the dataset's splits: unseen (val + test), train, all."""
    from beepbrain.embed.corpus import catalog_songs
    from beepbrain.format import parse_song
    from beepbrain.generate.evaluate import split_song_ids

    dataset_dir = data_dir / "datasets" / dataset
    ids = {split: set(split_song_ids(dataset_dir, split)) for split in ("train", "val", "test")}
    if not any(ids.values()):
        raise SystemExit(f"{dataset_dir}: its manifest lists no song ids per split")
    groups: dict[str, list] = {"unseen (val + test)": [], "train": [], "all": []}
    for sid, text in catalog_songs(data_dir):
        group = (
            "train"
            if sid in ids["train"]
            else "unseen (val + test)"
            if sid in ids["val"] | ids["test"]
            else None
        )
        if group is None:
            continue  # not in the dataset (a duplicate, a silent song)
        song = parse_song(text)
        groups[group].append(song)
        groups["all"].append(song)
    return groups


def compare(generated: list, means: dict, real: list, to_last_note: bool) -> tuple[list[str], int]:
    """Cells (mean ± standard error, difference from the generated mean in ``means``) of each statistic
    over the real songs of the generated songs' shapes, and how many real songs that is."""
    from beepbrain.generate.stats import mean_and_error, same_shape, song_shape, song_stats

    shapes = Counter((*song_shape(s), s.bar_count) for s in generated)
    examples = {(*song_shape(s), s.bar_count): s for s in generated}
    per_shape = {k: [song_stats(r) for r in same_shape(examples[k], real, to_last_note)] for k in shapes}
    cells, used = [], sum(len(rows) for rows in per_shape.values())
    for name in STATS:
        parts = [(shapes[k], *mean_and_error(rows, name)) for k, rows in per_shape.items()]
        parts = [p for p in parts if p[3]]
        if not parts:
            cells.append("-")
            continue
        weight = sum(p[0] for p in parts)
        mean = sum(w * m for w, m, _e, _n in parts) / weight
        error = (
            math.sqrt(sum((w * (e if not math.isnan(e) else 0.0)) ** 2 for w, _m, e, _n in parts)) / weight
        )
        ours = means[name][0]
        diff = f"{100 * (ours - mean) / mean:+.0f}%" if mean else "-"
        cells.append(f"{mean:.2f} ± {error:.2f} ({diff})")
    return cells, used


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir", type=Path, nargs="?", default=Path("beepbrain-data/generated"))
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="also compare with this data dir's real songs of the same shape",
    )
    parser.add_argument(
        "--real",
        type=Path,
        default=None,
        help="also compare with the songs of this archive file (.jsonl[.zst]) or song list",
    )
    parser.add_argument(
        "--dataset", default="sample", help="whose splits tell unseen songs apart (default sample)"
    )
    args = parser.parse_args()

    from beepbrain.format import Instrument, parse_song
    from beepbrain.format import config as fc
    from beepbrain.generate.stats import mean_and_error, song_stats

    files = sorted(args.dir.glob("*.url"))
    if not files:
        raise SystemExit(f"no .url files in {args.dir}")
    songs, rows = [], []
    for f in files:
        song = parse_song(f.read_text().strip())
        stats = song_stats(song)
        songs.append(song)
        rows.append(stats)
        types = ", ".join(fc.INSTRUMENT_TYPE_NAMES[c.instruments[0].type] for c in song.channels)
        default = sum(
            c.instruments[0] == Instrument.default(c.instruments[0].type, song.is_noise_channel(i))
            for i, c in enumerate(song.channels)
        )
        print(
            f"{f.name}: tempo {song.tempo}, key {fc.KEY_NAMES[song.key]}, scale {fc.SCALE_NAMES[song.scale]!r}, "
            f"{song.bar_count} bars; instruments {types} ({default} at BeepBox's defaults)"
        )
        print("  " + ", ".join(f"{k} {stats[k]:.2f}" for k in PER_SONG))
    means = {k: mean_and_error(rows, k) for k in STATS}
    print("mean: " + ", ".join(f"{k} {means[k][0]:.2f}" for k in STATS))
    if args.data_dir is None and args.real is None:
        return

    shapes = Counter(
        f"rhythm {s.rhythm}, {s.pitch_channel_count}+{s.noise_channel_count} channels, "
        f"{s.beats_per_bar} beats per bar, {s.bar_count} bars"
        for s in songs
    )
    print(f"\nnext to real songs of the same shape ({'; '.join(f'{n} x {k}' for k, n in shapes.items())}):")
    print("| songs | n | " + " | ".join(STATS) + " |")
    print("|---|---:|" + "---:|" * len(STATS))
    print(
        f"| generated ({args.dir}) | {len(songs)} | "
        + " | ".join(f"{m:.2f} ± {e:.2f}" for m, e, _n in means.values())
        + " |"
    )
    groups = real_songs(args.data_dir, args.dataset) if args.data_dir is not None else {}
    if args.real is not None:
        from main_job_quality import outside_songs  # benchmarks/ is on sys.path when run as a script

        groups[f"outside ({args.real.name})"] = outside_songs(args.real)
    for to_last_note in (False, True):
        length = "to their last note" if to_last_note else "as posted"
        for label, real in groups.items():
            cells, used = compare(songs, means, real, to_last_note)
            print(f"| real, {length}: {label} | {used} | " + " | ".join(cells) + " |")
    print(
        "\n± : the standard error of the mean over songs; (%): the generated mean's difference from the row's"
    )


if __name__ == "__main__":
    main()
