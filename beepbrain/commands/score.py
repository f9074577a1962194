"""`beepbrain score`: how typical songs are under a model, in bits per note."""

from __future__ import annotations

import argparse
import json
import sys

DEFAULT_MODEL = "models:/beepbrain/latest"


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "score", help="bits per note of songs under a model (how typical they are)",
        description="For each song: the bits of its token stream under the model, its tokens, the notes it "
                    "plays through its bar sequence, and bits per note (bits / notes; lower: more typical).")
    p.add_argument("songs", nargs="+", metavar="SONG",
                   help="a song URL or string, a file holding one (or BeepBox JSON), or - to read one song "
                        "a line from standard input")
    p.add_argument("--model", default=DEFAULT_MODEL, help=f"MLflow model URI (default {DEFAULT_MODEL})")
    p.add_argument("--data-dir", help="data directory (default $BEEPBRAIN_DATA_DIR or ./beepbrain-data)")
    p.add_argument("--tracking-uri", help="MLflow tracking URI (default: the SQLite store in the data dir)")
    p.add_argument("--format", choices=("table", "json"), default="table", help="output format (default table)")
    p.add_argument("--baseline", choices=("ngram",), default=None,
                   help="also score the songs under the n-gram baseline fitted on the model's training split "
                        "(same tokens; the dataset must be in the data directory)")
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
    from beepbrain.generate.score import format_scores, score_songs

    ngram = None
    if args.baseline == "ngram":
        from beepbrain.tokens.shards import has_split

        name = (info.get("manifest") or {}).get("name")
        dataset = data / "datasets" / str(name)
        if not name or not has_split(dataset, "train"):
            print(f"beepbrain score: --baseline ngram needs the model's dataset {name!r} in {data / 'datasets'}",
                  file=sys.stderr)
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
