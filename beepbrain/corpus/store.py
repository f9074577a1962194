"""Parquet storage: ``DATA_DIR/parquet/<table>/<batch>.parquet``, one file per table per ingest batch.

A batch writes each table's rows as row groups into ``<batch>.parquet.tmp`` and renames them all at commit,
so readers (the catalog's views glob ``*.parquet``) never see half a batch, and an incremental run only
adds files.
"""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from beepbrain.corpus.schemas import TABLES

COMPRESSION = "zstd"


def parquet_dir(data_dir: str | Path) -> Path:
    return Path(data_dir) / "parquet"


def table_dir(data_dir: str | Path, table: str) -> Path:
    return parquet_dir(data_dir) / table


def table_files(data_dir: str | Path, table: str) -> list[Path]:
    return sorted(table_dir(data_dir, table).glob("*.parquet"))


def ensure_tables(data_dir: str | Path) -> None:
    """Give every table at least one (possibly empty) file, so views over ``*.parquet`` always resolve."""
    for name, schema in TABLES.items():
        folder = table_dir(data_dir, name)
        folder.mkdir(parents=True, exist_ok=True)
        if not any(folder.glob("*.parquet")):
            pq.write_table(schema.empty_table(), folder / "empty.parquet", compression=COMPRESSION)


class BatchWriter:
    """Appends Arrow tables to this batch's files; ``commit()`` publishes them, ``abort()`` drops them."""

    def __init__(self, data_dir: str | Path, batch: str) -> None:
        self.data_dir = Path(data_dir)
        self.batch = batch
        self._writers: dict[str, pq.ParquetWriter] = {}
        self.rows: dict[str, int] = dict.fromkeys(TABLES, 0)

    def _path(self, table: str) -> Path:
        return table_dir(self.data_dir, table) / f"{self.batch}.parquet"

    def write(self, table: str, data: pa.Table) -> None:
        if data.num_rows == 0:
            return
        writer = self._writers.get(table)
        if writer is None:
            path = self._path(table)
            path.parent.mkdir(parents=True, exist_ok=True)
            writer = pq.ParquetWriter(f"{path}.tmp", TABLES[table], compression=COMPRESSION)
            self._writers[table] = writer
        writer.write_table(data.cast(TABLES[table]), row_group_size=256 * 1024)
        self.rows[table] += data.num_rows

    def commit(self) -> list[Path]:
        paths = []
        for table, writer in self._writers.items():
            writer.close()
            path = self._path(table)
            os.replace(f"{path}.tmp", path)
            paths.append(path)
        self._writers.clear()
        return paths

    def abort(self) -> None:
        for table, writer in self._writers.items():
            writer.close()
            Path(f"{self._path(table)}.tmp").unlink(missing_ok=True)
        self._writers.clear()
