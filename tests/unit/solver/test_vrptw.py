"""Pure VRPTW (Solomon R101, first 25 customers): time-limited runs assert feasibility and a bound only."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from solver.check import check
from solver.models import Job, Priority, Problem, Technician, TimeWindow, TravelMatrix
from solver.params import SolveParams
from solver.routing import solve_routes

DATA = Path(__file__).parents[2] / "data" / "solver"
R101_25_OPTIMUM = 6171  # 617.1, the published optimum of R101 with 25 customers (x10, truncated distances)


@pytest.fixture(scope="session")
def r101_25() -> Problem:
    """Integer Solomon data: distance = travel time = floor(10 x euclid), times x10."""
    data = json.loads((DATA / "r101_25.json").read_text())
    nodes = data["nodes"]
    rows = tuple(tuple(math.isqrt(100 * ((a[1] - b[1]) ** 2 + (a[2] - b[2]) ** 2)) for b in nodes) for a in nodes)
    horizon = nodes[0][5] * 10
    techs = tuple(Technician(id=f"v{k}", start=0, end=0, shift_start=0, shift_end=horizon, capacity=data["capacity"])
                  for k in range(data["vehicles"]))
    jobs = tuple(Job(id=str(n[0]), location=n[0], service=n[6] * 10, demand=n[3], priority=Priority.P1,
                     windows=(TimeWindow(n[4] * 10, n[5] * 10),)) for n in nodes[1:])
    return Problem(technicians=techs, jobs=jobs, matrix=TravelMatrix(rows, rows), objective="distance")


@pytest.mark.parametrize("workers", [1, 2])
def test_time_limited_vrptw_is_feasible_complete_and_near_the_optimum(r101_25: Problem, workers: int) -> None:
    result = solve_routes(r101_25, SolveParams(time_limit=2.0, workers=workers))
    assert check(r101_25, result) == []
    assert result.feasible and result.unassigned == ()
    distance = sum(r.distance for r in result.routes)
    assert result.objective == distance
    assert R101_25_OPTIMUM <= distance <= R101_25_OPTIMUM * 1.05


def test_count_limited_vrptw_is_reproducible(r101_25: Problem) -> None:
    params = SolveParams(time_limit=60, solution_limit=200, seed=3)
    first, second = solve_routes(r101_25, params), solve_routes(r101_25, params)
    assert first.routes == second.routes
    assert check(r101_25, first) == []
