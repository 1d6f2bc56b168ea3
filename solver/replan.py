"""Re-planning a day under way: freeze the past, keep the plan stable, say what changed.

`reoptimize` (after a job overran, a technician went home, a job was cancelled) and
`insert_emergency` (a P1 job interrupts the best technician's day) share three steps:

1. `freeze`: every stop of the previous plan that starts before the freeze time becomes a fact
   (done, or in progress if it is still running), breaks already taken are dropped, parts
   picked up for later jobs are on the truck, parts used by frozen jobs are off it;
2. stability: every other planned job prefers its previous technician (`Problem.reassign_cost`)
   and its previous start (`Problem.shift_cost` per second beyond `eta_tolerance`), so one new
   job does not reshuffle the day;
3. `changes`: the difference between the two plans, job by job (reassigned, moved in the order,
   time-shifted, added, unassigned), and the customers whose ETA moved, to notify them.

What the caller says about jobs wins over the previous plan: a job the problem marks done or in
progress keeps its own facts (that is how an overrun is reported: the job in progress with its
actual start and its new, longer service).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING

from solver.dispatch import Candidate, rank_technicians
from solver.exceptions import InvalidProblem
from solver.models import Job, JobStatus, Priority, Problem, RoutingResult, Technician, TimeWindow
from solver.routing import ProgressCallback, solve_routes

if TYPE_CHECKING:
    from solver.params import SolveParams

REASSIGNED = "reassigned"
MOVED = "moved"
TIME_SHIFTED = "time_shifted"
ADDED = "added"
UNASSIGNED = "unassigned"


@dataclass(frozen=True)
class Stability:
    """How much a re-plan may disturb the previous one.

    Attributes:
        weight: 0 (re-plan freely) to 10. Each unit costs a reassigned job 15 minutes of driving
            and a start moved beyond the tolerance one second of driving per second.
        eta_tolerance: Seconds a start may move for free; a larger move is reported in `eta_moved`.
    """

    weight: int = 2
    eta_tolerance: int = 1800

    REASSIGN_SECONDS = 900

    def __post_init__(self) -> None:
        if not 0 <= self.weight <= 10:
            raise ValueError("stability weight must be 0 to 10")
        if not 0 <= self.eta_tolerance <= 86_400:
            raise ValueError("eta_tolerance must be 0 to 86400 seconds")


@dataclass(frozen=True)
class Change:
    """One job's difference between the previous plan and the new one.

    Attributes:
        job_id: The job.
        kind: "reassigned", "moved" (same technician, another place in the order), "time_shifted"
            (same technician and order, start moved beyond the tolerance), "added" or "unassigned".
        old_technician: Who had it (None: nobody).
        new_technician: Who has it now (None: nobody).
        old_start: Its previous ETA (service start).
        new_start: Its new ETA.
    """

    job_id: str
    kind: str
    old_technician: str | None
    new_technician: str | None
    old_start: int | None
    new_start: int | None


@dataclass(frozen=True)
class Replan:
    """A re-plan and what it changed.

    Attributes:
        result: The new plan (frozen stops appear as done or in-progress facts).
        problem: The problem as solved (frozen, with the stability preferences): check against it.
        changes: Every changed job, in job order of the problem.
        eta_moved: The planned jobs whose ETA moved by more than the tolerance, or that lost it.
        technician_id: For an emergency: who takes it (None: nobody can).
        candidates: For an emergency: every technician ranked for it on the previous plan.
    """

    result: RoutingResult
    problem: Problem
    changes: tuple[Change, ...]
    eta_moved: tuple[Change, ...]
    technician_id: str | None = None
    candidates: tuple[Candidate, ...] = ()


def freeze(problem: Problem, previous: RoutingResult, at: int, stability: Stability | None = None) -> Problem:
    """The problem with the previous plan's past fixed and its future preferred.

    Args:
        problem: Today's problem (its done and in-progress jobs are kept as they are).
        previous: The plan being revised.
        at: Freeze time: stops of `previous` starting before it never move.
        stability: Preferences for the rest (None: no preferences).

    Returns:
        A new problem: frozen open jobs become done (or in progress when running at `at`), taken
        breaks are dropped, truck stock reflects frozen jobs and pickups, and the other planned
        jobs carry `preferred_technician` and `planned_start`.
    """
    jobs = {j.id: j for j in problem.jobs}
    techs = {t.id: t for t in problem.technicians}
    running = {j.technician_id for j in problem.jobs if j.status == JobStatus.IN_PROGRESS}
    frozen: dict[str, Job] = {}
    preferred: dict[str, tuple[str, int]] = {}
    taken: dict[str, set[str]] = {}
    stock: dict[str, dict[str, int]] = {t.id: t.stock() for t in problem.technicians}
    for route in previous.routes:
        if route.technician_id not in techs:
            continue
        tech_id = route.technician_id
        picked = {s.for_job for s in route.stops if s.kind == "pickup" and s.for_job}
        starts = {s.id: s.start for s in route.stops if s.kind == "job"}
        for stop in route.stops:
            job = jobs.get(stop.id) if stop.kind == "job" else None
            if stop.kind == "break" and stop.start < at:
                taken.setdefault(tech_id, set()).add(stop.id)
            elif stop.kind == "pickup" and stop.start < at and stop.for_job in jobs:
                if starts.get(stop.for_job, at) >= at:  # picked up, not yet used: on the truck now
                    _adjust(stock[tech_id], jobs[stop.for_job], +1)
            elif job is None or job.status != JobStatus.OPEN:
                continue
            elif stop.start < at:
                in_progress = stop.end > at and tech_id not in running
                if in_progress:
                    running.add(tech_id)
                frozen[job.id] = dataclasses.replace(
                    job, status=JobStatus.IN_PROGRESS if in_progress else JobStatus.DONE, technician_id=tech_id,
                    actual_start=stop.start, pinned_to=tech_id, windows=())
                if job.id not in picked:
                    _adjust(stock[tech_id], job, -1)
            else:
                preferred[job.id] = (tech_id, stop.start)
    new_jobs = tuple(frozen.get(j.id) or _prefer(j, preferred.get(j.id), stability) for j in problem.jobs)
    new_techs = tuple(_technician(t, taken.get(t.id, set()), stock[t.id]) for t in problem.technicians)
    weight = stability.weight if stability else 0
    return dataclasses.replace(
        problem, technicians=new_techs, jobs=new_jobs,
        reassign_cost=weight * Stability.REASSIGN_SECONDS * _unit(problem),
        shift_cost=weight, shift_tolerance=stability.eta_tolerance if stability else 0)


def _unit(problem: Problem) -> int:
    """Objective units per second of driving (1 for travel time; metres per second for distance)."""
    if problem.objective == "travel_time":
        return 1
    durations, distances = problem.matrix.durations, problem.matrix.distances
    seconds = sum(sum(row) for row in durations)
    return max(1, round(sum(sum(row) for row in distances) / seconds)) if seconds else 1


def _adjust(stock: dict[str, int], job: Job, sign: int) -> None:
    for part in job.parts:
        stock[part.sku] = max(0, stock.get(part.sku, 0) + sign * part.quantity)


def _prefer(job: Job, previous: tuple[str, int] | None, stability: Stability | None) -> Job:
    if previous is None or stability is None or stability.weight == 0:
        return job
    return dataclasses.replace(job, preferred_technician=job.preferred_technician or previous[0],
                               planned_start=previous[1])


def _technician(tech: Technician, taken: set[str], stock: dict[str, int]) -> Technician:
    return dataclasses.replace(tech, breaks=tuple(b for b in tech.breaks if b.id not in taken),
                               truck_stock=tuple(sorted((sku, qty) for sku, qty in stock.items() if qty > 0)))


def changes(problem: Problem, previous: RoutingResult, new: RoutingResult, tolerance: int = 0
            ) -> tuple[tuple[Change, ...], tuple[Change, ...]]:
    """What changed between two plans of the same day.

    Args:
        problem: The problem (its job order orders the changes).
        previous: The plan before.
        new: The plan after.
        tolerance: A start moved by at most this many seconds is not a change.

    Returns:
        (every change, the changes where a planned ETA moved beyond the tolerance or was lost).
    """
    before, after = _placement(previous), _placement(new)
    order_before, order_after = _orders(previous, after), _orders(new, before)
    found: list[Change] = []
    for job in problem.jobs:
        old, now = before.get(job.id), after.get(job.id)
        if old is None and now is None:
            continue
        change = Change(job.id, "", old[0] if old else None, now[0] if now else None,
                        old[1] if old else None, now[1] if now else None)
        if old is None:
            found.append(dataclasses.replace(change, kind=ADDED))
        elif now is None:
            found.append(dataclasses.replace(change, kind=UNASSIGNED))
        elif old[0] != now[0]:
            found.append(dataclasses.replace(change, kind=REASSIGNED))
        elif order_before[job.id] != order_after[job.id]:
            found.append(dataclasses.replace(change, kind=MOVED))
        elif abs(now[1] - old[1]) > tolerance:
            found.append(dataclasses.replace(change, kind=TIME_SHIFTED))
    moved = tuple(c for c in found if c.old_start is not None and (
        c.new_start is None or abs(c.new_start - c.old_start) > tolerance))
    return tuple(found), moved


def _placement(result: RoutingResult) -> dict[str, tuple[str, int]]:
    return {s.id: (r.technician_id, s.start) for r in result.routes for s in r.stops if s.kind == "job"}


def _orders(result: RoutingResult, other: dict[str, tuple[str, int]]) -> dict[str, int]:
    """Each job's place among its technician's jobs that the other plan also gives that technician."""
    places: dict[str, int] = {}
    for route in result.routes:
        common = [j for j in route.job_ids() if other.get(j, ("", 0))[0] == route.technician_id]
        places.update({j: k for k, j in enumerate(common)})
    return places


def _by(job: Job, earliest: int, eta: int) -> tuple[TimeWindow, ...]:
    """The job's windows cut to [earliest, eta]: the re-plan may serve it sooner, never later."""
    windows = job.windows or (TimeWindow(start=earliest, latest_start=eta),)
    cut = (TimeWindow(start=max(w.start, earliest), latest_start=min(w.latest_start, eta), latest_end=w.latest_end)
           for w in windows)
    return tuple(w for w in cut if w.start <= w.latest_start)


def reoptimize(problem: Problem, previous: RoutingResult, *, freeze_at: int, params: SolveParams | None = None,
               stability: Stability | None = None, on_progress: ProgressCallback | None = None) -> Replan:
    """Re-plan the rest of the day after something changed (an overrun, a cancellation, a sick call).

    Args:
        problem: Today's problem as it is now (overruns as in-progress jobs with their new service).
        previous: The plan being revised.
        freeze_at: Stops of `previous` starting before this never move.
        params: Search limits.
        stability: How much to keep of the previous plan (default weight 2, 30-minute tolerance).
        on_progress: Called with the search's progress.

    Returns:
        The new plan with its changes.
    """
    stability = stability if stability is not None else Stability()
    frozen = freeze(problem, previous, freeze_at, stability)
    result = solve_routes(frozen, params, on_progress=on_progress)
    found, moved = changes(frozen, previous, result, stability.eta_tolerance)
    return Replan(result=result, problem=frozen, changes=found, eta_moved=moved)


def insert_emergency(problem: Problem, previous: RoutingResult, job: Job, *, freeze_at: int,
                     params: SolveParams | None = None, stability: Stability | None = None,
                     on_progress: ProgressCallback | None = None) -> Replan:
    """A P1 job interrupts the best technician's day; the rest of the day is re-planned around it.

    The best technician is the one `rank_technicians` finds soonest on the frozen plan; the job is
    pinned to them, to start no later than that insertion's ETA. When nobody can take it by
    insertion, the whole day is re-planned with the job as an open P1 (the solver serves it
    whenever any feasible plan can).

    Args:
        problem: Today's problem without the new job (its location must be in the matrix).
        previous: The plan being revised.
        job: The emergency (its priority is forced to P1).
        freeze_at: Stops of `previous` starting before this never move; the job starts after it.
        params: Search limits.
        stability: How much to keep of the previous plan.
        on_progress: Called with the search's progress.

    Returns:
        The new plan, its changes, the customers whose ETA moved, who took the job and the ranking.

    Raises:
        InvalidProblem: The job's id is already in the problem.
    """
    if any(j.id == job.id for j in problem.jobs):
        raise InvalidProblem([f"job {job.id!r}: already in the problem; an emergency must be a new job"])
    stability = stability if stability is not None else Stability()
    urgent = dataclasses.replace(job, priority=Priority.P1, status=JobStatus.OPEN)
    frozen = freeze(dataclasses.replace(problem, jobs=(*problem.jobs, urgent)), previous, freeze_at, stability)
    ranked = tuple(rank_technicians(frozen, list(previous.routes), urgent, now=freeze_at, soonest=True))
    best = next((c for c in ranked if c.feasible), None)
    if best is not None:
        pinned = dataclasses.replace(urgent, pinned_to=best.technician_id, windows=_by(urgent, freeze_at, best.eta))
        frozen = dataclasses.replace(frozen, jobs=tuple(pinned if j.id == job.id else j for j in frozen.jobs))
    result = solve_routes(frozen, params, on_progress=on_progress)
    taker = next((r.technician_id for r in result.routes if job.id in r.job_ids()), None)
    if taker is None and best is not None:  # the insertion's estimate did not hold (breaks): let the solver choose
        frozen = dataclasses.replace(frozen, jobs=tuple(
            dataclasses.replace(j, pinned_to=None, windows=urgent.windows) if j.id == job.id else j
            for j in frozen.jobs))
        result = solve_routes(frozen, params, on_progress=on_progress)
        taker = next((r.technician_id for r in result.routes if job.id in r.job_ids()), None)
    found, moved = changes(frozen, previous, result, stability.eta_tolerance)
    return Replan(result=result, problem=frozen, changes=found, eta_moved=moved, technician_id=taker,
                  candidates=ranked)
