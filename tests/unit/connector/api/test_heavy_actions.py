from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from connector.db.models import Invoice, Job
from connector.sandbox.seed import seed_tenant
from tests.factories import bearer
from tests.helpers import get_run, until

NOW = datetime(2026, 11, 24, 16, 0, tzinfo=UTC)
URL = "/api/v1/actions/reconcile"


def _seed(runtime, tenant) -> None:  # type: ignore[no-untyped-def]
    with runtime.db.session() as session:
        seed_tenant(session, tenant.tenant_id, seed=5, now=NOW, technicians=4, customers=30, days=20)
    runtime.clock = lambda: NOW



def test_reconcile_runs_on_the_queue_and_posts_the_result_to_the_callback(client, runtime, tenant, token, worker,
                                                                          listener) -> None:
    _seed(runtime, tenant)
    response = client.post(URL, json={"since": "2026-11-01"}, headers=bearer(token) | {"X-Callback-Url": listener.url})
    assert response.status_code == 202
    assert response.json["status"] == "queued" and response.json["status_url"].endswith(response.json["run_id"])
    run_id = response.json["run_id"]
    until(worker, lambda: len(listener.received) == 1)
    callback = listener.received[0]["json"]
    assert callback["run_id"] == run_id and callback["status"] == "succeeded" and callback["error"] is None
    result = callback["result"]
    with runtime.db.session() as session:
        completed = session.scalars(sa.select(Job.id).where(
            Job.status == "completed", Job.completed_at >= datetime(2026, 11, 1, tzinfo=UTC),
            Job.completed_at < NOW - timedelta(hours=48))).all()
        invoiced = set(session.scalars(sa.select(Invoice.job_id)).all())
    assert result["counts"]["missing_invoice"] == len([j for j in completed if j not in invoiced])
    assert result["jobs_checked"] >= len(completed)
    run = get_run(runtime, run_id)
    assert (run.status, run.callback_status, run.callback_attempts) == ("succeeded", "sent", 1)
    status = client.get(f"/api/v1/runs/{run_id}", headers=bearer(token)).json
    assert status["status"] == "succeeded" and status["result"] == result


def test_callback_is_retried_until_the_receiver_takes_it(client, runtime, tenant, token, worker, listener) -> None:
    _seed(runtime, tenant)
    object.__setattr__(runtime.settings, "hook_backoff_base_seconds", 0.01)
    listener.answers = [(503, {}), (500, {})]
    response = client.post(URL, json={}, headers=bearer(token) | {"X-Callback-Url": listener.url})
    run_id = response.json["run_id"]
    until(worker, lambda: get_run(runtime, run_id).callback_status == "sent")
    assert get_run(runtime, run_id).callback_attempts == 3 and len(listener.received) == 3


def test_a_bad_callback_url_is_422_and_fast_actions_ignore_it(client, runtime, tenant, token) -> None:
    response = client.post(URL, json={}, headers=bearer(token) | {"X-Callback-Url": "ftp://nowhere"})
    assert response.status_code == 422
    assert response.json["error"]["fields"][0]["field"] == "X-Callback-Url"
    fast = client.post("/api/v1/actions/generate_invoice", json={"job_id": "0" * 32},
                       headers=bearer(token) | {"X-Callback-Url": "ftp://nowhere"})
    assert fast.status_code == 404  # answered inline; the header plays no part


def test_heavy_input_errors_are_422_before_anything_is_queued(client, runtime, token) -> None:
    response = client.post(URL, json={"since": "2026-11-05", "until": "2026-11-01"}, headers=bearer(token))
    assert response.status_code == 422
    assert "since must not be after until" in response.json["error"]["message"] + str(response.json)
    assert runtime.queues.get("default").count == 0
