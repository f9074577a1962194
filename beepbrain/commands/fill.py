"""`beepbrain fill`: bars of a song written anew, or a channel added to it, by a registered model."""

from __future__ import annotations

import sys
from pathlib import Path


def register(subparsers) -> None:
    from beepbrain.commands.generate import DEFAULT_MODEL, add_sampling_arguments
    from beepbrain.generate.fill import LAYOUTS

    p = subparsers.add_parser(
        "fill",
        help="write bars of a song anew, or add a channel to it",
        description=__doc__.splitlines()[0].split(": ", 1)[-1],
    )
    p.add_argument(
        "song",
        metavar="SONG",
        help="a BeepBox song: URL, song string, a file holding one or BeepBox JSON, or - for stdin",
    )
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument(
        "--bars", metavar="A-B", help="the bars to write anew (1-based, inclusive; A alone: one bar)"
    )
    what.add_argument(
        "--add-channel",
        choices=("pitch", "drum"),
        help="add one channel of this kind (after the song's channels of its kind), written for "
        "the whole song up to its last note (silent bars after it stay silent)",
    )
    p.add_argument(
        "--channels", metavar="LIST", help="with --bars: the channels (1-based, e.g. 1,3; default all)"
    )
    p.add_argument(
        "--instrument",
        metavar="TYPE",
        help="with --add-channel: the new channel's instrument type "
        "(chip, FM, harmonics, PWM, Picked String, supersaw, spectrum; drums: noise, spectrum, "
        "drumset; default chip / noise)",
    )
    p.add_argument(
        "--free",
        action="store_true",
        help="no musical constraint beyond a valid song (default: the rhythm's grid, the song's scale)",
    )
    p.add_argument(
        "--no-follow-repeats",
        action="store_true",
        help="write every bar on its own (default: a bar whose other channels repeat an earlier bar of "
        "the hole plays what was written there, as a musician repeats a section's part)",
    )
    p.add_argument(
        "--layout",
        choices=LAYOUTS,
        default="inline",
        help="where the model writes each cell: in its place in the song, seeing everything before it, as "
        "it reads any song (inline, the default), or after the song, seeing the bars on both sides (fill)",
    )
    p.add_argument("--count", type=int, default=1, help="how many versions (default 1)")
    p.add_argument("--model", default=DEFAULT_MODEL, help=f"MLflow model URI (default {DEFAULT_MODEL})")
    p.add_argument("--data-dir", help="data directory (default $BEEPBRAIN_DATA_DIR or ./beepbrain-data)")
    p.add_argument("--tracking-uri", help="MLflow tracking URI (default: the SQLite store in the data dir)")
    p.add_argument("--out", help="output folder (default DATA_DIR/generated)")
    add_sampling_arguments(p)
    p.set_defaults(func=handle)


def parse_span(text: str, what: str = "--bars") -> tuple[int, int]:
    """``A-B`` or ``A`` (1-based) as (A, B); ValueError with one line otherwise."""
    a, sep, b = text.partition("-")
    try:
        first, last = int(a), int(b if sep else a)
    except ValueError:
        raise ValueError(f"{what} {text!r}: write A-B (1-based bars, e.g. 5-8) or one bar") from None
    if first > last:
        raise ValueError(f"{what} {text!r}: the first bar comes after the last")
    return first, last


def parse_channels(text: str | None) -> list[int] | None:
    if not text:
        return None
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise ValueError(f"--channels {text!r}: write channel numbers from 1, e.g. 1,3") from None


def handle(args) -> int:
    from dataclasses import replace

    from beepbrain import settings
    from beepbrain.format import BeepBoxFormatError
    from beepbrain.generate.prompt import read_prompt
    from beepbrain.generate.sampling import SamplingConfig

    if args.count < 1:
        print("error: --count must be at least 1", file=sys.stderr)
        return 2
    try:
        song = read_prompt(sys.stdin.read().strip() if args.song == "-" else args.song)
    except (BeepBoxFormatError, OSError) as exc:
        print(f"error: cannot read the song: {exc}", file=sys.stderr)
        return 2
    from beepbrain.format.edit import with_channel
    from beepbrain.generate.fill import add_channel, bar_cells, fill_song
    from beepbrain.generate.header_options import parse_instrument

    try:
        sampling = SamplingConfig(args.temperature, args.top_k, args.top_p, args.seed)
        if args.bars:
            if args.instrument:
                raise ValueError("--instrument goes with --add-channel")
            first, last = parse_span(args.bars)
            cells = bar_cells(song, first, last, parse_channels(args.channels))
            instrument = None
        else:
            if args.channels:
                raise ValueError("--channels goes with --bars")
            instrument = parse_instrument(f"1={args.instrument}")[1] if args.instrument else None
            with_channel(song, args.add_channel, instrument)  # refused here, before the model loads
    except (ValueError, BeepBoxFormatError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    data = settings.data_dir(args.data_dir)
    tracking = settings.tracking_uri(data, args.tracking_uri)
    out = Path(args.out).expanduser() if args.out else data / "generated"

    from beepbrain.commands._model import load_or_explain
    from beepbrain.generate.export import write_batch

    loaded, code = load_or_explain(args.model, tracking)
    if loaded is None:
        return code
    model, tokenizer, _info = loaded
    import time

    prefix = time.strftime("fill-%Y%m%d-%H%M%S")
    for i in range(args.count):
        cfg = replace(sampling, seed=sampling.seed + i)
        try:
            if args.bars:
                result = fill_song(
                    model,
                    tokenizer,
                    song,
                    cells,
                    cfg,
                    constraints=not args.free,
                    follow_repeats=not args.no_follow_repeats,
                    layout=args.layout,
                )
            else:
                result = add_channel(
                    model,
                    tokenizer,
                    song,
                    args.add_channel,
                    cfg,
                    instrument_type=instrument,
                    constraints=not args.free,
                    follow_repeats=not args.no_follow_repeats,
                    layout=args.layout,
                )
        except (ValueError, RuntimeError, BeepBoxFormatError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2 if isinstance(exc, ValueError | BeepBoxFormatError) else 1
        meta = {
            "model": args.model,
            "task": "bars" if args.bars else "add-channel",
            "holes": len(result.holes),
            "hole_notes": result.hole_notes,
            "temperature": sampling.temperature,
            "constraints": not args.free,
            "layout": args.layout,
        }
        [row] = write_batch([result], out, prefix=prefix, meta=meta, start=i)
        print(
            f"[{i + 1}/{args.count}] seed {result.seed}: {len(result.holes)} cells written anew, "
            f"{result.hole_notes} notes in them, {result.seconds:.1f}s -> {row['json']}",
            flush=True,
        )
        print(row["url"], flush=True)
    print(f"\n{args.count} song(s) in {out} (BeepBox JSON: File > Import in BeepBox; MIDI; .url)")
    return 0
