"""Check what is stored, not what a run meant to write: every published batch holds every table, and every
song's rows in the other tables add up to what its `songs` row says (channels, patterns, notes, sequence,
instruments, at least one source), with no rows for songs that are not there.

``stored_problems(data_dir)`` returns one line per kind of damage, naming the batches (empty: the corpus is
whole). It reads the published Parquet files with an in-memory DuckDB (never the catalog, which a reader may
hold). A damaged batch (left by a version that committed table by table) is repaired by moving its folder
out of ``parquet/batches/`` and ingesting the source again: its records are then no longer known.
"""

from __future__ import annotations

from pathlib import Path

from beepbrain.corpus.schemas import SONG_TABLES, TABLES
from beepbrain.corpus.store import published_batches, table_glob

# (what it means, SQL over the per-song counts in `counted` that is true for a damaged song)
SONG_CHECKS = (
    ("have no sources row", "sources = 0"),
    (
        "have a channels row count other than pitch_channels + noise_channels",
        "channels <> pitch_channels + noise_channels",
    ),
    ("have a notes row count other than note_count", "notes <> note_count"),
    ("have channel note counts that do not sum to note_count", "channel_notes <> note_count"),
    ("have a patterns row count other than their channels' pattern_count", "patterns <> channel_patterns"),
    (
        "have an instruments row count other than their channels' instrument_count",
        "instruments <> channel_instruments",
    ),
    ("have a sequence row count other than channels x bar_count", "sequence <> channels * bar_count"),
)


def _counts_sql(read) -> str:
    def per_song(table: str, expr: str = "count(*)", name: str | None = None) -> str:
        return f"(SELECT song_id, {expr} AS {name or table} FROM {read(table)} GROUP BY song_id)"

    parts = {
        "sources": per_song("sources"),
        "channels": per_song(
            "channels",
            "count(*) AS channels, sum(note_count) AS channel_notes, "
            "sum(pattern_count) AS channel_patterns, sum(instrument_count)",
            "channel_instruments",
        ),
        "notes": per_song("notes"),
        "patterns": per_song("patterns"),
        "sequence": per_song("sequence"),
        "instruments": per_song("instruments"),
    }
    joins = " ".join(f"LEFT JOIN {sql} AS {alias} USING (song_id)" for alias, sql in parts.items())
    cols = [
        "sources",
        "channels",
        "channel_notes",
        "channel_patterns",
        "channel_instruments",
        "notes",
        "patterns",
        "sequence",
        "instruments",
    ]
    coalesced = ", ".join(f"coalesce({c}, 0) AS {c}" for c in cols)
    return (
        f"SELECT s.song_id, s.batch, s.pitch_channels, s.noise_channels, s.note_count, s.bar_count, {coalesced} "
        f"FROM {read('songs')} AS s {joins}"
    )


def stored_problems(data_dir: str | Path) -> list[str]:
    """What is wrong with the published corpus in ``data_dir`` (an empty list when nothing is)."""
    import duckdb

    problems = []
    for batch in published_batches(data_dir):
        missing = [t for t in TABLES if not (batch / f"{t}.parquet").exists()]
        if missing:
            problems.append(f"batch {batch.name} lacks the tables {', '.join(missing)}")
    if not published_batches(data_dir):
        return problems

    def read(table: str) -> str:
        pattern = table_glob(data_dir, table).as_posix().replace("'", "''")
        return f"read_parquet('{pattern}', union_by_name = true)"

    with duckdb.connect() as con:
        dupes = con.execute(f"SELECT count(*) - count(DISTINCT song_id) FROM {read('songs')}").fetchone()[0]
        if dupes:
            problems.append(f"{dupes} songs are stored more than once")
        con.execute(f"CREATE TEMP TABLE counted AS {_counts_sql(read)}")
        for meaning, condition in SONG_CHECKS:
            n, batches = con.execute(
                f"SELECT count(*), list(DISTINCT batch ORDER BY batch) FROM counted WHERE {condition}"
            ).fetchone()
            if n:
                problems.append(f"{n} songs {meaning} (batches {', '.join(batches)})")
        for table in ("sources", *SONG_TABLES):
            if table == "songs":
                continue
            orphans = con.execute(
                f"SELECT count(*) FROM {read(table)} WHERE song_id NOT IN (SELECT song_id FROM counted)"
            ).fetchone()[0]
            if orphans:
                problems.append(f"{orphans} {table} rows belong to no stored song")
    return problems
