"""dispatch_job and insert_emergency over HTTP against a seeded day and its stored plan."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from connector.db.models import Event, Job, RoutePlan, Technician
from connector.sandbox.seed import seed_tenant
from tests.factories import bearer, issue_token
from tests.helpers import finished_run

BEFORE = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)  # the day before, 08:00 in Austin
DURING = datetime(2026, 11, 25, 17, 30, tzinfo=UTC)  # 11:30 in Austin on the planned day
DAY = "2026-11-25"


def _plan_the_day(client, runtime, tenant, token, worker) -> dict:  # type: ignore[no-untyped-def]
    with runtime.db.session() as session:
        seed_tenant(session, tenant.tenant_id, seed=5, now=BEFORE, technicians=6, customers=60, days=5)
    runtime.clock = lambda: BEFORE
    response = client.post("/api/v1/actions/optimize_route", json={"day": DAY, "time_limit_seconds": 2, "seed": 3},
                           headers=bearer(token))
    assert response.status_code == 202, response.json
    run = finished_run(runtime, worker, response.json["run_id"])
    assert run.status == "succeeded", run.error
    return dict(run.result)


def test_dispatch_ranks_technicians_and_can_assign(client, runtime, tenant, token, worker) -> None:
    plan = _plan_the_day(client, runtime, tenant, token, worker)
    new = {"id": "NEW-1", "customer_name": "Ray Alvarez", "lat": 30.29, "lng": -97.74, "duration_minutes": 45}
    answer = client.post("/api/v1/actions/dispatch_job", json={"job": new, "day": DAY, "max_candidates": 6},
                         headers=bearer(token))
    assert answer.status_code == 200, answer.json
    ranked = answer.json
    assert ranked["plan_id"] == plan["plan_id"]  # the day's newest plan
    feasible = [c for c in ranked["candidates"] if c["feasible"]]
    assert feasible and ranked["best_technician_id"] == feasible[0]["technician_id"]
    assert [c["extra_drive_minutes"] for c in feasible] == sorted(c["extra_drive_minutes"] for c in feasible)
    assert ranked["assigned"] is False
    day_start, day_end = datetime.fromisoformat(plan["window_start"]), datetime.fromisoformat(plan["window_end"])
    assert day_start <= datetime.fromisoformat(ranked["best_eta"]) < day_end

    with runtime.db.session() as session:  # a job booked on a later day, with a skill somebody has
        skills = {s for t in session.scalars(sa.select(Technician).where(Technician.tenant_id == tenant.tenant_id))
                  for s in t.skills or ()}
        later = session.scalars(sa.select(Job).where(
            Job.tenant_id == tenant.tenant_id, Job.status.notin_(["completed", "cancelled"]),
            Job.scheduled_start >= datetime(2026, 11, 26, 6, tzinfo=UTC)).order_by(Job.id)).all()
        job_id = next(j.id for j in later if j.skill is None or j.skill in skills)
    # No day given: the job's booked day, which has no plan yet, so everyone's day is empty.
    answer = client.post("/api/v1/actions/dispatch_job", json={"job_id": job_id, "assign": True},
                         headers=bearer(token))
    assert answer.status_code == 200, answer.json
    assert answer.json["best_technician_id"], [c["reasons"] for c in answer.json["candidates"]]
    assert answer.json["assigned"] is True and answer.json["plan_id"] is None
    with runtime.db.session() as session:
        assert session.get(Job, job_id).technician_id == answer.json["best_technician_id"]


def test_dispatch_errors_name_the_field(client, token) -> None:
    missing = client.post("/api/v1/actions/dispatch_job", json={"job_id": "nope"}, headers=bearer(token))
    assert missing.status_code == 404 and missing.json["error"]["fields"][0]["field"] == "job_id"
    both = client.post("/api/v1/actions/dispatch_job", json={"job_id": "a", "job": {"id": "b", "lat": 1, "lng": 2}},
                       headers=bearer(token))
    assert both.status_code == 422 and "either job_id or job" in both.json["error"]["message"]
    bad_parts = client.post("/api/v1/actions/dispatch_job", json={
        "job": {"id": "b", "lat": 1, "lng": 2, "required_parts": ["CAP:0"]}}, headers=bearer(token))
    assert bad_parts.status_code == 422 and "required_parts" in bad_parts.json["error"]["message"]


def test_an_emergency_interrupts_the_day_and_lists_moved_etas(client, runtime, tenant, token, worker) -> None:
    plan = _plan_the_day(client, runtime, tenant, token, worker)
    runtime.clock = lambda: DURING
    token = issue_token(runtime, tenant)  # the day has moved on: a fresh token
    emergency = {"id": "GAS-LEAK-1", "customer_name": "Ray Alvarez", "lat": 30.29, "lng": -97.74,
                 "duration_minutes": 60}
    answer = client.post("/api/v1/actions/insert_emergency", json={
        "job": emergency, "day": DAY, "time_limit_seconds": 3, "eta_window_minutes": 15}, headers=bearer(token))
    assert answer.status_code == 200, answer.json
    new = answer.json
    assert new["previous_plan_id"] == plan["plan_id"] and new["plan_id"] != plan["plan_id"]
    assert new["technician_id"] and new["job_eta"]
    assert datetime.fromisoformat(new["job_eta"]) >= DURING
    placed = [s for s in new["stops"] if s["job_id"] == "GAS-LEAK-1"]
    assert [s["technician_id"] for s in placed] == [new["technician_id"]]
    # Everything that had started by 11:30 stays exactly where it was.
    started = {(s["job_id"], s["technician_id"], s["eta"]) for s in plan["stops"]
               if s["kind"] == "job" and datetime.fromisoformat(s["eta"]) < DURING}
    now = {(s["job_id"], s["technician_id"], s["eta"]) for s in new["stops"] if s["kind"] == "job"}
    assert started and started <= now
    old_eta = {s["job_id"]: s["eta"] for s in plan["stops"] if s["kind"] == "job"}
    new_eta = {s["job_id"]: s["eta"] for s in new["stops"] if s["kind"] == "job"}
    for moved in new["eta_moved"]:
        assert moved["old_eta"] == old_eta[moved["job_id"]]
        assert moved["new_eta"] == new_eta.get(moved["job_id"])
        if moved["new_eta"] is not None:
            shift = datetime.fromisoformat(moved["new_eta"]) - datetime.fromisoformat(moved["old_eta"])
            assert abs(shift.total_seconds()) > 15 * 60
    assert new["customers_to_notify"] == len(new["eta_moved"])
    assert any(c["job_id"] == "GAS-LEAK-1" and c["change"] == "added" for c in new["changes"])
    with runtime.db.session() as session:
        assert session.get(RoutePlan, new["plan_id"]) is not None
        kinds = session.scalars(sa.select(Event.type).where(Event.tenant_id == tenant.tenant_id,
                                                            Event.type == "route.optimized")).all()
        assert len(kinds) == 2


def test_an_emergency_needs_a_plan_of_the_day(client, token) -> None:
    answer = client.post("/api/v1/actions/insert_emergency", json={
        "job": {"id": "X", "lat": 30.29, "lng": -97.74}, "day": DAY}, headers=bearer(token))
    assert answer.status_code == 422 and answer.json["error"]["fields"][0]["field"] == "plan_id"
    assert "run Optimize Routes" in answer.json["error"]["message"]


def test_optimize_route_replans_a_previous_plan_and_takes_inline_data(client, runtime, tenant, token,
                                                                       worker) -> None:
    plan = _plan_the_day(client, runtime, tenant, token, worker)
    runtime.clock = lambda: DURING
    token = issue_token(runtime, tenant)  # the day has moved on: a fresh token
    response = client.post("/api/v1/actions/optimize_route", json={
        "previous_plan_id": plan["plan_id"], "stability_weight": 10, "time_limit_seconds": 2, "seed": 3},
        headers=bearer(token))
    run = finished_run(runtime, worker, response.json["run_id"])
    assert run.status == "succeeded", run.error
    again = run.result
    assert again["previous_plan_id"] == plan["plan_id"]
    assert again["changed_jobs"] == len(again["changes"])
    assert again["changed_jobs"] <= 2, again["changes"]  # nothing changed in the data: the day stays put
    started = {(s["job_id"], s["eta"]) for s in plan["stops"]
               if s["kind"] == "job" and datetime.fromisoformat(s["eta"]) < DURING}
    assert started <= {(s["job_id"], s["eta"]) for s in again["stops"]}

    inline = {"day": DAY, "time_limit_seconds": 3, "seed": 1,
              "technicians": [{"technician_id": "T1", "home_lat": 30.27, "home_lng": -97.74, "skills": ["hvac"]},
                              {"technician_id": "T2", "home_lat": 30.40, "home_lng": -97.70}],
              "jobs": [{"id": f"J{k}", "lat": 30.25 + k / 100, "lng": -97.75, "duration_minutes": 30,
                        "required_skills": ["hvac"] if k == 0 else []} for k in range(4)]}
    response = client.post("/api/v1/actions/optimize_route", json=inline, headers=bearer(token))
    run = finished_run(runtime, worker, response.json["run_id"])
    assert run.status == "succeeded", run.error
    stops = [s for s in run.result["stops"] if s["kind"] == "job"]
    assert sorted(s["job_id"] for s in stops) == ["J0", "J1", "J2", "J3"]
    assert next(s for s in stops if s["job_id"] == "J0")["technician_id"] == "T1"
