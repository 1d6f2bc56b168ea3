"""Webhook acceptance latency: how long a provider waits for Backbone's 2xx (Jobber allows 1 second).

A real HTTP server on 127.0.0.1 runs the app; signed deliveries are posted from several threads
at once. Thin Jobber webhooks are verified, stored in the inbox and answered (hydration happens
later, on the queue); fat sandbox webhooks are ingested in full before the answer, for comparison.
"""

from __future__ import annotations

import json
import secrets
import statistics
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests
from werkzeug.serving import make_server

JOBBER_SECRET = "bench-jobber-client-secret"  # noqa: S105 - a throw-away secret for the benchmark
JOBBER_BUDGET_MS = 1000.0


@dataclass(frozen=True)
class Latency:
    """Answer times of one path."""

    path: str
    requests: int
    concurrency: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    statuses: dict[str, int]

    def row(self) -> dict[str, Any]:
        """The JSON row, with p99 as a share of Jobber's 1-second limit."""
        return {**self.__dict__, "p99_share_of_jobber_limit": round(self.p99_ms / JOBBER_BUDGET_MS, 4)}


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _measure(url: str, deliveries: list[tuple[dict[str, str], bytes]], concurrency: int) -> Latency:
    local = threading.local()

    def post(delivery: tuple[dict[str, str], bytes]) -> tuple[float, int]:
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = requests.Session()
            session.trust_env = False
        headers, body = delivery
        start = time.perf_counter()
        response = session.post(url, data=body, headers=headers, timeout=30)
        return (time.perf_counter() - start) * 1000, response.status_code

    with ThreadPoolExecutor(concurrency) as pool:
        results = list(pool.map(post, deliveries))
    times = [t for t, _ in results]
    statuses: dict[str, int] = {}
    for _, status in results:
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    return Latency(url.rsplit("/", 1)[-1], len(results), concurrency, round(statistics.median(times), 2),
                   round(_percentile(times, 0.95), 2), round(_percentile(times, 0.99), 2), round(max(times), 2),
                   statuses)


def run(*, requests_per_path: int, concurrency: int, database_url: str | None) -> list[Latency]:
    """Measures both paths on a fresh database (SQLite in a temporary folder unless one is given)."""
    from connector.app import create_app
    from connector.config import JobberApp, Settings
    from connector.db import migrate
    from connector.db.models import Install
    from connector.providers.jobber import sign as jobber_sign
    from connector.providers.sandbox import sign as sandbox_sign
    from connector.runtime import build_runtime

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(env="test", data_dir=Path(tmp), database_url=database_url or "", redis_url="",
                            secret_key=secrets.token_urlsafe(32), sandbox_tick_seconds=0,
                            jobber=JobberApp(client_id="bench", client_secret=JOBBER_SECRET))
        migrate.upgrade(settings.sqlalchemy_url)
        rt = build_runtime(settings)
        from connector.accounts import service

        with rt.db.session() as session:
            tenant, _owner, sandbox = service.create_tenant(
                session, rt.secrets, company="Bench Heating", owner_name="Bench",
                owner_email=f"bench-{uuid.uuid4().hex[:8]}@example.com", password=secrets.token_urlsafe(12))
            session.add(Install(tenant_id=tenant.id, provider="jobber", account_id="bench-acct", account_name="B"))
            sandbox_account = sandbox.account_id
            sandbox_secret = rt.secrets.decrypt(sandbox.webhook_secret_encrypted or "")
        server = make_server("127.0.0.1", 0, create_app(runtime=rt), threaded=True)
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        base = f"http://127.0.0.1:{server.server_port}"
        try:
            now = datetime.now(UTC).isoformat(timespec="seconds")
            thin = []
            for n in range(requests_per_path):
                event = {"topic": "JOB_UPDATE", "appId": "bench", "accountId": "bench-acct",
                         "itemId": f"job-{n}", "occurredAt": now}
                body = json.dumps({"data": {"webHookEvent": event}}).encode()
                thin.append(({"Content-Type": "application/json",
                              "X-Jobber-Hmac-SHA256": jobber_sign(JOBBER_SECRET, body)}, body))
            fat = []
            for n in range(requests_per_path):
                body = json.dumps({"id": f"evt-{n}", "account_id": sandbox_account, "topic": "job.created",
                                   "occurred_at": now, "data": {"job": {
                                       "id": f"J-{n}", "customer": {"id": f"C-{n % 50}", "name": "Customer"}}}}
                                  ).encode()
                fat.append(({"Content-Type": "application/json", "X-Sandbox-Account": sandbox_account,
                             "X-Sandbox-Signature": sandbox_sign(sandbox_secret, body)}, body))
            return [_measure(f"{base}/webhooks/jobber", thin, concurrency),
                    _measure(f"{base}/webhooks/sandbox", fat, concurrency)]
        finally:
            server.shutdown()
            rt.close()
