"""Which catalog songs a dataset holds: a read-only SQL selection on the corpus catalog."""

from __future__ import annotations

import hashlib


def select_songs(data_dir, where: str | None = None) -> tuple[list[tuple[str, str]], str, str]:
    """(song_id, data) of the catalog songs matching ``where`` (a SQL predicate on ``songs``, run on a
    read-only connection), the SQL run, and the corpus version (hash of every song id in ``songs``)."""
    import duckdb

    from beepbrain.corpus.readonly import open_read_only

    sql = "SELECT song_id, data FROM songs"
    if where and where.strip():
        try:
            statements = duckdb.extract_statements(f"SELECT 1 FROM songs WHERE ({where})")
        except duckdb.Error as exc:
            raise ValueError(f"--where is not a SQL predicate: {exc}") from exc
        if len(statements) != 1:
            raise ValueError(f"--where must be one SQL predicate, got {where!r}")
        sql += f" WHERE ({where})"
    sql += " ORDER BY song_id"
    with open_read_only(data_dir) as con:  # the --where predicate reads the corpus alone, writes nothing
        try:
            rows = con.execute(sql).fetchall()
        except duckdb.Error as exc:
            raise ValueError(f"song selection failed: {exc}") from exc
        ids = con.execute("SELECT song_id FROM songs ORDER BY song_id").fetchall()
    version = hashlib.sha256("\n".join(r[0] for r in ids).encode()).hexdigest()[:16]
    return [(str(a), str(b)) for a, b in rows], sql, version
