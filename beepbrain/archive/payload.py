"""Records whose ``data`` is not a song string but music to convert: a MIDI file's bytes, or a score of
music21's corpus. The corpus converts them to songs where it parses (``beepbrain.corpus.convert``), so the
conversion runs on the Dask workers like parsing does and a record still travels as plain text."""

from __future__ import annotations

import base64

MIDI_PREFIX = "midi;base64,"  # data = MIDI_PREFIX + the file's bytes in base64
MUSIC21_PREFIX = "music21:"  # data = MUSIC21_PREFIX + corpus path [+ "#" + work number in the file]


def midi_payload(raw: bytes) -> str:
    return MIDI_PREFIX + base64.b64encode(raw).decode("ascii")


def midi_bytes(data: str) -> bytes:
    return base64.b64decode(data[len(MIDI_PREFIX) :].encode("ascii"), validate=True)


def music21_payload(path: str, number: int | str | None = None) -> str:
    return MUSIC21_PREFIX + path + ("" if number is None else f"#{number}")


def music21_reference(data: str) -> tuple[str, int | str | None]:
    """(corpus path, work number or None) of a music21 payload."""
    ref = data[len(MUSIC21_PREFIX) :]
    path, _, number = ref.partition("#")
    if not number:
        return path, None
    return path, int(number) if number.isdigit() else number
