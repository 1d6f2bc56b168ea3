"""Action (fast): an emergency interrupts the best technician's day; who else is affected, and when."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field, model_validator

from actions import planning
from actions.dispatch_job import the_day, the_job, the_plan
from actions.errors import InputError
from actions.plan_models import (
    InlineJob,
    PlanChange,
    PlanFigures,
    PlannedStop,
    TechnicianCandidate,
    candidates,
    keep_plan,
    plan_changes,
    plan_figures,
)
from actions.spec import ActionSpec, Weight
from solver.params import SolveParams
from solver.replan import Stability, insert_emergency

if TYPE_CHECKING:
    from actions.context import Context

#: Zapier gives an action 30 s; the search is capped below that, model building included.
MAX_SECONDS = 20


class InsertEmergencyInput(BaseModel):
    """The emergency and the plan it interrupts."""

    model_config = ConfigDict(extra="forbid")

    job_id: str | None = Field(None, max_length=64, description="A synced job (or give the job inline).")
    job: InlineJob | None = Field(None, description="The emergency, given here instead of a synced one.")
    day: date | None = Field(None, description="The day, local time (empty: today).")
    plan_id: str | None = Field(None, max_length=32, description="The plan to revise (empty: the day's newest).")
    stability_weight: int = Field(2, ge=0, le=10, description="0 re-plans the rest freely; 10 keeps it hardest.")
    eta_window_minutes: int = Field(30, ge=0, le=240, description="An ETA moved by more than this is reported "
                                    "(and is the half-width of the arrival window told to customers).")
    time_limit_seconds: int = Field(8, ge=1, le=MAX_SECONDS, description="How long to search.")
    seed: int = Field(1, ge=0, le=2**31 - 1, description="Same seed, same input: same plan.")
    max_candidates: int = Field(5, ge=1, le=100, description="How many technicians to list.")

    @model_validator(mode="after")
    def _one_job(self) -> InsertEmergencyInput:
        if (self.job_id is None) == (self.job is None):
            raise ValueError("give either job_id or job")
        return self


class InsertEmergencyOutput(PlanFigures):
    """The revised plan, who took the emergency, and whose ETA moved."""

    job_id: str = Field(description="The emergency.")
    technician_id: str | None = Field(description="Who takes it (empty: nobody can).")
    technician_name: str | None = Field(description="Their name.")
    job_eta: datetime | None = Field(description="When they start it (UTC).")
    customers_to_notify: int = Field(description="Customers whose ETA moved.")
    eta_moved: list[PlanChange] = Field(description="Every customer whose ETA moved, with old and new ETA.")
    changes: list[PlanChange] = Field(description="Every job reassigned, moved, time-shifted, added or unassigned.")
    candidates: list[TechnicianCandidate] = Field(description="Technicians ranked for the emergency.")


def run(ctx: Context, data: InsertEmergencyInput) -> InsertEmergencyOutput:
    """Inserts a P1 job into the day of the technician who can start it soonest; re-plans the rest.

    Stops that have started stay; the rest of the day stays close to the previous plan (by the
    stability weight). The new plan is stored and announced like any other.

    Args:
        ctx: The call's context.
        data: The validated input.

    Returns:
        The new plan, who took the job, and the customers whose ETA moved.

    Raises:
        NotFound: Unknown job or plan.
        InputError: No plan for the day yet, or the job cannot be dispatched.
    """
    job = dataclasses.replace(the_job(ctx, data.job_id, data.job), priority="P1")
    day = data.day or the_day(ctx, None, job)
    window = planning.day_window(day, ctx.timezone)
    plan = the_plan(ctx, data.plan_id, window)
    if plan is None:
        raise InputError("plan_id", f"No plan for {day} yet: run Optimize Routes for the day first.")
    window, day = planning.plan_day(plan, ctx.timezone)
    planned = [r["job_id"] for r in plan.routes if r.get("job_id") and r["job_id"] != job.id]
    techs, jobs = planning.load(ctx, window, technician_ids=None, job_ids=None, also=planned)
    setup = planning.build(techs, [*[j for j in jobs if j.id != job.id], job], day=day, timezone=ctx.timezone,
                           shift=planning.Shift())
    if job.id in setup.skipped:
        raise InputError("job_id", "The job has no map location.")
    emergency = next(j for j in setup.problem.jobs if j.id == job.id)
    previous = planning.previous_result(setup, plan)
    without = dataclasses.replace(setup.problem, jobs=tuple(j for j in setup.problem.jobs if j.id != job.id))
    replan = insert_emergency(
        without, previous, emergency, freeze_at=setup.seconds(ctx.clock()),
        params=SolveParams(time_limit=data.time_limit_seconds, seed=data.seed),
        stability=Stability(weight=data.stability_weight, eta_tolerance=data.eta_window_minutes * 60),
        on_progress=planning.reporter(ctx))
    setup.problem = replan.problem
    result = replan.result
    start = next((s.start for r in result.routes for s in r.stops if s.kind == "job" and s.id == job.id), None)
    if replan.technician_id is not None and start is not None and data.job_id is not None:
        ctx.store.assign_job(job.id, replan.technician_id, setup.at(start))
    moved = plan_changes(setup, replan.eta_moved)
    output = InsertEmergencyOutput(
        **plan_figures(setup, result, window, timedelta(minutes=data.eta_window_minutes), plan.id,
                       len(replan.changes)),
        job_id=job.id, technician_id=replan.technician_id,
        technician_name=setup.names.get(replan.technician_id or ""),
        job_eta=setup.at(start) if start is not None else None, customers_to_notify=len(moved), eta_moved=moved,
        changes=plan_changes(setup, replan.changes), candidates=candidates(setup, replan.candidates,
                                                                            data.max_candidates),
    )
    keep_plan(ctx, output)
    return output


_T = datetime(2026, 11, 24, tzinfo=UTC)
SAMPLE = InsertEmergencyOutput(
    plan_id="1b2c3d4e5f60718293a4b5c6d7e8f901", window_start=_T + timedelta(hours=6),
    window_end=_T + timedelta(hours=30), feasible=True, technicians_used=1, jobs_planned=2, jobs_unassigned=0,
    p1_unassigned=0, total_travel_minutes=41, total_distance_km=27.3, overtime_minutes=0,
    previous_plan_id="9f8e7d6c5b4a39281706f5e4d3c2b1a0", changed_jobs=2,
    stops=[PlannedStop(
        technician_id="f0e1d2c3b4a5968778695a4b3c2d1e0f", technician_name="Marcus Reyes", sequence=2, kind="job",
        job_id="5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b", job_source_id="J-10495", customer_name="Luis Ortega",
        eta=_T + timedelta(hours=16, minutes=5), eta_window_start=_T + timedelta(hours=15, minutes=35),
        eta_window_end=_T + timedelta(hours=16, minutes=35), end=_T + timedelta(hours=17, minutes=5),
        travel_minutes=14)],
    unassigned=[],
    job_id="5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b", technician_id="f0e1d2c3b4a5968778695a4b3c2d1e0f",
    technician_name="Marcus Reyes", job_eta=_T + timedelta(hours=16, minutes=5), customers_to_notify=1,
    eta_moved=[PlanChange(job_id="0d3c5e7f9a1b4c6d8e0f2a4b6c8d0e1f", customer_name="Dana Whitfield",
                          change="time_shifted", old_technician_id="f0e1d2c3b4a5968778695a4b3c2d1e0f",
                          new_technician_id="f0e1d2c3b4a5968778695a4b3c2d1e0f",
                          old_eta=_T + timedelta(hours=16, minutes=10), new_eta=_T + timedelta(hours=17, minutes=20))],
    changes=[],
    candidates=[TechnicianCandidate(
        technician_id="f0e1d2c3b4a5968778695a4b3c2d1e0f", technician_name="Marcus Reyes", feasible=True,
        eta=_T + timedelta(hours=16, minutes=5), extra_drive_minutes=9, delay_minutes=70, after_stop=1, reasons="")],
)

ACTION = ActionSpec(
    key="insert_emergency",
    noun="Emergency",
    label="Insert an Emergency Job",
    help_text=(
        "Puts an emergency (P1) job into the day of the technician who can get there soonest, re-plans the rest "
        "of the day without reshuffling it, and lists every customer whose ETA moved, to notify them."
    ),
    input=InsertEmergencyInput,
    output=InsertEmergencyOutput,
    sample=SAMPLE,
    weight=Weight.FAST,
    run=run,
)
