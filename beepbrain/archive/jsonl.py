"""Read the archive's JSON-lines format, plain or zstd-compressed, as records with byte offsets.

A damaged source loses nothing: a line that is not a JSON object of the archive's shape becomes a record
with ``stage="json"``; a zstd stream that ends inside a frame (or holds bytes that are not zstd) ends with
one ``stage="read"`` record that names the byte offset and keeps the undecoded tail of the last line.

Memory stays bounded whatever the input: zstd input is fed to the decoder in small slices (so one call
cannot expand to more than about 8 MB, even for a "zstd bomb"), and a line longer than the record limit
(``beepbrain.archive.lines``) becomes a ``stage="size"`` record holding only its first bytes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import zstandard

from beepbrain.archive.lines import LineSplitter, Oversize
from beepbrain.archive.records import STAGE_JSON, STAGE_READ, Record

ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
READ_SIZE = 1 << 20
# Compressed bytes per decoder call. zstd's densest block (an RLE block) is 4 bytes for 128 KiB of output,
# so one call yields at most about DECODE_STEP * 32 KiB (8 MiB) whatever the stream holds.
DECODE_STEP = 256
FIELDS = ("author", "type", "content", "url", "data")


class ZstdStreamError(ValueError):
    """A zstd source that ends inside a frame or holds bytes that are not zstd."""

    def __init__(self, reason: str, compressed_offset: int, decompressed_offset: int) -> None:
        self.compressed_offset = compressed_offset
        self.decompressed_offset = decompressed_offset
        super().__init__(
            f"{reason} at compressed byte offset {compressed_offset} "
            f"(decompressed byte offset {decompressed_offset})"
        )


def is_zstd(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(4) == ZSTD_MAGIC


def decompressed_chunks(path: Path) -> Iterator[bytes]:
    """The decompressed bytes of a (multi-frame) zstd file; raises ZstdStreamError on damage."""
    dctx = zstandard.ZstdDecompressor()
    dobj = dctx.decompressobj()
    consumed = 0  # compressed bytes handed to the decoder
    produced = 0
    frame_start = 0
    with open(path, "rb") as fh:
        while True:
            block = fh.read(READ_SIZE)
            if not block:
                break
            view = memoryview(block)
            pos = 0
            pending = b""
            while pending or pos < len(view):
                if not pending:
                    pending, pos = view[pos : pos + DECODE_STEP], pos + DECODE_STEP
                try:
                    out = dobj.decompress(pending)
                except zstandard.ZstdError as exc:
                    raise ZstdStreamError(
                        f"corrupt zstd data ({exc}) in the frame starting", frame_start, produced
                    ) from None
                if out:
                    produced += len(out)
                    yield out
                if dobj.eof:
                    rest = dobj.unused_data
                    consumed += len(pending) - len(rest)
                    frame_start = consumed
                    dobj = dctx.decompressobj()
                    pending = rest
                else:
                    consumed += len(pending)
                    pending = b""
    if consumed != frame_start:  # the last frame never ended
        raise ZstdStreamError(
            f"truncated zstd frame (started at byte {frame_start}, file ends)", consumed, produced
        )


def _raw_chunks(path: Path) -> Iterator[bytes]:
    with open(path, "rb") as fh:
        while block := fh.read(READ_SIZE):
            yield block


def record_from_line(source: str, number: int, offset: int, line: bytes) -> Record:
    """One line of the archive as a record (or as a json-stage reject record)."""
    try:
        text = line.decode("utf-8").strip()
    except UnicodeDecodeError as exc:
        return Record(
            source,
            number,
            offset,
            raw=line.decode("utf-8", "backslashreplace").strip(),
            error=f"not UTF-8 at byte {offset + exc.start}",
            stage=STAGE_JSON,
        )
    try:
        obj = json.loads(text)
    except ValueError as exc:
        return Record(source, number, offset, raw=text, error=f"invalid JSON: {exc}", stage=STAGE_JSON)
    if not isinstance(obj, dict):
        return Record(source, number, offset, raw=text, error="line is not a JSON object", stage=STAGE_JSON)
    data = obj.get("data")
    if not isinstance(data, str):
        return Record(
            source, number, offset, raw=text, error="record has no string 'data' (song)", stage=STAGE_JSON
        )
    values = {k: obj.get(k) for k in FIELDS}
    for key in ("author", "type", "content", "url"):
        value = values[key]
        values[key] = "" if value is None else value if isinstance(value, str) else json.dumps(value)
    for key, value in values.items():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate escaped in the JSON ("\ud800")
            return Record(
                source,
                number,
                offset,
                raw=text,
                error=f"field {key!r} holds invalid unicode",
                stage=STAGE_JSON,
            )
    return Record(
        source,
        number,
        offset,
        author=values["author"],
        fork=values["type"],
        content=values["content"],
        url=values["url"],
        data=data,
    )


def read_jsonl(path: str | Path, source: str | None = None, max_bytes: int | None = None) -> Iterator[Record]:
    """Records of a ``.jsonl`` or ``.jsonl.zst`` file (told by its magic bytes, not its name).

    ``source`` names the source in provenance (default: the file's name). Offsets are byte offsets into
    the decompressed text; blank lines are skipped but still counted in line numbers. A line longer than
    ``max_bytes`` (default ``max_record_bytes()``) is a size-stage record with its first bytes.
    """
    path = Path(path)
    source = source or path.name
    chunks = decompressed_chunks(path) if is_zstd(path) else _raw_chunks(path)
    splitter = LineSplitter(max_bytes)

    def record(number: int, offset: int, line: bytes | Oversize) -> Record:
        if isinstance(line, Oversize):
            return line.record(source, number, offset, splitter.max_bytes)
        return record_from_line(source, number, offset, line)

    try:
        for block in chunks:
            for number, offset, line in splitter.feed(block):
                yield record(number, offset, line)
    except ZstdStreamError as exc:
        tail = splitter.partial.decode("utf-8", errors="backslashreplace")
        yield Record(source, splitter.number + 1, splitter.start, raw=tail, error=str(exc), stage=STAGE_READ)
        return
    if (last := splitter.finish()) is not None:
        yield record(*last)
