"""Plan the synthetic field-service day, check it, and time `rank_technicians` on new jobs."""

from __future__ import annotations

import dataclasses
import math
import statistics
import time
from collections import Counter
from typing import TYPE_CHECKING

from solver.check import check
from solver.dispatch import rank_technicians
from solver.matrix import matrix_from_coordinates
from solver.models import Priority, Problem, TravelMatrix
from solver.params import SolveParams
from solver.routing import solve_routes

if TYPE_CHECKING:
    from collections.abc import Sequence

    from bench.field_day import Day
    from solver.models import Job, RoutingResult, Technician

def build(day: Day) -> tuple[Problem, Problem]:
    """The plan's problem (without the probes' locations) and the same with them."""
    full = matrix_from_coordinates(list(day.points))
    n = day.plan_locations
    plan_matrix = TravelMatrix(durations=tuple(r[:n] for r in full.durations[:n]),
                               distances=tuple(r[:n] for r in full.distances[:n]))
    problem = Problem(technicians=day.technicians, jobs=day.jobs, matrix=plan_matrix, depots=day.depots)
    return problem, dataclasses.replace(problem, matrix=full)


def serviceable(problem: Problem, job: Job) -> bool:
    """Whether some technician could do the job alone on an empty day (skills, parts pickup, windows, shift).

    Breaks are ignored: a 30-minute lunch fits around any single job.
    """
    return any(_fits_alone(problem, tech, job) for tech in problem.technicians if job.skills <= tech.skills)


def _fits_alone(problem: Problem, tech: Technician, job: Job) -> bool:
    d = problem.matrix.durations
    stock = tech.stock()
    needs_pickup = any(stock.get(p.sku, 0) < p.quantity for p in job.parts)
    legs = [(d[tech.start][dep.location] + dep.pickup_duration, dep.location) for dep in problem.depots] \
        if needs_pickup else [(0, tech.start)]
    for lead, here in legs:
        arrival = tech.shift_start + lead + d[here][job.location]
        starts = [max(arrival, w.start) for w in job.windows if max(arrival, w.start) <= w.latest_start]
        if job.windows and not starts:
            continue
        start = min(starts) if starts else arrival
        if start + job.service + d[job.location][tech.end] <= tech.shift_end + tech.max_overtime:
            return True
    return False


def plan_report(problem: Problem, result: RoutingResult, wall_s: float) -> dict[str, object]:
    """What the plan achieved: checker verdict, jobs served by priority, drive time, overtime."""
    served = {job_id for r in result.routes for job_id in r.job_ids()}
    errors = check(problem, result)
    by_priority = {}
    for p in Priority:
        jobs = [j for j in problem.jobs if j.priority == p]
        by_priority[p.name] = {"served": sum(j.id in served for j in jobs), "total": len(jobs)}
    p1 = [j for j in problem.jobs if j.priority == Priority.P1 and serviceable(problem, j)]
    reasons = Counter(reason.split(":")[0] for u in result.unassigned for reason in u.reasons[:1])
    return {
        "wall_s": round(wall_s, 2), "feasible": result.feasible, "status": result.stats.status,
        "check": {"errors": len(errors), "first": errors[:5]},
        "served_by_priority": by_priority,
        "serviceable_p1": {"served": sum(j.id in served for j in p1), "total": len(p1)},
        "technicians_used": sum(1 for r in result.routes if r.job_ids()),
        "drive_time_h": round(sum(r.travel_time for r in result.routes) / 3600, 1),
        "distance_km": round(sum(r.distance for r in result.routes) / 1000, 1),
        "overtime_min": round(sum(r.overtime for r in result.routes) / 60, 1),
        "unassigned_reasons": dict(reasons.most_common()),
    }


def rank_latency(problem: Problem, result: RoutingResult | None, probes: Sequence[Job]) -> dict[str, object]:
    """`rank_technicians` timed on each new job against the plan (p50/p95/max in milliseconds)."""
    routes = list(result.routes) if result is not None else []
    times, placed = [], 0
    for job in probes:
        start = time.perf_counter()
        candidates = rank_technicians(problem, routes, job)
        times.append(1000 * (time.perf_counter() - start))
        placed += any(c.feasible for c in candidates)
    return {
        "jobs": len(probes), "against": "the plan" if result is not None else "empty days",
        "p50_ms": round(statistics.median(times), 2) if times else None,
        "p95_ms": round(_percentile(times, 95), 2) if times else None,
        "max_ms": round(max(times), 2) if times else None,
        "with_a_feasible_technician": placed,
    }


def _percentile(values: Sequence[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(pct / 100 * len(ordered)) - 1))]  # nearest rank


def run(day: Day, time_limit: float, seed: int, workers: int) -> dict[str, object]:
    """Plan the day, check it, time the ranking; a JSON-ready report."""
    problem, with_probes = build(day)
    p1 = [j for j in day.jobs if j.priority == Priority.P1]
    out: dict[str, object] = {
        "matrix": "solver.matrix.matrix_from_coordinates",
        "locations": len(day.points), "technicians": len(day.technicians), "jobs": len(day.jobs),
        "p1_jobs": len(p1), "serviceable_p1": sum(serviceable(problem, j) for j in p1),
    }
    start = time.perf_counter()
    result = solve_routes(problem, SolveParams(time_limit=time_limit, seed=seed, workers=workers))
    out["plan"] = plan_report(problem, result, time.perf_counter() - start)
    out["rank_technicians"] = rank_latency(with_probes, result, day.probes)
    return out
