"""Shared by the routing actions: stored jobs and technicians → a solver Problem, and back.

Times in the solver are seconds from `origin` (midnight of the planned day, local), UTC outside.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from solver.matrix import matrix_from_coordinates
from solver.models import Break, Job, JobStatus, PartNeed, Priority, Problem, Technician, TimeWindow

if TYPE_CHECKING:
    from actions.context import PlanningJob, PlanningTechnician
    from solver.models import RoutingResult

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


def _job(job: PlanningJob, index: int, setup: Setup) -> Job:
    windows: tuple[TimeWindow, ...] = ()
    if job.window_start and job.window_end and job.status not in ("arrived",):
        windows = (TimeWindow(start=setup.seconds(job.window_start), latest_start=setup.seconds(job.window_end)),)
    status = JobStatus.IN_PROGRESS if job.status == "arrived" else JobStatus.OPEN
    return Job(
        id=job.id, location=index, service=job.duration_minutes * 60, windows=windows,
        skills=frozenset(job.skills), priority=Priority[job.priority] if job.priority in Priority.__members__
        else Priority.P3, parts=tuple(PartNeed(sku, qty) for sku, qty in job.parts), status=status,
        technician_id=job.technician_id if status == JobStatus.IN_PROGRESS else None,
        actual_start=setup.seconds(job.started_at) if status == JobStatus.IN_PROGRESS and job.started_at else None,
    )


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
