"""The job and invoice lifecycle triggers, fed by real webhooks and actions, read by polling."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from connector.db.models import Job, RoutePlan
from tests.factories import bearer
from tests.helpers import job_data, post_sandbox

if TYPE_CHECKING:
    from connector.runtime import Runtime
    from tests.conftest import TenantInfo

T0 = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)


def poll(client: Any, token: str, key: str) -> list[dict[str, Any]]:
    answer = client.get(f"/api/v1/triggers/{key}", headers=bearer(token))
    assert answer.status_code == 200, answer.text
    return list(answer.json)


def test_each_job_stage_feeds_its_own_trigger_once(client: Any, tenant: TenantInfo, token: str) -> None:
    for n, topic in enumerate(["job.created", "job.scheduled", "job.en_route", "job.arrived"]):
        assert post_sandbox(client, tenant, topic, T0 + timedelta(minutes=n)).status_code == 200
    post_sandbox(client, tenant, "job.created", T0 - timedelta(minutes=5), event_id="late-created")  # out of order
    for key, status in [("job_created", "created"), ("job_scheduled", "scheduled"), ("tech_en_route", "en_route"),
                        ("job_arrived", "arrived")]:
        [item] = poll(client, token, key)
        assert item["job_source_id"] == "J-1" and item["status"] == status and item["customer_name"]


def test_en_route_carries_the_booking_window_without_a_plan(client: Any, tenant: TenantInfo, token: str) -> None:
    post_sandbox(client, tenant, "job.en_route", T0)
    [item] = poll(client, token, "tech_en_route")
    assert item["eta_source"] == "booking"
    assert (item["eta"], item["eta_window_start"], item["eta_window_end"]) == (
        "2026-11-24T15:00:00Z", "2026-11-24T15:00:00Z", "2026-11-24T17:00:00Z")


def test_en_route_carries_the_planned_eta_and_window(client: Any, tenant: TenantInfo, token: str,
                                                     runtime: Runtime) -> None:
    post_sandbox(client, tenant, "job.scheduled", T0)
    with runtime.db.session() as session:
        job = session.query(Job).one()
        eta = datetime(2026, 11, 24, 15, 20, tzinfo=UTC)
        stop = {"technician_id": "t1", "technician_name": "Marcus", "sequence": 1, "kind": "job", "job_id": job.id,
                "job_source_id": "J-1", "customer_name": "Dana", "eta": eta.isoformat(),
                "eta_window_start": (eta - timedelta(minutes=15)).isoformat(),
                "eta_window_end": (eta + timedelta(minutes=15)).isoformat(),
                "end": (eta + timedelta(hours=1)).isoformat(), "travel_minutes": 12}
        session.add(RoutePlan(tenant_id=tenant.tenant_id, created_at=T0, window_start=T0 - timedelta(hours=2),
                              window_end=T0 + timedelta(hours=10), routes=[stop], unassigned=[], kpis={}))
    post_sandbox(client, tenant, "job.en_route", T0 + timedelta(minutes=30))
    [item] = poll(client, token, "tech_en_route")
    assert item["eta_source"] == "plan"
    assert (item["eta"], item["eta_window_start"], item["eta_window_end"]) == (
        "2026-11-24T15:20:00Z", "2026-11-24T15:05:00Z", "2026-11-24T15:35:00Z")


def test_invoice_created_then_sent(client: Any, tenant: TenantInfo, token: str, runtime: Runtime) -> None:
    post_sandbox(client, tenant, "job.completed", T0, job_data(arrived_at=None))
    with runtime.db.session() as session:
        job_id = session.query(Job.id).scalar()
    made = client.post("/api/v1/actions/generate_invoice", json={"job_id": job_id, "labour_hours": "2"},
                       headers={**bearer(token), "Idempotency-Key": "inv-1"})
    assert made.status_code == 200, made.text
    [created] = poll(client, token, "invoice_created")
    assert created["invoice_id"] == made.json["invoice_id"] and created["number"] == made.json["invoice_number"]
    assert created["job_id"] == job_id and created["total"] == made.json["total"]
    assert created["source"] == "backbone" and created["status"] == "draft"
    sent = post_sandbox(client, tenant, "invoice.sent", T0 + timedelta(hours=3),
                        {"invoice": {"id": made.json["invoice_number"]}}, event_id="sent-1")
    assert sent.status_code == 200 and sent.json["received"] == 1
    [item] = poll(client, token, "invoice_sent")
    assert item["invoice_id"] == made.json["invoice_id"] and item["status"] == "sent"
    assert item["sent_at"] == "2026-11-24T17:00:00Z"


def test_a_run_that_fails_for_good_fires_action_failed(client: Any, token: str) -> None:
    answer = client.post("/api/v1/actions/generate_invoice", json={"job_id": "no-such-job"},
                         headers={**bearer(token), "Idempotency-Key": "bad-1"})
    assert answer.status_code == 404
    [item] = poll(client, token, "action_failed")
    assert item["run_id"] == answer.json["error"]["run_id"] and item["action"] == "generate_invoice"
    assert item["error_code"] == "not_found" and item["error_fields"] == ["job_id"] and not item["retryable"]
    assert item["admin_url"].endswith(f"/admin/runs/{item['run_id']}")
    again = client.post("/api/v1/actions/generate_invoice", json={"job_id": "no-such-job"},
                        headers={**bearer(token), "Idempotency-Key": "bad-1"})
    assert again.status_code == 404 and len(poll(client, token, "action_failed")) == 1, "a replayed answer, no new run"


def test_each_reconciliation_exception_fires_once(client: Any, tenant: TenantInfo, token: str, worker: Any,
                                                  runtime: Runtime) -> None:
    from tests.helpers import finished_run

    post_sandbox(client, tenant, "job.completed", datetime.now(UTC) - timedelta(days=3))
    for key in ("rec-1", "rec-2"):
        answer = client.post("/api/v1/actions/reconcile", json={},
                             headers={**bearer(token), "Idempotency-Key": key})
        assert answer.status_code == 202, answer.text
        assert finished_run(runtime, worker, answer.json["run_id"]).status == "succeeded"
    [item] = poll(client, token, "reconciliation_exception")
    assert item["kind"] == "missing_invoice" and item["job_source_id"] == "J-1" and item["invoice_id"] is None
