"""An ingest killed with SIGKILL at any stage leaves a corpus a later run completes, equal to a clean run's;
the check of what is stored catches a damaged corpus; children of a killed `beepbrain ingest` do not live on.

The kills come from inside (BEEPBRAIN_CRASH_AT, beepbrain.crashpoints): the process kills itself with
SIGKILL at the named point, so each test hits its moment exactly.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time

import pyarrow.parquet as pq
import pytest

from beepbrain.corpus.catalog import open_catalog
from beepbrain.corpus.ingest import ingest
from beepbrain.corpus.schemas import TABLES
from beepbrain.corpus.store import batches_dir, published_batches, staging_dir
from beepbrain.corpus.verify import stored_problems

CHUNK = 40  # several chunks from the sample archive


def snapshot(data) -> dict:
    """Row count and a content fingerprint of every table (batch ids left out: they differ per run)."""
    out = {}
    with open_catalog(data) as con:
        for name in TABLES:
            view = "rejects_log" if name == "rejects" else name
            cols = [c for (c, *_) in con.execute(f"DESCRIBE {view}").fetchall() if c != "batch"]
            quoted = ", ".join(f'"{c}"' for c in cols)
            sql = f"SELECT count(*), sum(hash({quoted})) FROM {view}"
            out[name] = con.execute(sql).fetchone()
    return out


@pytest.fixture(scope="module")
def clean(tmp_path_factory, corpus_path):
    data = tmp_path_factory.mktemp("clean")
    report = ingest(corpus_path, data, chunk_size=CHUNK)
    assert report.balanced and not report.stored_problems
    return snapshot(data)


def killed_ingest(data, source, point: str, *extra: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "BEEPBRAIN_CRASH_AT": point}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "beepbrain.cli",
            "ingest",
            "--no-prefect",
            "--workers",
            "0",
            "--json",
            "--source",
            str(source),
            "--data-dir",
            str(data),
            "--chunk-size",
            str(CHUNK),
            *extra,
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stdout + proc.stderr
    return proc


def check_recovers(data, source, clean_snapshot, published_whole: bool) -> None:
    batches = [b for b in published_batches(data) if b.name != "_empty"]
    if published_whole:  # the kill came after the one rename: the batch is there, whole
        assert len(batches) == 1 and not stored_problems(data)
    else:  # before it: nothing is visible, only debris in staging
        assert batches == [] and any(staging_dir(data).iterdir())
    report = ingest(source, data, chunk_size=CHUNK)
    assert report.balanced and not report.stored_problems, report.summary()
    assert bool(report.debris_removed) != published_whole
    assert not any(staging_dir(data).iterdir())
    assert snapshot(data) == clean_snapshot
    again = ingest(source, data, chunk_size=CHUNK)  # and it stays so: nothing is added twice
    assert again.balanced and again.songs_new == 0 and again.files == []
    assert snapshot(data) == clean_snapshot


# Before publication: mid-run, between two tables' files, every table written, right before the rename.
BEFORE = [
    "ingest.chunk-written",
    "ingest.staged.songs",
    "ingest.staged.channels",
    "ingest.staged.rejects",
    "ingest.before-publish",
]


@pytest.mark.parametrize(
    "point",
    [
        "ingest.staged.channels",
        *[pytest.param(p, marks=pytest.mark.slow) for p in BEFORE if p != "ingest.staged.channels"],
        pytest.param("ingest.after-publish", marks=pytest.mark.slow),
    ],
)
def test_ingest_killed_at_each_stage_recovers_to_the_clean_corpus(tmp_path, corpus_path, clean, point):
    killed_ingest(tmp_path, corpus_path, point)
    check_recovers(tmp_path, corpus_path, clean, published_whole=point == "ingest.after-publish")


def test_a_damaged_corpus_is_not_balanced_and_can_be_repaired(tmp_path, corpus_path, clean):
    """A corpus whose songs lost their channels (what the old per-file commit could leave) is reported, with
    the batch to move away; without it, the next run ingests those records again."""
    first = ingest(corpus_path, tmp_path, chunk_size=CHUNK)
    assert first.balanced
    (batch,) = [b for b in published_batches(tmp_path) if b.name != "_empty"]
    pq.write_table(TABLES["channels"].empty_table(), batch / "channels.parquet")
    (batch / "notes.parquet").unlink()
    problems = stored_problems(tmp_path)
    assert any("lacks the tables notes" in p for p in problems)
    assert any("channels row count" in p and batch.name in p for p in problems)
    report = ingest(corpus_path, tmp_path, chunk_size=CHUNK)  # adds nothing, but sees the damage
    assert report.counts_add_up and not report.balanced and report.stored_problems
    assert "STORED CORPUS DAMAGED" in report.summary()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "beepbrain.cli",
            "ingest",
            "--no-prefect",
            "--workers",
            "0",
            "--source",
            str(corpus_path),
            "--data-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 2 and "STORED CORPUS DAMAGED" in proc.stdout, proc.stdout + proc.stderr
    batch.rename(tmp_path / "damaged")  # the repair the report suggests
    repaired = ingest(corpus_path, tmp_path, chunk_size=CHUNK)
    assert repaired.balanced and repaired.songs_new == first.songs_new
    assert snapshot(tmp_path) == clean


def test_a_corpus_of_the_old_layout_is_moved_into_batches(tmp_path, corpus_path, clean):
    ingest(corpus_path, tmp_path, chunk_size=CHUNK)
    (batch,) = [b for b in published_batches(tmp_path) if b.name != "_empty"]
    root = tmp_path / "parquet"
    for f in batch.iterdir():  # parquet/<table>/<batch>.parquet, as older versions wrote
        (root / f.stem).mkdir()
        f.rename(root / f.stem / f"{batch.name}.parquet")
    shutil.rmtree(batches_dir(tmp_path))
    report = ingest(corpus_path, tmp_path, chunk_size=CHUNK)
    assert report.balanced and report.songs_new == 0 and report.skipped == report.records_read
    assert [b.name for b in published_batches(tmp_path) if b.name != "_empty"] == [batch.name]
    assert not any((root / t).exists() for t in TABLES)
    assert snapshot(tmp_path) == clean


def _descendants(pid: int) -> dict[int, float]:
    import psutil

    try:
        return {c.pid: c.create_time() for c in psutil.Process(pid).children(recursive=True)}
    except psutil.NoSuchProcess:
        return {}


def _alive(procs: dict[int, float]) -> list[int]:
    import psutil

    alive = []
    for pid, created in procs.items():
        try:
            p = psutil.Process(pid)
            if p.create_time() == created and p.status() != psutil.STATUS_ZOMBIE:
                alive.append(pid)
        except psutil.NoSuchProcess:
            pass
    return alive


def test_children_of_a_killed_command_do_not_live_on(tmp_path):
    """The watchdog (beepbrain.lifeline) stops a child of a command killed with SIGKILL."""
    script = (
        "import subprocess, sys, time\n"
        "from beepbrain.lifeline import watch_children\n"
        "watch_children()\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)'])\n"
        "print(child.pid, flush=True)\n"
        "time.sleep(120)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    child = int(proc.stdout.readline())
    import psutil

    created = psutil.Process(child).create_time()
    time.sleep(1.5)  # the watchdog notes children twice a second
    proc.kill()
    proc.wait(timeout=10)
    deadline = time.monotonic() + 15
    while _alive({child: created}) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _alive({child: created})


@pytest.mark.slow
def test_killed_prefect_ingest_leaves_no_server_or_workers(tmp_path, corpus_path):
    """`beepbrain ingest` through the Prefect flow on a Dask LocalCluster, killed mid-parse: Prefect's
    temporary API server and the Dask processes end with it; the next run completes the corpus."""
    env = {**os.environ, "BEEPBRAIN_CRASH_AT": "ingest.chunk-written"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "beepbrain.cli",
            "ingest",
            "--workers",
            "1",
            "--json",
            "--source",
            str(corpus_path),
            "--data-dir",
            str(tmp_path),
            "--chunk-size",
            str(CHUNK),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    seen: dict[int, float] = {}
    while proc.poll() is None:
        seen.update(_descendants(proc.pid))
        time.sleep(0.2)
    assert proc.returncode == -signal.SIGKILL
    assert len(seen) >= 2  # the watchdog, Prefect's server, the Dask nanny and worker
    deadline = time.monotonic() + 30
    while _alive(seen) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not _alive(seen)
    report = ingest(corpus_path, tmp_path, chunk_size=CHUNK)
    assert report.balanced and report.debris_removed
