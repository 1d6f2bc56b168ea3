"""`solve_routes(problem, params) -> RoutingResult`: plan every technician's day on OR-Tools routing.

The steps: validate (nothing invalid reaches OR-Tools); analyse who could serve each job and why
not (`solver.reasons`); split a large day into regions solved one after another (`solver.regions`);
build the model as data (`solver._model`); search it, with several workers if asked
(`solver._search`); turn the answer into routes (`solver._extract`); and pass the result through
the independent checker (`solver.check`), which decides `feasible` together with the rule that
every P1 somebody could serve is served.

Done and in-progress jobs are facts: they appear first on their technician's route with their
actual times and are never unassigned; the open part of the day starts where the last one ends.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from solver import regions
from solver._extract import build_routes, objective
from solver._model import NODE_DEPOT, build_spec
from solver._ortools import Progress
from solver._search import run, search_configs
from solver.check import check
from solver.models import JobStatus, Priority, Route, RoutingResult, SolveStats, Unassigned
from solver.params import SolveParams
from solver.reasons import CAPACITY, Analysis
from solver.validate import validate

if TYPE_CHECKING:
    from solver._model import Spec
    from solver._ortools import RawSolution
    from solver.models import Problem

logger = logging.getLogger(__name__)

ProgressCallback = Callable[[Progress], None]

MIN_SEARCH_SECONDS = 0.05
RESCUE_NODES = 1000  # up to this size a first solution takes well under a second on an idle core
RESCUE_SECONDS = 10.0
FINISH_SHARE = 0.02  # of the time limit, kept for turning the answer into routes and checking them


def _search_seconds(params: SolveParams, started: float) -> float:
    """What is left of the time limit for searching, once the finish is set aside."""
    left = params.time_limit * (1 - FINISH_SHARE) - (time.perf_counter() - started)
    return max(MIN_SEARCH_SECONDS, left)


def solve_routes(problem: Problem, params: SolveParams | None = None, *,
                 on_progress: ProgressCallback | None = None) -> RoutingResult:
    """Plan the routes of a problem.

    Args:
        problem: Technicians, jobs, depots and the travel matrix.
        params: Limits and strategies (defaults: 10 s, one worker).
        on_progress: Called during the search with its progress (solutions so far, best
            objective so far, elapsed seconds): on the first solution, then about every second.

    Returns:
        A route per technician (in `problem.technicians` order), the open jobs left out with their
        reasons, the objective (travel time or distance from the last done/in-progress job on, plus
        overtime cost; no drop penalties), `feasible`, and statistics.

    Raises:
        InvalidProblem: The problem is invalid; every error is listed with its path.
    """
    params = params if params is not None else SolveParams()
    started = time.perf_counter()
    validate(problem)
    analysis = Analysis(problem)
    open_jobs = sum(1 for j in problem.jobs if j.status == JobStatus.OPEN)
    if params.decompose and open_jobs > regions.DECOMPOSE_ABOVE and len(problem.technicians) > 1:
        result = _by_region(problem, analysis, params, on_progress, started)
    else:
        result = _solve(problem, analysis, params, on_progress, started)
    return _finish(problem, result, started)


def _solve(problem: Problem, analysis: Analysis, params: SolveParams, on_progress: ProgressCallback | None,
           started: float) -> RoutingResult:
    """One OR-Tools model for the whole (validated) problem; `feasible` is decided by `_finish`."""
    spec = build_spec(problem, analysis)
    built = time.perf_counter()
    raw: RawSolution | None = None
    status, label = "nothing_to_plan", ""
    if spec.vehicles and any(n.kind != NODE_DEPOT for n in spec.nodes):
        configs = search_configs(params, spec, _search_seconds(params, started))
        raw = run(spec, configs, on_progress)
        if raw is None and len(spec.nodes) <= RESCUE_NODES:
            # Out of time before any solution (a tiny limit, a loaded machine): a first one is cheap here.
            logger.info("solver.routing.rescue", extra={"nodes": len(spec.nodes)})
            raw = run(spec, [replace(configs[0], time_limit=RESCUE_SECONDS, solution_limit=1)], on_progress)
        status, label = (raw.status, raw.label) if raw is not None else ("no_solution", configs[0].label)
    routes = build_routes(problem, analysis, spec, raw)
    stats = SolveStats(wall_seconds=0.0, status=status, solutions=raw.solutions if raw else 0, strategy=label,
                       extra=_extra(spec, raw, built - started, params.workers))
    return RoutingResult(routes=routes, unassigned=_unassigned(problem, analysis, routes),
                         objective=objective(problem, routes), feasible=False, stats=stats)


def _by_region(problem: Problem, analysis: Analysis, params: SolveParams, on_progress: ProgressCallback | None,
               started: float) -> RoutingResult:
    """Solve each region in turn (a share of the time in proportion to its jobs) and merge the routes."""
    parts = regions.split(problem, analysis)
    left_jobs = sum(len(jobs) for _, jobs in parts)
    routes: dict[str, Route] = {}
    unassigned: list[Unassigned] = []
    statuses: list[str] = []
    solutions = 0
    for techs, jobs in parts:
        limit = max(MIN_SEARCH_SECONDS, _search_seconds(params, started) * len(jobs) / max(1, left_jobs))
        left_jobs -= len(jobs)
        sub = replace(problem, technicians=tuple(problem.technicians[v] for v in techs),
                      jobs=tuple(problem.jobs[i] for i in jobs))
        solve = _solve
        if len(jobs) > 2 * regions.REGION_JOBS and 1 < len(techs) < len(problem.technicians):
            solve = _by_region  # a dense region: split it again
        found = solve(sub, Analysis(sub), replace(params, time_limit=limit), on_progress, time.perf_counter())
        routes.update({r.technician_id: r for r in found.routes})
        unassigned += found.unassigned
        statuses.append(found.stats.status)
        solutions += found.stats.solutions
    merged = tuple(routes[t.id] for t in problem.technicians)
    order = {j.id: k for k, j in enumerate(problem.jobs)}
    failed = [s for s in statuses if s not in ("success", "nothing_to_plan", "partial_success")]
    status = failed[0] if failed else "success"
    stats = SolveStats(wall_seconds=0.0, status=status, solutions=solutions, strategy=f"{len(parts)} regions",
                       extra={"regions": float(len(parts)), "workers": float(params.workers)})
    return RoutingResult(routes=merged, unassigned=tuple(sorted(unassigned, key=lambda u: order[u.job_id])),
                         objective=objective(problem, merged), feasible=False, stats=stats)


def _finish(problem: Problem, result: RoutingResult, started: float) -> RoutingResult:
    violations = check(problem, result)
    if violations:
        logger.warning("solver.routing.violations", extra={"count": len(violations), "first": violations[0]})
    p1 = {j.id for j in problem.jobs if j.priority == Priority.P1}
    p1_left = [u for u in result.unassigned if u.job_id in p1 and u.reasons == (CAPACITY,)]
    stats = replace(result.stats, wall_seconds=time.perf_counter() - started,
                    extra={**result.stats.extra, "violations": float(len(violations)),
                           "p1_unserved_for_capacity": float(len(p1_left))})
    return replace(result, feasible=not violations and not p1_left, stats=stats)


def _unassigned(problem: Problem, analysis: Analysis, routes: tuple[Route, ...]) -> tuple[Unassigned, ...]:
    served = {s.id for r in routes for s in r.stops if s.kind == "job"}
    left = []
    for job in problem.jobs:
        if job.status != JobStatus.OPEN or job.id in served:
            continue
        options = analysis.options[job.id]
        left.append(Unassigned(job_id=job.id, reasons=options.reasons or (CAPACITY,)))
    return tuple(left)


def _extra(spec: Spec, raw: RawSolution | None, build_seconds: float, workers: int) -> dict[str, float]:
    extra = {"build_seconds": round(build_seconds, 4), "workers": float(workers), "nodes": float(len(spec.nodes))}
    if raw is not None:
        extra["search_seconds"] = round(raw.search_seconds, 4)
    return extra
