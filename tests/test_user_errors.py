"""Every user error the CLI meets is one line on stderr and exit code 2, with no traceback, and what fails
inside a Prefect flow is retried only when a retry can help (the network, a busy server)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


def beepbrain(*argv, env=None, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "beepbrain.cli", *argv],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
        cwd=cwd,
    )


def assert_one_line_exit_2(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 2, (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


@pytest.fixture()
def prefect_env(tmp_path):
    """Prefect's local mode in a private home, as the CLI runs it by default."""
    return {"PREFECT_HOME": str(tmp_path / "prefect"), "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}


CASES = {
    "query, bad SQL": (["query", "SELEC 1"], "SQL does not parse"),
    "query, unknown name": (
        ["query", "--name", "NOSUCH"],
        "beepbrain query: no query named 'NOSUCH'; known:",
    ),
    "query, no catalog": (["query", "SELECT 1"], "run `beepbrain ingest` first"),
    "dataset info": (["dataset", "info", "NOSUCH"], "beepbrain dataset info: no dataset at"),
    "dataset build, no catalog": (["dataset", "build", "--name", "x"], "no corpus catalog"),
    "dataset build, bad --where": (
        ["dataset", "build", "--name", "x", "--where", "nope("],
        "no corpus catalog",
    ),
    "ingest, missing --source": (["ingest", "--source", "missing.jsonl"], "neither an http(s) URL"),
    "ingest, missing --source, no Prefect": (
        ["ingest", "--no-prefect", "--source", "missing.jsonl"],
        "neither an http(s) URL",
    ),
    "run, missing --source": (["run", "--source", "missing.jsonl"], "neither an http(s) URL"),
    "generate, no model": (["generate", "--bars", "1"], "no MLflow store at"),
    "evaluate, no model": (["evaluate"], "no MLflow store at"),
    "generate, --drum-channels 6": (
        ["generate", "--drum-channels", "6"],
        "error: --drum-channels 6 is out of range",
    ),
    "generate, --pitch-channels 0": (
        ["generate", "--pitch-channels", "0"],
        "error: --pitch-channels 0 is out of range",
    ),
    "train, no dataset": (["train", "--dataset", "NOSUCH"], "error:"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_user_errors_are_one_line_and_exit_2(case, tmp_path, prefect_env):
    argv, expected = CASES[case]
    data = tmp_path / "data"
    started = time.monotonic()
    result = beepbrain(*argv, env={**prefect_env, "BEEPBRAIN_DATA_DIR": str(data)}, cwd=tmp_path)
    assert expected in assert_one_line_exit_2(result)
    assert time.monotonic() - started < 60  # told at once: no flow retried it
    assert not (data / "mlflow.db").exists() and not (data / "generated").exists()


def test_bad_where_with_a_catalog(tmp_path, prefect_env):
    data = tmp_path / "data"
    from beepbrain.corpus.catalog import build_catalog

    build_catalog(data)  # an empty corpus: enough for the checks before a build
    env = {**prefect_env, "BEEPBRAIN_DATA_DIR": str(data)}
    result = beepbrain("dataset", "build", "--name", "x", "--where", "nope(", env=env)
    assert "--where is not a SQL predicate" in assert_one_line_exit_2(result)
    result = beepbrain("dataset", "build", "--name", "x", "--where", "nosuch_column > 1", env=env)
    assert 'Referenced column "nosuch_column" not found' in assert_one_line_exit_2(result)
    assert not (data / "datasets").exists()


def test_only_network_failures_are_retried():
    from prefect.states import Failed

    from beepbrain.archive.download import DownloadError, NetworkError
    from flows.ingest import retry_network_errors

    def retried(exc: BaseException) -> bool:
        return retry_network_errors(None, None, Failed(data=exc))

    import httpx

    assert retried(NetworkError("giving up after 6 retries: HTTP 503"))
    assert retried(httpx.ConnectError("refused"))
    assert not retried(DownloadError("HTTP 404"))
    assert not retried(FileNotFoundError("no such source"))
    assert not retried(ValueError("bad input"))


class NotFound(BaseHTTPRequestHandler):
    count = 0

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:
        type(self).count += 1
        self.send_error(404)


@pytest.mark.slow
def test_a_404_source_is_not_retried_by_the_flow(prefect_harness, tmp_path):
    from flows.ingest import fetch_source

    server = ThreadingHTTPServer(("127.0.0.1", 0), NotFound)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/download/beepbox/nothing.jsonl.zst"
        started = time.monotonic()
        from prefect import flow

        @flow
        def fetch_only():
            return fetch_source(url, str(tmp_path))

        with pytest.raises(Exception, match="HTTP 404"):
            fetch_only()
        assert NotFound.count == 1 and time.monotonic() - started < 10  # no retry, no 10 s wait
    finally:
        server.shutdown()
        server.server_close()
