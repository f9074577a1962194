"""`beepbrain generate`: new BeepBox songs from a registered model, as URL, BeepBox JSON and MIDI."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

DEFAULT_MODEL = "models:/beepbrain/latest"
PITCH_RANGE = (1, 10)  # the conditioning's ranges (beepbrain.tokens.conditioning), as BeepBox allows
DRUM_RANGE = (0, 5)


def add_sampling_arguments(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("sampling")
    g.add_argument(
        "--temperature", type=float, default=1.0, help="softmax temperature; 0 = greedy (default 1.0)"
    )
    g.add_argument(
        "--top-k", type=int, default=0, help="sample among the K likeliest tokens (default 0: all)"
    )
    g.add_argument(
        "--top-p",
        type=float,
        default=1.0,
        help="nucleus sampling mass (default 1.0: off; note starts are rare tokens, a nucleus cut drops them)",
    )
    g.add_argument("--seed", type=int, default=0, help="random seed; song i uses seed+i (default 0)")


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "generate", help="write new songs with a trained model", description=__doc__.splitlines()[0]
    )
    p.add_argument("--model", default=DEFAULT_MODEL, help=f"MLflow model URI (default {DEFAULT_MODEL})")
    p.add_argument("--data-dir", help="data directory (default $BEEPBRAIN_DATA_DIR or ./beepbrain-data)")
    p.add_argument("--tracking-uri", help="MLflow tracking URI (default: the SQLite store in the data dir)")
    p.add_argument(
        "--rhythm",
        type=int,
        default=1,
        choices=range(5),
        metavar="R",
        help="0 triplets, 1 standard (÷4), 2 ÷6, 3 ÷8, 4 freehand (default 1)",
    )
    p.add_argument("--pitch-channels", type=int, default=3, metavar="P", help="1-10 (default 3)")
    p.add_argument("--drum-channels", type=int, default=1, metavar="D", help="0-5 (default 1)")
    p.add_argument(
        "--bars", type=int, default=16, metavar="N", help="bars to write, or to add to a prompt (default 16)"
    )
    p.add_argument("--beats-per-bar", type=int, default=8, metavar="B", help="3-16 (default 8)")
    p.add_argument(
        "--prompt",
        metavar="SONG",
        help="a BeepBox song (URL, song string, or a file holding one "
        "or BeepBox JSON) to continue for --bars more bars; its rhythm, channels and beats per bar "
        "replace --rhythm, --pitch-channels, --drum-channels and --beats-per-bar",
    )
    h = p.add_argument_group(
        "header (models trained on a pattern-tokenizer dataset; default: the model chooses)"
    )
    h.add_argument("--tempo", type=int, default=None, metavar="BPM", help="beats per minute, 30-300")
    h.add_argument(
        "--header-temperature",
        type=float,
        default=None,
        metavar="T",
        help="temperature for the header the model writes (default: --temperature)",
    )
    h.add_argument("--key", default=None, help="key: C, C#, Db, ... B (or 0-11)")
    h.add_argument("--scale", default=None, help='BeepBox scale name ("normal :)", expert, ...) or 0-11')
    h.add_argument(
        "--instrument",
        action="append",
        default=[],
        metavar="CH=TYPE",
        help="channel CH (from 1) plays an instrument of TYPE (chip, FM, spectrum, harmonics, PWM, "
        "Picked String, supersaw; drum channels: noise, spectrum, drumset); repeatable",
    )
    p.add_argument(
        "--free",
        action="store_true",
        help="free sampling: no musical constraint beyond a valid song (notes may leave the rhythm's "
        "grid and the header's scale, the first bar may be silent)",
    )
    p.add_argument("--count", type=int, default=1, help="how many songs (default 1)")
    p.add_argument("--out", help="output folder (default DATA_DIR/generated)")
    p.add_argument(
        "--no-log",
        action="store_true",
        help="do not draw piano rolls of the songs (the first 8) into the model's MLflow run",
    )
    p.add_argument("--no-cache", action="store_true", help="recompute the whole window every token (slow)")
    add_sampling_arguments(p)
    p.set_defaults(func=handle)


def handle(args) -> int:
    from beepbrain import settings
    from beepbrain.format import BeepBoxFormatError
    from beepbrain.format.config import BAR_COUNT_MAX
    from beepbrain.generate.prompt import read_prompt

    if args.count < 1:
        print("error: --count must be at least 1", file=sys.stderr)
        return 2
    if not 1 <= args.bars <= BAR_COUNT_MAX:
        print(f"error: --bars must be in 1..{BAR_COUNT_MAX}", file=sys.stderr)
        return 2
    if not 3 <= args.beats_per_bar <= 16:
        print("error: --beats-per-bar must be in 3..16", file=sys.stderr)
        return 2
    prompt = None
    if args.prompt:
        try:
            prompt = read_prompt(args.prompt)
        except (BeepBoxFormatError, OSError) as exc:
            print(f"error: cannot read the prompt song: {exc}", file=sys.stderr)
            return 2
    data = settings.data_dir(args.data_dir)
    tracking = settings.tracking_uri(data, args.tracking_uri)
    out = Path(args.out).expanduser() if args.out else data / "generated"

    from beepbrain.generate.header_options import parse_instrument, parse_key, parse_scale
    from beepbrain.generate.sampling import SamplingConfig
    from beepbrain.generate.songs import SongRequest

    if prompt is None:
        # checked here, against the flags the user typed (the library's own message names its fields)
        for flag, value, (lo, hi) in (
            ("--pitch-channels", args.pitch_channels, PITCH_RANGE),
            ("--drum-channels", args.drum_channels, DRUM_RANGE),
        ):
            if not lo <= value <= hi:
                print(f"error: {flag} {value} is out of range: BeepBox songs have {lo}-{hi}", file=sys.stderr)
                return 2
    try:
        sampling = SamplingConfig(
            args.temperature, args.top_k, args.top_p, args.seed, args.header_temperature
        )
        if args.tempo is not None and not 30 <= args.tempo <= 300:
            raise ValueError(f"--tempo {args.tempo}: must be in 30..300")
        key = parse_key(args.key) if args.key is not None else None
        scale = parse_scale(args.scale) if args.scale is not None else None
        instruments = tuple(parse_instrument(text) for text in args.instrument)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    request = SongRequest(
        rhythm=args.rhythm,
        pitch_channels=args.pitch_channels,
        drum_channels=args.drum_channels,
        bars=args.bars,
        beats_per_bar=args.beats_per_bar,
        prompt=prompt,
        tempo=args.tempo,
        key=key,
        scale=scale,
        instruments=instruments,
        constraints=not args.free,
    )

    from beepbrain.commands._model import load_or_explain
    from beepbrain.generate.batch import generate_to_dir, log_piano_rolls_to_model_run
    from beepbrain.generate.pianoroll import GENERATED_LIMIT

    loaded, code = load_or_explain(args.model, tracking)
    if loaded is None:
        return code
    model, tokenizer, info = loaded
    try:
        rows = generate_to_dir(
            model,
            tokenizer,
            request,
            sampling,
            args.count,
            out,
            use_cache=not args.no_cache,
            model_uri=args.model,
            echo=True,
        )
    except ValueError as exc:  # e.g. a prompt that leaves no room for --bars more bars
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"\n{len(rows)} song(s) in {out} (BeepBox JSON: File > Import in BeepBox; MIDI; .url)")
    if not args.no_log:
        line = log_piano_rolls_to_model_run(
            info, tracking, rows, GENERATED_LIMIT, warn=lambda msg: print(f"warning: {msg}", file=sys.stderr)
        )
        if line:
            print(line)
    return 0
