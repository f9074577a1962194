"""``parse_song``: any form a BeepBox song comes in (string, URL, JSON text) to a Song."""

from __future__ import annotations

import json
import re

from beepbrain.format.errors import BeepBoxFormatError
from beepbrain.format.song import Song

_URL_HEAD = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://|^www\.|^[^#{]*\.[a-z]{2,}/", re.ASCII)


def song_string(text: str) -> str:
    """The song string in ``text``: what follows ``#`` (and ``song=`` in player URLs), trimmed."""
    if not isinstance(text, str):
        raise BeepBoxFormatError(f"expected a string, got {type(text).__name__}")
    s = text.strip()
    if s.startswith("{"):
        return s
    hash_at = s.find("#")
    if hash_at >= 0:
        s = s[hash_at + 1 :]
    elif _URL_HEAD.match(s):
        raise BeepBoxFormatError("URL holds no song (no '#')")
    if s.startswith("song="):
        s = s[5:].split("&", 1)[0]
    elif "&song=" in s or s.startswith(("&", "?")):
        for part in s.lstrip("?&").split("&"):
            if part.startswith("song="):
                s = part[5:]
                break
    return s.strip()


def parse_song(text: str) -> Song:
    """Decode a BeepBox song: a bare song string, ``#...``, any BeepBox URL form (editor, player with
    ``song=``, old versioned paths), with surrounding whitespace, or BeepBox JSON text. Strings starting
    with ``j`` are JummBox songs. Raises BeepBoxFormatError for anything BeepBox would reject."""
    s = song_string(text)
    if not s:
        raise BeepBoxFormatError("empty song string", 0)
    head = s[0]
    if head == "{":
        try:
            obj = json.loads(s)
        except (ValueError, RecursionError) as exc:
            raise BeepBoxFormatError(f"invalid JSON: {exc}") from None
        if not isinstance(obj, dict):
            raise BeepBoxFormatError("JSON song is not an object")
        try:
            return Song.from_json(obj)
        except BeepBoxFormatError:
            raise
        except (ImportError, AttributeError):
            raise BeepBoxFormatError("BeepBox JSON decoding is unavailable") from None
        except Exception as exc:  # a malformed JSON song must not escape as another error
            raise BeepBoxFormatError(f"bad JSON song: {exc}") from None
    if head == "j":
        try:
            from beepbrain.format.jummbox import parse_jummbox
        except ImportError:
            raise BeepBoxFormatError("JummBox songs are unsupported here", 0) from None
        try:
            return parse_jummbox(s)
        except BeepBoxFormatError:
            raise
        except Exception as exc:  # whatever goes wrong inside, the caller sees one kind of error
            raise BeepBoxFormatError(f"bad JummBox song: {exc!r}") from None
    from beepbrain.format.url_decode import decode_url

    return decode_url(s)
