"""Children must not outlive the `beepbrain` command, even when it is killed with SIGKILL.

Prefect's temporary API server (`uvicorn`, started by Prefect's local mode) and a Dask LocalCluster's worker
processes are children of the command; killed with SIGKILL, the command cannot stop them, and they would
run on. ``watch_children()`` forks a small watchdog first thing (before any thread starts): it holds the
read end of a pipe whose write end only the command holds, notes the command's descendants twice a second,
and when the pipe reports end-of-file (the command has ended, however it ended) it terminates the
descendants still running (SIGTERM, then SIGKILL after a grace period) and exits.

Only the CLI entry point calls it (`beepbrain ...` and `python -m beepbrain.cli`), never code that imports
`beepbrain` as a library. ``BEEPBRAIN_NO_WATCHDOG=1`` turns it off.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import sys

POLL_SECONDS = 0.5
GRACE_SECONDS = 5.0


def watch_children() -> int | None:
    """Fork the watchdog for this process; returns its pid (None where unsupported or turned off)."""
    if os.name != "posix" or os.environ.get("BEEPBRAIN_NO_WATCHDOG"):
        return None
    parent = os.getpid()
    read_end, write_end = os.pipe()  # not inheritable: subprocesses started later do not hold it
    pid = os.fork()
    if pid == 0:  # the watchdog
        code = 0
        try:
            os.close(write_end)
            _detach(read_end)
            _watch(parent, read_end)
        except BaseException:  # noqa: BLE001 - the watchdog never reports; it only cleans up
            code = 1
        finally:
            os._exit(code)
    os.close(read_end)
    _keep.append(write_end)
    return pid


_keep: list[int] = []  # the write end stays open for the life of this process


def _detach(keep: int) -> None:
    """Stand apart from the command: no terminal signals, no inherited stdio (a reader of the command's
    output must see end-of-file when the command ends), no other inherited files."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.closerange(3, keep)
    os.closerange(keep + 1, 1 << 16)
    sys.stdout = sys.stderr = open(os.devnull, "w")  # noqa: SIM115


def _watch(parent: int, pipe: int) -> None:
    import psutil

    me = os.getpid()
    seen: dict[int, float] = {}  # pid -> create time (so a reused pid is never mistaken for a child)
    try:
        process = psutil.Process(parent)
    except psutil.NoSuchProcess:
        return
    while True:
        ready, _, _ = select.select([pipe], [], [], POLL_SECONDS)
        if ready and not os.read(pipe, 1):
            break
        try:
            for child in process.children(recursive=True):
                if child.pid != me and child.pid not in seen:
                    with contextlib.suppress(psutil.NoSuchProcess):
                        seen[child.pid] = child.create_time()
        except psutil.NoSuchProcess:
            break
    survivors: dict[int, psutil.Process] = {}
    for pid, created in seen.items():
        try:
            proc = psutil.Process(pid)
            if proc.create_time() != created:
                continue
            survivors[pid] = proc
            for grandchild in proc.children(recursive=True):
                survivors.setdefault(grandchild.pid, grandchild)
        except psutil.NoSuchProcess:
            continue
    survivors.pop(me, None)
    procs = list(survivors.values())
    for proc in procs:
        with contextlib.suppress(psutil.NoSuchProcess):
            proc.terminate()
    _, alive = psutil.wait_procs(procs, timeout=GRACE_SECONDS)
    for proc in alive:
        with contextlib.suppress(psutil.NoSuchProcess):
            proc.kill()
