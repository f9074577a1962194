"""Ride out a tracking-server outage: retry an MLflow call until a deadline, then fail clearly.

MLflow's HTTP client already retries a request about seven times over two minutes. A longer outage (a
server or database restart, a network blip during a long training) makes the call raise; training code
that logs through `retry_call` waits with backoff instead, for as long as `deadline` allows, and never
retries a request the server refused on its merits (a bad parameter, a missing run).

    from beepbrain.tracking_retry import retry_call
    retry_call(client.log_batch, run_id, metrics=batch, synchronous=True, what="log metrics")

A buffer that removes its items only after the call returns loses nothing: on a final failure the items
are still there for the caller to keep, report or write to a checkpoint.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

DEADLINE_ENV = "BEEPBRAIN_TRACKING_RETRY_SECONDS"
DEFAULT_DEADLINE = 600.0

# MLflow error codes that mean "the request is wrong", which no retry will fix.
PERMANENT_CODES = frozenset({
    "BAD_REQUEST", "INVALID_PARAMETER_VALUE", "MALFORMED_REQUEST", "INVALID_STATE", "RESOURCE_ALREADY_EXISTS",
    "RESOURCE_DOES_NOT_EXIST", "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "UNAUTHENTICATED",
    "ENDPOINT_NOT_FOUND", "INVALID_STATE_TRANSITION", "FEATURE_DISABLED", "NOT_IMPLEMENTED",
})  # fmt: skip


class TrackingUnavailable(RuntimeError):
    """The tracking server stayed unreachable past the deadline."""


def is_transient(exc: BaseException) -> bool:
    """True for an outage (connection refused, timeout, 5xx), False for a refusal on the merits."""
    try:
        from mlflow.exceptions import MlflowException
    except ImportError:  # pragma: no cover - mlflow is a dependency
        MlflowException = ()  # noqa: N806
    if MlflowException and isinstance(exc, MlflowException):
        return exc.error_code not in PERMANENT_CODES
    return isinstance(exc, (ConnectionError, TimeoutError, OSError)) or type(exc).__module__.startswith(
        ("requests", "urllib3", "httpx")
    )


def retry_call(
    fn: Callable[..., T],
    *args: Any,
    what: str = "tracking call",
    deadline: float | None = None,
    first_delay: float = 1.0,
    max_delay: float = 30.0,
    log: Callable[[str], None] | None = print,
    sleep: Callable[[float], None] = time.sleep,
    **kwargs: Any,
) -> T:
    """`fn(*args, **kwargs)`, retried with exponential backoff while it fails transiently.

    Gives up `deadline` seconds after the first failure (default $BEEPBRAIN_TRACKING_RETRY_SECONDS or 600)
    with TrackingUnavailable; a permanent error is raised at once.
    """
    if deadline is None:
        deadline = float(os.environ.get(DEADLINE_ENV, DEFAULT_DEADLINE))
    delay = first_delay
    started: float | None = None
    attempt = 0
    while True:
        attempt += 1
        try:
            result = fn(*args, **kwargs)
        except Exception as exc:
            if not is_transient(exc):
                raise
            now = time.monotonic()
            started = started if started is not None else now
            waited = now - started
            if waited + delay > deadline:
                raise TrackingUnavailable(
                    f"{what}: tracking server unreachable for {waited:.0f}s ({attempt} attempts): {exc}"
                ) from exc
            if log:
                log(f"{what} failed ({type(exc).__name__}); retrying in {delay:.0f}s (attempt {attempt})")
            sleep(delay)
            delay = min(delay * 2, max_delay)
            continue
        if attempt > 1 and log:
            log(f"{what} succeeded after {attempt} attempts")
        return result
