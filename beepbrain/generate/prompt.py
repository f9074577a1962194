"""The song a generation continues (``--prompt``): a BeepBox URL or song string, or a file holding one
(or BeepBox JSON). Shared by the `generate` command and the generate flow."""

from __future__ import annotations

from pathlib import Path

from beepbrain.format import parse_song
from beepbrain.format.song import Song


def read_prompt(text: str) -> Song:
    """The song ``text`` names: a file's contents where ``text`` is a file, else ``text`` itself, parsed.

    Raises ``BeepBoxFormatError`` (a ``ValueError``) for a song that does not decode and ``OSError`` for a
    file that cannot be read."""
    try:
        is_file = Path(text).expanduser().is_file()
    except (OSError, ValueError):  # a long song string is no file name
        is_file = False
    if is_file:
        text = Path(text).expanduser().read_text(encoding="utf-8")
    return parse_song(text)
