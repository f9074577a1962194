"""What the corpus already holds: the record ids and song ids of the published batches (for incremental
runs). It reads the same published folders as the catalog's views, so a batch a killed run never published
is neither visible nor "already ingested"."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from beepbrain.corpus.store import table_files


@dataclass
class CorpusState:
    record_ids: set[str] = field(default_factory=set)  # records accepted (in `sources`)
    rejected_ids: set[str] = field(default_factory=set)  # records in the rejects log
    song_ids: set[str] = field(default_factory=set)

    @classmethod
    def load(cls, data_dir: str | Path) -> CorpusState:
        import pyarrow.parquet as pq

        state = cls()
        for table, column, target in (
            ("sources", "record_id", state.record_ids),
            ("rejects", "record_id", state.rejected_ids),
            ("songs", "song_id", state.song_ids),
        ):
            for path in table_files(data_dir, table):
                target.update(pq.read_table(path, columns=[column]).column(column).to_pylist())
        return state
