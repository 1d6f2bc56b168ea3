"""`solve_routes(problem, params) -> RoutingResult`: plan every technician's day on OR-Tools routing.

The steps: validate (nothing invalid reaches OR-Tools); analyse who could serve each job and why
not (`solver.reasons`); build the model as data (`solver._model`); search it, with several workers
if asked (`solver._search`); turn the answer into routes (`solver._extract`); and pass the result
through the independent checker (`solver.check`), which decides `feasible` together with the rule
that every P1 somebody could serve is served.

Done and in-progress jobs are facts: they appear first on their technician's route with their
actual times and are never unassigned; the open part of the day starts where the last one ends.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from solver._extract import build_routes, objective
from solver._model import NODE_DEPOT, build_spec
from solver._ortools import Progress
from solver._search import run, search_configs
from solver.check import check
from solver.models import JobStatus, Priority, RoutingResult, SolveStats, Unassigned
from solver.params import SolveParams
from solver.reasons import CAPACITY, Analysis
from solver.validate import validate

if TYPE_CHECKING:
    from solver._model import Spec
    from solver._ortools import RawSolution
    from solver.models import Problem, Route

logger = logging.getLogger(__name__)

ProgressCallback = Callable[[Progress], None]

MIN_SEARCH_SECONDS = 0.05


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
    spec = build_spec(problem, analysis)
    built = time.perf_counter()
    raw: RawSolution | None = None
    status, label = "nothing_to_plan", ""
    if spec.vehicles and any(n.kind != NODE_DEPOT for n in spec.nodes):
        limit = max(MIN_SEARCH_SECONDS, params.time_limit - (built - started))
        configs = search_configs(params, spec, limit)
        raw = run(spec, configs, on_progress)
        status, label = (raw.status, raw.label) if raw is not None else ("no_solution", configs[0].label)
    routes = build_routes(problem, analysis, spec, raw)
    stats = SolveStats(wall_seconds=0.0, status=status, solutions=raw.solutions if raw else 0, strategy=label,
                       extra=_extra(spec, raw, built - started, params.workers))
    result = RoutingResult(routes=routes, unassigned=_unassigned(problem, analysis, routes),
                           objective=objective(problem, routes), feasible=False, stats=stats)
    return _finish(problem, result, started)


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
