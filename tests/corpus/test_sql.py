"""The named queries in sql/queries run against a real catalog with parameters bound by DuckDB."""

from __future__ import annotations

import json

import pytest

from beepbrain.cli import main
from beepbrain.corpus import sqlfiles
from beepbrain.corpus.catalog import open_catalog
from beepbrain.format import Song


def test_every_named_query_runs_with_its_defaults(sample_corpus):
    data_dir, _ = sample_corpus
    names = sqlfiles.list_queries()
    assert {"songs_by_tempo", "songs_by_rhythm", "songs_by_channels", "corpus_stats"} <= set(names)
    with open_catalog(data_dir) as con:
        for name in names:
            q = sqlfiles.load_query(name)
            assert q.description, name
            if "song_embeddings" in q.sql:  # needs `beepbrain embed` first: tests/embed runs these
                continue
            cursor = con.execute(q.sql, q.bind() or None)
            rows = cursor.fetchall()
            assert cursor.description and (rows or name == "duplicate_songs"), name


def test_tempo_query_binds_parameters(sample_corpus, parsed_songs):
    data_dir, _ = sample_corpus
    q = sqlfiles.load_query("songs_by_tempo")
    assert q.params == ["min_bpm", "max_bpm", "limit"]
    with open_catalog(data_dir) as con:
        got = con.execute(q.sql, q.bind({"min_bpm": 120, "max_bpm": 150, "limit": 10_000})).fetchall()
    want = sorted(s.tempo for s in parsed_songs.values() if isinstance(s, Song) and 120 <= s.tempo <= 150)
    assert [row[3] for row in got] == want


def test_bad_parameters_are_refused():
    q = sqlfiles.load_query("songs_by_rhythm")
    with pytest.raises(ValueError, match="no parameter"):
        q.bind({"tempo": 3})
    with pytest.raises(KeyError, match="no query named"):
        sqlfiles.load_query("../views")


def test_query_cli(sample_corpus, capsys):
    data_dir, _ = sample_corpus
    assert (
        main(
            [
                "query",
                "--data-dir",
                str(data_dir),
                "--name",
                "songs_by_rhythm",
                "-p",
                "rhythm=0",
                "-p",
                "limit=1000",
                "--format",
                "json",
            ]
        )
        == 0
    )
    out = json.loads(capsys.readouterr().out)
    assert out and all(row["rhythm"] == 0 for row in out)
    # a value that looks like SQL stays a value
    assert (
        main(
            [
                "query",
                "--data-dir",
                str(data_dir),
                "SELECT count(*) AS n FROM songs WHERE author = $a",
                "-p",
                "a=x' OR '1'='1",
                "--format",
                "csv",
            ]
        )
        == 0
    )
    assert capsys.readouterr().out.split() == ["n", "0"]
    assert main(["query", "--list"]) == 0
    assert "songs_by_tempo" in capsys.readouterr().out
    assert main(["query", "--data-dir", str(data_dir), "DELETE FROM songs"]) == 2  # read-only
    assert main(["query", "--data-dir", str(data_dir / "nowhere"), "--name", "corpus_stats"]) == 2
    assert "run `beepbrain ingest` first" in capsys.readouterr().err
