"""`beepbrain fill` on songs no corpus holds: edited copies of the dataset's test songs (every pitch-channel
note two semitones up inside the key, the bars rotated by a quarter: ``main_job_quality.edited``), each
written again by the main job's model as `beepbrain fill` writes it (its defaults: in place, following the
song's repeats, temperature 1, the grammar's constraints):

    .venv/bin/python benchmarks/fill_unseen.py [--data-dir beepbrain-data] [--model models:/beepbrain/latest]
    .venv/bin/python benchmarks/fill_unseen.py --songs SONGS.jsonl[.zst]   # real songs of your own instead

1. ``--bars 2-5`` over all channels (bars 2..min(5, the song's bars));
2. ``--add-channel drum`` (where the song has fewer than BeepBox's 5 drum channels).

For each it checks what the issue asks of every result: every cell outside the hole note for note as it
was (and tempo, key, scale, instruments), the result read back by the codec from its URL giving the same
URL (what BeepBox opens), and the hole playing notes; and prints the hole's notes per bar next to the
original bars' (for an added channel: next to the song's own drum channel where it has one).
"""

from __future__ import annotations

import argparse
from pathlib import Path


def notes_at(song, c: int, b: int) -> list:
    pattern = song.pattern_at(c, b)
    return pattern.notes if pattern is not None else []


def kept(before, after, cells) -> bool:
    """Every cell of ``before`` outside ``cells`` is note for note in ``after`` (its channels keep their
    places: bars are filled in place, an added drum channel goes after all of them), and so are tempo,
    key, scale and instruments."""
    if (before.tempo, before.key, before.scale) != (after.tempo, after.key, after.scale):
        return False
    for c in range(before.channel_count):
        if before.channels[c].instruments != after.channels[c].instruments:
            return False
        for b in range(before.bar_count):
            if (b, c) not in cells and notes_at(before, c, b) != notes_at(after, c, b):
                return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default="beepbrain-data")
    parser.add_argument("--model", default="models:/beepbrain/latest")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--songs",
        type=Path,
        default=None,
        help="the songs of this archive file (.jsonl[.zst]) or song list, as the codec reads them (less "
        "any in the model's train split), instead of edited copies of the test songs",
    )
    args = parser.parse_args()

    import numpy as np
    from main_job_quality import edited, outside_songs  # benchmarks/ is on sys.path when run as a script

    from beepbrain import settings
    from beepbrain.format import parse_song
    from beepbrain.generate.evaluate import load_split
    from beepbrain.generate.fill import add_channel, bar_cells, fill_song
    from beepbrain.generate.sampling import SamplingConfig
    from beepbrain.train.registry import load_model

    data = Path(args.data_dir)
    model, tokenizer, info = load_model(args.model, settings.tracking_uri(data))
    model.eval()
    name = info.get("manifest", {}).get("name", "sample")
    if args.songs is not None:
        train = load_split(data / "datasets" / str(name), "train")
        songs = outside_songs(args.songs, tokenizer, train)
        what = f"songs of {args.songs}"
    else:
        test = load_split(data / "datasets" / str(name), "test")
        songs = [edited(tokenizer.decode(t, c)) for t, c in zip(test.songs, test.cond, strict=True)]
        what = f"edited copies of {name}'s test songs"
    print(f"model {args.model} (version {info.get('version')}); {len(songs)} {what}")

    rows = {"bars": [], "drum": []}
    failed: dict[str, list[str]] = {"bars": [], "drum": []}
    for i, song in enumerate(songs):
        sampling = SamplingConfig(temperature=1.0, seed=args.seed + i)
        last = min(5, song.bar_count)
        if song.bar_count >= 2:
            cells = bar_cells(song, 2, last)
            try:
                out = fill_song(model, tokenizer, song, cells, sampling, follow_repeats=True).song
            except RuntimeError as exc:  # what `beepbrain fill` says in one line and exits 2 on
                failed["bars"].append(f"song {i}: {exc}")
            else:
                hole = sum(len(notes_at(out, c, b)) for b, c in cells)
                real = sum(len(notes_at(song, c, b)) for b, c in cells)
                rows["bars"].append(
                    (
                        kept(song, out, set(cells)),
                        parse_song(out.to_url()).to_url() == out.to_url(),
                        hole,
                        real,
                    )
                )
        if song.noise_channel_count < 5:
            try:
                result = add_channel(model, tokenizer, song, "drum", sampling, follow_repeats=True)
            except RuntimeError as exc:
                failed["drum"].append(f"song {i}: {exc}")
                continue
            out = result.song
            new = song.channel_count  # drums go after every existing channel
            hole = sum(len(notes_at(out, new, b)) for b in range(out.bar_count))
            drums = [c for c in range(song.pitch_channel_count, song.channel_count)]
            real = sum(len(notes_at(song, drums[0], b)) for b in range(song.bar_count)) if drums else None
            rows["drum"].append(
                (
                    kept(song, out, set(result.holes)),
                    parse_song(out.to_url()).to_url() == out.to_url(),
                    hole,
                    real,
                )
            )
    for kind, got in rows.items():
        n = len(got)
        label = "fill --bars 2-5" if kind == "bars" else "fill --add-channel drum"
        print(
            f"{label}: {n} songs; outside the hole unchanged {sum(g[0] for g in got)}/{n}, "
            f"URL read back the same {sum(g[1] for g in got)}/{n}, hole plays notes {sum(g[2] > 0 for g in got)}/{n}"
        )
        for line in failed[kind]:
            print(f"  not written: {line}")
        real = [g for g in got if g[3] is not None]
        if real:
            print(
                f"  notes in the hole: {np.mean([g[2] for g in real]):.1f} per song, against {np.mean([g[3] for g in real]):.1f}"
                f" in the original {'bars' if kind == 'bars' else 'first drum channel'} ({len(real)} songs)"
            )


if __name__ == "__main__":
    main()
