"""Pattern and song vectors in Parquet, with DuckDB views in the corpus catalog.

``DATA_DIR/embeddings/<model tag>/{patterns,songs}/<batch>.parquet``: one folder per embedding model
version (vectors of two versions are not comparable), one file per `beepbrain embed` run, written to
``.tmp`` and renamed when complete. ``embeddings/current`` names the tag the views show:

- ``pattern_embeddings``: song_id, channel, pattern, is_noise, bars (bars that play it), vector FLOAT[256]
- ``song_embeddings``: song_id, patterns, vector FLOAT[256] (NULL for a song without notes), model_version,
  and from ``beepbrain.embed.identity``: notes_hash (songs sharing it play the same notes), form_hash
  (the same song up to transposition) and lowest_pitch

Each file's Parquet metadata names the ``EMBED_VERSION`` that wrote it (``beepbrain.embed_version``).
"""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

DIM = 256

EMBED_VERSION = 2
"""How this beepbrain reads a song into grids and fingerprints, apart from the model (``model_version``).
1 (files without the key): a channel's octave read as a transposition, 12 x octave added to its pitches;
2: note pitches are absolute, as BeepBox reads them (only the key moves sounding pitch). Batches of another
version are embedded again, and replaced, by the next `beepbrain embed` (``legacy_batches``)."""
VERSION_KEY = b"beepbrain.embed_version"


def _metadata() -> dict[bytes, bytes]:
    return {VERSION_KEY: str(EMBED_VERSION).encode()}


def pattern_schema(dim: int = DIM) -> pa.Schema:
    return pa.schema(
        [
            ("song_id", pa.string()),
            ("channel", pa.int16()),
            ("pattern", pa.int32()),
            ("is_noise", pa.bool_()),
            ("bars", pa.int32()),
            ("vector", pa.list_(pa.float32(), dim)),
        ],
        metadata=_metadata(),
    )


def song_schema(dim: int = DIM) -> pa.Schema:
    return pa.schema(
        [
            ("song_id", pa.string()),
            ("patterns", pa.int32()),
            ("vector", pa.list_(pa.float32(), dim)),
            ("model_version", pa.string()),
            ("notes_hash", pa.string()),
            ("form_hash", pa.string()),
            ("lowest_pitch", pa.int16()),
        ],
        metadata=_metadata(),
    )


def embeddings_dir(data_dir) -> Path:
    return Path(data_dir) / "embeddings"


def version_dir(data_dir, tag: str) -> Path:
    return embeddings_dir(data_dir) / tag


def current_tag(data_dir) -> str | None:
    path = embeddings_dir(data_dir) / "current"
    return path.read_text().strip() if path.exists() else None


def set_current(data_dir, tag: str) -> None:
    path = embeddings_dir(data_dir) / "current"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(tag + "\n")
    os.replace(tmp, path)


def batch_version(schema: pa.Schema) -> int:
    """The ``EMBED_VERSION`` a file of this schema was written by (1 for a file without the key)."""
    value = (schema.metadata or {}).get(VERSION_KEY)
    try:
        return int(value) if value is not None else 1
    except ValueError:
        return 0


def is_current(schema: pa.Schema) -> bool:
    """Whether a song file of this schema has all of today's columns and today's ``EMBED_VERSION``."""
    return set(song_schema().names) <= set(schema.names) and batch_version(schema) == EMBED_VERSION


def legacy_batches(data_dir, tag: str) -> list[str]:
    """Batches written by an older beepbrain: before song rows had all of today's columns (``notes_hash``
    and the rest), or with another ``EMBED_VERSION`` (version 1 read a channel's octave as a
    transposition, so its hashes, ``lowest_pitch`` and grids are off). Their songs are embedded again,
    then the batches removed (``remove_batches``), so every song row says which songs are identical by
    today's reading."""
    folder = version_dir(data_dir, tag) / "songs"
    return sorted(
        f.stem
        for f in folder.glob("*.parquet")
        if not is_current(pq.read_schema(f)) and pq.read_metadata(f).num_rows
    )


def remove_batches(data_dir, tag: str, batches: list[str]) -> None:
    for batch in batches:
        for kind in ("songs", "patterns"):  # songs first: a song without its row is simply not done
            (version_dir(data_dir, tag) / kind / f"{batch}.parquet").unlink(missing_ok=True)


def embedded_song_ids(data_dir, tag: str) -> set[str]:
    """The songs ``tag`` has embedded (legacy batches aside)."""
    legacy = set(legacy_batches(data_dir, tag))
    files = sorted((version_dir(data_dir, tag) / "songs").glob("*.parquet"))
    ids: set[str] = set()
    for f in files:
        if f.stem not in legacy:
            ids.update(pq.read_table(f, columns=["song_id"]).column("song_id").to_pylist())
    return ids


class EmbeddingWriter:
    """Appends pattern and song rows for one run; ``commit()`` publishes both files at once."""

    def __init__(self, data_dir, tag: str, batch: str, dim: int = DIM) -> None:
        base = version_dir(data_dir, tag)
        self.paths = {
            "patterns": base / "patterns" / f"{batch}.parquet",
            "songs": base / "songs" / f"{batch}.parquet",
        }
        self.schemas = {"patterns": pattern_schema(dim), "songs": song_schema(dim)}
        self.writers: dict[str, pq.ParquetWriter] = {}
        self.rows = {"patterns": 0, "songs": 0}

    def write(self, kind: str, table: pa.Table) -> None:
        if table.num_rows == 0:
            return
        if kind not in self.writers:
            self.paths[kind].parent.mkdir(parents=True, exist_ok=True)
            self.writers[kind] = pq.ParquetWriter(
                f"{self.paths[kind]}.tmp", self.schemas[kind], compression="zstd"
            )
        self.writers[kind].write_table(table.cast(self.schemas[kind]))
        self.rows[kind] += table.num_rows

    def commit(self) -> None:
        for kind in ("patterns", "songs"):  # songs last: a song is "done" once its row is published
            if kind in self.writers:
                self.writers.pop(kind).close()
                os.replace(f"{self.paths[kind]}.tmp", self.paths[kind])

    def abort(self) -> None:
        for kind, writer in list(self.writers.items()):
            writer.close()
            Path(f"{self.paths[kind]}.tmp").unlink(missing_ok=True)
        self.writers.clear()


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def ensure_files(data_dir, tag: str, dim: int = DIM) -> None:
    """Give both tables of ``tag`` at least one (possibly empty) file, so the views always resolve."""
    for kind, schema in (("patterns", pattern_schema(dim)), ("songs", song_schema(dim))):
        folder = version_dir(data_dir, tag) / kind
        folder.mkdir(parents=True, exist_ok=True)
        empty = folder / "empty.parquet"
        stale = empty.exists() and (
            pq.read_schema(empty).names != schema.names
            or batch_version(pq.read_schema(empty)) != EMBED_VERSION
        )
        if stale or not any(folder.glob("*.parquet")):
            pq.write_table(schema.empty_table(), empty)


def build_views(data_dir, tag: str, dim: int = DIM) -> None:
    """(Re)create ``pattern_embeddings`` and ``song_embeddings`` in the catalog over ``tag``'s files."""
    import duckdb

    from beepbrain.corpus.catalog import catalog_path

    data_dir = Path(data_dir).resolve()
    ensure_files(data_dir, tag, dim)
    base = version_dir(data_dir, tag)
    with duckdb.connect(str(catalog_path(data_dir))) as con:
        for view, kind, cols in (
            ("pattern_embeddings", "patterns", "song_id, channel, pattern, is_noise, bars"),
            (
                "song_embeddings",
                "songs",
                "song_id, patterns, model_version, notes_hash, form_hash, lowest_pitch",
            ),
        ):
            glob = (base / kind / "*.parquet").as_posix()
            con.execute(
                f"CREATE OR REPLACE VIEW {view} AS SELECT {cols}, vector::FLOAT[{dim}] AS vector "
                f"FROM read_parquet({_literal(glob)}, union_by_name = true)"
            )
    set_current(data_dir, tag)
