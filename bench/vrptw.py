"""The VRPTW benchmark: every instance solved by Backbone and the peers, every solution checked."""

from __future__ import annotations

import dataclasses
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bench import peers, solomon
from bench.instances import set_name
from bench.summary import OURS, Row
from bench.verify import raw_routes, to_result, verify
from solver.check import check
from solver.exceptions import InvalidProblem, SolverError
from solver.params import SolveParams
from solver.routing import solve_routes

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from bench.verify import RawRoutes
    from solver.models import Problem, RoutingResult


logger = logging.getLogger(__name__)

@dataclass(frozen=True)
class Config:
    """What to run: our time limits, which peers, our parallel searches, the seed (ours and PyVRP's)."""

    time_limits: tuple[float, ...] = (5.0,)
    peers: tuple[str, ...] = peers.PEERS
    ours: bool = True
    workers: int = 2
    seed: int = 1

    def __post_init__(self) -> None:
        if unknown := set(self.peers) - set(peers.PEERS):
            raise ValueError(f"unknown peers: {', '.join(sorted(unknown))} (known: {', '.join(peers.PEERS)})")
        if not self.time_limits or min(self.time_limits) <= 0:
            raise ValueError("give at least one positive time limit")
        for limit in self.time_limits:  # fail before a long run, not on its first solve
            SolveParams(time_limit=limit, seed=self.seed, workers=self.workers)


@dataclass(frozen=True)
class Case:
    """One loaded instance with the integer matrix and the solver problem built from it."""

    name: str
    set: str
    instance: solomon.Instance
    matrix: solomon.Matrix
    problem: Problem

    @classmethod
    def load(cls, path: Path) -> Case:
        """Read and convert one instance file."""
        instance = solomon.read(path)
        matrix = solomon.distance_matrix(instance)
        return cls(instance.name, set_name(path), instance, matrix, solomon.to_problem(instance, matrix))


def solve_case(case: Case, config: Config, on_row: Callable[[Row], None] = lambda _: None) -> list[Row]:
    """All the rows of one instance: vroom once (it stops by itself), then ours and PyVRP per limit."""
    rows: list[Row] = []

    def emit(row: Row) -> None:
        rows.append(row)
        on_row(row)

    if "vroom" in config.peers:
        emit(peer_row(case, "vroom", None, config.seed))
    for limit in config.time_limits:
        if config.ours:
            emit(ours_row(case, limit, config))
        if "pyvrp" in config.peers:
            emit(peer_row(case, "pyvrp", limit, config.seed))
    return rows


def ours_row(case: Case, limit: float, config: Config) -> Row:
    """Backbone's solve of one case, checked by both checkers."""
    params = SolveParams(time_limit=limit, seed=config.seed, workers=config.workers)
    start = time.perf_counter()
    try:
        result = solve_routes(case.problem, params)
    except (InvalidProblem, SolverError) as exc:
        return _failed(case, OURS, limit, time.perf_counter() - start, f"{type(exc).__name__}: {exc}")
    except Exception as exc:  # a bug, but one instance's crash must not lose a long run: logged and reported
        logger.exception("bench.vrptw.solver_crashed instance=%s limit=%s", case.name, limit)
        return _failed(case, OURS, limit, time.perf_counter() - start, f"crash: {type(exc).__name__}: {exc}")
    wall = time.perf_counter() - start
    routes = raw_routes(result)
    claimed = sum(r.distance for r in result.routes)
    row = _judged(case, OURS, limit, wall, result, routes, claimed_distance=claimed)
    if not result.feasible:  # the checkers may pass a partial plan; the solver's own verdict counts too
        return dataclasses.replace(row, feasible=False, errors=("solver reports feasible=False", *row.errors)[:5])
    return row


def peer_row(case: Case, peer: str, limit: float | None, seed: int) -> Row:
    """One peer's solve of one case, converted to a `RoutingResult` and checked like ours."""
    start = time.perf_counter()
    try:
        if peer == "vroom":
            run = peers.solve_vroom(case.instance, case.matrix)
        else:
            run = peers.solve_pyvrp(case.instance, case.matrix, limit or 5.0, seed)
    except Exception as exc:  # a peer's crash is a result to report, not a reason to stop a long run
        return _failed(case, peer, limit, time.perf_counter() - start, f"{type(exc).__name__}: {exc}")
    result = to_result(case.problem, run.routes, run.wall_s, "feasible" if run.claimed_feasible else "infeasible")
    row = _judged(case, peer, limit, run.wall_s, result, run.routes)
    if not run.claimed_feasible:
        claim = f"{peer} reports its solution infeasible or incomplete"
        return dataclasses.replace(row, feasible=False, errors=(claim, *row.errors)[:5])
    return row


def judge(case: Case, result: RoutingResult, routes: RawRoutes) -> tuple[list[str], tuple[str, ...], int, int]:
    """Both checkers on one solution: errors, which checkers ran, recomputed distance and vehicles."""
    verdict = verify(case.instance, case.matrix, routes)
    errors = [f"verify: {e}" for e in verdict.errors]
    checked_by = ["bench.verify", "solver.check"]
    errors += [f"check: {e}" for e in check(case.problem, result)]
    if result.unassigned:
        errors.append(f"{len(result.unassigned)} jobs unassigned")
    return errors, tuple(checked_by), verdict.distance, verdict.vehicles


def _judged(case: Case, solver: str, limit: float | None, wall: float, result: RoutingResult, routes: RawRoutes,
            claimed_distance: int | None = None) -> Row:
    errors, checked_by, distance, vehicles = judge(case, result, routes)
    if claimed_distance is not None and claimed_distance != distance:
        errors.append(f"reported distance {claimed_distance} != recomputed {distance}")
    return Row(instance=case.name, set=case.set, solver=solver, time_limit=limit, feasible=not errors,
               vehicles=vehicles, distance=distance / solomon.SCALE if routes else None, wall_s=round(wall, 3),
               checked_by=checked_by, errors=tuple(errors[:5]))


def _failed(case: Case, solver: str, limit: float | None, wall: float, error: str) -> Row:
    return Row(instance=case.name, set=case.set, solver=solver, time_limit=limit, feasible=False, vehicles=0,
               distance=None, wall_s=round(wall, 3), errors=(error,))

