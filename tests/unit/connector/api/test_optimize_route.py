from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from connector.db.models import Event, Job, RoutePlan
from connector.sandbox.seed import seed_tenant
from tests.factories import bearer
from tests.helpers import finished_run, until

NOW = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)  # 08:00 in Austin
URL = "/api/v1/actions/optimize_route"



def test_optimize_route_plans_the_day_stores_it_and_fires_the_trigger(client, runtime, tenant, token, worker,
                                                                      listener) -> None:
    with runtime.db.session() as session:
        seed_tenant(session, tenant.tenant_id, seed=5, now=NOW, technicians=6, customers=60, days=5)
    runtime.clock = lambda: NOW
    client.post("/api/v1/hooks", json={"trigger": "route_optimized", "target_url": listener.url},
                headers=bearer(token))
    response = client.post(URL, json={"day": "2026-11-25", "time_limit_seconds": 2}, headers=bearer(token))
    assert response.status_code == 202
    run_id = response.json["run_id"]
    run = finished_run(runtime, worker, run_id)
    assert run.status == "succeeded", run.error
    plan = run.result
    with runtime.db.session() as session:
        day = (datetime(2026, 11, 25, 6, tzinfo=UTC), datetime(2026, 11, 26, 6, tzinfo=UTC))
        booked = {j.id: j for j in session.scalars(sa.select(Job).where(
            Job.tenant_id == tenant.tenant_id, Job.scheduled_start >= day[0], Job.scheduled_start < day[1],
            Job.status.notin_(["completed", "cancelled"])))}
        assert session.get(RoutePlan, plan["plan_id"]) is not None
        event = session.scalar(sa.select(Event).where(Event.type == "route.optimized"))
        assert event.data["plan"]["plan_id"] == plan["plan_id"]
    planned = [s for s in plan["stops"] if s["kind"] == "job"]
    assert booked and plan["jobs_planned"] + plan["jobs_unassigned"] == len(booked)
    assert {s["job_id"] for s in planned} | {u["job_id"] for u in plan["unassigned"]} == set(booked)
    for stop in planned:  # every ETA inside the job's appointment window
        job = booked[stop["job_id"]]
        eta = datetime.fromisoformat(stop["eta"])
        assert job.scheduled_start <= eta <= job.scheduled_end, (stop, job.scheduled_start, job.scheduled_end)
    assert plan["p1_unassigned"] == 0
    status = client.get(f"/api/v1/runs/{run_id}", headers=bearer(token)).json
    assert status["progress"]["stage"] == "done"
    until(worker, lambda: len(listener.received) == 1)
    assert listener.received[0]["json"]["plan_id"] == plan["plan_id"]


def test_optimize_route_input_errors_name_the_field(client, token) -> None:
    response = client.post(URL, json={"shift_start": "18:00", "shift_end": "08:00"}, headers=bearer(token))
    assert response.status_code == 422 and "shift_end must be after shift_start" in response.json["error"]["message"]
    response = client.post(URL, json={"time_limit_seconds": 0}, headers=bearer(token))
    assert response.status_code == 422 and response.json["error"]["fields"][0]["field"] == "time_limit_seconds"


def test_no_technicians_is_a_clear_failure(client, runtime, token, worker) -> None:
    response = client.post(URL, json={"technician_ids": ["nope"], "time_limit_seconds": 1}, headers=bearer(token))
    run_id = response.json["run_id"]
    run = finished_run(runtime, worker, run_id)
    assert run.status == "failed" and run.error["fields"][0]["field"] == "technician_ids"
