"""A folder of MIDI files (or one file) as records: every ``.mid``/``.midi`` file is one record.

The record's ``fork`` is ``midi``, its ``url`` the file's path inside the folder and its ``data`` the file's
bytes (``beepbrain.archive.payload``); whether the bytes are a MIDI file at all is decided where records are
parsed, so a damaged file becomes a ``rejects`` row with the reason. A file that cannot even be read is a
read-stage record.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from beepbrain.archive.payload import midi_payload
from beepbrain.archive.records import STAGE_READ, Record

MIDI_SUFFIXES = (".mid", ".midi")
MIDI_MAGIC = b"MThd"
FORK = "midi"


def midi_files(path: Path) -> list[Path]:
    """The MIDI files under ``path`` (recursively, by name), or ``[path]`` for a single file."""
    if path.is_file():
        return [path]
    return sorted(
        (p for p in path.rglob("*") if p.suffix.lower() in MIDI_SUFFIXES and p.is_file()),
        key=lambda p: p.relative_to(path).as_posix(),
    )


def is_midi_source(path: Path) -> bool:
    """A folder holding MIDI files, or a file named .mid/.midi or starting with MIDI's header."""
    if path.is_dir():
        return any(p.suffix.lower() in MIDI_SUFFIXES for p in path.rglob("*"))
    if path.suffix.lower() in MIDI_SUFFIXES:
        return True
    with open(path, "rb") as fh:
        return fh.read(4) == MIDI_MAGIC


def read_midi_files(path: str | Path, source: str | None = None) -> Iterator[Record]:
    path = Path(path)
    base = source or path.name
    root = path if path.is_dir() else path.parent
    for number, file in enumerate(midi_files(path), start=1):
        name = file.relative_to(root).as_posix()
        try:
            raw = file.read_bytes()
        except OSError as exc:
            yield Record(
                base,
                number,
                0,
                fork=FORK,
                url=name,
                raw=name,
                error=f"cannot read {name}: {exc.strerror or exc}",
                stage=STAGE_READ,
            )
            continue
        yield Record(base, number, 0, fork=FORK, url=name, data=midi_payload(raw))
