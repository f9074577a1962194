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
    with (
        LocalCluster(
            n_workers=n, threads_per_worker=1, processes=processes, dashboard_address=":0", silence_logs=40
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client
