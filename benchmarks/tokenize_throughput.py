"""Tokenizer and loader throughput on one core: songs/s and tokens/s for encode and decode, windows/s
for the WindowLoader. Prints the measured figures.

    .venv/bin/python benchmarks/tokenize_throughput.py [--source FILE] [--repeat N]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import tempfile
import time
from pathlib import Path

SAMPLE = Path(__file__).resolve().parents[1] / "beepbrain" / "data" / "sample-archive.jsonl.zst"


def best_of(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", default=str(SAMPLE), help="archive .jsonl(.zst) or text file of songs")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (the best is reported)")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core

    from beepbrain.format import parse_song
    from beepbrain.tokens import PatternTokenizer, TickTokenizer, TickTokenizerConfig, WindowLoader
    from beepbrain.tokens.dataset import build_dataset_from_songs
    from beepbrain.tokens.stats import read_song_strings

    strings = [data for _id, data in read_song_strings(args.source)]
    songs = []
    t_parse = time.perf_counter()
    for s in strings:
        with contextlib.suppress(ValueError):
            songs.append(parse_song(s))
    t_parse = time.perf_counter() - t_parse
    print(f"songs: {len(songs)} parsed of {len(strings)} ({len(songs) / t_parse:,.0f} songs/s parse)")
    for name, tok in (("tick", TickTokenizer()), ("pattern", PatternTokenizer())):
        encoded = [tok.encode(s) for s in songs]
        n_tokens = sum(len(e.tokens) for e in encoded)
        t_enc = best_of(lambda tok=tok: [tok.encode(s) for s in songs], args.repeat)
        t_dec = best_of(
            lambda tok=tok, encoded=encoded: [tok.decode(e.tokens, e.conditioning) for e in encoded],
            args.repeat,
        )
        print(f"{name} tokenizer: {n_tokens:,} tokens, vocabulary {tok.vocab_size}")
        print(
            f"  encode: {len(songs) / t_enc:,.0f} songs/s, {n_tokens / t_enc / 1e6:,.2f} M tokens/s (one core)"
        )
        print(
            f"  decode: {len(songs) / t_dec:,.0f} songs/s, {n_tokens / t_dec / 1e6:,.2f} M tokens/s (one core)"
        )
        print(f"  parse + encode: {len(songs) / (t_parse + t_enc):,.0f} songs/s")

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "bench"  # the tick tokenizer's long streams: the loader's heaviest case
        build_dataset_from_songs(strings, out, config=TickTokenizerConfig(), augment_transpose=3)
        for block, batch in ((512, 8), (512, 64), (1024, 32)):
            loader = WindowLoader(out, "train", block_size=block, batch_size=batch, seed=0)
            loader.get_batch(0)
            steps = 200
            t0 = time.perf_counter()
            for step in range(steps):
                loader.get_batch(step)
            dt = time.perf_counter() - t0
            print(
                f"loader {batch}x{block}: {steps / dt:,.0f} batches/s, {steps * batch / dt:,.0f} windows/s, "
                f"{steps * batch * block / dt / 1e6:,.1f} M tokens/s ({loader.windows:,} window starts)"
            )


if __name__ == "__main__":
    main()
