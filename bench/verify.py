"""A second-opinion VRPTW verifier on raw routes, and raw routes as a solver `RoutingResult`.

Independent of `solver.check` on purpose: the benchmark trusts a solution only when both agree.
Routes are lists of customer numbers (matrix locations), depot excluded at both ends.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bench.solomon import SCALE
from solver.models import Route, RoutingResult, SolveStats, Stop, Unassigned

if TYPE_CHECKING:
    from collections.abc import Sequence

    from bench.solomon import Instance, Matrix
    from solver.models import Problem, Technician

RawRoutes = list[list[int]]


@dataclass(frozen=True)
class Verdict:
    """What the verifier found: problems (empty: feasible and complete) and the recomputed totals."""

    errors: tuple[str, ...]
    distance: int
    vehicles: int


def verify(instance: Instance, matrix: Matrix, routes: RawRoutes) -> Verdict:
    """Check every Solomon rule on `routes` (integer data, times scaled by 10) and recompute the distance."""
    errors: list[str] = []
    seen: dict[int, int] = {}
    used = [r for r in routes if r]
    if len(used) > instance.vehicles:
        errors.append(f"{len(used)} routes for {instance.vehicles} vehicles")
    total = 0
    for k, route in enumerate(used):
        for c in route:
            if not 1 <= c <= len(instance.customers):
                errors.append(f"route {k}: unknown customer {c}")
                return Verdict(tuple(errors), 0, len(used))
            if c in seen:
                errors.append(f"customer {c} on routes {seen[c]} and {k}")
            seen[c] = k
        dist, route_errors = _route(instance, matrix, route)
        total += dist
        errors.extend(f"route {k}: {e}" for e in route_errors)
    missing = sorted(set(range(1, len(instance.customers) + 1)) - seen.keys())
    if missing:
        errors.append(f"{len(missing)} customers not served (first: {missing[:5]})")
    return Verdict(tuple(errors), total, len(used))


def _route(instance: Instance, matrix: Matrix, route: Sequence[int]) -> tuple[int, list[str]]:
    nodes = instance.nodes
    errors: list[str] = []
    load = sum(nodes[c].demand for c in route)
    if load > instance.capacity:
        errors.append(f"load {load} > capacity {instance.capacity}")
    t, prev, dist = nodes[0].ready * SCALE, 0, 0
    for c in route:
        dist += matrix[prev][c]
        t = max(t + matrix[prev][c], nodes[c].ready * SCALE)
        if t > nodes[c].due * SCALE:
            errors.append(f"customer {c} starts at {t} after due {nodes[c].due * SCALE}")
        t += nodes[c].service * SCALE
        prev = c
    dist += matrix[prev][0]
    back = t + matrix[prev][0]
    if back > instance.horizon * SCALE:
        errors.append(f"back at {back} after the horizon {instance.horizon * SCALE}")
    return dist, errors


def raw_routes(result: RoutingResult) -> RawRoutes:
    """The job ids of each non-empty route as customer numbers (ids are customer numbers)."""
    return [[int(j) for j in r.job_ids()] for r in result.routes if r.job_ids()]


def to_result(problem: Problem, routes: RawRoutes, wall_seconds: float, status: str) -> RoutingResult:
    """Raw routes as a `RoutingResult` with earliest-start times, so `solver.check` can judge them.

    Route k goes to technician k; customers in no route (or on a route beyond the fleet) are
    unassigned ("not_routed").
    """
    used = [r for r in routes if r][: len(problem.technicians)]
    out = tuple(_timed_route(problem, tech, route) for tech, route in zip(problem.technicians, used, strict=False))
    routed = {c for r in used for c in r}
    unassigned = tuple(Unassigned(j.id, ("not_routed",)) for j in problem.jobs if j.location not in routed)
    return RoutingResult(routes=out, unassigned=unassigned, objective=sum(r.distance for r in out),
                         feasible=not unassigned, stats=SolveStats(wall_seconds=wall_seconds, status=status))


def _timed_route(problem: Problem, tech: Technician, route: Sequence[int]) -> Route:
    jobs = {j.location: j for j in problem.jobs}
    durations, distances = problem.matrix.durations, problem.matrix.distances
    t, prev = tech.shift_start, tech.start
    stops = [Stop(kind="start", id="start", location=prev, arrival=t, start=t, end=t)]
    for loc in route:
        job = jobs[loc]
        arrival = t + durations[prev][loc]
        start = max(arrival, job.windows[0].start) if job.windows else arrival
        t = start + job.service
        stops.append(Stop("job", job.id, loc, arrival, start, t, durations[prev][loc], distances[prev][loc]))
        prev = loc
    back = t + durations[prev][tech.end]
    stops.append(Stop("end", "end", tech.end, back, back, back, durations[prev][tech.end], distances[prev][tech.end]))
    return Route(tech.id, tuple(stops), travel_time=sum(s.travel_time for s in stops),
                 distance=sum(s.distance for s in stops))
