"""A few calls on a Prefect server's REST API: trigger a deployment, wait for its run, read its logs.

Plain HTTP (httpx) against PREFECT_API_URL, so a caller needs no Prefect settings context; used by the
integration tests and by scripts that drive a running service.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

TERMINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}
# Answers a busy server gives (Prefect says 503 when its database is locked): try again, as Prefect's client does.
RETRY_STATUS = {429, 502, 503, 504}


class FlowRunError(RuntimeError):
    """A flow run ended other than COMPLETED, or did not end in time; the message carries its logs."""


class PrefectAPI:
    def __init__(self, api_url: str, timeout: float = 30.0) -> None:
        self.url = api_url.rstrip("/")
        self.http = httpx.Client(base_url=self.url, timeout=timeout)

    def close(self) -> None:
        self.http.close()

    def _request(self, method: str, path: str, body: dict | None = None, attempts: int = 6) -> Any:
        delay = 0.5
        for attempt in range(1, attempts + 1):
            try:
                r = self.http.request(method, path, json=body)
            except httpx.TransportError:
                if attempt == attempts:
                    raise
            else:
                if r.status_code not in RETRY_STATUS or attempt == attempts:
                    r.raise_for_status()
                    return r.json()
            time.sleep(delay)
            delay = min(delay * 2, 8.0)
        raise AssertionError("unreachable")

    def _get(self, path: str) -> Any:
        return self._request("GET", path)

    def _post(self, path: str, body: dict) -> Any:
        return self._request("POST", path, body)

    def work_pool(self, name: str) -> dict:
        return self._get(f"/work_pools/{name}")

    def deployment(self, full_name: str) -> dict:
        """`flow/deployment` -> the deployment record."""
        return self._get(f"/deployments/name/{full_name}")

    def deployments(self) -> list[dict]:
        return self._post("/deployments/filter", {})

    def flow_run(self, run_id: str) -> dict:
        return self._get(f"/flow_runs/{run_id}")

    def run_deployment(self, full_name: str, parameters: dict | None = None) -> dict:
        """Create a flow run of a deployment (a worker on its pool picks it up); returns the run record."""
        dep = self.deployment(full_name)
        return self._post(f"/deployments/{dep['id']}/create_flow_run", {"parameters": parameters or {}})

    def child_runs(self, run_id: str) -> list[dict]:
        """Subflow runs whose parent task run belongs to `run_id`."""
        tasks = self._post("/task_runs/filter", {"task_runs": {"flow_run_id": {"any_": [run_id]}}})
        ids = [t["id"] for t in tasks]
        if not ids:
            return []
        return self._post("/flow_runs/filter", {"flow_runs": {"parent_task_run_id": {"any_": ids}}})

    def flow_name(self, flow_id: str) -> str:
        return self._get(f"/flows/{flow_id}")["name"]

    def logs(self, run_ids: list[str], limit: int = 200) -> str:
        logs = self._post(
            "/logs/filter",
            {"logs": {"flow_run_id": {"any_": run_ids}}, "sort": "TIMESTAMP_ASC", "limit": limit},
        )
        return "\n".join(f"{x['timestamp'][11:19]} {x['name']}: {x['message']}" for x in logs)

    def wait(
        self,
        run_id: str,
        timeout: float,
        *,
        on_poll: Callable[[dict], None] | None = None,
        interval: float = 1.0,
        extra_logs: Callable[[], str] | None = None,
    ) -> dict:
        """Poll a flow run until it ends; return it when COMPLETED, else raise FlowRunError with its logs."""
        deadline = time.monotonic() + timeout
        while True:
            run = self.flow_run(run_id)
            state = run["state"]["type"] if run.get("state") else None
            if on_poll:
                on_poll(run)
            if state in TERMINAL:
                break
            if time.monotonic() > deadline:
                raise FlowRunError(self._report(run, f"still {state} after {timeout:.0f}s", extra_logs))
            time.sleep(interval)
        if state != "COMPLETED":
            raise FlowRunError(self._report(run, f"ended {state}: {run['state'].get('message')}", extra_logs))
        return run

    def _report(self, run: dict, what: str, extra_logs: Callable[[], str] | None) -> str:
        ids = [run["id"]]
        try:
            ids += [c["id"] for c in self.child_runs(run["id"])]
            logs = self.logs(ids, limit=400)
        except httpx.HTTPError as exc:
            logs = f"(logs unavailable: {exc})"
        extra = f"\n{extra_logs()}" if extra_logs else ""
        return f"flow run {run['name']} ({run['id']}) {what}\n--- flow run logs ---\n{logs}{extra}"
