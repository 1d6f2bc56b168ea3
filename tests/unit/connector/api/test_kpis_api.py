"""GET /api/v1/kpis over real webhooks and invoices; bad queries answer 422 naming the field."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
import sqlalchemy as sa

from connector.db.models import Job
from tests.factories import bearer
from tests.helpers import job_data, post_sandbox

if TYPE_CHECKING:
    from connector.runtime import Runtime
    from tests.conftest import TenantInfo

T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
M = timedelta(minutes=1)


def test_kpis_from_the_events(client: Any, tenant: TenantInfo, token: str, runtime: Runtime) -> None:
    for n, (topic, minutes) in enumerate([("job.created", 0), ("job.dispatched", 20), ("job.en_route", 30),
                                          ("job.arrived", 60), ("job.completed", 150)]):
        post_sandbox(client, tenant, topic, T0 + minutes * M, job_data(scheduled_start=None, scheduled_end=None),
                     event_id=f"j1-{n}")
    with runtime.db.session() as session:
        job_id = session.scalars(sa.select(Job.id)).one()
    made = client.post("/api/v1/actions/generate_invoice", json={"job_id": job_id},
                       headers={**bearer(token), "Idempotency-Key": "inv"})
    assert made.status_code == 200, made.text
    post_sandbox(client, tenant, "invoice.sent", T0 + 150 * M + timedelta(hours=6),
                 {"invoice": {"id": made.json["invoice_number"]}}, event_id="sent")
    answer = client.get("/api/v1/kpis?from=2026-11-01&to=2026-11-07&group_by=technician&baseline_days=30",
                        headers=bearer(token))
    assert answer.status_code == 200, answer.text
    body = answer.json
    assert body["from"] == "2026-11-01" and body["to"] == "2026-11-07" and body["group_by"] == "technician"
    assert body["baseline"] == {"from": "2026-10-02", "to": "2026-10-31"}
    [group] = body["groups"]
    assert group["key"] == "Marcus Reyes"
    kpis = group["kpis"]
    assert kpis["dispatch_time_minutes"]["value"] == 20 and kpis["dispatch_time_minutes"]["sample_size"] == 1
    assert kpis["invoice_cycle_hours"]["value"] == 6.0 and kpis["invoice_cycle_hours"]["sample_size"] == 1
    assert kpis["first_time_fix_percent"]["value"] == 100.0
    assert kpis["billable_percent"]["billable_hours"] == 1.5 and kpis["billable_percent"]["drive_hours"] == 0.5
    assert kpis["cash_conversion_days"] == {"value": None, "sample_size": 0, "p90": None, "as_of": body["as_of"],
                                            "baseline": {"value": None, "sample_size": 0}, "change": None}
    assert kpis["dispatch_time_minutes"]["baseline"] == {"value": None, "sample_size": 0}
    assert body["as_of"] is not None and set(body["units"]) == set(kpis)


@pytest.mark.parametrize(("query", "field"), [
    ("from=2026-13-01", "from"),
    ("group_by=team", "group_by"),
    ("baseline_days=45", "baseline_days"),
    ("from=2026-11-08&to=2026-11-01", "to"),
    ("from=2025-01-01&to=2026-11-01", "to"),
    ("period=week", "period"),
])
def test_a_bad_query_names_the_field(client: Any, token: str, query: str, field: str) -> None:
    answer = client.get(f"/api/v1/kpis?{query}", headers=bearer(token))
    assert answer.status_code == 422, answer.text
    assert answer.json["error"]["fields"][0]["field"] == field
