"""Shared by the routing actions: stored jobs and technicians → a solver Problem, and back.

Times in the solver are seconds from `origin` (midnight of the planned day, local), UTC outside.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from actions.errors import InputError
from solver.matrix import matrix_from_coordinates
from solver.models import (
    Break,
    Job,
    JobStatus,
    PartNeed,
    Priority,
    Problem,
    Route,
    RoutingResult,
    SolveStats,
    Stop,
    Technician,
    TimeWindow,
    Unassigned,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from actions.context import Context, PlanningJob, PlanningTechnician, StoredPlan
    from solver import Progress

LUNCH = (time(11, 30), time(13, 30), 30)  # earliest start, latest start, minutes


@dataclass(frozen=True)
class Shift:
    """Local shift hours for stored technicians (inline problems carry their own)."""

    start: time = time(8, 0)
    end: time = time(18, 0)
    max_overtime_minutes: int = 60
    lunch: bool = True


@dataclass
class Setup:
    """A built problem and the maps back from solver indices to Backbone ids and times."""

    problem: Problem
    origin: datetime
    names: dict[str, str] = field(default_factory=dict)
    customers: dict[str, str | None] = field(default_factory=dict)
    source_ids: dict[str, str | None] = field(default_factory=dict)
    skipped: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def at(self, seconds: int) -> datetime:
        """A solver time as a UTC datetime."""
        return (self.origin + timedelta(seconds=seconds)).astimezone(UTC)

    def seconds(self, moment: datetime) -> int:
        """A datetime as solver seconds."""
        return int((moment - self.origin).total_seconds())


def day_window(day: date, timezone: str) -> tuple[datetime, datetime]:
    """Local midnight to midnight of `day`, as UTC datetimes.

    Args:
        day: The local day.
        timezone: IANA time zone name.

    Returns:
        Start and end, UTC.
    """
    zone = ZoneInfo(timezone)
    start = datetime.combine(day, time.min, zone)
    return start.astimezone(UTC), datetime.combine(day + timedelta(days=1), time.min, zone).astimezone(UTC)


def plan_day(plan: StoredPlan, timezone: str) -> tuple[tuple[datetime, datetime], date]:
    """A stored plan's window (UTC) and its local day."""
    return (plan.window_start, plan.window_end), plan.window_start.astimezone(ZoneInfo(timezone)).date()


def _local_seconds(origin: datetime, day: date, moment: time, zone: ZoneInfo) -> int:
    return int((datetime.combine(day, moment, zone) - origin).total_seconds())


def _technician(tech: PlanningTechnician, index: int, shift: Shift, day: date, origin: datetime,
                zone: ZoneInfo) -> Technician:
    start = _local_seconds(origin, day, shift.start, zone)
    end = _local_seconds(origin, day, shift.end, zone)
    breaks: tuple[Break, ...] = ()
    if shift.lunch:
        lo, hi, minutes = LUNCH
        breaks = (Break(id="lunch", earliest_start=_local_seconds(origin, day, lo, zone),
                        latest_start=_local_seconds(origin, day, hi, zone), duration=minutes * 60),)
    return Technician(id=tech.id, start=index, end=index, shift_start=start, shift_end=end,
                      max_overtime=shift.max_overtime_minutes * 60, skills=frozenset(tech.skills),
                      breaks=breaks, truck_stock=tech.truck_stock)


FACTS = {"arrived": JobStatus.IN_PROGRESS, "completed": JobStatus.DONE}


def _job(job: PlanningJob, index: int, setup: Setup) -> Job:
    windows: tuple[TimeWindow, ...] = ()
    status = FACTS.get(job.status, JobStatus.OPEN)
    if job.window_start and job.window_end and status == JobStatus.OPEN:
        windows = (TimeWindow(start=setup.seconds(job.window_start), latest_start=setup.seconds(job.window_end)),)
    return Job(
        id=job.id, location=index, service=job.duration_minutes * 60, windows=windows,
        skills=frozenset(job.skills), priority=Priority[job.priority] if job.priority in Priority.__members__
        else Priority.P3, parts=tuple(PartNeed(sku, qty) for sku, qty in job.parts), status=status,
        technician_id=job.technician_id if status != JobStatus.OPEN else None,
        actual_start=setup.seconds(job.started_at) if status != JobStatus.OPEN and job.started_at else None,
    )


def _plannable(job: PlanningJob, techs: set[str]) -> bool:
    """Open jobs, and done or in-progress ones whose technician and start are known (they are facts)."""
    if job.status == "cancelled":
        return False
    if job.status in FACTS:
        return job.technician_id in techs and job.started_at is not None
    return True


def build(techs: list[PlanningTechnician], jobs: list[PlanningJob], *, day: date, timezone: str,
          shift: Shift) -> Setup:
    """The solver problem for one local day.

    Args:
        techs: Technicians to plan.
        jobs: Jobs to plan (open or in progress).
        day: The local day.
        timezone: The tenant's time zone.
        shift: Local shift hours and lunch.

    Returns:
        The problem with its maps; jobs that cannot be planned at all (no location) in `skipped`.
    """
    zone = ZoneInfo(timezone)
    origin = datetime.combine(day, time.min, zone)
    jobs = [j for j in jobs if _plannable(j, {t.id for t in techs})]
    located = [j for j in jobs if j.location is not None]
    centre = _centre([j.location for j in located if j.location] + [t.home for t in techs if t.home])
    points = [t.home or centre for t in techs] + [j.location for j in located if j.location]
    setup = Setup(problem=Problem(technicians=(), jobs=(), matrix=matrix_from_coordinates(points)), origin=origin)
    setup.skipped = {j.id: ("no_location",) for j in jobs if j.location is None}
    technicians = tuple(_technician(t, i, shift, day, origin, zone) for i, t in enumerate(techs))
    planned = tuple(_job(j, len(techs) + i, setup) for i, j in enumerate(located))
    setup.problem = Problem(technicians=technicians, jobs=planned, matrix=setup.problem.matrix)
    setup.names = {t.id: t.name for t in techs}
    setup.customers = {j.id: j.customer_name for j in jobs}
    setup.source_ids = {j.id: j.source_id for j in jobs}
    return setup


def _centre(points: list[tuple[float, float]]) -> tuple[float, float]:
    if not points:
        return (0.0, 0.0)
    return (sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points))


def unassigned(setup: Setup, result: RoutingResult) -> dict[str, tuple[str, ...]]:
    """Every job left out, with reasons: the solver's, plus those never sent to it."""
    found = {u.job_id: u.reasons for u in result.unassigned}
    found.update(setup.skipped)
    return found


def previous_result(setup: Setup, plan: StoredPlan) -> RoutingResult:
    """A stored plan as the solver's result over `setup`'s problem (for freezing and comparing).

    Stops of jobs the problem no longer has are left out; travel figures are not needed and are 0.
    """
    problem = setup.problem
    where = {j.id: j.location for j in problem.jobs}
    by_tech: dict[str, list[dict[str, Any]]] = {}
    for row in plan.routes:
        by_tech.setdefault(row["technician_id"], []).append(row)
    routes = []
    for tech in problem.technicians:
        rows = sorted(by_tech.get(tech.id, []), key=lambda r: r["sequence"])
        stops = [Stop("start", "start", tech.start, tech.shift_start, tech.shift_start, tech.shift_start)]
        for row in rows:
            start, end = setup.seconds(_utc(row["eta"])), setup.seconds(_utc(row["end"]))
            if row["kind"] == "job" and row["job_id"] in where:
                stops.append(Stop("job", row["job_id"], where[row["job_id"]], start, start, end))
            elif row["kind"] == "break":
                taken = next((b.id for b in tech.breaks if b.earliest_start <= start <= b.latest_start), "lunch")
                stops.append(Stop("break", taken, stops[-1].location, start, start, end))
        last = max(stops[-1].end, tech.shift_start)
        stops.append(Stop("end", "end", tech.end, last, last, last))
        routes.append(Route(technician_id=tech.id, stops=tuple(stops), travel_time=0, distance=0))
    left = tuple(Unassigned(job_id=u["job_id"], reasons=tuple(u["reasons"].split(", ")))
                 for u in plan.unassigned if u["job_id"] in where)
    return RoutingResult(routes=tuple(routes), unassigned=left, objective=0, feasible=True,
                         stats=SolveStats(wall_seconds=0.0, status="stored"))


def _utc(value: str) -> datetime:
    return datetime.fromisoformat(value).astimezone(UTC)


def reporter(ctx: Context, stage: str = "solving") -> Callable[[Progress], None]:
    """Reports the search's progress on the run (`GET /api/v1/runs/<id>` shows it)."""
    def report(progress: Progress) -> None:
        ctx.progress({"stage": stage, "solutions": progress.solutions, "best_objective": progress.objective,
                      "search_seconds": progress.elapsed})
    return report


def load(ctx: Context, window: tuple[datetime, datetime], *, technician_ids: list[str] | None,
         job_ids: list[str] | None, inline_technicians: list[PlanningTechnician] | None = None,
         inline_jobs: list[PlanningJob] | None = None, also: list[str] | None = None
         ) -> tuple[list[PlanningTechnician], list[PlanningJob]]:
    """The technicians and jobs to plan: inline ones when given, else from the synced data.

    Args:
        ctx: The call's context.
        window: The planned day (UTC).
        technician_ids: Stored technicians (None: every active one).
        job_ids: Stored jobs (None: every open job booked in the window).
        inline_technicians: Technicians given in the call (they replace the stored ones).
        inline_jobs: Jobs given in the call (they replace the stored ones).
        also: Further stored jobs to read whatever their status (a previous plan's, so that
            finished ones are facts).

    Returns:
        Technicians and jobs, each job once.

    Raises:
        InputError: No technicians.
    """
    techs = inline_technicians if inline_technicians is not None else ctx.store.planning_technicians(technician_ids)
    if not techs:
        field = "technicians" if inline_technicians is not None else "technician_ids"
        raise InputError(field, "No technicians to plan: none match, or none are active.")
    if inline_jobs is not None:
        return techs, inline_jobs
    jobs = ctx.store.planning_jobs(job_ids, *window)
    if job_ids is None:
        jobs = [j for j in jobs if j.status not in ("completed", "cancelled")]
    seen = {j.id for j in jobs}
    extra = [i for i in also or () if i not in seen]
    if extra:
        jobs += [j for j in ctx.store.planning_jobs(extra, *window) if j.id not in seen]
    return techs, jobs
