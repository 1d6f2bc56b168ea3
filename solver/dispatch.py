"""Who should take one new job: every technician ranked by the cheapest feasible insertion.

Pure Python over the current routes (no OR-Tools): fast enough to answer a dispatcher in
milliseconds. Stops after the insertion point shift later; the insertion is feasible only when
every one of them still starts inside its window and the day still ends within the shift plus
overtime.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from solver.models import JobStatus

if TYPE_CHECKING:
    from solver.models import Job, Problem, Route, Technician, TimeWindow

UNREACHABLE = 10**12


@dataclass(frozen=True)
class Candidate:
    """One technician's best insertion of the job, or why there is none.

    Attributes:
        technician_id: The technician.
        feasible: Whether the job fits the technician's day.
        position: Index in the route's stops after which the job goes (feasible only).
        eta: Service start of the new job (feasible only).
        extra_travel_time: Added driving, seconds.
        extra_distance: Added distance.
        delay: Largest delay pushed onto the technician's later stops, seconds.
        reasons: Why not (e.g. "missing_skill:gas", "parts_unavailable:CAP-45", "no_window_fits").
    """

    technician_id: str
    feasible: bool
    position: int = -1
    eta: int = 0
    extra_travel_time: int = 0
    extra_distance: int = 0
    delay: int = 0
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Visit:
    location: int
    start: int
    end: int
    service: int
    windows: tuple[TimeWindow, ...]


def _earliest(arrival: int, windows: tuple[TimeWindow, ...], service: int) -> int | None:
    """The first start at or after `arrival` that fits one of the windows (any time if none)."""
    if not windows:
        return arrival
    for window in sorted(windows, key=lambda w: w.start):
        start = max(arrival, window.start)
        if start <= window.latest_start and (window.latest_end is None or start + service <= window.latest_end):
            return start
    return None


def _eligibility(tech: Technician, job: Job, used: dict[str, int]) -> tuple[str, ...]:
    reasons = [f"missing_skill:{s}" for s in sorted(job.skills - tech.skills)]
    if job.pinned_to is not None and job.pinned_to != tech.id:
        reasons.append("pinned_to_other_technician")
    stock = tech.stock()
    reasons += [f"parts_unavailable:{p.sku}" for p in job.parts
                if stock.get(p.sku, 0) - used.get(p.sku, 0) < p.quantity]
    return tuple(reasons)


def _first_free(jobs: dict[str, Job], route: Route, now: int | None) -> int:
    """The first stop after which a job may go: not before done or in-progress work, nor the past."""
    first = 0
    for k, stop in enumerate(route.stops[:-1]):
        job = jobs.get(stop.id) if stop.kind == "job" else None
        if (job is not None and job.status != JobStatus.OPEN) or (now is not None and stop.start < now and k):
            first = k
    return first


def _visits(jobs: dict[str, Job], route: Route) -> list[_Visit]:
    visits = []
    for stop in route.stops:
        job = jobs.get(stop.id) if stop.kind == "job" else None
        service = stop.end - stop.start
        # Breaks, pickups and done work keep their own times (their windows are the planned start).
        windows = job.windows if job is not None else ()
        visits.append(_Visit(stop.location, stop.start, stop.end, service, windows))
    return visits


def _try(problem: Problem, tech: Technician, visits: list[_Visit], i: int, job: Job, now: int) -> Candidate | None:
    dur, dist = problem.matrix.durations, problem.matrix.distances
    before, after = visits[i], visits[i + 1]
    eta = _earliest(max(before.end, now) + dur[before.location][job.location], job.windows, job.service)
    if eta is None:
        return None
    clock, here, delay = eta + job.service, job.location, 0
    for later in visits[i + 1:]:
        start = _earliest(clock + dur[here][later.location], later.windows, later.service)
        if start is None:
            return None
        start = max(start, later.start)  # nothing moves earlier than planned
        delay = max(delay, start - later.start)
        clock, here = start + later.service, later.location
    if clock > tech.shift_end + tech.max_overtime:
        return None
    a, b, x = before.location, after.location, job.location
    return Candidate(tech.id, True, i, eta, dur[a][x] + dur[x][b] - dur[a][b], dist[a][x] + dist[x][b] - dist[a][b],
                     delay)


def _best(problem: Problem, jobs: dict[str, Job], tech: Technician, route: Route | None, job: Job, now: int | None,
          soonest: bool) -> Candidate:
    used: dict[str, int] = {}
    picked = {s.for_job for s in route.stops if s.kind == "pickup"} if route else set()
    for job_id in route.job_ids() if route else []:
        planned = jobs.get(job_id)
        if planned is None or planned.status != JobStatus.OPEN or job_id in picked:
            continue  # done work's parts are already off the truck; picked-up parts never were on it
        for part in planned.parts:
            used[part.sku] = used.get(part.sku, 0) + part.quantity
    reasons = _eligibility(tech, job, used)
    if reasons:
        return Candidate(tech.id, False, reasons=reasons)
    visits = _visits(jobs, route) if route and len(route.stops) >= 2 else [
        _Visit(tech.start, tech.shift_start, tech.shift_start, 0, ()),
        _Visit(tech.end, tech.shift_end, tech.shift_end, 0, ()),
    ]
    first = _first_free(jobs, route, now) if route and len(route.stops) >= 2 else 0
    options = [c for i in range(first, len(visits) - 1)
               if (c := _try(problem, tech, visits, i, job, now or 0)) is not None]
    if not options:
        return Candidate(tech.id, False, reasons=("no_window_fits",))
    return min(options, key=_soonest if soonest else _cheapest)


def _cheapest(c: Candidate) -> tuple[int, int, int, str]:
    return (c.extra_travel_time if c.feasible else UNREACHABLE, c.delay, c.eta, c.technician_id)


def _soonest(c: Candidate) -> tuple[int, int, int, str]:
    return (c.eta if c.feasible else UNREACHABLE, c.extra_travel_time, c.delay, c.technician_id)


def rank_technicians(problem: Problem, current_routes: list[Route], job: Job, *, now: int | None = None,
                     soonest: bool = False) -> list[Candidate]:
    """Every technician of the problem, best first, for one new job.

    Args:
        problem: The technicians, the jobs already planned and the travel matrix (the new job's
            location must be in it).
        current_routes: Today's routes (as a RoutingResult's routes; technicians without one
            have an empty day).
        job: The new job.
        now: The current time: the job goes after every stop that has started, and leaves no
            earlier than now. It never goes before done or in-progress work either.
        soonest: Rank by earliest ETA (emergencies) instead of least extra driving.

    Returns:
        Feasible candidates by extra driving (then delay caused, then ETA; with `soonest`: by ETA,
        then extra driving, then delay), then the others with their reasons.
    """
    routes = {r.technician_id: r for r in current_routes}
    jobs = {j.id: j for j in problem.jobs}
    found = [_best(problem, jobs, tech, routes.get(tech.id), job, now, soonest) for tech in problem.technicians]
    return sorted(found, key=lambda c: (not c.feasible, *(_soonest if soonest else _cheapest)(c)))
