"""`beepbrain similar SONG`: the catalog songs most like SONG, by cosine similarity of song vectors."""

from __future__ import annotations

import argparse
import json
import sys


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "similar", help="the catalog songs most like a song (after `beepbrain embed`)",
        description="Rank the catalog's songs by cosine similarity (in DuckDB) of their song vectors to SONG's; "
                    "SONG need not be in the catalog. The same as the named query similar_songs.")
    p.add_argument("song", help="a song string, a BeepBox URL, a file holding one (or BeepBox JSON), or - for stdin")
    p.add_argument("--k", type=int, default=10, help="how many songs (default 10)")
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.add_argument("--data-dir", default=None, help="data directory (default: $BEEPBRAIN_DATA_DIR or ./beepbrain-data)")
    p.add_argument("--tracking-uri", default=None, help="MLflow tracking URI (default: the SQLite store in the data dir)")
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
        matches, found = similar_songs(args.data_dir, text, args.k, args.tracking_uri)
    except (SongInputError, ValueError) as exc:
        print(f"beepbrain similar: {exc}", file=sys.stderr)
        return 2
    except (NotEmbedded, NoEmbeddingModel, FileNotFoundError) as exc:
        print(f"beepbrain similar: {exc}", file=sys.stderr)
        return 2
    if args.format == "json":
        print(json.dumps([m.__dict__ for m in matches], indent=1))
        return 0
    from beepbrain.commands.query import write_rows

    print(f"songs most like {found}:", file=sys.stderr)
    write_rows(["score", "song_id", "author", "source_url"],
               [(f"{m.score:.4f}", m.song_id, m.author, m.source_url) for m in matches], "table")
    return 0
