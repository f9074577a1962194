"""Musical statistics of generated songs, read back from their URLs: what docs/generate.md states for the
songs `beepbrain run` prints (bar repeat, scale consistency, onsets per bar, tempo, instruments).

    .venv/bin/python benchmarks/generated_songs.py [DIR]    # default: ./beepbrain-data/generated

Each `.url` file in DIR is one song (as `beepbrain run` and `beepbrain generate` write them).
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

STATS = (
    "bar_repeat",
    "scale_consistency",
    "pitch_onsets_per_bar",
    "drum_onsets_per_bar",
    "pitch_class_entropy",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir", type=Path, nargs="?", default=Path("beepbrain-data/generated"))
    args = parser.parse_args()

    from beepbrain.format import Instrument, parse_song
    from beepbrain.format import config as fc
    from beepbrain.generate.stats import song_stats

    files = sorted(args.dir.glob("*.url"))
    if not files:
        raise SystemExit(f"no .url files in {args.dir}")
    rows = []
    for f in files:
        song = parse_song(f.read_text().strip())
        stats = song_stats(song)
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
        print("  " + ", ".join(f"{k} {stats[k]:.2f}" for k in STATS))
    print(
        "mean: "
        + ", ".join(
            f"{k} {sum(r[k] for r in rows if not math.isnan(r[k])) / max(1, sum(not math.isnan(r[k]) for r in rows)):.2f}"
            for k in STATS
        )
    )


if __name__ == "__main__":
    main()
