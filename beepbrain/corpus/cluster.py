"""The Dask cluster that parses chunks: join a scheduler, or start a LocalCluster sized to the machine."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


@contextlib.contextmanager
def dask_client(
    address: str | None = None, workers: int | None = None, *, processes: bool = True
) -> Iterator[object]:
    """A ``distributed.Client``: connected to ``address`` when given, else to a LocalCluster of
    ``workers`` single-threaded worker processes (default: one per core). Closed on exit."""
    import logging

    from distributed import Client, LocalCluster

    logging.getLogger("distributed").setLevel(logging.WARNING)  # its INFO chatter drowns the progress display
    if address:
        with Client(address) as client:
            yield client
        return
    n = workers or default_workers()
    environ = dict(os.environ)
    try:
        with (
            LocalCluster(
                n_workers=n,
                threads_per_worker=1,
                processes=processes,
                dashboard_address=":0",
                silence_logs=40,
            ) as cluster,
            Client(cluster) as client,
        ):
            _restore(environ)
            yield client
    finally:
        _restore(environ)


def _restore(environ: dict[str, str]) -> None:
    """Put this process's environment back as it was. Starting worker processes, ``distributed`` sets
    ``OMP_NUM_THREADS=1`` (and MKL's, OpenBLAS's, malloc's) in the parent's own environment and leaves them
    there: torch, first used after an ingest in the same process (``beepbrain run``), then trained on one
    core of two, at half the speed."""
    for key in set(os.environ) - set(environ):
        del os.environ[key]
    for key, value in environ.items():
        if os.environ.get(key) != value:
            os.environ[key] = value
