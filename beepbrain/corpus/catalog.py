"""The DuckDB catalog ``DATA_DIR/corpus.duckdb``: views over the Parquet tables plus the views in sql/."""

from __future__ import annotations

from pathlib import Path

from beepbrain.corpus.schemas import TABLES
from beepbrain.corpus.sqlfiles import views_sql
from beepbrain.corpus.store import ensure_tables, table_glob

CATALOG_FILE = "corpus.duckdb"


def catalog_path(data_dir: str | Path) -> Path:
    return Path(data_dir) / CATALOG_FILE


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def build_catalog(data_dir: str | Path) -> Path:
    """(Re)create the catalog's views: one per table over ``parquet/batches/*/<table>.parquet``, i.e. the
    published batches (the rejects files
    are ``rejects_log``; ``rejects`` leaves out records accepted later), then sql/views.sql.

    Views name the Parquet folder by absolute path: after moving the data directory, run this again
    (``beepbrain ingest`` does, even when it adds nothing).
    """
    import duckdb

    data_dir = Path(data_dir).resolve()
    ensure_tables(data_dir)
    path = catalog_path(data_dir)
    with duckdb.connect(str(path)) as con:
        con.execute("BEGIN TRANSACTION")  # all views replaced, or (killed midway) none
        for name in TABLES:
            pattern = table_glob(data_dir, name).as_posix()
            view = "rejects_log" if name == "rejects" else name
            # Paths cannot be bound parameters in DDL; this is a quoted literal of our own folder.
            con.execute(
                f"CREATE OR REPLACE VIEW {view} AS "
                f"SELECT * FROM read_parquet({_literal(pattern)}, union_by_name = true)"
            )
        # A record rejected once and accepted by a later run (--retry-rejects) is no longer a reject.
        con.execute(
            "CREATE OR REPLACE VIEW rejects AS SELECT * FROM rejects_log "
            "WHERE record_id NOT IN (SELECT record_id FROM sources)"
        )
        con.execute(views_sql())
        con.execute("COMMIT")
    return path


def open_catalog(data_dir: str | Path | None = None, read_only: bool = True):
    """A DuckDB connection to the corpus catalog (the contract for everyone who reads the corpus)."""
    import duckdb

    from beepbrain import settings

    path = catalog_path(settings.data_dir(data_dir))
    if not path.exists():
        if read_only:
            raise FileNotFoundError(f"no corpus catalog at {path}; run `beepbrain ingest` first")
        build_catalog(path.parent)
    return duckdb.connect(str(path), read_only=read_only)
