"""Generation speed: tokens/s with and without the KV cache, and seconds per 16-bar song.

Weights do not change the speed, so by default the models are freshly initialised `tiny` and `small`
configurations sized for the default tokenizer's vocabulary; `--model URI --data-dir DIR` measures a
registered model instead. Songs: 3 pitch + 1 drum channels, 8 beats per bar, grammar-constrained.

    .venv/bin/python benchmarks/generate_throughput.py [--configs tiny small] [--bars 16] [--threads N]
"""

from __future__ import annotations

import argparse
import platform
import time

import torch

from beepbrain.generate.sampling import SamplingConfig
from beepbrain.generate.songs import SongRequest, generate_song, generate_tokens
from beepbrain.model import CONFIGS, GPT
from beepbrain.tokens import TickTokenizer


def measure_tokens(model, tokenizer, bars: int, use_cache: bool) -> tuple[float, int, int]:
    """(seconds, tokens sampled, model calls) for one song of `bars` bars."""
    scorers: list = []
    calls = 0

    def count(_token):
        nonlocal calls
        calls += 1

    started = time.perf_counter()
    tokens, _, _ = generate_tokens(
        model,
        tokenizer,
        SongRequest(bars=bars),
        SamplingConfig(seed=0),
        use_cache=use_cache,
        scorer_out=scorers,
        on_token=count,
    )
    return time.perf_counter() - started, len(tokens), scorers[0].forward_tokens


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", nargs="+", default=["tiny", "small"])
    parser.add_argument("--bars", type=int, default=16, help="song length for the seconds-per-song figure")
    parser.add_argument("--uncached-bars", type=int, default=1, help="song length for the uncached figure")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    parser.add_argument("--model", help="a registered model URI instead of fresh configurations")
    parser.add_argument("--data-dir")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    print(
        f"machine: {platform.processor() or platform.machine()}, torch {torch.__version__}, "
        f"{torch.get_num_threads()} threads"
    )

    if args.model:
        from beepbrain import settings
        from beepbrain.generate.batch import load_generator

        data = settings.data_dir(args.data_dir)
        model, tokenizer, info = load_generator(args.model, settings.tracking_uri(data))
        models = [(f"{args.model} (v{info.get('version')})", model)]
    else:
        tokenizer = TickTokenizer()
        torch.manual_seed(0)
        models = [(name, GPT(CONFIGS[name].with_data(tokenizer.vocab_size)).eval()) for name in args.configs]

    print(
        f"vocabulary {tokenizer.vocab_size}; 3 pitch + 1 drum channels, 8 beats per bar, "
        f"{8 * tokenizer.config.ticks_per_beat * 4 + 1} tokens per bar\n"
    )
    header = (
        f"{'model':<10}{'params':>10}{'ctx':>6}{'cached tok/s':>14}{'uncached tok/s':>16}{'speed-up':>10}"
        f"{f's per {args.bars}-bar song':>20}"
    )
    print(header)
    for name, model in models:
        generate_tokens(model, tokenizer, SongRequest(bars=1), SamplingConfig(seed=1))  # warm up
        sec_c, n_c, _ = measure_tokens(model, tokenizer, args.uncached_bars, True)
        sec_u, n_u, _ = measure_tokens(model, tokenizer, args.uncached_bars, False)
        started = time.perf_counter()
        result = generate_song(model, tokenizer, SongRequest(bars=args.bars), SamplingConfig(seed=0))
        song_seconds = time.perf_counter() - started
        cached_rate, uncached_rate = n_c / sec_c, n_u / sec_u
        print(
            f"{name:<10}{model.num_params():>10,}{model.config.block_size:>6}{cached_rate:>14,.0f}"
            f"{uncached_rate:>16,.0f}{cached_rate / uncached_rate:>9.1f}x{song_seconds:>20.1f}"
            f"   ({len(result.tokens)} tokens)"
        )


if __name__ == "__main__":
    main()
