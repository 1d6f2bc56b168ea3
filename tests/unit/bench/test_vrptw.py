"""The runner with a trivial stand-in for Backbone's solver: one customer per vehicle."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import pytest

from bench import solomon, vrptw
from bench.summary import OURS
from bench.verify import to_result
from bench.vrptw import Case, Config, solve_case

if TYPE_CHECKING:
    from solver.models import Problem, RoutingResult
    from solver.params import SolveParams


def _one_per_vehicle(problem: Problem, params: SolveParams) -> RoutingResult:
    return to_result(problem, [[j.location] for j in problem.jobs], 0.0, "stand-in")


@pytest.fixture
def case(c101_10: solomon.Instance) -> Case:
    matrix = solomon.distance_matrix(c101_10)
    return Case("C101", "solomon", c101_10, matrix, solomon.to_problem(c101_10, matrix))


def test_rows_for_ours_at_every_limit(case: Case, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vrptw, "solve_routes", _one_per_vehicle)
    seen = []
    rows = solve_case(case, Config(time_limits=(1.0, 2.0), peers=()), seen.append)
    assert rows == seen
    assert [(r.solver, r.time_limit) for r in rows] == [(OURS, 1.0), (OURS, 2.0)]
    expected = sum(2 * case.matrix[0][c.id] for c in case.instance.customers) / 10
    assert all(r.feasible and r.vehicles == 10 and r.distance == expected for r in rows)


def test_a_wrong_reported_distance_is_an_error(case: Case, monkeypatch: pytest.MonkeyPatch) -> None:
    def lying(problem: Problem, params: SolveParams) -> RoutingResult:
        result = _one_per_vehicle(problem, params)
        first = dataclasses.replace(result.routes[0], distance=result.routes[0].distance - 1)
        return dataclasses.replace(result, routes=(first, *result.routes[1:]))

    monkeypatch.setattr(vrptw, "solve_routes", lying)
    (row,) = solve_case(case, Config(time_limits=(1.0,), peers=()))
    assert not row.feasible
    assert any("reported distance" in e for e in row.errors)


def test_peers_only(case: Case) -> None:
    rows = solve_case(case, Config(time_limits=(1.0,), peers=("vroom",), ours=False))
    assert [(r.solver, r.time_limit, r.feasible) for r in rows] == [("vroom", None, True)]


def test_config_rejects_unknown_peers_and_limits() -> None:
    with pytest.raises(ValueError, match="unknown peers"):
        Config(peers=("ortools",))
    with pytest.raises(ValueError, match="time limit"):
        Config(time_limits=())
    with pytest.raises(ValueError, match="workers"):
        Config(workers=99)


def test_a_crash_is_a_failed_row_not_a_lost_run(case: Case, monkeypatch: pytest.MonkeyPatch) -> None:
    def crashing(problem: Problem, params: SolveParams) -> RoutingResult:
        raise RuntimeError("boom")

    monkeypatch.setattr(vrptw, "solve_routes", crashing)
    (row,) = solve_case(case, Config(time_limits=(1.0,), peers=()))
    assert not row.feasible
    assert row.errors == ("crash: RuntimeError: boom",)
