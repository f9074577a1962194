"""The real servers on one host, as processes: Prefect server, MLflow server, Dask scheduler and workers,
Prefect workers. What `infra/docker-compose.yml` runs in containers, for hosts without them, and the harness
of the integration tests.

    python -m beepbrain.service.stack up --root /srv/beepbrain     # start everything, print the env, wait

Each server binds 127.0.0.1 on a free port (or the port given) and logs to ROOT/logs/NAME.log.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from beepbrain.service.processes import ServerProcess, ServiceError, free_port, http_ok, wait_until

PROJECT_DIR = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"


@dataclass
class LocalStack:
    """Servers started under `root` (state and logs); stop them all with `close()` or a `with` block."""

    root: Path
    project_dir: Path = PROJECT_DIR
    data_dir: Path | None = None
    processes: dict[str, ServerProcess] = field(default_factory=dict)
    prefect_api_url: str | None = None
    mlflow_uri: str | None = None
    mlflow_port: int | None = None
    dask_address: str | None = None

    def __post_init__(self) -> None:
        self.root = Path(self.root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        self.data_dir = Path(self.data_dir or self.root / "data").resolve()
        self.data_dir.mkdir(parents=True, exist_ok=True)

    # -- environment -------------------------------------------------------------------------------------------
    def client_env(self, base: dict[str, str] | None = None) -> dict[str, str]:
        """The environment of a BeepBrain client or worker that uses these servers."""
        env = dict(os.environ if base is None else base)
        env["PREFECT_HOME"] = str(self.root / "prefect-client")
        env["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
        env["PYTHONUNBUFFERED"] = "1"
        env["BEEPBRAIN_DATA_DIR"] = str(self.data_dir)
        if self.prefect_api_url:
            env["PREFECT_API_URL"] = self.prefect_api_url
        if self.mlflow_uri:
            env["MLFLOW_TRACKING_URI"] = self.mlflow_uri
        if self.dask_address:
            env["BEEPBRAIN_DASK_ADDRESS"] = self.dask_address
        return env

    def _start(
        self, name: str, argv: list[str], env: dict[str, str], cwd: Path | None = None
    ) -> ServerProcess:
        if name in self.processes and self.processes[name].alive():
            raise ServiceError(f"{name} is already running")
        proc = ServerProcess(name, argv, self.root / "logs" / f"{name}.log", env=env, cwd=cwd or self.root)
        self.processes[name] = proc.start()
        return proc

    # -- servers -----------------------------------------------------------------------------------------------
    def start_prefect(self, port: int | None = None, timeout: float = 180) -> str:
        """`prefect server start` with a SQLite database under root; returns PREFECT_API_URL."""
        port = port or free_port()
        env = self.client_env()
        env.pop("PREFECT_API_URL", None)
        env["PREFECT_HOME"] = str(self.root / "prefect-server")
        env["PREFECT_SERVER_API_HOST"] = HOST
        env["PREFECT_SERVER_API_PORT"] = str(port)
        env["PREFECT_UI_ENABLED"] = "false"
        argv = [
            sys.executable,
            "-m",
            "prefect",
            "server",
            "start",
            "--host",
            HOST,
            "--port",
            str(port),
            "--no-ui",
        ]
        proc = self._start("prefect-server", argv, env)
        url = f"http://{HOST}:{port}/api"
        wait_until(lambda: http_ok(f"{url}/health"), timeout=timeout, what="the Prefect server", watch=[proc])
        self.prefect_api_url = url
        return url

    def start_mlflow(self, port: int | None = None, timeout: float = 120) -> str:
        """`mlflow server` with a SQLite backend and a local artifact root; returns its tracking URI.

        Called again after `stop_mlflow()` it starts on the same port and store: a restart.
        """
        port = port or self.mlflow_port or free_port()
        store = self.root / "mlflow"
        store.mkdir(exist_ok=True)
        argv = [
            sys.executable, "-m", "mlflow", "server",
            "--backend-store-uri", f"sqlite:///{(store / 'mlflow.db').as_posix()}",
            "--artifacts-destination", (store / "artifacts").as_posix(),
            "--host", HOST, "--port", str(port), "--workers", "1",
        ]  # fmt: skip
        proc = self._start("mlflow-server", argv, self.client_env())
        uri = f"http://{HOST}:{port}"
        wait_until(lambda: http_ok(f"{uri}/health"), timeout=timeout, what="the MLflow server", watch=[proc])
        self.mlflow_uri, self.mlflow_port = uri, port
        return uri

    def stop_mlflow(self, crash: bool = False) -> None:
        proc = self.processes["mlflow-server"]
        proc.kill() if crash else proc.stop()

    def start_dask(self, workers: int = 2, threads: int = 1, timeout: float = 90) -> str:
        """A Dask scheduler and `workers` worker processes (one `dask worker` command each)."""
        port = free_port()
        env = self.client_env()
        argv = [
            sys.executable,
            "-m",
            "dask",
            "scheduler",
            "--host",
            HOST,
            "--port",
            str(port),
            "--no-dashboard",
        ]
        sched = self._start("dask-scheduler", argv, env)
        address = f"tcp://{HOST}:{port}"
        wait_until(lambda: _tcp(port), timeout=timeout, what="the Dask scheduler", watch=[sched])
        self.dask_address = address
        for i in range(workers):
            self.start_dask_worker(i, threads=threads)
        self.wait_for_dask_workers(workers, timeout=timeout)
        return address

    def start_dask_worker(self, index: int, threads: int = 1) -> ServerProcess:
        name = f"dask-worker-{index}"
        argv = [
            sys.executable, "-m", "dask", "worker", self.dask_address,
            "--name", name, "--nthreads", str(threads), "--nworkers", "1", "--no-dashboard",
            "--local-directory", str(self.root / "dask" / name), "--memory-limit", "4GiB",
        ]  # fmt: skip
        return self._start(name, argv, self.client_env())

    def dask_workers(self) -> list[str]:
        """Names of the workers the scheduler knows now."""
        from distributed import Client

        with Client(self.dask_address, timeout=10) as client:
            return sorted(w["name"] for w in client.scheduler_info(n_workers=-1)["workers"].values())

    def wait_for_dask_workers(self, n: int, timeout: float = 90) -> None:
        watch = [p for k, p in self.processes.items() if k.startswith("dask-")]
        wait_until(
            lambda: len(self.dask_workers()) >= n, timeout=timeout, what=f"{n} Dask workers", watch=watch
        )

    def start_worker(self, pool: str, timeout: float = 120) -> ServerProcess:
        """`prefect worker start --pool POOL` in the project directory (after `beepbrain deploy`)."""
        env = self.client_env()
        env["PREFECT_WORKER_QUERY_SECONDS"] = "2"
        env["PREFECT_WORKER_PREFETCH_SECONDS"] = "5"
        argv = [sys.executable, "-m", "prefect", "worker", "start", "--pool", pool, "--type", "process"]
        proc = self._start(f"worker-{pool}", argv, env, cwd=self.project_dir)
        wait_until(
            lambda: "started" in proc.log_tail(200).lower(),
            timeout=timeout, what=f"the Prefect worker on {pool}", watch=[proc],
        )  # fmt: skip
        return proc

    # -- lifecycle ---------------------------------------------------------------------------------------------
    def logs(self, lines: int = 40) -> str:
        return "\n".join(p.describe(lines) for p in self.processes.values())

    def close(self) -> None:
        """Stop every process, workers first, servers last; never raises."""
        for name in reversed(list(self.processes)):
            try:
                self.processes[name].stop()
            except Exception as exc:  # noqa: BLE001 - keep stopping the others
                print(f"could not stop {name}: {exc}", file=sys.stderr)

    def __enter__(self) -> LocalStack:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _tcp(port: int) -> bool:
    from beepbrain.service.processes import tcp_open

    return tcp_open(HOST, port)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m beepbrain.service.stack", description=__doc__.splitlines()[0]
    )
    parser.add_argument("action", choices=["up"])
    parser.add_argument(
        "--root", default="beepbrain-data/service", help="state and logs (default ./beepbrain-data/service)"
    )
    parser.add_argument("--dask-workers", type=int, default=2)
    parser.add_argument(
        "--pools",
        nargs="*",
        default=["beepbrain-cpu", "beepbrain-gpu"],
        help="start a Prefect worker on each (after registering the deployments)",
    )
    args = parser.parse_args(argv)
    with LocalStack(Path(args.root)) as stack:
        print("starting Prefect server ...", flush=True)
        stack.start_prefect()
        print("starting MLflow server ...", flush=True)
        stack.start_mlflow()
        print(f"starting Dask scheduler and {args.dask_workers} workers ...", flush=True)
        stack.start_dask(args.dask_workers)
        if args.pools:
            from beepbrain.service.deploy import deploy_all

            deploy_all(api_url=stack.prefect_api_url)
            for pool in args.pools:
                stack.start_worker(pool)
        env = stack.client_env({})
        print("\nServers are up. Point BeepBrain at them with:")
        for key in ("PREFECT_API_URL", "MLFLOW_TRACKING_URI", "BEEPBRAIN_DASK_ADDRESS", "BEEPBRAIN_DATA_DIR"):
            print(f"  export {key}={env[key]}")
        print(f"Logs: {stack.root / 'logs'}. Ctrl-C stops everything.", flush=True)
        try:
            while all(p.alive() for p in stack.processes.values()):
                time.sleep(2)
            print("a server exited:\n" + stack.logs(), file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            print("stopping ...")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
