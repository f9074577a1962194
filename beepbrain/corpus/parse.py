"""Parse a chunk of records into table rows: the unit of work a Dask worker runs."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import pyarrow as pa

from beepbrain.archive.records import STAGE_PARSE, Record, song_id
from beepbrain.corpus.convert import STAGE_CONVERT, ConversionError, convert, needs_conversion
from beepbrain.corpus.rows import Rows
from beepbrain.format import BeepBoxFormatError, parse_song
from beepbrain.format.parse import song_string


@dataclass
class ChunkResult:
    """Arrow tables for one chunk, and where its time went (seconds)."""

    tables: dict[str, pa.Table]
    records: int
    timings: dict[str, float] = field(default_factory=dict)


def normalized(record: Record) -> str:
    """The song string of a record (what follows ``#``, trimmed); raises BeepBoxFormatError."""
    return song_string(record.data)


def parse_chunk(records: list[Record], batch: str) -> ChunkResult:
    """Every record becomes a ``sources`` row (and its song's rows, once per song string in the chunk) or a
    ``rejects`` row. Decoder failures of any kind are rejects, never crashes. Records that carry music rather
    than a song string (MIDI files, scores) are converted here, on the worker."""
    cpu0, wall0 = time.process_time(), time.perf_counter()
    rows = Rows(batch)
    seen: set[str] = set()
    t_parse = t_rows = 0.0
    for record in records:
        if record.error is not None:
            rows.add_reject(record, record.stage or "read", record.error)
            continue
        t0 = time.perf_counter()
        try:
            if needs_conversion(record):
                text, song = convert(record)
                sid = song_id(text)
                song = None if sid in seen else song
            else:
                text = normalized(record)
                sid = song_id(text)
                song = None if sid in seen else parse_song(text)
        except ConversionError as exc:
            rows.add_reject(record, STAGE_CONVERT, str(exc))
            continue
        except BeepBoxFormatError as exc:
            rows.add_reject(record, STAGE_PARSE, str(exc))
            continue
        except Exception as exc:  # a decoder bug must not lose the record or stop the run
            rows.add_reject(record, STAGE_PARSE, f"decoder crashed: {type(exc).__name__}: {exc}")
            continue
        finally:
            t_parse += time.perf_counter() - t0
        t0 = time.perf_counter()
        if song is not None:
            mark = rows.mark()
            try:
                rows.add_song(sid, text, record, song)
            except Exception as exc:
                rows.rollback(mark)
                rows.add_reject(
                    record,
                    STAGE_PARSE,
                    f"song could not be tabulated: {type(exc).__name__}: {exc}",
                    data=text,
                )
                continue
            finally:
                t_rows += time.perf_counter() - t0
            seen.add(sid)
        rows.add_source(record, sid)
    t0 = time.perf_counter()
    try:
        tables = rows.tables()
    except (pa.ArrowException, OverflowError, TypeError) as exc:  # a value no column can hold
        return _one_by_one(records, batch, exc)
    t_arrow = time.perf_counter() - t0
    timings = {
        "parse": t_parse,
        "rows": t_rows,
        "arrow": t_arrow,
        "worker_wall": time.perf_counter() - wall0,
        "worker_cpu": time.process_time() - cpu0,
    }
    return ChunkResult(tables, len(records), timings)


def _one_by_one(records: list[Record], batch: str, exc: Exception) -> ChunkResult:
    """A chunk whose rows Arrow refused: parse record by record so only the culprit becomes a reject."""
    if len(records) == 1:
        rows = Rows(batch)
        record = records[0]
        rows.add_reject(
            record, STAGE_PARSE, f"song could not be tabulated: {type(exc).__name__}: {exc}", data=record.data
        )
        return ChunkResult(rows.tables(), 1, {})
    parts = [parse_chunk([record], batch) for record in records]
    tables = {name: pa.concat_tables([p.tables[name] for p in parts]) for name in parts[0].tables}
    timings: dict[str, float] = {}
    for part in parts:
        for key, value in part.timings.items():
            timings[key] = timings.get(key, 0.0) + value
    return ChunkResult(tables, len(records), timings)
