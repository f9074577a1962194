"""Split a byte stream into lines in bounded memory: a line longer than the record limit is never held;
only its first bytes, its length and a hash of it are kept (``Oversize``), and reading goes on after it.

The limit is ``max_record_bytes()``: ``$BEEPBRAIN_MAX_RECORD_BYTES`` or 2 MiB (the largest song of the
BeepBox Archive is well under 1 MB). Memory for reading is then about the limit plus one input block.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from beepbrain.archive.records import STAGE_SIZE, Record

DEFAULT_MAX_RECORD_BYTES = 2 << 20
PREFIX_BYTES = 1024  # what an oversized record keeps of itself in `rejects`


def max_record_bytes() -> int:
    value = os.environ.get("BEEPBRAIN_MAX_RECORD_BYTES")
    if not value:
        return DEFAULT_MAX_RECORD_BYTES
    try:
        limit = int(value)
    except ValueError:
        raise ValueError(f"BEEPBRAIN_MAX_RECORD_BYTES must be a number of bytes, not {value!r}") from None
    if limit < 1024:
        raise ValueError(f"BEEPBRAIN_MAX_RECORD_BYTES must be at least 1024, not {limit}")
    return limit


@dataclass(frozen=True)
class Oversize:
    """A line longer than the limit: its length, first bytes and sha1 (not the line itself)."""

    length: int
    prefix: bytes
    sha1: str

    def record(self, source: str, number: int, offset: int, limit: int) -> Record:
        """The size-stage reject record for it; ``raw`` is the prefix plus length and hash (so two different
        oversized records never share a record id, and the same one read again is recognised)."""
        text = self.prefix.decode("utf-8", "backslashreplace")
        raw = f"{text}... [{self.length} bytes, sha1 {self.sha1}]"
        error = (
            f"record of {self.length:,} bytes at byte offset {offset} exceeds the limit of {limit:,} bytes "
            f"(BEEPBRAIN_MAX_RECORD_BYTES); its first {len(self.prefix)} bytes are kept"
        )
        return Record(source, number, offset, raw=raw, error=error, stage=STAGE_SIZE)


class LineSplitter:
    """Feed blocks, get ``(line number, byte offset, bytes | Oversize)`` for every line that ends in them;
    blank lines are counted but not returned. ``finish()`` returns the unterminated last line, if any."""

    def __init__(self, max_bytes: int | None = None) -> None:
        self.max_bytes = max_record_bytes() if max_bytes is None else max_bytes
        self.buffer = b""  # the current line so far (never longer than max_bytes)
        self.start = 0  # byte offset of the current line
        self.number = 0  # lines ended so far
        self._consumed = 0
        self._big: tuple[int, bytes, hashlib._Hash] | None = None  # length, prefix, hash of a long line

    def _take(self, block: bytes, pos: int, stop: int) -> None:
        if stop <= pos:
            return
        view = memoryview(block)[pos:stop]
        if self._big is not None:
            length, prefix, digest = self._big
            digest.update(view)
            self._big = (length + (stop - pos), prefix, digest)
        elif len(self.buffer) + (stop - pos) > self.max_bytes:
            digest = hashlib.sha1(self.buffer)
            digest.update(view)
            prefix = (self.buffer + bytes(view[:PREFIX_BYTES]))[:PREFIX_BYTES]
            self._big = (len(self.buffer) + (stop - pos), prefix, digest)
            self.buffer = b""
        else:
            self.buffer += bytes(view)

    def _line(self) -> bytes | Oversize | None:
        if self._big is not None:
            length, prefix, digest = self._big
            self._big = None
            return Oversize(length, prefix, digest.hexdigest())
        line, self.buffer = self.buffer, b""
        return line if line.strip() else None

    def feed(self, block: bytes) -> list[tuple[int, int, bytes | Oversize]]:
        out = []
        base = self._consumed
        self._consumed += len(block)
        pos = 0
        while (end := block.find(b"\n", pos)) >= 0:
            self._take(block, pos, end)
            self.number += 1
            line = self._line()
            if line is not None:
                out.append((self.number, self.start, line))
            pos = end + 1
            self.start = base + pos
        self._take(block, pos, len(block))
        return out

    @property
    def partial(self) -> bytes:
        """What is held of the unterminated line (at most the limit, or the prefix of an oversized one)."""
        return self._big[1] if self._big is not None else self.buffer

    def finish(self) -> tuple[int, int, bytes | Oversize] | None:
        if self._big is None and not self.buffer.strip():
            return None
        self.number += 1
        return self.number, self.start, self._line()


def split_lines(
    blocks: Iterable[bytes], max_bytes: int | None = None
) -> Iterator[tuple[int, int, bytes | Oversize]]:
    splitter = LineSplitter(max_bytes)
    for block in blocks:
        yield from splitter.feed(block)
    if (last := splitter.finish()) is not None:
        yield last
