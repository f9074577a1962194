"""Parquet storage: ``DATA_DIR/parquet/batches/<batch>/<table>.parquet``, one folder per ingest batch.

A batch writes every table into ``parquet/staging/<batch>/`` and is published by one ``rename`` of that
folder into ``parquet/batches/``: readers (the catalog's views glob ``batches/*/<table>.parquet``) and the
"already ingested" state (``CorpusState``) both go by the published folders, so a batch's tables become
visible together or not at all, whenever the writer is killed. A run that finds a staging folder left by a
killed run removes it (``clean_debris``). ``batches/_empty/`` holds an empty file per table so that the
views resolve before the first batch.

Corpora written by older versions (``parquet/<table>/<batch>.parquet``) are moved into this layout, batch by
batch, by ``migrate_legacy`` (each batch published the same way).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from beepbrain.corpus.schemas import TABLES
from beepbrain.crashpoints import crash_point

COMPRESSION = "zstd"
EMPTY_BATCH = "_empty"


def parquet_dir(data_dir: str | Path) -> Path:
    return Path(data_dir) / "parquet"


def batches_dir(data_dir: str | Path) -> Path:
    return parquet_dir(data_dir) / "batches"


def staging_dir(data_dir: str | Path) -> Path:
    return parquet_dir(data_dir) / "staging"


def table_glob(data_dir: str | Path, table: str) -> Path:
    """The glob that names every published file of ``table`` (what the catalog's views read)."""
    return batches_dir(data_dir) / "*" / f"{table}.parquet"


def published_batches(data_dir: str | Path) -> list[Path]:
    folder = batches_dir(data_dir)
    return sorted(p for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []


def table_files(data_dir: str | Path, table: str) -> list[Path]:
    """The published files of ``table``, one per batch that holds it."""
    return [f for b in published_batches(data_dir) if (f := b / f"{table}.parquet").exists()]


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publish(folder: Path, data_dir: str | Path, name: str | None = None) -> Path:
    """Make a staged batch folder visible: its files are synced, then the folder is renamed into
    ``batches/`` in one step (the only step a reader can observe)."""
    for f in folder.iterdir():
        with open(f, "rb") as fh:
            os.fsync(fh.fileno())
    _fsync_dir(folder)
    target = batches_dir(data_dir) / (name or folder.name)
    target.parent.mkdir(parents=True, exist_ok=True)
    crash_point("ingest.before-publish")
    os.rename(folder, target)
    _fsync_dir(target.parent)
    crash_point("ingest.after-publish")
    return target


def clean_debris(data_dir: str | Path) -> list[Path]:
    """Remove what killed runs left behind: staging folders (never published, so never seen by anyone).
    Call it only while holding the ingest lock. Returns what was removed."""
    folder = staging_dir(data_dir)
    removed = sorted(folder.iterdir()) if folder.is_dir() else []
    for path in removed:
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()
    return removed


def ensure_tables(data_dir: str | Path) -> None:
    """Publish ``batches/_empty/`` (an empty file per table) once, so views always resolve."""
    if (batches_dir(data_dir) / EMPTY_BATCH).is_dir():
        return
    folder = staging_dir(data_dir) / f"{EMPTY_BATCH}-{os.getpid()}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for name, schema in TABLES.items():
        pq.write_table(schema.empty_table(), folder / f"{name}.parquet", compression=COMPRESSION)
    try:
        publish(folder, data_dir, EMPTY_BATCH)
    except OSError:  # published meanwhile by another process
        shutil.rmtree(folder, ignore_errors=True)
        if not (batches_dir(data_dir) / EMPTY_BATCH).is_dir():
            raise


def migrate_legacy(data_dir: str | Path) -> int:
    """Move a corpus of the old layout (``parquet/<table>/<batch>.parquet``) into batch folders; each batch
    is staged (hard links, or copies) and published before its old files are removed, so a kill at any
    point loses nothing and the next run carries on. Returns the number of batches moved."""
    root = parquet_dir(data_dir)
    old = [root / t for t in TABLES if (root / t).is_dir()]
    if not old:
        return 0
    by_batch: dict[str, list[Path]] = {}
    for folder in old:
        for f in folder.glob("*.parquet"):
            if f.stem != "empty":
                by_batch.setdefault(f.stem, []).append(f)
    for batch, files in sorted(by_batch.items()):
        if not (batches_dir(data_dir) / batch).is_dir():
            stage = staging_dir(data_dir) / batch
            shutil.rmtree(stage, ignore_errors=True)
            stage.mkdir(parents=True)
            for f in files:
                target = stage / f"{f.parent.name}.parquet"
                try:
                    os.link(f, target)
                except OSError:
                    shutil.copyfile(f, target)
            for name, schema in TABLES.items():  # a batch folder holds every table
                if not (stage / f"{name}.parquet").exists():
                    pq.write_table(schema.empty_table(), stage / f"{name}.parquet", compression=COMPRESSION)
            publish(stage, data_dir)
        for f in files:
            f.unlink()
    for folder in old:
        shutil.rmtree(folder)
    return len(by_batch)


class BatchWriter:
    """Appends Arrow tables to this batch's staged files; ``commit()`` publishes them all at once (every
    table gets a file, empty or not), ``abort()`` drops them."""

    def __init__(self, data_dir: str | Path, batch: str) -> None:
        self.data_dir = Path(data_dir)
        self.batch = batch
        self.folder = staging_dir(self.data_dir) / batch
        self._writers: dict[str, pq.ParquetWriter] = {}
        self.rows: dict[str, int] = dict.fromkeys(TABLES, 0)

    def write(self, table: str, data: pa.Table) -> None:
        if data.num_rows == 0:
            return
        writer = self._writers.get(table)
        if writer is None:
            self.folder.mkdir(parents=True, exist_ok=True)
            writer = pq.ParquetWriter(
                self.folder / f"{table}.parquet", TABLES[table], compression=COMPRESSION
            )
            self._writers[table] = writer
        writer.write_table(data.cast(TABLES[table]), row_group_size=256 * 1024)
        self.rows[table] += data.num_rows

    def commit(self) -> Path | None:
        """Close every table's file and publish the batch; None when the run wrote no rows at all."""
        if not self._writers:
            return None
        for name, schema in TABLES.items():
            writer = self._writers.pop(name, None)
            if writer is None:
                pq.write_table(schema.empty_table(), self.folder / f"{name}.parquet", compression=COMPRESSION)
            else:
                writer.close()
            crash_point(f"ingest.staged.{name}")
        return publish(self.folder, self.data_dir)

    def abort(self) -> None:
        for writer in self._writers.values():
            writer.close()
        self._writers.clear()
        shutil.rmtree(self.folder, ignore_errors=True)
