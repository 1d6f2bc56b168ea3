"""Helpers for driving Backbone like its peers do: signed sandbox webhooks, a hook listener."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from connector.db.models import ActionRun
from connector.sandbox.emitter import delivery_body, signed_headers

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from tests.conftest import TenantInfo

T0 = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)


def job_data(source_id: str = "J-1", **fields: Any) -> dict[str, Any]:
    job: dict[str, Any] = {
        "id": source_id, "job_type": "repair", "priority": "P2", "description": "Furnace blowing cold air",
        "customer": {"id": "C-1", "name": "Dana Whitfield", "email": "dana@example.com", "phone": "+15125550142",
                     "address": "4812 Avenue H, Austin, TX 78751", "lat": 30.31, "lng": -97.72},
        "technician": {"id": "T-1", "name": "Marcus Reyes"},
        "scheduled_start": "2026-11-24T15:00:00Z", "scheduled_end": "2026-11-24T17:00:00Z",
    }
    job.update(fields)
    return {"job": job}


def sandbox_webhook(tenant: TenantInfo, topic: str, occurred_at: datetime, data: dict[str, Any],
                    event_id: str | None = None) -> tuple[bytes, dict[str, str]]:
    body = delivery_body(tenant.account_id, topic, occurred_at, data, event_id)
    return body, signed_headers(tenant.account_id, tenant.webhook_secret, body)


def post_sandbox(client: Any, tenant: TenantInfo, topic: str, occurred_at: datetime,
                 data: dict[str, Any] | None = None, event_id: str | None = None) -> Any:
    body, headers = sandbox_webhook(tenant, topic, occurred_at, data or job_data(), event_id)
    return client.post("/webhooks/sandbox", data=body, headers=headers)


class Listener:
    """A real HTTP server on 127.0.0.1 that records what it receives and answers as told."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.answers: list[tuple[int, dict[str, str]]] = []  # consumed in order; then 200
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                listener.received.append({"path": self.path, "headers": dict(self.headers), "body": body,
                                          "json": json.loads(body or b"null")})
                status, headers = listener.answers.pop(0) if listener.answers else (200, {})
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Listener:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def listening() -> Iterator[Listener]:
    with Listener() as listener:
        yield listener


def until(worker: Any, done: Callable[[], bool], timeout: float = 60.0) -> None:
    """Drains the in-process worker until `done()` holds (fails the test after `timeout` seconds)."""
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, "timed out"
        worker.drain()
        time.sleep(0.05)


def get_run(runtime: Any, run_id: str) -> ActionRun:
    """The action run as stored now."""
    with runtime.db.session() as session:
        run = session.get(ActionRun, run_id)
    assert run is not None, f"no run {run_id}"
    return run


def finished_run(runtime: Any, worker: Any, run_id: str, timeout: float = 60.0) -> ActionRun:
    """Drains the worker until the run has succeeded or failed; returns it."""
    until(worker, lambda: get_run(runtime, run_id).status in ("succeeded", "failed"), timeout)
    return get_run(runtime, run_id)
