"""`beepbrain query` is read-only: every statement that would write a file, attach a database, add an
extension or change a setting is refused (exit 2, one line), queries read the corpus alone, and the catalog
and data folder stay byte-identical. Table output prints data as it is."""

from __future__ import annotations

import hashlib
import shutil

import pytest

from beepbrain.cli import main
from beepbrain.corpus.catalog import build_catalog
from beepbrain.corpus.readonly import QueryRefused, check_read_only, run_query


@pytest.fixture(scope="module")
def corpus_copy(sample_corpus, tmp_path_factory):
    """A private copy of the shared test corpus (its catalog rebuilt to point at the copy)."""
    data_dir, _ = sample_corpus
    copy = tmp_path_factory.mktemp("readonly") / "data"
    shutil.copytree(data_dir, copy)
    build_catalog(copy)
    return copy


@pytest.fixture()
def home(tmp_path, monkeypatch):
    """An empty HOME, so an extension install (into ~/.duckdb) would show."""
    path = tmp_path / "home"
    path.mkdir()
    monkeypatch.setenv("HOME", str(path))
    return path


def snapshot(folder) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def run_cli(capsys, *argv) -> tuple[int, str, str]:
    code = main(["query", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def refused_statements(data_dir, outside) -> dict[str, str]:
    songs = sorted((data_dir / "parquet" / "batches").glob("*/songs.parquet"))[
        0
    ]  # one published batch's table
    return {
        "copy over a corpus file": f"COPY (SELECT * FROM songs LIMIT 1) TO '{songs}' (FORMAT parquet)",
        "copy a new corpus file": f"COPY (SELECT 'x' AS song_id) TO '{songs.parent}/evil.parquet' (FORMAT parquet)",
        "copy outside": f"COPY (SELECT 1 AS a) TO '{outside}/out.csv'",
        "copy from a file": f"COPY songs FROM '{outside}/in.csv'",
        "export database": f"EXPORT DATABASE '{outside}/export'",
        "profiling output": f"PRAGMA profiling_output = '{outside}/profile.json'",
        "pragma": "PRAGMA enable_profiling",
        "set": "SET enable_external_access = true",
        "reset": "RESET lock_configuration",
        "set variable": "SET VARIABLE x = 1",
        "attach": f"ATTACH '{outside}/other.duckdb' AS other",
        "detach": "DETACH other",
        "install": "INSTALL httpfs",
        "load": "LOAD httpfs",
        "call": "CALL pragma_version()",
        "checkpoint": "CHECKPOINT",
        "create": "CREATE TABLE t AS SELECT 1 AS a",
        "insert": "INSERT INTO songs (song_id) VALUES ('x')",
        "delete": "DELETE FROM songs",
        "drop": "DROP VIEW songs",
        "two statements": f"SELECT 1; COPY (SELECT 1) TO '{outside}/two.csv'",
    }


REFUSED_KINDS = [
    "copy over a corpus file",
    "copy a new corpus file",
    "copy outside",
    "copy from a file",
    "export database",
    "profiling output",
    "pragma",
    "set",
    "reset",
    "set variable",
    "attach",
    "detach",
    "install",
    "load",
    "call",
    "checkpoint",
    "create",
    "insert",
    "delete",
    "drop",
    "two statements",
]


@pytest.mark.parametrize("kind", REFUSED_KINDS)
def test_statements_that_change_anything_are_refused(kind, corpus_copy, tmp_path, home, capsys):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "in.csv").write_text("song_id\nx\n")
    sql = refused_statements(corpus_copy, outside)[kind]
    before = snapshot(corpus_copy)
    code, out, err = run_cli(capsys, "--data-dir", str(corpus_copy), sql)
    assert code == 2 and out == ""
    assert one_line_error(err).startswith("beepbrain query: refused")
    assert snapshot(corpus_copy) == before
    assert sorted(p.name for p in outside.iterdir()) == ["in.csv"]
    assert not any(home.iterdir())  # no ~/.duckdb/extensions
    with pytest.raises(QueryRefused):
        check_read_only(sql)


@pytest.mark.parametrize(
    "reader",
    [
        "read_text('{f}')",
        "read_csv('{f}')",
        "read_blob('{f}')",
        "glob('{d}/*')",
        "read_text('{corpus}/parquet/../../outside/secret.txt')",
        "read_text('/etc/passwd')",
    ],
)
def test_files_outside_the_corpus_are_out_of_bounds(reader, corpus_copy, tmp_path, capsys):
    outside = corpus_copy.parent.parent / "outside"
    outside.mkdir(exist_ok=True)
    secret = outside / "secret.txt"
    secret.write_text("name\nsecret-value\n")
    sql = "SELECT * FROM " + reader.format(f=secret, d=outside, corpus=corpus_copy)
    before = snapshot(corpus_copy)
    code, out, err = run_cli(capsys, "--data-dir", str(corpus_copy), sql)
    assert code == 2 and "secret-value" not in out
    assert one_line_error(err).startswith("beepbrain query: refused")
    assert snapshot(corpus_copy) == before


def test_queries_still_read_the_corpus(corpus_copy, capsys):
    before = snapshot(corpus_copy)
    n = run_query("SELECT count(*) AS n FROM songs", data_dir=corpus_copy).rows[0][0]
    assert n > 100
    pattern = (corpus_copy / "parquet" / "batches" / "*" / "songs.parquet").as_posix()
    assert run_query(f"SELECT count(*) FROM read_parquet('{pattern}')", data_dir=corpus_copy).rows[0][0] == n
    for sql in (
        "DESCRIBE songs",
        "SHOW TABLES",
        "SUMMARIZE SELECT tempo FROM songs",
        "EXPLAIN SELECT * FROM songs",
        "FROM songs LIMIT 1",
        "WITH t AS (SELECT 1 AS a) SELECT * FROM t",
    ):
        assert run_query(sql, data_dir=corpus_copy).rows, sql
    assert snapshot(corpus_copy) == before


def test_bound_parameters_stay_data(corpus_copy, tmp_path, capsys):
    before = snapshot(corpus_copy)
    evil = f"x'; COPY (SELECT 1) TO '{tmp_path}/p.csv'; --"
    code, out, err = run_cli(
        capsys,
        "--data-dir",
        str(corpus_copy),
        "--format",
        "csv",
        "SELECT count(*) AS n FROM songs WHERE author = $a OR song_id = $a",
        "-p",
        f"a={evil}",
    )
    assert (code, out, err) == (0, "n\n0\n", "")
    assert not (tmp_path / "p.csv").exists() and snapshot(corpus_copy) == before


MARKUP = [
    "a:x:b :smile: [red]R[/red]",
    "[bold]loud[/bold] [link=https://example.com]x[/link]",
    "\\[escaped] :thumbs_up: [/]",
    "[red]unclosed",
    ":joy::joy:",
]


@pytest.mark.parametrize("text", MARKUP)
def test_table_output_prints_data_as_it_is(text, corpus_copy, capsys):
    code, out, err = run_cli(
        capsys, "--data-dir", str(corpus_copy), 'SELECT $t AS "[b]col:x:[/b]"', "-p", f"t={text}"
    )
    assert code == 0 and err == ""
    assert text in out.splitlines()[3]  # header box, header, rule, then the row
    assert "[b]col:x:[/b]" in out
    assert not {"😄", "❌", "👍", "😂"} & set(out)


def test_csv_lines_end_with_newline_only(corpus_copy, capsys):
    code, out, _ = run_cli(
        capsys,
        "--data-dir",
        str(corpus_copy),
        "--format",
        "csv",
        "SELECT 1 AS a, 'x,y' AS b UNION ALL SELECT 2, 'z'",
    )
    assert code == 0 and "\r" not in out
    assert out == 'a,b\n1,"x,y"\n2,z\n'


def test_user_errors_are_one_line_exit_2(corpus_copy, tmp_path, capsys):
    cases = [
        (["--name", "NOSUCH"], "beepbrain query: no query named 'NOSUCH'; known: "),
        (["SELECT nosuch FROM songs"], "beepbrain query: BinderException: "),
        (["SELEC 1"], "beepbrain query: SQL does not parse: "),
        (["--name", "songs_by_tempo", "-p", "nosuch=1"], "beepbrain query: query 'songs_by_tempo' has no"),
        (["-p", "novalue", "SELECT 1"], "beepbrain query: --param wants K=V"),
        ([], "beepbrain query: give SQL text or --name"),
    ]
    for argv, start in cases:
        code, out, err = run_cli(capsys, "--data-dir", str(corpus_copy), *argv)
        assert code == 2 and out == "", argv
        assert one_line_error(err).startswith(start), err
    code, _, err = run_cli(capsys, "--data-dir", str(tmp_path / "nowhere"), "--name", "corpus_stats")
    assert code == 2 and "run `beepbrain ingest` first" in one_line_error(err)
    assert not (tmp_path / "nowhere").exists()
