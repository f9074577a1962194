"""Throughput of the BeepBox URL codec on one core: parse_song and Song.to_url over the test corpus.

    .venv/bin/python benchmarks/parse_throughput.py [--corpus tests/data/songs.jsonl.zst] [--seconds 5]

Prints songs/s and MB/s (of song-string text, per CPU-second of this process) for decoding every `beepbox` record, and songs/s for
encoding the decoded songs back to version-9 strings.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import time
from pathlib import Path

import zstandard

from beepbrain.format import BeepBoxFormatError, parse_song

ROOT = Path(__file__).resolve().parent.parent


def load(path: Path) -> list[str]:
    with open(path, "rb") as fh:
        text = io.TextIOWrapper(zstandard.ZstdDecompressor().stream_reader(fh), encoding="utf-8")
        records = [json.loads(line) for line in text if line.strip()]
    return [r["data"] for r in records if r.get("type") == "beepbox"]


def timed(fn, items, seconds: float) -> tuple[float, int]:
    """Run fn over items repeatedly for about `seconds`; return (elapsed, passes)."""
    passes = 0
    start = time.process_time()
    while True:
        for item in items:
            fn(item)
        passes += 1
        elapsed = time.process_time() - start
        if elapsed >= seconds:
            return elapsed, passes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT / "tests/data/songs.jsonl.zst")
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()

    songs = load(args.corpus)
    good, rejected = [], 0
    for data in songs:
        try:
            good.append(parse_song(data))
        except BeepBoxFormatError:
            rejected += 1
    size_mb = sum(len(s) for s in songs) / 1e6

    def parse(data: str) -> None:
        with contextlib.suppress(BeepBoxFormatError):
            parse_song(data)

    elapsed, passes = timed(parse, songs, args.seconds)
    rate = passes * len(songs) / elapsed
    print(f"corpus: {len(songs)} beepbox songs ({rejected} rejected), {size_mb:.3f} MB of song strings")
    print(f"parse_song: {rate:,.0f} songs/s, {passes * size_mb / elapsed:.2f} MB/s")
    elapsed, passes = timed(lambda s: s.to_url(), good, args.seconds)
    print(f"to_url:     {passes * len(good) / elapsed:,.0f} songs/s")


if __name__ == "__main__":
    main()
