"""Parsing on a real Dask LocalCluster (2 worker processes) gives the same corpus as in-process parsing."""

from __future__ import annotations

import os
from collections import Counter

import pytest

from beepbrain.corpus.catalog import open_catalog
from beepbrain.corpus.cluster import dask_client
from beepbrain.corpus.ingest import ingest
from beepbrain.format import Song

TABLE_KEYS = {
    "songs": "song_id",
    "channels": "song_id, channel",
    "notes": "song_id, channel, pattern, note",
    "sequence": "song_id, channel, bar",
    "instruments": "song_id, channel, instrument",
    "rejects": "record_key",
    "sources": "record_key",
}


@pytest.mark.slow
def test_dask_ingest_matches_in_process(tmp_path, corpus_path, sample_corpus, parsed_songs):
    with dask_client(workers=2) as client:
        assert len(client.scheduler_info()["workers"]) == 2
        report = ingest(corpus_path, tmp_path, client=client, chunk_size=40)  # several chunks per worker
    local_dir, local = sample_corpus
    assert report.workers == 2 and report.balanced
    assert (report.songs_new, report.duplicates, report.rejected) == (
        local.songs_new,
        local.duplicates,
        local.rejected,
    )
    with open_catalog(tmp_path) as con, open_catalog(local_dir) as ref:
        for table, order in TABLE_KEYS.items():
            drop = "EXCLUDE (batch)" if table in ("songs", "rejects", "sources") else ""
            sql = f"SELECT * {drop} FROM {table} ORDER BY {order}"
            assert con.execute(sql).fetchall() == ref.execute(sql).fetchall(), table
        by_rhythm = dict(con.execute("SELECT rhythm, count(*) FROM songs GROUP BY rhythm").fetchall())
    assert by_rhythm == Counter(s.rhythm for s in parsed_songs.values() if isinstance(s, Song))


@pytest.mark.slow
def test_cli_joins_a_running_scheduler(tmp_path, corpus_path, sample_corpus, capsys, monkeypatch):
    import json

    from distributed import Client, LocalCluster

    from beepbrain.cli import main

    with (
        LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=":0") as cluster,
        Client(cluster) as watcher,
    ):
        monkeypatch.setenv("BEEPBRAIN_DASK_ADDRESS", cluster.scheduler_address)  # the settings default
        assert (
            main(
                [
                    "ingest",
                    "--no-prefect",
                    "--source",
                    str(corpus_path),
                    "--data-dir",
                    str(tmp_path),
                    "--chunk-size",
                    "100",
                    "--json",
                ]
            )
            == 0
        )
        report = json.loads(capsys.readouterr().out)
        parsed_there = watcher.run_on_scheduler(lambda dask_scheduler: list(dask_scheduler.task_prefixes))
    assert "parse_chunk" in parsed_there
    assert report["songs_new"] == sample_corpus[1].songs_new and report["workers"] == 1


def test_a_local_cluster_leaves_this_process_s_thread_settings_as_they_were(monkeypatch):
    """``distributed`` sets OMP_NUM_THREADS=1 (and MKL's, OpenBLAS's) in the parent's environment when it
    starts worker processes; torch first used afterwards in the same process (``beepbrain run`` trains
    after its ingest) would then train on one core. The cluster's client puts them back, inside and after."""
    for key in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        monkeypatch.delenv(key, raising=False)
    before = dict(os.environ)
    with dask_client(workers=1) as client:
        assert len(client.scheduler_info()["workers"]) == 1
        assert dict(os.environ) == before
    assert dict(os.environ) == before
