"""`beepbrain similar SONG`: the catalog songs most like SONG, by cosine similarity of song vectors."""

from __future__ import annotations

import argparse
import json
import sys


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "similar",
        help="the catalog songs most like a song (after `beepbrain embed`)",
        description="Rank the catalog's songs by cosine similarity (in DuckDB) of their song vectors to SONG's; "
        "SONG need not be in the catalog. The same as the named query similar_songs.",
    )
    p.add_argument(
        "song", help="a song string, a BeepBox URL, a file holding one (or BeepBox JSON), or - for stdin"
    )
    p.add_argument("--k", type=int, default=10, help="how many songs (default 10)")
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.add_argument(
        "--include-identical",
        action="store_true",
        help="rank songs that play exactly SONG's notes (re-saves of it) too; by default they are "
        "left out and named on stderr",
    )
    p.add_argument(
        "--data-dir", default=None, help="data directory (default: $BEEPBRAIN_DATA_DIR or ./beepbrain-data)"
    )
    p.add_argument(
        "--tracking-uri", default=None, help="MLflow tracking URI (default: the SQLite store in the data dir)"
    )
    p.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    from beepbrain.commands.song import SongInputError, read_song_text
    from beepbrain.embed.registry import NoEmbeddingModel
    from beepbrain.embed.similar import NotEmbedded, similar_songs

    if args.k < 1:
        print("beepbrain similar: --k must be at least 1", file=sys.stderr)
        return 2
    try:
        text = read_song_text(args.song)
        result = similar_songs(args.data_dir, text, args.k, args.tracking_uri, args.include_identical)
    except (SongInputError, ValueError) as exc:
        print(f"beepbrain similar: {exc}", file=sys.stderr)
        return 2
    except (NotEmbedded, NoEmbeddingModel, FileNotFoundError) as exc:
        print(f"beepbrain similar: {exc}", file=sys.stderr)
        return 2
    if result.identical and not args.include_identical:
        shown = ", ".join(result.identical[:5]) + (", ..." if len(result.identical) > 5 else "")
        print(
            f"beepbrain similar: {len(result.identical)} catalog song(s) play exactly the same notes and are "
            f"left out (--include-identical ranks them): {shown}",
            file=sys.stderr,
        )
    if args.format == "json":
        print(json.dumps([m.__dict__ for m in result.matches], indent=1))
        return 0
    from beepbrain.commands.query import write_rows

    print(f"songs most like {result.found}:", file=sys.stderr)
    write_rows(
        ["score", "song_id", "author", "source_url", "same notes"],
        [
            (
                f"{m.score:.4f}",
                m.song_id,
                m.author,
                m.source_url,
                "identical" if m.identical else "transposed" if m.transposed else "",
            )
            for m in result.matches
        ],
        "table",
    )
    return 0
