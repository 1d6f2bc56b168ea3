"""Action (heavy): plan a day's routes for the technicians, from the stored jobs and technicians."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, model_validator

from actions import planning
from actions.context import StoredPlan
from actions.errors import InputError
from actions.spec import ActionSpec, Weight
from solver.params import SolveParams
from solver.routing import solve_routes
from triggers.canonical import CanonicalEvent, EventType

if TYPE_CHECKING:
    from actions.context import Context
    from solver.models import RoutingResult

MAX_JOBS = 3000


class OptimizeRouteInput(BaseModel):
    """What to plan and how long to search."""

    model_config = ConfigDict(extra="forbid")

    day: date | None = Field(None, description="The day to plan, in your local time; empty: today.")
    technician_ids: list[str] | None = Field(
        None, max_length=500, description="Technicians to plan (empty: every active technician)."
    )
    job_ids: list[str] | None = Field(
        None, max_length=MAX_JOBS, description="Jobs to plan (empty: every open job booked for the day)."
    )
    shift_start: time = Field(time(8, 0), description="Shift start, local time (HH:MM).")
    shift_end: time = Field(time(18, 0), description="Shift end, local time (HH:MM).")
    max_overtime_minutes: int = Field(60, ge=0, le=480, description="How long a shift may run over.")
    lunch_break: bool = Field(True, description="Give everyone a 30-minute lunch between 11:30 and 14:00.")
    time_limit_seconds: int = Field(20, ge=1, le=600, description="How long to search for a better plan.")
    seed: int = Field(1, ge=0, le=2**31 - 1, description="Same seed, same input: same plan.")
    eta_buffer_minutes: int = Field(30, ge=0, le=240, description="Half-width of the ETA window told to customers.")

    @model_validator(mode="after")
    def _shift_order(self) -> OptimizeRouteInput:
        if self.shift_end <= self.shift_start:
            raise ValueError("shift_end must be after shift_start")
        return self


class PlannedStop(BaseModel):
    """One stop of a technician's day."""

    technician_id: str = Field(description="The technician.")
    technician_name: str | None = Field(description="The technician's name.")
    sequence: int = Field(description="Position in the technician's day (1 = first).")
    kind: str = Field(description="job, pickup (parts at a depot) or break.")
    job_id: str | None = Field(description="The job (for job stops).")
    job_source_id: str | None = Field(description="The job's id in the field-service system.")
    customer_name: str | None = Field(description="The customer (for job stops).")
    eta: datetime = Field(description="When the technician starts the stop (UTC).")
    eta_window_start: datetime = Field(description="Start of the arrival window to tell the customer (UTC).")
    eta_window_end: datetime = Field(description="End of the arrival window to tell the customer (UTC).")
    end: datetime = Field(description="When the stop ends (UTC).")
    travel_minutes: int = Field(description="Driving time from the previous stop.")


class UnassignedJob(BaseModel):
    """A job the plan leaves out."""

    job_id: str = Field(description="The job.")
    job_source_id: str | None = Field(description="The job's id in the field-service system.")
    reasons: str = Field(description="Why, comma-separated (e.g. missing_skill:gas, no_window_fits).")


class OptimizeRouteOutput(BaseModel):
    """The plan."""

    plan_id: str = Field(description="The plan's id.")
    window_start: datetime = Field(description="Start of the planned day (UTC).")
    window_end: datetime = Field(description="End of the planned day (UTC).")
    feasible: bool = Field(description="Every planned stop keeps its window and shift.")
    technicians_used: int = Field(description="Technicians with at least one job.")
    jobs_planned: int = Field(description="Jobs given a technician and an ETA.")
    jobs_unassigned: int = Field(description="Jobs left out.")
    p1_unassigned: int = Field(description="Emergency (P1) jobs left out.")
    total_travel_minutes: int = Field(description="Driving time of all routes.")
    total_distance_km: float = Field(description="Driving distance of all routes.")
    overtime_minutes: int = Field(description="Overtime over all shifts.")
    stops: list[PlannedStop] = Field(description="Every stop of every route, by technician and sequence.")
    unassigned: list[UnassignedJob] = Field(description="Jobs left out, with reasons.")


def _stops(setup: planning.Setup, result: RoutingResult, buffer: timedelta) -> list[PlannedStop]:
    stops = []
    for route in result.routes:
        sequence = 0
        for stop in route.stops:
            if stop.kind in ("start", "end"):
                continue
            sequence += 1
            eta = setup.at(stop.start)
            stops.append(PlannedStop(
                technician_id=route.technician_id, technician_name=setup.names.get(route.technician_id),
                sequence=sequence, kind=stop.kind, job_id=stop.id if stop.kind == "job" else None,
                job_source_id=setup.source_ids.get(stop.id) if stop.kind == "job" else None,
                customer_name=setup.customers.get(stop.id) if stop.kind == "job" else None,
                eta=eta, eta_window_start=eta - buffer, eta_window_end=eta + buffer, end=setup.at(stop.end),
                travel_minutes=round(stop.travel_time / 60),
            ))
    return stops


def _output(setup: planning.Setup, result: RoutingResult, data: OptimizeRouteInput, window: tuple[datetime, datetime],
            plan_id: str) -> OptimizeRouteOutput:
    left = planning.unassigned(setup, result)
    priorities = {j.id: j.priority.name for j in setup.problem.jobs}
    stops = _stops(setup, result, timedelta(minutes=data.eta_buffer_minutes))
    return OptimizeRouteOutput(
        plan_id=plan_id, window_start=window[0], window_end=window[1], feasible=result.feasible,
        technicians_used=sum(1 for r in result.routes if r.job_ids()),
        jobs_planned=sum(1 for s in stops if s.kind == "job"), jobs_unassigned=len(left),
        p1_unassigned=sum(1 for job_id in left if priorities.get(job_id) == "P1"),
        total_travel_minutes=round(sum(r.travel_time for r in result.routes) / 60),
        total_distance_km=round(sum(r.distance for r in result.routes) / 1000, 1),
        overtime_minutes=round(sum(r.overtime for r in result.routes) / 60),
        stops=stops,
        unassigned=[UnassignedJob(job_id=j, job_source_id=setup.source_ids.get(j), reasons=", ".join(r))
                    for j, r in sorted(left.items())],
    )


def run(ctx: Context, data: OptimizeRouteInput) -> OptimizeRouteOutput:
    """Plans the day: every technician's route with ETAs, and the jobs left out with reasons.

    Args:
        ctx: The call's context.
        data: The validated input.

    Returns:
        The plan; it is also stored and announced as a route.optimized event.

    Raises:
        InputError: Nothing to plan, or too much.
    """
    day = data.day or ctx.clock().astimezone(ZoneInfo(ctx.timezone)).date()
    window = planning.day_window(day, ctx.timezone)
    techs = ctx.store.planning_technicians(data.technician_ids)
    if not techs:
        raise InputError("technician_ids", "No technicians to plan: none match, or none are active.")
    jobs = [j for j in ctx.store.planning_jobs(data.job_ids, *window) if j.status not in ("completed", "cancelled")]
    if len(jobs) > MAX_JOBS:
        raise InputError("job_ids", f"{len(jobs)} jobs is more than one plan takes ({MAX_JOBS}); split the day.")
    setup = planning.build(techs, jobs, day=day, timezone=ctx.timezone, shift=planning.Shift(
        data.shift_start, data.shift_end, data.max_overtime_minutes, data.lunch_break))
    ctx.progress({"stage": "solving", "jobs": len(jobs), "technicians": len(techs)})
    result = solve_routes(setup.problem, SolveParams(time_limit=data.time_limit_seconds, seed=data.seed))
    plan_id = uuid.uuid4().hex
    output = _output(setup, result, data, window, plan_id)
    ctx.progress({"stage": "done", "objective": result.objective, "final": True})
    _keep(ctx, output)
    return output


def _keep(ctx: Context, output: OptimizeRouteOutput) -> None:
    summary = output.model_dump(mode="json", exclude={"stops", "unassigned"})
    ctx.store.save_plan(StoredPlan(
        id=output.plan_id, created_at=ctx.clock(), window_start=output.window_start, window_end=output.window_end,
        routes=[s.model_dump(mode="json") for s in output.stops],
        unassigned=[u.model_dump(mode="json") for u in output.unassigned], kpis=summary,
    ), ctx.run_id)
    plan = {**summary, "run_id": ctx.run_id, "planned_at": ctx.clock().astimezone(UTC).isoformat(), "changes": 0}
    ctx.events.emit(CanonicalEvent(
        event_id=f"route.optimized:{output.plan_id}", type=EventType.ROUTE_OPTIMIZED, occurred_at=ctx.clock(),
        source="backbone", source_id=output.plan_id, subject_id=output.plan_id, data={"plan": plan},
    ))


SAMPLE = OptimizeRouteOutput(
    plan_id="9f8e7d6c5b4a39281706f5e4d3c2b1a0",
    window_start=datetime(2026, 11, 24, 6, 0, tzinfo=UTC),
    window_end=datetime(2026, 11, 25, 6, 0, tzinfo=UTC),
    feasible=True,
    technicians_used=1,
    jobs_planned=1,
    jobs_unassigned=1,
    p1_unassigned=0,
    total_travel_minutes=38,
    total_distance_km=24.6,
    overtime_minutes=0,
    stops=[
        PlannedStop(
            technician_id="f0e1d2c3b4a5968778695a4b3c2d1e0f", technician_name="Marcus Reyes", sequence=1, kind="job",
            job_id="0d3c5e7f9a1b4c6d8e0f2a4b6c8d0e1f", job_source_id="J-10482", customer_name="Dana Whitfield",
            eta=datetime(2026, 11, 24, 15, 10, tzinfo=UTC), eta_window_start=datetime(2026, 11, 24, 14, 40, tzinfo=UTC),
            eta_window_end=datetime(2026, 11, 24, 15, 40, tzinfo=UTC), end=datetime(2026, 11, 24, 16, 40, tzinfo=UTC),
            travel_minutes=19,
        )
    ],
    unassigned=[UnassignedJob(job_id="7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d", job_source_id="J-10488",
                              reasons="missing_skill:backflow")],
)

ACTION = ActionSpec(
    key="optimize_route",
    noun="Route Plan",
    label="Optimize Routes",
    help_text=(
        "Plans a day for your technicians: who goes where, in which order, with ETAs, respecting skills, "
        "appointment windows, priorities and breaks; lists jobs left out and why."
    ),
    input=OptimizeRouteInput,
    output=OptimizeRouteOutput,
    sample=SAMPLE,
    weight=Weight.HEAVY,
    run=run,
    queue="solver",
)
