"""Action (fast): who should take one job, best first, and optionally give it to the best."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, model_validator

from actions import planning
from actions.errors import InputError, NotFound
from actions.plan_models import InlineJob, TechnicianCandidate, candidates
from actions.spec import ActionSpec, Weight
from solver.dispatch import rank_technicians

if TYPE_CHECKING:
    from actions.context import Context, PlanningJob, StoredPlan


class DispatchJobInput(BaseModel):
    """The job to place, and against which plan."""

    model_config = ConfigDict(extra="forbid")

    job_id: str | None = Field(None, max_length=64, description="A synced job (or give the job inline).")
    job: InlineJob | None = Field(None, description="The job, given here instead of a synced one.")
    day: date | None = Field(None, description="The day, local time (empty: the job's booked day, or today).")
    plan_id: str | None = Field(
        None, max_length=32, description="The plan to insert into (empty: the newest plan of the day, if any; "
        "without one, everyone's day is empty)."
    )
    technician_ids: list[str] | None = Field(None, max_length=500, description="Only these technicians.")
    assign: bool = Field(False, description="Give the job to the best technician (synced jobs only).")
    max_candidates: int = Field(5, ge=1, le=100, description="How many technicians to list.")

    @model_validator(mode="after")
    def _one_job(self) -> DispatchJobInput:
        if (self.job_id is None) == (self.job is None):
            raise ValueError("give either job_id or job")
        if self.assign and self.job is not None:
            raise ValueError("assign works for synced jobs (job_id) only")
        return self


class DispatchJobOutput(BaseModel):
    """The ranking."""

    job_id: str = Field(description="The job.")
    plan_id: str | None = Field(description="The plan the job was fitted into (empty: empty days).")
    best_technician_id: str | None = Field(description="Who should take it (empty: nobody can).")
    best_technician_name: str | None = Field(description="Their name.")
    best_eta: datetime | None = Field(description="When they would start it (UTC).")
    assigned: bool = Field(description="Whether the job was given to them.")
    feasible_technicians: int = Field(description="How many technicians could take it.")
    candidates: list[TechnicianCandidate] = Field(description="Technicians best first, then those ruled out.")


def the_job(ctx: Context, job_id: str | None, inline: InlineJob | None) -> PlanningJob:
    """The job to place: inline, or a synced one that can still be dispatched.

    Raises:
        NotFound: No such synced job.
        InputError: It is finished, or has no map location.
    """
    if inline is not None:
        return inline.planning()
    today = planning.day_window(ctx.clock().date(), "UTC")  # ignored when ids are given
    found = ctx.store.planning_jobs([job_id or ""], *today)
    if not found:
        raise NotFound("job_id", f"No job {job_id} in this account.")
    job = found[0]
    if job.status in ("completed", "cancelled"):
        raise InputError("job_id", f"The job is {job.status}; there is nothing to dispatch.")
    if job.location is None:
        raise InputError("job_id", "The job's customer has no map location; add the address's coordinates.")
    return job


def the_day(ctx: Context, day: date | None, job: PlanningJob) -> date:
    """The local day to plan: the one asked for, else the job's booked day, else today."""
    if day is not None:
        return day
    zone = ZoneInfo(ctx.timezone)
    return (job.window_start or ctx.clock()).astimezone(zone).date()


def the_plan(ctx: Context, plan_id: str | None, window: tuple[datetime, datetime]) -> StoredPlan | None:
    """The plan asked for, else the newest plan of the day (None: there is none).

    Raises:
        NotFound: No such plan.
    """
    if plan_id is None:
        return ctx.store.latest_plan(window[0])
    plan = ctx.store.get_plan(plan_id)
    if plan is None:
        raise NotFound("plan_id", f"No plan {plan_id} in this account.")
    return plan


def run(ctx: Context, data: DispatchJobInput) -> DispatchJobOutput:
    """Ranks every technician for the job by the cheapest insertion into their planned day.

    Args:
        ctx: The call's context.
        data: The validated input.

    Returns:
        The candidates, best first, with ETA, extra driving and delay; the others with reasons.

    Raises:
        NotFound: Unknown job or plan.
        InputError: The job cannot be dispatched (finished, no location), or no technicians.
    """
    job = the_job(ctx, data.job_id, data.job)
    day = the_day(ctx, data.day, job)
    window = planning.day_window(day, ctx.timezone)
    plan = the_plan(ctx, data.plan_id, window)
    if plan is not None:
        window, day = planning.plan_day(plan, ctx.timezone)
    planned = [r["job_id"] for r in plan.routes if r.get("job_id") and r["job_id"] != job.id] if plan else []
    techs, jobs = planning.load(ctx, window, technician_ids=data.technician_ids, job_ids=planned)
    setup = planning.build(techs, [*[j for j in jobs if j.id != job.id], job], day=day, timezone=ctx.timezone,
                           shift=planning.Shift())
    routes = list(planning.previous_result(setup, plan).routes) if plan else []
    new = next(j for j in setup.problem.jobs if j.id == job.id)
    ranked = rank_technicians(setup.problem, routes, new, now=setup.seconds(ctx.clock()))
    best = next((c for c in ranked if c.feasible), None)
    assigned = False
    if data.assign and best is not None:
        assigned = ctx.store.assign_job(job.id, best.technician_id, setup.at(best.eta))
    return DispatchJobOutput(
        job_id=job.id, plan_id=plan.id if plan else None,
        best_technician_id=best.technician_id if best else None,
        best_technician_name=setup.names.get(best.technician_id) if best else None,
        best_eta=setup.at(best.eta) if best else None, assigned=assigned,
        feasible_technicians=sum(1 for c in ranked if c.feasible),
        candidates=candidates(setup, ranked, data.max_candidates),
    )


SAMPLE = DispatchJobOutput(
    job_id="0d3c5e7f9a1b4c6d8e0f2a4b6c8d0e1f", plan_id="9f8e7d6c5b4a39281706f5e4d3c2b1a0",
    best_technician_id="f0e1d2c3b4a5968778695a4b3c2d1e0f", best_technician_name="Marcus Reyes",
    best_eta=datetime(2026, 11, 24, 17, 5, tzinfo=UTC), assigned=False, feasible_technicians=1,
    candidates=[
        TechnicianCandidate(technician_id="f0e1d2c3b4a5968778695a4b3c2d1e0f", technician_name="Marcus Reyes",
                            feasible=True, eta=datetime(2026, 11, 24, 17, 5, tzinfo=UTC), extra_drive_minutes=12,
                            delay_minutes=0, after_stop=3, reasons=""),
        TechnicianCandidate(technician_id="1a2b3c4d5e6f708192a3b4c5d6e7f809", technician_name="Priya Shah",
                            feasible=False, eta=None, extra_drive_minutes=None, delay_minutes=None, after_stop=None,
                            reasons="missing_skill:gas"),
    ],
)

ACTION = ActionSpec(
    key="dispatch_job",
    noun="Dispatch",
    label="Find the Best Technician",
    help_text=(
        "Ranks your technicians for one job by where it fits their planned day best (least extra driving, "
        "no late arrivals), with the ETA each would give and why the others can't take it; can assign the best."
    ),
    input=DispatchJobInput,
    output=DispatchJobOutput,
    sample=SAMPLE,
    weight=Weight.FAST,
    run=run,
)
