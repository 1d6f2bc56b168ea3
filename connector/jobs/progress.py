"""Progress of long runs, kept in Redis (not the database: a run's transaction is still open)."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

    from connector.runtime import Runtime

TTL_SECONDS = 24 * 3600
MIN_INTERVAL = 0.5


def _key(run_id: str) -> str:
    return f"backbone:run-progress:{run_id}"


def reporter(rt: Runtime, run_id: str) -> Callable[[dict[str, Any]], None]:
    """A callback for Context.progress: stores the latest update (at most twice a second)."""
    started = time.monotonic()
    last = [0.0]

    def report(update: dict[str, Any]) -> None:
        now = time.monotonic()
        if now - last[0] < MIN_INTERVAL and not update.get("final"):
            return
        last[0] = now
        value = {**update, "elapsed_seconds": round(now - started, 2), "updated_at": rt.clock().isoformat()}
        rt.queues.connection.set(_key(run_id), json.dumps(value, default=str), ex=TTL_SECONDS)

    return report


def read(rt: Runtime, run_id: str) -> dict[str, Any] | None:
    raw = rt.queues.connection.get(_key(run_id))
    return json.loads(raw) if isinstance(raw, bytes | str) and raw else None
