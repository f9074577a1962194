"""The SQL people read and reuse lives in ``sql/`` (views.sql, queries/*.sql); this module finds and loads it.

Where ``sql/`` is: ``$BEEPBRAIN_SQL_DIR`` if set; else the source checkout's ``sql/`` next to the package
(editable installs, running from the repository); else ``<prefix>/share/beepbrain/sql``, where a plain
install puts it (pyproject's ``[tool.setuptools.data-files]``).

A query file may start with header comments: ``-- description: ...`` and ``-- param NAME = DEFAULT`` lines
(defaults for its ``$NAME`` parameters). Parameters are always bound by DuckDB, never formatted in.
"""

from __future__ import annotations

import os
import re
import sys
import sysconfig
from dataclasses import dataclass, field
from pathlib import Path

SQL_DIR_ENV = "BEEPBRAIN_SQL_DIR"
_PARAM_LINE = re.compile(r"^--\s*param\s+(\w+)\s*=\s*(.*?)\s*$")
_DESC_LINE = re.compile(r"^--\s*description:\s*(.*?)\s*$")
_PARAM_USE = re.compile(r"\$([A-Za-z_]\w*)")


def sql_dir() -> Path:
    candidates = []
    if env := os.environ.get(SQL_DIR_ENV):
        candidates.append(Path(env))
    candidates.append(Path(__file__).resolve().parents[2] / "sql")
    for base in {sysconfig.get_path("data"), sys.prefix, sys.base_prefix}:
        candidates.append(Path(base) / "share" / "beepbrain" / "sql")
    for path in candidates:
        if (path / "views.sql").is_file() and (path / "queries").is_dir():
            return path
    raise FileNotFoundError(
        "BeepBrain's sql/ folder was not found (looked in: "
        + ", ".join(str(p) for p in candidates)
        + f"); set ${SQL_DIR_ENV}"
    )


@dataclass(frozen=True)
class NamedQuery:
    name: str
    sql: str
    description: str = ""
    defaults: dict[str, object] = field(default_factory=dict)

    @property
    def params(self) -> list[str]:
        return list(dict.fromkeys(_PARAM_USE.findall(_strip_comments(self.sql))))

    def bind(self, given: dict[str, object] | None = None) -> dict[str, object]:
        """Parameter values for this query: defaults overridden by ``given``; unknown or missing ones fail."""
        given = dict(given or {})
        unknown = set(given) - set(self.params)
        if unknown:
            raise ValueError(
                f"query {self.name!r} has no parameter(s) {sorted(unknown)}; it takes {self.params}"
            )
        values = {**self.defaults, **given}
        missing = [p for p in self.params if p not in values]
        if missing:
            raise ValueError(f"query {self.name!r} needs parameter(s) {missing}")
        return {p: values[p] for p in self.params}


def _strip_comments(sql: str) -> str:
    return "\n".join(line.split("--", 1)[0] for line in sql.splitlines())


def parse_value(text: str) -> object:
    """A parameter value from text: int, float, true/false/null, else the string itself."""
    lowered = text.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered == "null":
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    if len(text) >= 2 and text[0] == text[-1] == "'":
        return text[1:-1]
    return text


def load_query(name: str) -> NamedQuery:
    path = sql_dir() / "queries" / f"{name}.sql"
    if not re.fullmatch(r"[A-Za-z0-9_-]+", name) or not path.is_file():
        raise KeyError(f"no query named {name!r}; known: {', '.join(list_queries())}")
    return read_query(path)


def read_query(path: Path) -> NamedQuery:
    text = path.read_text(encoding="utf-8")
    description, defaults = "", {}
    for line in text.splitlines():
        if m := _DESC_LINE.match(line):
            description = m.group(1)
        elif m := _PARAM_LINE.match(line):
            defaults[m.group(1)] = parse_value(m.group(2))
    return NamedQuery(path.stem, text, description, defaults)


def list_queries() -> list[str]:
    return sorted(p.stem for p in (sql_dir() / "queries").glob("*.sql"))


def views_sql() -> str:
    return (sql_dir() / "views.sql").read_text(encoding="utf-8")
