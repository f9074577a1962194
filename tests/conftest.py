"""Shared fixtures: the test corpus (a copy of ../shared/corpus) and an isolated environment."""

from __future__ import annotations

import io
import json
import os
import tempfile
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"

# Prefect's local mode needs a writable home and no analytics (there is no internet in CI).
_prefect_home = tempfile.mkdtemp(prefix="beepbrain-prefect-")
os.environ.setdefault("PREFECT_HOME", _prefect_home)
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
os.environ.pop("BEEPBRAIN_DATA_DIR", None)
os.environ.pop("MLFLOW_TRACKING_URI", None)


def read_jsonl_zst(path: Path) -> list[dict]:
    import zstandard

    with open(path, "rb") as fh:
        text = io.TextIOWrapper(zstandard.ZstdDecompressor().stream_reader(fh), encoding="utf-8")
        return [json.loads(line) for line in text if line.strip()]


@pytest.fixture(scope="session")
def corpus_path() -> Path:
    """The sample archive: real BeepBox/JummBox/fork songs in the archive's record format."""
    return DATA / "songs.jsonl.zst"


@pytest.fixture(scope="session")
def corpus_records(corpus_path) -> list[dict]:
    return read_jsonl_zst(corpus_path)


@pytest.fixture(scope="session")
def reference_records() -> list[dict]:
    """BeepBox's own decoder output for every `beepbox` song: {data, ok, json, url_v9} or {data, ok, error}."""
    return read_jsonl_zst(DATA / "reference.jsonl.zst")


@pytest.fixture(scope="session")
def jummbox_reference_records() -> list[dict]:
    return read_jsonl_zst(DATA / "reference-jummbox.jsonl.zst")


@pytest.fixture(scope="session")
def raw_twitter_dir() -> Path:
    return DATA / "raw-twitter-sample"


@pytest.fixture(scope="session")
def prefect_harness():
    """One temporary Prefect API server for the whole session (each start costs tens of seconds)."""
    from beepbrain import settings

    settings.configure_prefect_env()
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=180):  # a busy 2-core machine starts it slowly
        yield
