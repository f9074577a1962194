"""A corpus ingested once from the test archive, shared by the corpus tests (read-only)."""

from __future__ import annotations

import pytest

from beepbrain.corpus.ingest import ingest


@pytest.fixture(scope="session")
def sample_corpus(tmp_path_factory, corpus_path):
    """(data_dir, report) of an in-process ingest of tests/data/songs.jsonl.zst."""
    data_dir = tmp_path_factory.mktemp("corpus")
    report = ingest(corpus_path, data_dir)
    return data_dir, report


@pytest.fixture(scope="session")
def parsed_songs(corpus_records):
    """song string -> Song (or the error) for every record, decoded here in Python."""
    from beepbrain.format import BeepBoxFormatError, parse_song
    from beepbrain.format.parse import song_string

    out = {}
    for record in corpus_records:
        text = song_string(record["data"])
        try:
            out[text] = parse_song(text)
        except BeepBoxFormatError as exc:
            out[text] = exc
    return out
