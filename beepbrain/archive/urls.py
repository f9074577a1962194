"""A plain text file with one song URL (or bare song string) per line."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from beepbrain.archive.forks import fork_from_url
from beepbrain.archive.lines import LineSplitter, Oversize, split_lines
from beepbrain.archive.records import Record


def read_url_list(
    path: str | Path, source: str | None = None, max_bytes: int | None = None
) -> Iterator[Record]:
    """A record per non-blank line; ``#`` comment lines at the start of a line are skipped.

    ``data`` is what follows ``#`` in the URL (the whole line when it holds no ``#``); the codec decides
    later whether it is a song. A line longer than ``max_bytes`` is a size-stage record (``lines.py``).
    """
    path = Path(path)
    source = source or path.name
    with open(path, "rb") as fh:
        blocks = iter(lambda: fh.read(1 << 20), b"")
        splitter = LineSplitter(max_bytes)
        for number, start, raw in split_lines(blocks, splitter.max_bytes):
            if isinstance(raw, Oversize):
                yield raw.record(source, number, start, splitter.max_bytes)
                continue
            line = raw.decode("utf-8", errors="replace").strip()
            if not line or line.startswith("# "):
                continue
            data = line.split("#", 1)[1] if "#" in line else line
            yield Record(source, number, start, fork=fork_from_url(line), url=line, data=data)
