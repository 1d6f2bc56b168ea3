"""Action (heavy): plan or re-plan a day's routes, from the synced jobs and technicians or inline ones."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, model_validator

from actions import planning
from actions.errors import InputError
from actions.plan_models import (
    InlineJob,
    InlineTechnician,
    PlanChange,
    PlanFigures,
    PlannedStop,
    UnassignedJob,
    keep_plan,
    plan_changes,
    plan_figures,
)
from actions.spec import ActionSpec, Weight
from solver.params import SolveParams
from solver.replan import Stability, reoptimize
from solver.routing import solve_routes

if TYPE_CHECKING:
    from actions.context import Context
    from solver.replan import Change

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
    previous_plan_id: str | None = Field(
        None, max_length=32, description="Re-plan this earlier plan of the day: stops before the freeze time stay, "
        "the rest stays close to it, and the changes are listed."
    )
    freeze_before: datetime | None = Field(
        None, description="With a previous plan: stops starting before this never move (empty: now)."
    )
    stability_weight: int = Field(
        2, ge=0, le=10, description="With a previous plan: 0 re-plans freely, 10 keeps technicians and ETAs hardest."
    )
    technicians: list[InlineTechnician] | None = Field(
        None, max_length=500, description="Technicians given here instead of your synced ones."
    )
    jobs: list[InlineJob] | None = Field(
        None, max_length=MAX_JOBS, description="Jobs given here instead of your synced ones."
    )

    @model_validator(mode="after")
    def _shift_order(self) -> OptimizeRouteInput:
        if self.shift_end <= self.shift_start:
            raise ValueError("shift_end must be after shift_start")
        if self.freeze_before is not None and self.freeze_before.tzinfo is None:
            raise ValueError("freeze_before needs a time zone offset")
        return self


class OptimizeRouteOutput(PlanFigures):
    """The plan."""

    changes: list[PlanChange] = Field(description="With a previous plan: every job reassigned, moved, time-shifted, "
                                      "added or unassigned, with old and new ETA.")


def run(ctx: Context, data: OptimizeRouteInput) -> OptimizeRouteOutput:
    """Plans the day: every technician's route with ETAs, and the jobs left out with reasons.

    With a previous plan, the day is re-planned: its stops before the freeze time stay, the rest
    stays close to it (by the stability weight), and every change is listed.

    Args:
        ctx: The call's context.
        data: The validated input.

    Returns:
        The plan; it is also stored and announced as a route.optimized event.

    Raises:
        InputError: Nothing to plan, or too much, or an unknown previous plan.
    """
    day = data.day or ctx.clock().astimezone(ZoneInfo(ctx.timezone)).date()
    window = planning.day_window(day, ctx.timezone)
    previous = ctx.store.get_plan(data.previous_plan_id) if data.previous_plan_id else None
    if data.previous_plan_id and previous is None:
        raise InputError("previous_plan_id", f"No plan {data.previous_plan_id} in this account.")
    if previous is not None:
        window, day = planning.plan_day(previous, ctx.timezone)
    techs, jobs = planning.load(
        ctx, window, technician_ids=data.technician_ids, job_ids=data.job_ids,
        inline_technicians=[t.planning() for t in data.technicians] if data.technicians is not None else None,
        inline_jobs=[j.planning() for j in data.jobs] if data.jobs is not None else None,
        also=[r["job_id"] for r in previous.routes if r.get("job_id")] if previous else None)
    if len(jobs) > MAX_JOBS:
        raise InputError("job_ids", f"{len(jobs)} jobs is more than one plan takes ({MAX_JOBS}); split the day.")
    setup = planning.build(techs, jobs, day=day, timezone=ctx.timezone, shift=planning.Shift(
        data.shift_start, data.shift_end, data.max_overtime_minutes, data.lunch_break))
    ctx.progress({"stage": "solving", "jobs": len(jobs), "technicians": len(techs)})
    params = SolveParams(time_limit=data.time_limit_seconds, seed=data.seed)
    found: tuple[Change, ...] = ()
    if previous is None:
        result = solve_routes(setup.problem, params, on_progress=planning.reporter(ctx))
    else:
        freeze_at = setup.seconds(data.freeze_before or ctx.clock())
        replan = reoptimize(setup.problem, planning.previous_result(setup, previous), freeze_at=freeze_at,
                            params=params, stability=Stability(weight=data.stability_weight,
                                                               eta_tolerance=data.eta_buffer_minutes * 60),
                            on_progress=planning.reporter(ctx))
        setup.problem, result, found = replan.problem, replan.result, replan.changes
    output = OptimizeRouteOutput(
        **plan_figures(setup, result, window, timedelta(minutes=data.eta_buffer_minutes), data.previous_plan_id,
                       len(found)),
        changes=plan_changes(setup, found))
    ctx.progress({"stage": "done", "objective": result.objective, "final": True})
    keep_plan(ctx, output)
    return output


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
    previous_plan_id=None,
    changed_jobs=0,
    changes=[],
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
