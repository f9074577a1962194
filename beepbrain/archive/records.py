"""The record: one post of the BeepBox Archive, wherever it came from, with where it came from."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

# Stages at which a record can fail; the `rejects` table names one of them.
STAGE_READ = "read"  # the source itself is damaged (truncated compression, unreadable bytes)
STAGE_SIZE = "size"  # a record longer than the record limit (BEEPBRAIN_MAX_RECORD_BYTES), kept as a prefix
STAGE_JSON = "json"  # a line that is not a JSON object of the archive's shape
STAGE_PARSE = "parse"  # a song string that BeepBox's decoder rejects


@dataclass(frozen=True, slots=True)
class Record:
    """One archive post: ``{"author", "type", "content", "url", "data"}`` plus provenance.

    ``fork`` is the archive's ``type`` (``beepbox``, ``jummbox`` or a fork's name); ``data`` the song
    string. ``source`` names the source, ``line`` is the 1-based record number in it and ``offset`` the
    byte offset of the record in the (decompressed) source. A record the reader could not make sense of
    carries ``error`` and ``stage`` and keeps the raw text in ``raw``.
    """

    source: str
    line: int
    offset: int
    author: str = ""
    fork: str = ""
    content: str = ""
    url: str = ""
    data: str = ""
    raw: str | None = None
    error: str | None = None
    stage: str | None = None

    @property
    def key(self) -> str:
        """Where the record is: source plus line number (provenance, shown in tables)."""
        return f"{self.source}#{self.line}"

    @property
    def record_id(self) -> str:
        """What the record is: a hash of its content, independent of the source's name and order.

        A re-run, or a larger dump that holds the same posts, recognises records by this id.
        """
        if self.error is not None:
            parts = ("\x01raw", self.raw or "")
        else:
            parts = (self.author, self.fork, self.content, self.url, self.data)
        return hashlib.sha1("\x00".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:20]


def song_id(song_text: str) -> str:
    """Stable id of a song: sha1 of its song string (what follows ``#``), 16 hex digits. The one song id:
    the catalog's ``song_id`` and the datasets' ``song_ids`` (``beepbrain.tokens.dataset``) both use it."""
    return hashlib.sha1(song_text.encode("utf-8", "surrogatepass")).hexdigest()[:16]
