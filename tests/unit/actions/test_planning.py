"""The routing actions' shared pieces: inline input, stored plans read back, progress."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from actions import planning
from actions.context import Context, PlanningJob, PlanningTechnician, StoredPlan
from actions.plan_models import InlineJob, InlineTechnician, parse_parts
from solver import SolveParams, check, solve_routes

DAY = date(2026, 12, 1)
ZONE = "America/Chicago"


def _setup() -> planning.Setup:
    techs = [InlineTechnician(technician_id="t1", home_lat=30.27, home_lng=-97.74, skills=["hvac"],
                              truck_stock=["CAP-45:2"]).planning(),
             PlanningTechnician(id="t2", name="Bo", skills=(), home=(30.40, -97.70))]
    jobs = [InlineJob(id=f"j{k}", lat=30.25 + k / 50, lng=-97.75, duration_minutes=45,
                      window_start=datetime(2026, 12, 1, 9 + k, tzinfo=UTC).astimezone(UTC),
                      window_end=datetime(2026, 12, 1, 20, tzinfo=UTC)).planning() for k in range(4)]
    done = PlanningJob(id="done", source_id=None, customer_name=None, location=(30.26, -97.74), window_start=None,
                       window_end=None, duration_minutes=30, skills=(), priority="P3", status="completed",
                       technician_id="t1", started_at=datetime(2026, 12, 1, 14, 10, tzinfo=UTC))
    lost = PlanningJob(id="lost", source_id=None, customer_name=None, location=(30.26, -97.74), window_start=None,
                       window_end=None, duration_minutes=30, skills=(), priority="P3", status="completed",
                       technician_id="nobody", started_at=None)
    return planning.build(techs, [*jobs, done, lost], day=DAY, timezone=ZONE, shift=planning.Shift())


def test_parts_and_inline_validation() -> None:
    assert parse_parts(["CAP-45:2", " FILTER "]) == (("CAP-45", 2), ("FILTER", 1))
    with pytest.raises(ValueError, match="whole number"):
        parse_parts(["CAP:0"])
    with pytest.raises(ValidationError, match="time zone offset"):
        InlineJob(id="x", lat=1, lng=2, window_start=datetime(2026, 12, 1, 9), window_end=datetime(2026, 12, 1, 10))
    with pytest.raises(ValidationError, match="go together"):
        InlineJob(id="x", lat=1, lng=2, window_start=datetime(2026, 12, 1, 9, tzinfo=UTC))


def test_completed_jobs_are_facts_and_unknown_ones_are_left_out() -> None:
    setup = _setup()
    jobs = {j.id: j for j in setup.problem.jobs}
    assert jobs["done"].status == "done" and jobs["done"].technician_id == "t1"
    assert setup.seconds(datetime(2026, 12, 1, 14, 10, tzinfo=UTC)) == jobs["done"].actual_start
    assert "lost" not in jobs
    assert setup.problem.technicians[0].truck_stock == (("CAP-45", 2),)


def test_a_stored_plan_reads_back_as_the_same_routes() -> None:
    setup = _setup()
    result = solve_routes(setup.problem, SolveParams(time_limit=5, solution_limit=50, seed=1))
    assert check(setup.problem, result) == []
    stops = [{"technician_id": r.technician_id, "sequence": k, "kind": s.kind, "job_id": s.id if s.kind == "job"
              else None, "eta": setup.at(s.start).isoformat(), "end": setup.at(s.end).isoformat()}
             for r in result.routes for k, s in enumerate(r.stops) if s.kind not in ("start", "end")]
    plan = StoredPlan(id="p", created_at=datetime.now(UTC), window_start=setup.origin, window_end=setup.origin,
                      routes=stops, unassigned=[], kpis={})
    back = planning.previous_result(setup, plan)
    for before, after in zip(result.routes, back.routes, strict=True):
        planned = [(s.kind, s.id, s.start, s.end) for s in before.stops if s.kind in ("job", "break")]
        assert [(s.kind, s.id, s.start, s.end) for s in after.stops if s.kind in ("job", "break")] == planned


def test_progress_reaches_the_run() -> None:
    seen: list[dict[str, Any]] = []
    ctx = Context(tenant_id="t", run_id="r", idempotency_key="k", store=None, accounting=None,  # type: ignore[arg-type]
                  events=None, clock=lambda: datetime.now(UTC), progress=seen.append)  # type: ignore[arg-type]
    solve_routes(_setup().problem, SolveParams(time_limit=5, solution_limit=20, seed=1),
                 on_progress=planning.reporter(ctx))
    assert seen and seen[0]["stage"] == "solving" and seen[0]["solutions"] == 1
    assert all(isinstance(u["best_objective"], int) and u["search_seconds"] >= 0 for u in seen)
