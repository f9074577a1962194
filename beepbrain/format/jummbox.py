"""JummBox songs (variant ``j``, JummBox format versions 1-6) decoded into BeepBox's song model.

``parse_jummbox(text)`` reads the string as JummBox's own decoder does (jummbox_decode, jummbox_patterns),
then maps it onto BeepBox's values (jummbox_convert): the notes exactly, JummBox-only settings to the nearest
BeepBox ones, mod channels dropped. docs/format-jummbox.md lists every mapping.
"""

from __future__ import annotations

from beepbrain.format.errors import BeepBoxFormatError
from beepbrain.format.jummbox_convert import to_beepbox
from beepbrain.format.jummbox_decode import decode_jummbox
from beepbrain.format.jummbox_state import JBSong
from beepbrain.format.song import Song

__all__ = ["decode_jummbox", "is_jummbox", "parse_jummbox", "read_jummbox"]


def _bare(text: str) -> str:
    if not isinstance(text, str):
        raise BeepBoxFormatError(f"expected a string, got {type(text).__name__}")
    s = text.strip()
    hash_at = s.find("#")
    if hash_at >= 0:
        s = s[hash_at + 1 :].strip()
    return s


def is_jummbox(text: str) -> bool:
    """Whether ``text`` (bare or after ``#``) is a JummBox song string."""
    return isinstance(text, str) and _bare(text).startswith("j")


def read_jummbox(text: str) -> JBSong:
    """The song as JummBox holds it (mod channels and all), before mapping onto BeepBox."""
    s = _bare(text)
    if not s.startswith("j"):
        raise BeepBoxFormatError("not a JummBox song (no leading 'j')", 0)
    try:
        return decode_jummbox(s)
    except BeepBoxFormatError:
        raise
    except (
        RecursionError,
        MemoryError,
        ValueError,
        IndexError,
        KeyError,
        TypeError,
    ) as exc:  # pragma: no cover
        raise BeepBoxFormatError(f"malformed JummBox song ({type(exc).__name__}: {exc})") from None


def parse_jummbox(text: str) -> Song:
    """A JummBox song string (bare or after ``#``) as a valid BeepBox Song. Raises BeepBoxFormatError, naming
    the position and the reason, for anything JummBox itself would reject or misread."""
    song = read_jummbox(text)
    try:
        return to_beepbox(song)
    except BeepBoxFormatError:
        raise
    except (ValueError, IndexError, KeyError, TypeError) as exc:  # pragma: no cover
        raise BeepBoxFormatError(
            f"JummBox song does not map onto BeepBox ({type(exc).__name__}: {exc})"
        ) from None
