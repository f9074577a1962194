"""Read-only SQL over the corpus: how `beepbrain query` runs SQL that a user typed.

Two locks, each enough to stop what the other might miss:

1. The statement itself. Only a query (``SELECT``, ``WITH``, ``VALUES``, ``DESCRIBE``/``SHOW``/``SUMMARIZE``,
   ``EXPLAIN``) runs, one statement at a time. ``COPY``, ``EXPORT DATABASE``, ``PRAGMA``, ``SET``, ``ATTACH``,
   ``INSTALL``/``LOAD``, DDL and DML are refused with `QueryRefused` before DuckDB executes anything.
2. DuckDB's own settings on the connection, as its "Securing DuckDB" guide describes: the catalog opened
   ``read_only``; ``enable_external_access = false`` with ``allowed_directories`` set to the corpus's Parquet
   folder alone (so ``read_text('/etc/passwd')`` and any other file outside it are out of bounds, and no file
   can be written); no automatic extension install or load; spilling to a private temporary folder, never
   into the data folder; and ``lock_configuration`` so no query can change any of it.

Parameters stay bound by DuckDB (``$name``), never formatted into the SQL.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from beepbrain import settings
from beepbrain.corpus.catalog import catalog_path
from beepbrain.corpus.store import parquet_dir

# Statement kinds that only read. DESCRIBE, SHOW, SUMMARIZE, VALUES and FROM-first queries parse as SELECT.
READ_KINDS = {"SELECT", "EXPLAIN"}
# Why the common other kinds are refused (DuckDB's StatementType names).
REFUSED = {
    "COPY": "COPY writes (or reads) files",
    "EXPORT": "EXPORT DATABASE writes files",
    "SET": "SET, RESET, USE and setting PRAGMAs change settings",
    "VARIABLE_SET": "SET VARIABLE changes the session",
    "PRAGMA": "PRAGMA statements run functions and change settings",
    "CALL": "CALL runs procedures (query their table functions with SELECT instead)",
    "ATTACH": "ATTACH opens another database",
    "DETACH": "DETACH changes the attached databases",
    "LOAD": "INSTALL and LOAD add extensions",
    "EXTENSION": "INSTALL and LOAD add extensions",
}


class QueryRefused(ValueError):
    """The SQL is not one read-only query; the message says what was refused and why."""


@dataclass(frozen=True)
class QueryResult:
    columns: list[str]
    rows: list[tuple]


def _kind(statement) -> str:
    return str(statement.type).rsplit(".", 1)[-1].upper()


def check_read_only(sql: str) -> None:
    """Raise `QueryRefused` unless ``sql`` is exactly one read-only query (parsed by DuckDB, not run)."""
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise ValueError(f"SQL does not parse: {_first_line(exc)}") from None
    if not statements:
        raise ValueError("no SQL statement given")
    if len(statements) > 1:
        raise QueryRefused(f"refused: one statement at a time, got {len(statements)}")
    kind = _kind(statements[0])
    if kind not in READ_KINDS:
        what = REFUSED.get(kind, f"{kind} statements are not queries")
        raise QueryRefused(f"refused: {what}; `beepbrain query` runs read-only queries (SELECT) only")


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def parquet_root(data_dir: str | Path | None = None) -> Path:
    """The only folder a read-only query may read files from: ``DATA_DIR/parquet``."""
    return parquet_dir(settings.data_dir(data_dir)).resolve()


@contextmanager
def open_read_only(data_dir: str | Path | None = None):
    """A locked-down DuckDB connection to the corpus catalog (see the module's notes); closed on exit."""
    data = settings.data_dir(data_dir)
    path = catalog_path(data)
    if not path.exists():
        raise FileNotFoundError(f"no corpus catalog at {path}; run `beepbrain ingest` first")
    spill = tempfile.mkdtemp(prefix="beepbrain-query-")
    config = {
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": False,
        "temp_directory": spill,
    }
    con = duckdb.connect(str(path), read_only=True, config=config)
    try:
        # DuckDB takes allowed_directories only once the database runs; then external access goes off (the
        # catalog file and the spill folder stay readable to DuckDB itself), then the settings are locked.
        con.execute("SET allowed_directories = $dirs", {"dirs": [parquet_root(data).as_posix() + "/"]})
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
        yield con
    finally:
        con.close()
        shutil.rmtree(spill, ignore_errors=True)


def run_query(
    sql: str, params: Mapping[str, object] | None = None, data_dir: str | Path | None = None
) -> QueryResult:
    """Run one read-only query against the corpus catalog; ``params`` are bound (``$name``).

    Raises `QueryRefused` for anything but a query, ``ValueError`` for SQL DuckDB rejects (a file outside
    the corpus, an unknown column, ...), ``FileNotFoundError`` when there is no catalog."""
    check_read_only(sql)
    with open_read_only(data_dir) as con:
        try:
            cursor = con.execute(sql, dict(params) if params else None)
            columns = [d[0] for d in cursor.description or []]
            rows = cursor.fetchall()
        except duckdb.PermissionException as exc:
            raise QueryRefused(f"refused: {_first_line(exc)} (queries read the corpus alone)") from None
        except duckdb.Error as exc:
            raise ValueError(f"{type(exc).__name__}: {_first_line(exc)}") from None
    return QueryResult(columns, rows)
