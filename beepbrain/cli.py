"""The `beepbrain` command: one entry point, a subcommand per job.

Thin by design: each subcommand lives in `beepbrain.commands.<name>` with a `register(subparsers)`
function that adds its parser and sets `func`; the handler calls the library or a flow.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# Subcommand modules, in the order `beepbrain --help` lists them.
COMMAND_MODULES = [
    "song",
    "ingest",
    "query",
    "dataset",
    "train",
    "generate",
    "fill",
    "evaluate",
    "score",
    "embed",
    "similar",
    "run",
    "deploy",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="beepbrain", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMAND_MODULES:
        importlib.import_module(f"beepbrain.commands.{name}").register(sub)
    return parser


# Subcommands that may start child processes (Prefect's temporary server, Dask workers): run as the command
# itself (argv from the command line), they get a watchdog that stops those children when the command ends,
# even by SIGKILL (beepbrain.lifeline).
CHILD_STARTING = {"ingest", "dataset", "train", "generate", "evaluate", "run", "deploy"}


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if argv is None and args.command in CHILD_STARTING:
        from beepbrain.lifeline import watch_children

        watch_children()
    try:
        result = args.func(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return int(result or 0)


if __name__ == "__main__":
    raise SystemExit(main())
