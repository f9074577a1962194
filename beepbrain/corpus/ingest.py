"""Ingest a source into the corpus: read records in chunks, parse them (in-process or on Dask), write one
Parquet batch, publish it in one step, check what is stored, rebuild the catalog. Every record read is
accounted for in the IngestReport."""

from __future__ import annotations

import contextlib
import fcntl
import logging
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from beepbrain import settings
from beepbrain.archive.records import Record, song_id
from beepbrain.archive.sources import Source, resolve_source
from beepbrain.corpus.catalog import build_catalog, catalog_path
from beepbrain.corpus.convert import needs_conversion
from beepbrain.corpus.parse import ChunkResult, normalized, parse_chunk
from beepbrain.corpus.rows import Rows
from beepbrain.corpus.schemas import SONG_TABLES
from beepbrain.corpus.state import CorpusState
from beepbrain.corpus.store import BatchWriter, clean_debris, migrate_legacy
from beepbrain.corpus.verify import stored_problems
from beepbrain.crashpoints import crash_point

log = logging.getLogger(__name__)

CHUNK_SIZE = 500
# A chunk is also cut when its records' text reaches this many bytes, so that chunks in flight stay small
# however large the records are (each is at most beepbrain.archive.jsonl.max_record_bytes()).
CHUNK_BYTES = 8 << 20
# progress(stage, done, total): stage is "download" (bytes), "read" or "parse" (records); total may be None.
ProgressFn = Callable[[str, int, int | None], None]


@dataclass
class IngestReport:
    """What a run did. ``records_read == skipped + songs_new + duplicates + rejected`` always holds:

    - ``skipped``: records identical to one already ingested (an earlier run, or earlier in this source);
    - ``songs_new``: records that brought a song the corpus did not hold;
    - ``duplicates``: records whose song was already stored (kept as one more row in ``sources``);
    - ``rejected``: records kept in ``rejects`` (``rejects_by_stage``: read, size, json, parse).

    ``stored_problems`` is what the check of the published corpus found (``beepbrain.corpus.verify``);
    ``balanced`` needs both the counts above to add up and nothing wrong in what is stored.
    """

    source: str
    batch: str
    records_read: int = 0
    skipped: int = 0
    songs_new: int = 0
    duplicates: int = 0
    rejects_by_stage: dict[str, int] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    workers: int = 1
    files: list[str] = field(default_factory=list)
    stored_problems: list[str] = field(default_factory=list)
    debris_removed: list[str] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        return sum(self.rejects_by_stage.values())

    @property
    def balanced(self) -> bool:
        return self.counts_add_up and not self.stored_problems

    @property
    def counts_add_up(self) -> bool:
        return self.records_read == self.skipped + self.songs_new + self.duplicates + self.rejected

    def as_dict(self) -> dict:
        return {
            "source": self.source,
            "batch": self.batch,
            "records_read": self.records_read,
            "skipped": self.skipped,
            "songs_new": self.songs_new,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "rejects_by_stage": dict(self.rejects_by_stage),
            "balanced": self.balanced,
            "rows": dict(self.rows),
            "timings": dict(self.timings),
            "workers": self.workers,
            "files": list(self.files),
            "stored_problems": list(self.stored_problems),
            "debris_removed": list(self.debris_removed),
        }

    def summary(self) -> str:
        stages = ", ".join(f"{k} {v}" for k, v in sorted(self.rejects_by_stage.items())) or "none"
        times = ", ".join(f"{k} {v:.2f}s" for k, v in self.timings.items())
        written = ", ".join(f"{k} {v}" for k, v in self.rows.items() if v) or "none"
        damage = "".join(f"STORED CORPUS DAMAGED: {p}\n" for p in self.stored_problems)
        if damage:
            damage += (
                "  (to repair: move the named batch folders out of DATA_DIR/parquet/batches/ and ingest "
                "the source again)\n"
            )
        return (
            f"{self.records_read} records read = {self.songs_new} new songs + {self.duplicates} duplicates "
            f"+ {self.rejected} rejected ({stages}) + {self.skipped} already ingested"
            f"{'' if self.counts_add_up else '  [ACCOUNTING MISMATCH]'}\n{damage}"
            f"rows written: {written}\ntime: {times}"
        )


def new_batch_id() -> str:
    return f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"


def _timed(records: Iterable[Record], timings: dict[str, float]) -> Iterator[Record]:
    """Yield records, adding the time spent producing them (decompress + JSON) to timings['read']."""
    it = iter(records)
    while True:
        t0 = time.perf_counter()
        try:
            record = next(it)
        except StopIteration:
            timings["read"] += time.perf_counter() - t0
            return
        timings["read"] += time.perf_counter() - t0
        yield record


class _Run:
    """One ingest run: the driver's bookkeeping between reading, parsing and writing."""

    def __init__(
        self,
        source: Source,
        data_dir: Path,
        batch: str,
        progress: ProgressFn | None,
        retry_rejects: bool = False,
    ) -> None:
        self.retry_rejects = retry_rejects
        self.source = source
        self.state = CorpusState.load(data_dir)
        self.writer = BatchWriter(data_dir, batch)
        self.report = IngestReport(source.name, batch)
        self.report.timings = {"read": 0.0, "parse": 0.0, "rows": 0.0, "write": 0.0}
        self.known = Rows(batch)  # sources rows for records whose song an earlier run stored
        self.rejects: Counter[str] = Counter()
        self.progress = progress
        self.parsed = 0

    def chunks(self, chunk_size: int) -> Iterator[list[Record]]:
        """Chunks of records that need parsing; skips seen records, settles known songs here."""
        report = self.report
        todo: list[Record] = []
        todo_bytes = 0
        for record in _timed(self.source.records(), report.timings):
            report.records_read += 1
            rid = record.record_id
            if rid in self.state.record_ids or (rid in self.state.rejected_ids and not self.retry_rejects):
                report.skipped += 1
            else:
                self.state.record_ids.add(rid)
                sid = self._known_song(record)
                if sid is not None:
                    self.known.add_source(record, sid)
                    report.duplicates += 1
                else:
                    todo.append(record)
                    todo_bytes += len(record.data) + len(record.content) + len(record.raw or "")
                    if len(todo) >= chunk_size or todo_bytes >= CHUNK_BYTES:
                        yield todo
                        todo, todo_bytes = [], 0
            if self.progress and report.records_read % 1000 == 0:
                self.progress("read", report.records_read, None)
        if self.progress:
            self.progress("read", report.records_read, report.records_read)
        if todo:
            yield todo

    def _known_song(self, record: Record) -> str | None:
        if record.error is not None or not self.state.song_ids or needs_conversion(record):
            return None  # a record to convert: its song is known only once converted
        try:
            sid = song_id(normalized(record))
        except ValueError:
            return None
        return sid if sid in self.state.song_ids else None

    def absorb(self, result: ChunkResult) -> None:
        """Write a parsed chunk, keeping only songs not stored yet (their extra records stay as sources)."""
        t0 = time.perf_counter()
        tables = result.tables
        songs = tables["songs"]
        fresh = [sid not in self.state.song_ids for sid in songs.column("song_id").to_pylist()]
        tables = dict(tables)
        if not all(fresh):
            keep_ids = pa.array(
                [s for s, f in zip(songs.column("song_id").to_pylist(), fresh, strict=True) if f], pa.string()
            )
            for name in SONG_TABLES:
                tables[name] = tables[name].filter(pc.is_in(tables[name].column("song_id"), keep_ids))
        new_ids = tables["songs"].column("song_id").to_pylist()
        self.state.song_ids.update(new_ids)
        self.report.songs_new += len(new_ids)
        self.report.duplicates += tables["sources"].num_rows - len(new_ids)
        rejects = tables["rejects"]
        self.rejects.update(rejects.column("stage").to_pylist())
        if self.state.rejected_ids:  # a retried record that fails again is already in the rejects log
            again = pa.array(list(self.state.rejected_ids), pa.string())
            tables["rejects"] = rejects.filter(pc.invert(pc.is_in(rejects.column("record_id"), again)))
        for name, table in tables.items():
            self.writer.write(name, table)
        crash_point("ingest.chunk-written")
        for key, value in result.timings.items():
            self.report.timings[key] = self.report.timings.get(key, 0.0) + value
        self.report.timings["write"] += time.perf_counter() - t0
        self.parsed += result.records
        if self.progress:
            self.progress("parse", self.parsed, None)

    def finish(self) -> None:
        t0 = time.perf_counter()
        self.writer.write("sources", self.known.tables()["sources"])
        published = self.writer.commit()
        self.report.files = [] if published is None else [str(p) for p in sorted(published.iterdir())]
        self.report.timings["write"] += time.perf_counter() - t0
        self.report.rejects_by_stage = dict(self.rejects)
        self.report.rows = dict(self.writer.rows)


def _parse_local(chunks: Iterable[list[Record]], batch: str) -> Iterator[ChunkResult]:
    for chunk in chunks:
        yield parse_chunk(chunk, batch)


def _parse_dask(chunks: Iterable[list[Record]], batch: str, client, in_flight: int) -> Iterator[ChunkResult]:
    """Submit chunks to the cluster, at most ``in_flight`` at once; results come back in source order so
    that which record first brought a song does not depend on scheduling."""
    pending: deque = deque()
    for chunk in chunks:
        pending.append(client.submit(parse_chunk, chunk, batch, pure=False))
        while len(pending) >= in_flight:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()


@contextlib.contextmanager
def _writer_lock(data: Path) -> Iterator[None]:
    """One ingest at a time per data directory (two would both add the same new songs)."""
    with open(data / ".ingest.lock", "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RuntimeError(
                f"another ingest is writing to {data}; try again when it has finished"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def refresh_catalog(data: Path) -> None:
    """Rebuild the catalog; if a reader holds it open, keep the old one: its views glob the Parquet folders,
    so they already see the new batch."""
    import duckdb

    try:
        build_catalog(data)
    except duckdb.IOException as exc:
        if not catalog_path(data).exists():
            raise
        log.warning("catalog not rebuilt (%s); the existing views already include the new files", exc)


def ingest(
    source: str | Path | None = None,
    data_dir: str | Path | None = None,
    *,
    client=None,
    chunk_size: int = CHUNK_SIZE,
    progress: ProgressFn | None = None,
    sha256: str | None = None,
    catalog: bool = True,
    retry_rejects: bool = False,
) -> IngestReport:
    """Ingest ``source`` (None: the bundled sample; a URL, file or folder) into ``data_dir``.

    With ``client`` (a ``distributed.Client``) chunks are parsed on its workers, otherwise in this process.
    A failure, or a kill at any moment, leaves the corpus as it was: the batch's tables are published
    together, by one rename, at the end; the next run removes what a killed one left in staging.
    ``retry_rejects`` parses records that earlier runs rejected again (after a decoder upgrade); those
    that now parse move to ``songs`` (the ``rejects`` view hides records that were later accepted).
    """
    started = time.perf_counter()
    data = settings.data_dir(data_dir)
    data.mkdir(parents=True, exist_ok=True)
    with _writer_lock(data):
        debris = [str(p) for p in clean_debris(data)]
        if debris:
            log.warning("removed what a killed ingest left behind: %s", ", ".join(debris))
        moved = migrate_legacy(data)
        if moved:
            log.info("moved %d batches of the old table-per-folder layout into parquet/batches/", moved)
        report = _ingest(source, data, started, client, chunk_size, progress, sha256, catalog, retry_rejects)
        report.debris_removed = debris
        return report


def _ingest(
    source,
    data: Path,
    started: float,
    client,
    chunk_size: int,
    progress: ProgressFn | None,
    sha256: str | None,
    catalog: bool,
    retry_rejects: bool,
) -> IngestReport:
    download_progress = (lambda done, total: progress("download", done, total)) if progress else None
    t0 = time.perf_counter()
    src = resolve_source(source, data, sha256=sha256, progress=download_progress)
    fetch_seconds = time.perf_counter() - t0
    batch = new_batch_id()
    run = _Run(src, data, batch, progress, retry_rejects)
    run.report.timings["fetch"] = fetch_seconds
    chunks = run.chunks(min(chunk_size, src.chunk_size or chunk_size))
    if client is None:
        results = _parse_local(chunks, batch)
    else:
        workers = max(1, len(client.scheduler_info().get("workers", {})))
        run.report.workers = workers
        results = _parse_dask(chunks, batch, client, in_flight=2 * workers + 1)
    try:
        for result in results:
            run.absorb(result)
        run.finish()
    except BaseException:
        run.writer.abort()
        raise
    t0 = time.perf_counter()
    run.report.stored_problems = stored_problems(data)
    run.report.timings["check"] = time.perf_counter() - t0
    if catalog:
        t0 = time.perf_counter()
        refresh_catalog(data)
        run.report.timings["catalog"] = time.perf_counter() - t0
    run.report.timings["total"] = time.perf_counter() - started
    return run.report


__all__ = ["IngestReport", "ingest"]
