"""`beepbrain score`: how typical songs are under a model, in bits per note."""

from __future__ import annotations

import argparse
import json
import sys

DEFAULT_MODEL = "models:/beepbrain/latest"


def register(subparsers) -> None:
    from beepbrain.generate.fill import CONTEXTS

    p = subparsers.add_parser(
        "score",
        help="bits per note of songs under a model (how typical they are)",
        description="For each song: the bits of its token stream under the model, its tokens, the notes it "
        "plays through its bar sequence, and bits per note (bits / notes; lower: more typical).",
    )
    p.add_argument(
        "songs",
        nargs="+",
        metavar="SONG",
        help="a song URL or string, a file holding one (or BeepBox JSON), or - to read one song "
        "a line from standard input",
    )
    p.add_argument("--model", default=DEFAULT_MODEL, help=f"MLflow model URI (default {DEFAULT_MODEL})")
    p.add_argument("--data-dir", help="data directory (default $BEEPBRAIN_DATA_DIR or ./beepbrain-data)")
    p.add_argument("--tracking-uri", help="MLflow tracking URI (default: the SQLite store in the data dir)")
    p.add_argument(
        "--format", choices=("table", "json"), default="table", help="output format (default table)"
    )
    p.add_argument(
        "--baseline",
        choices=("ngram",),
        default=None,
        help="also score the songs under the n-gram baseline fitted on the model's training split "
        "(same tokens; the dataset must be in the data directory)",
    )
    p.add_argument(
        "--hole",
        metavar="A-B[:LIST]",
        help="score only the notes of bars A..B (1-based) of the listed channels (1-based, e.g. "
        "5-8:1,3; default all channels), given the rest of the song (see --context)",
    )
    p.add_argument(
        "--context",
        choices=CONTEXTS,
        default="full",
        help="with --hole: what the model is given: the rest of the song (full), the bars up to the "
        "hole's last (before), or only the song's header and instruments (header); inline: each cell "
        "in its place in the song, everything before it in view (default full)",
    )
    p.set_defaults(func=handle)


def _read_songs(args) -> tuple[list, list[str]]:
    from beepbrain.generate.prompt import read_prompt

    songs, names = [], []
    for arg in args.songs:
        if arg == "-":
            for n, line in enumerate(sys.stdin, 1):
                if line.strip():
                    songs.append(read_prompt(line.strip()))
                    names.append(f"stdin:{n}")
        else:
            songs.append(read_prompt(arg))
            names.append(arg if len(arg) < 60 else arg[:40] + "...")
    return songs, names


def handle(args: argparse.Namespace) -> int:
    from beepbrain import settings
    from beepbrain.format import BeepBoxFormatError

    try:
        songs, names = _read_songs(args)
    except (BeepBoxFormatError, OSError) as exc:
        print(f"beepbrain score: cannot read a song: {exc}", file=sys.stderr)
        return 2
    if not songs:
        print("beepbrain score: no songs given", file=sys.stderr)
        return 2
    data = settings.data_dir(args.data_dir)
    tracking = settings.tracking_uri(data, args.tracking_uri)
    from beepbrain.commands._model import load_or_explain

    loaded, code = load_or_explain(args.model, tracking)
    if loaded is None:
        return code
    model, tokenizer, info = loaded
    if args.hole:
        if args.baseline:
            print("beepbrain score: --baseline goes with whole songs, not --hole", file=sys.stderr)
            return 2
        return _score_holes(args, model, tokenizer, songs, names)
    from beepbrain.generate.score import format_scores, score_songs

    ngram = None
    if args.baseline == "ngram":
        from beepbrain.tokens.shards import has_split

        name = (info.get("manifest") or {}).get("name")
        dataset = data / "datasets" / str(name)
        if not name or not has_split(dataset, "train"):
            print(
                f"beepbrain score: --baseline ngram needs the model's dataset {name!r} in {data / 'datasets'}",
                file=sys.stderr,
            )
            return 2
        from beepbrain.generate.evaluate import fit_baseline

        ngram = fit_baseline(dataset, tokenizer.vocab_size, 0, 200_000, lambda _m: None)
    try:
        scores = score_songs(model, tokenizer, songs, names, ngram=ngram)
    except ValueError as exc:
        print(f"beepbrain score: {exc}", file=sys.stderr)
        return 2
    if args.format == "json":
        print(json.dumps([s.to_dict() for s in scores], indent=1))
    else:
        print(format_scores(scores))
    return 0


def _score_holes(args, model, tokenizer, songs, names) -> int:
    """``--hole``: bits, tokens and bits per note of each song's hole given ``--context``."""
    from beepbrain.commands.fill import parse_channels, parse_span
    from beepbrain.generate.fill import bar_cells, hole_bits

    span, _sep, channels = args.hole.partition(":")
    rows = []
    try:
        first, last = parse_span(span, "--hole")
        for song, name in zip(songs, names, strict=True):
            cells = bar_cells(song, first, last, parse_channels(channels))
            bits, tokens, notes = hole_bits(model, tokenizer, song, cells, args.context)
            rows.append(
                {
                    "name": name,
                    "hole": args.hole,
                    "context": args.context,
                    "bits": bits,
                    "tokens": tokens,
                    "notes": notes,
                    "bits_per_note": bits / notes if notes else None,
                }
            )
    except (ValueError, RuntimeError) as exc:
        print(f"beepbrain score: {exc}", file=sys.stderr)
        return 2
    if args.format == "json":
        print(json.dumps(rows, indent=1))
        return 0
    print(f"{'song':<28}{'hole':>10}{'context':>9}{'bits':>10}{'tokens':>8}{'notes':>7}{'bits/note':>11}")
    for r in rows:
        name = r["name"] if len(r["name"]) <= 27 else r["name"][:24] + "..."
        bpn = f"{r['bits_per_note']:>11.3f}" if r["bits_per_note"] is not None else f"{'-':>11}"
        print(
            f"{name:<28}{r['hole']:>10}{r['context']:>9}{r['bits']:>10.1f}{r['tokens']:>8}{r['notes']:>7}{bpn}"
        )
    return 0
