"""Rule triggers fire once per job, at the tenant's own thresholds, from hand-placed facts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from connector.db.models import Event, Job, RuleSettings
from connector.rules.evaluate import evaluate
from tests.factories import bearer
from tests.helpers import job_data, post_sandbox

if TYPE_CHECKING:
    from connector.runtime import Runtime
    from tests.conftest import TenantInfo

T0 = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)
H = timedelta(hours=1)
M = timedelta(minutes=1)


def fired(runtime: Runtime, rule: str) -> list[Event]:
    with runtime.db.session() as session:
        return list(session.scalars(sa.select(Event).where(Event.type == rule).order_by(Event.seq)))


def test_invoice_not_sent_fires_once_after_48_hours(client: Any, runtime: Runtime, tenant: TenantInfo) -> None:
    post_sandbox(client, tenant, "job.completed", T0)
    assert evaluate(runtime, T0 + 47 * H) == {}
    assert evaluate(runtime, T0 + 49 * H) == {"invoice_not_sent_48h": 1}
    assert evaluate(runtime, T0 + 50 * H) == {}
    [event] = fired(runtime, "rule.invoice_not_sent")
    assert event.data["rule"] == {"threshold_hours": 48, "deadline": "2026-11-26T14:00:00+00:00",
                                  "overdue_minutes": 60}
    assert event.data["job"]["source_id"] == "J-1"


def test_an_invoice_sent_in_time_keeps_the_rule_quiet(client: Any, runtime: Runtime, tenant: TenantInfo,
                                                      token: str) -> None:
    post_sandbox(client, tenant, "job.completed", T0)
    with runtime.db.session() as session:
        job_id = session.scalars(sa.select(Job.id)).one()
    made = client.post("/api/v1/actions/generate_invoice", json={"job_id": job_id, "labour_hours": "1"},
                       headers={**bearer(token), "Idempotency-Key": "inv"})
    post_sandbox(client, tenant, "invoice.sent", T0 + 2 * H, {"invoice": {"id": made.json["invoice_number"]}},
                 event_id="sent")
    assert evaluate(runtime, T0 + 49 * H) == {}


def test_thresholds_are_per_tenant(client: Any, runtime: Runtime, tenant: TenantInfo,
                                   other_tenant: TenantInfo) -> None:
    with runtime.db.session() as session:
        session.add(RuleSettings(tenant_id=other_tenant.tenant_id, invoice_unsent_hours=24))
    post_sandbox(client, tenant, "job.completed", T0)
    post_sandbox(client, other_tenant, "job.completed", T0)
    assert evaluate(runtime, T0 + 25 * H) == {"invoice_not_sent_48h": 1}
    [event] = fired(runtime, "rule.invoice_not_sent")
    assert event.tenant_id == other_tenant.tenant_id and event.data["rule"]["threshold_hours"] == 24
    assert evaluate(runtime, T0 + 49 * H) == {"invoice_not_sent_48h": 1}
    assert {e.tenant_id for e in fired(runtime, "rule.invoice_not_sent")} == {tenant.tenant_id,
                                                                               other_tenant.tenant_id}


def test_arrival_late_after_the_booked_start_and_the_grace(client: Any, runtime: Runtime,
                                                           tenant: TenantInfo) -> None:
    post_sandbox(client, tenant, "job.scheduled", T0)  # booked 15:00-17:00
    post_sandbox(client, tenant, "job.scheduled", T0, job_data("J-2"), event_id="j2")
    post_sandbox(client, tenant, "job.arrived", T0 + 60 * M, job_data("J-2"), event_id="j2-arrived")
    start = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
    assert evaluate(runtime, start + 29 * M) == {}
    assert evaluate(runtime, start + 31 * M) == {"arrival_late": 1}
    assert evaluate(runtime, start + 90 * M) == {}
    [event] = fired(runtime, "rule.arrival_late")
    assert event.data["job"]["source_id"] == "J-1"
    assert event.data["rule"] == {"promised_by": "2026-11-24T15:00:00+00:00", "promise_source": "booking",
                                  "grace_minutes": 30, "late_minutes": 31}


def test_sla_at_risk_by_priority_within_the_warning(client: Any, runtime: Runtime, tenant: TenantInfo,
                                                    token: str) -> None:
    post_sandbox(client, tenant, "job.created", T0, job_data(priority="P1"))
    post_sandbox(client, tenant, "job.created", T0, job_data("J-3", priority="P3"), event_id="p3")
    assert evaluate(runtime, T0 + 3 * H - M) == {}
    assert evaluate(runtime, T0 + 3 * H + M) == {"sla_at_risk": 1}
    [event] = fired(runtime, "rule.sla_at_risk")
    assert event.data["rule"] == {"sla_hours": 4, "deadline": "2026-11-24T18:00:00+00:00", "minutes_left": 59,
                                  "breached": False}
    answer = client.get("/api/v1/triggers/sla_at_risk", headers=bearer(token))
    [item] = answer.json
    assert item["job_source_id"] == "J-1" and item["priority"] == "P1" and item["minutes_left"] == 59


def test_an_owner_sets_the_thresholds_and_bad_values_are_named(client: Any, runtime: Runtime,
                                                               tenant: TenantInfo) -> None:
    from tests.conftest import csrf_token, sign_in

    sign_in(client, tenant.owner_email)
    page = client.get("/rules")
    assert page.status_code == 200 and 'value="48"' in page.text
    form = {"invoice_unsent_hours": "24", "arrival_grace_minutes": "15", "sla_p1_hours": "2", "sla_p2_hours": "8",
            "sla_p3_hours": "48", "sla_warning_minutes": "30", "csrf_token": csrf_token(page.text)}
    bad = client.post("/rules", data={**form, "sla_p1_hours": "0", "arrival_grace_minutes": "soon"})
    assert bad.status_code == 422 and "From 1 to 336." in bad.text and "Enter a whole number." in bad.text
    assert client.post("/rules", data=form).status_code == 302
    with runtime.db.session() as session:
        row = session.get(RuleSettings, tenant.tenant_id)
        assert row is not None and (row.invoice_unsent_hours, row.sla_p1_hours) == (24, 2)
    post_sandbox(client, tenant, "job.completed", T0)
    assert evaluate(runtime, T0 + 25 * H) == {"invoice_not_sent_48h": 1}
