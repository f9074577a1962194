"""`beepbrain query`: SQL, or a named query from sql/queries, against the corpus catalog (read-only)."""

from __future__ import annotations

import argparse
import csv
import json
import sys


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "query",
        help="run SQL or a named query against the corpus catalog",
        description="Open DATA_DIR/corpus.duckdb read-only and run SQL or a named query (sql/queries/NAME.sql). "
        "Parameters ($name in the SQL) are bound by DuckDB, never formatted into the text.",
    )
    p.add_argument("sql", nargs="?", help="SQL text (or use --name)")
    p.add_argument("--name", help="a named query from sql/queries (see --list)")
    p.add_argument("--list", action="store_true", help="list the named queries and their parameters")
    p.add_argument(
        "--param",
        "-p",
        action="append",
        default=[],
        metavar="K=V",
        help="bind parameter $K to V (int/float/true/false/null parsed, else text); repeatable",
    )
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")
    p.add_argument("--data-dir", default=None)
    p.set_defaults(func=handle)


def _params(pairs: list[str]) -> dict[str, object]:
    from beepbrain.corpus.sqlfiles import parse_value

    params = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"--param wants K=V, got {pair!r}")
        params[key.strip().lstrip("$")] = parse_value(value)
    return params


def handle(args: argparse.Namespace) -> int:
    from beepbrain.corpus import sqlfiles

    if args.list:
        for name in sqlfiles.list_queries():
            q = sqlfiles.load_query(name)
            params = " ".join(f"{p}={q.defaults.get(p, '?')}" for p in q.params)
            print(f"{name:22s} {q.description}" + (f"  [{params}]" if params else ""))
        return 0
    try:
        given = _params(args.param)
        if args.name:
            if args.sql:
                raise ValueError("give SQL or --name, not both")
            query = sqlfiles.load_query(args.name)
            sql, params = query.sql, query.bind(given)
        elif args.sql:
            sql, params = args.sql, given
        else:
            raise ValueError("give SQL text or --name QUERY (see --list)")
        from beepbrain.corpus.readonly import run_query

        result = run_query(sql, params, args.data_dir)
    except (KeyError, ValueError, FileNotFoundError) as exc:
        # KeyError's str() quotes its message: print the message itself
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(f"beepbrain query: {message}", file=sys.stderr)
        return 2
    write_rows(result.columns, result.rows, args.format)
    return 0


def write_rows(columns: list[str], rows: list[tuple], fmt: str, out=None) -> None:
    """Rows to ``out`` (default stdout) as CSV (``\\n`` line ends), JSON, or a table that prints every value
    as it is: song data, authors and tweet text come from the public, so no markup or emoji codes apply."""
    out = out or sys.stdout
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(rows)
    elif fmt == "json":
        print(
            json.dumps([dict(zip(columns, row, strict=True)) for row in rows], default=str, indent=1),
            file=out,
        )
    else:
        from rich.console import Console
        from rich.table import Table
        from rich.text import Text

        table = Table()
        for c in columns:
            table.add_column(Text(str(c)))
        for row in rows:
            table.add_row(*(Text("" if v is None else str(v)) for v in row))
        console = Console(file=out, markup=False, emoji=False, highlight=False)
        if not console.is_terminal:  # piped: do not squeeze columns into 80 characters
            console = Console(
                file=out, markup=False, emoji=False, highlight=False, width=max(console.width, 240)
            )
        console.print(table)
        print(f"({len(rows)} rows)", file=out)
