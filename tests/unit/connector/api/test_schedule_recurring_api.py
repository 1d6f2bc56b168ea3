"""schedule_recurring through the API, and the recurring_visit_due rule, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from connector.db.contracts import SqlContracts
from connector.db.models import ContractVisit, Customer, Event, Job, ServiceContract
from connector.db.store import SqlStore
from connector.rules.evaluate import evaluate
from tests.factories import bearer, issue_token
from tests.helpers import job_data, post_sandbox

if TYPE_CHECKING:
    from connector.runtime import Runtime
    from tests.conftest import TenantInfo

URL = "/api/v1/actions/schedule_recurring"
NOW = datetime(2026, 11, 24, 17, 0, tzinfo=UTC)  # Tuesday 11:00 in Chicago (the tenant's zone)


def _customer(client: Any, runtime: Runtime, tenant: TenantInfo) -> str:
    post_sandbox(client, tenant, "job.created", NOW - timedelta(days=30), job_data("J-OLD"), event_id="old")
    with runtime.db.session() as session:
        return str(session.scalar(sa.select(Customer.id).where(Customer.tenant_id == tenant.tenant_id)))


def _call(client: Any, token: str, body: dict[str, Any], key: str) -> Any:
    return client.post(URL, json=body, headers={**bearer(token), "Idempotency-Key": key})


def _contract(customer_id: str, **changes: Any) -> dict[str, Any]:
    return {"customer_id": customer_id, "service": "maintenance", "rrule": "FREQ=WEEKLY", "window_start": "08:00",
            "window_end": "10:00", "duration_minutes": 60, "skills": ["hvac"], "price": "129.00",
            "starts_on": "2026-11-30", **changes}


def _visit_jobs(runtime: Runtime, tenant: TenantInfo) -> list[Job]:
    with runtime.db.session() as session:
        return list(session.scalars(sa.select(Job).where(Job.tenant_id == tenant.tenant_id, Job.source == "backbone")
                                    .order_by(Job.scheduled_start)))


def test_contract_visits_are_booked_once_and_follow_the_last_completion(client: Any, runtime: Runtime,
                                                                        tenant: TenantInfo, token: str) -> None:
    runtime.clock = lambda: NOW
    customer_id = _customer(client, runtime, tenant)
    first = _call(client, token, _contract(customer_id), "c1")
    assert first.status_code == 200, first.json
    body = first.json
    assert body["contract_created"] and body["created_count"] == 4 and body["timezone"] == "America/Chicago"
    assert [v["occurs_on"] for v in body["created"]] == ["2026-11-30", "2026-12-07", "2026-12-14", "2026-12-21"]
    assert body["created"][0]["scheduled_start"] == "2026-11-30T14:00:00Z"  # 08:00 CST
    jobs = _visit_jobs(runtime, tenant)
    assert (jobs[0].status, jobs[0].source_id, jobs[0].job_type, jobs[0].skill, jobs[0].estimated_minutes) == (
        "scheduled", f"contract:{body['contract_id']}:2026-11-30", "maintenance", "hvac", 60)
    with runtime.db.session() as session:
        # Visits go to the optimizer: they are open jobs of their day, with the window and duration.
        [planned] = SqlStore(session, tenant.tenant_id).planning_jobs(
            None, datetime(2026, 11, 30, 6, tzinfo=UTC), datetime(2026, 12, 1, 6, tzinfo=UTC))
        assert (planned.id, planned.window_start, planned.duration_minutes, planned.skills) == (
            jobs[0].id, datetime(2026, 11, 30, 14, tzinfo=UTC), 60, ("hvac",))
        # The price stays on the visit for its invoice.
        visit = SqlContracts(session, tenant.tenant_id).visit_for_job(jobs[0].id)
        assert visit is not None and visit.price == Decimal("129.00") and visit.contract_id == body["contract_id"]
    # Each new visit is announced like any booked job (the confirmation Zap hangs off job_scheduled).
    items = client.get("/api/v1/triggers/job_scheduled", headers=bearer(token)).json
    assert sorted(i["job_id"] for i in items if i["job_source"] == "backbone") == sorted(j.id for j in jobs)

    # The same key replays; a new call books nothing twice.
    replayed = _call(client, token, _contract(customer_id), "c1")
    assert replayed.headers["Idempotent-Replayed"] == "true" and replayed.json == body
    again = _call(client, token, {"contract_id": body["contract_id"]}, "c2")
    assert (again.json["created_count"], again.json["existing_count"]) == (0, 4)
    assert len(_visit_jobs(runtime, tenant)) == 4

    # The 30 November visit is done late, on Thursday 3 December: the next ones count from then.
    with runtime.db.session() as session:
        job = session.get(Job, jobs[0].id)
        job.status, job.completed_at = "completed", datetime(2026, 12, 3, 21, tzinfo=UTC)
    runtime.clock = lambda: datetime(2026, 12, 4, 15, tzinfo=UTC)
    token = issue_token(runtime, tenant)  # ten days later: a fresh token
    shifted = _call(client, token, {"contract_id": body["contract_id"]}, "c3").json
    assert (shifted["computed_from"], shifted["computed_from_date"]) == ("last_completed", "2026-12-03")
    assert shifted["last_completed_job_id"] == jobs[0].id
    assert [v["occurs_on"] for v in shifted["cancelled"]] == ["2026-12-07", "2026-12-14", "2026-12-21"]
    assert [v["occurs_on"] for v in shifted["created"]] == ["2026-12-10", "2026-12-17", "2026-12-24", "2026-12-31"]
    assert shifted["next_visit_at"] == "2026-12-10T14:00:00Z"
    with runtime.db.session() as session:
        contract = session.get(ServiceContract, body["contract_id"])
        assert contract.last_completed_at == datetime(2026, 12, 3, 21, tzinfo=UTC)
        cancelled = session.scalars(sa.select(Event).where(Event.tenant_id == tenant.tenant_id,
                                                           Event.type == "job.cancelled")).all()
        assert len(cancelled) == 3
    assert _call(client, token, {"contract_id": body["contract_id"]}, "c4").json["created_count"] == 0


def test_bad_input_is_named(client: Any, runtime: Runtime, tenant: TenantInfo, token: str,
                            other_tenant: TenantInfo) -> None:
    runtime.clock = lambda: NOW
    customer_id = _customer(client, runtime, tenant)
    bad = _call(client, token, _contract(customer_id, rrule="FREQ=WEEKLY;BYDAY=XX"), "b1")
    assert bad.status_code == 422 and bad.json["error"]["fields"][0]["field"] == "rrule"
    assert "BYDAY" in bad.json["error"]["fields"][0]["message"]
    missing = _call(client, token, {k: v for k, v in _contract(customer_id).items() if k != "window_end"}, "b2")
    assert missing.status_code == 422 and missing.json["error"]["fields"][0]["field"] == "window_end"
    backwards = _call(client, token, _contract(customer_id, window_end="07:00"), "b3")
    assert backwards.status_code == 422 and backwards.json["error"]["fields"][0]["field"] == "window_end"
    assert _call(client, token, _contract("nobody"), "b4").status_code == 404
    made = _call(client, token, _contract(customer_id), "b5").json
    # Another tenant can neither see the contract nor book on this customer.
    other = issue_token(runtime, other_tenant)
    assert _call(client, other, {"contract_id": made["contract_id"]}, "b6").status_code == 404
    assert _call(client, other, _contract(customer_id), "b7").status_code == 404
    with runtime.db.session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(ContractVisit)) == 4


def due(runtime: Runtime, now: datetime) -> int:
    """How many recurring_visit_due events the rule job fires at `now` (the other rules may fire too)."""
    return evaluate(runtime, now).get("recurring_visit_due", 0)


def test_recurring_visit_due_fires_once_per_visit_within_the_notice(client: Any, runtime: Runtime,
                                                                    tenant: TenantInfo, token: str) -> None:
    runtime.clock = lambda: NOW
    customer_id = _customer(client, runtime, tenant)
    made = _call(client, token, _contract(customer_id, notice_days=7), "r1").json
    # 30 Nov 14:00 UTC is within 7 days of now (24 Nov 17:00); 7 Dec is not.
    assert due(runtime, NOW) == 1
    assert due(runtime, NOW + timedelta(hours=1)) == 0
    assert due(runtime, NOW + timedelta(days=7)) == 1  # 7 Dec comes due
    assert due(runtime, NOW + timedelta(days=7, hours=1)) == 0
    items = client.get("/api/v1/triggers/recurring_visit_due", headers=bearer(token)).json
    assert [(i["occurs_on"], i["contract_id"], i["notice_days"], i["price"]) for i in items] == [
        ("2026-12-07", made["contract_id"], 7, "129.00"), ("2026-11-30", made["contract_id"], 7, "129.00")]
    assert items[1]["hours_until"] == 141 and items[1]["customer_name"] == "Dana Whitfield"
    # A paused contract's visits are cancelled, and announce nothing.
    _call(client, token, {"contract_id": made["contract_id"], "active": False}, "r2")
    assert due(runtime, NOW + timedelta(days=14)) == 0


def test_a_run_that_fails_midway_leaves_nothing_and_its_replay_books_once(client: Any, runtime: Runtime,
                                                                          tenant: TenantInfo, token: str,
                                                                          monkeypatch: Any) -> None:
    from actions.schedule_recurring import ACTION
    from connector.api.runner import replay

    runtime.clock = lambda: NOW
    customer_id = _customer(client, runtime, tenant)
    book = SqlContracts.book_visit
    calls: list[int] = []

    def crash_on_the_third(self: SqlContracts, *args: Any) -> Any:
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("database went away")
        return book(self, *args)

    monkeypatch.setattr(SqlContracts, "book_visit", crash_on_the_third)
    failed = _call(client, token, _contract(customer_id), "f1")
    assert failed.status_code == 500 and failed.json["error"]["retryable"] is True
    assert _visit_jobs(runtime, tenant) == []  # the two visits booked before the crash went with it
    with runtime.db.session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(ServiceContract)) == 0
    monkeypatch.setattr(SqlContracts, "book_visit", book)
    run = replay(runtime, ACTION, failed.headers["Backbone-Run-Id"], actor_id=None, actor_label="support@x.example")
    assert run.status == "succeeded" and run.result["created_count"] == 4
    assert len(_visit_jobs(runtime, tenant)) == 4


def test_a_completed_contract_visit_is_invoiced_at_the_contract_price(client: Any, runtime: Runtime,
                                                                     tenant: TenantInfo, token: str) -> None:
    runtime.clock = lambda: NOW
    customer_id = _customer(client, runtime, tenant)
    assert _call(client, token, _contract(customer_id), "c1").status_code == 200
    first = _visit_jobs(runtime, tenant)[0]
    with runtime.db.session() as session:
        job = session.get(Job, first.id)
        assert job is not None
        job.status, job.completed_at = "completed", datetime(2026, 11, 30, 15, tzinfo=UTC)
    answer = client.post("/api/v1/actions/generate_invoice", json={"job_id": first.id},
                         headers={**bearer(token), "Idempotency-Key": "inv-visit"})
    assert answer.status_code == 200, answer.text
    # No arrival time, yet nothing to enter: the visit is billed at the contract's 129.00 (taxed like labour),
    # with no labour and no trip charge; 8.25 % tax on 129.00 is 10.64.
    assert [(ln["kind"], ln["amount"]) for ln in answer.json["lines"]] == [("contract", "129.00")]
    assert (answer.json["subtotal"], answer.json["tax"], answer.json["total"]) == ("129.00", "10.64", "139.64")
