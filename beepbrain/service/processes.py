"""Server processes: start a command in its own process group, wait for it, stop it for sure.

Used by `beepbrain.service.stack` (the real servers on one host) and the integration tests. Every process
writes to its own log file, so a failure can quote what the server said.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import httpx


class ServiceError(RuntimeError):
    """A server did not start, died, or a wait ran out; the message carries the server's log tail."""


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


class ServerProcess:
    """One long-running command in a new session (its own process group), logging to a file."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        log_path: Path,
        *,
        env: Mapping[str, str] | None = None,
        cwd: str | os.PathLike | None = None,
    ) -> None:
        self.name = name
        self.argv = [str(a) for a in argv]
        self.log_path = Path(log_path)
        self.env = dict(env) if env is not None else dict(os.environ)
        self.cwd = cwd
        self.proc: subprocess.Popen | None = None

    def start(self) -> ServerProcess:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")  # noqa: SIM115 - the child keeps writing after we return
        log.write(f"\n=== start {' '.join(self.argv)}\n".encode())
        log.flush()
        try:
            self.proc = subprocess.Popen(
                self.argv,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=self.env,
                cwd=self.cwd,
                start_new_session=True,
            )
        finally:
            log.close()
        return self

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def _signal_group(self, sig: int) -> None:
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, sig)

    def kill(self) -> None:
        """SIGKILL the whole process group at once: a crash, as a fault test wants it."""
        self._signal_group(signal.SIGKILL)
        if self.proc is not None:
            self.proc.wait(timeout=30)

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM the process group, then SIGKILL what is left after `timeout` seconds."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self._signal_group(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=timeout)
        # Children (a nanny's worker, a server's worker processes) may outlive the leader.
        self._signal_group(signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=10)

    def log_tail(self, lines: int = 60) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def describe(self, lines: int = 60) -> str:
        state = "running" if self.alive() else f"exited with {self.proc.returncode if self.proc else None}"
        return f"--- {self.name} ({state}; log {self.log_path}) ---\n{self.log_tail(lines)}"


def wait_until(
    predicate: Callable[[], bool],
    *,
    timeout: float,
    what: str,
    watch: Sequence[ServerProcess] = (),
    interval: float = 0.5,
) -> None:
    """Poll `predicate` until it holds; fail with the watched servers' logs on timeout or on their death."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if predicate():
                return
        except Exception:  # noqa: BLE001 - a server still starting refuses connections
            pass
        dead = [p for p in watch if p.proc is not None and not p.alive()]
        if dead:
            logs = "\n".join(p.describe() for p in dead)
            raise ServiceError(f"while waiting for {what}: {', '.join(p.name for p in dead)} exited\n{logs}")
        if time.monotonic() > deadline:
            logs = "\n".join(p.describe() for p in watch)
            raise ServiceError(f"timed out after {timeout:.0f}s waiting for {what}\n{logs}")
        time.sleep(interval)


def http_ok(url: str, timeout: float = 5.0) -> bool:
    """True when a GET on `url` answers 2xx."""
    return httpx.get(url, timeout=timeout).is_success


def tcp_open(host: str, port: int, timeout: float = 2.0) -> bool:
    with socket.create_connection((host, port), timeout=timeout):
        return True
