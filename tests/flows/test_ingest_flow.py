"""The ingest flow runs under Prefect (local test harness) and does what the library does."""

from __future__ import annotations

import json

import pytest


@pytest.mark.slow
def test_ingest_flow_runs_and_reports(prefect_harness, tmp_path, raw_twitter_dir):
    from beepbrain.corpus.catalog import open_catalog
    from flows.ingest import ingest_flow

    assert ingest_flow.name == "ingest"
    result = ingest_flow(source=str(raw_twitter_dir), data_dir=str(tmp_path), workers=2)  # on Dask
    again = ingest_flow(source=str(raw_twitter_dir), data_dir=str(tmp_path), workers=0)  # in-process
    assert result["balanced"] and result["records_read"] == 29 and result["workers"] == 2
    # a tweet that lists its song both as a URL and as {fork, songData} holds one record, not two
    both = sum(
        1
        for p in (raw_twitter_dir / "tweets").glob("*.json")
        if any(isinstance(e, str) for e in json.loads(p.read_text())["songs"])
    )
    assert both >= 3 and result["skipped"] == both
    assert result["songs_new"] + result["duplicates"] + result["rejected"] == 29 - both
    assert again["skipped"] == 29 and again["songs_new"] == 0
    with open_catalog(tmp_path) as con:
        assert con.execute("SELECT count(*) FROM songs").fetchone()[0] == result["songs_new"]
        assert con.execute("SELECT count(DISTINCT source) FROM sources").fetchone()[0] > 10
