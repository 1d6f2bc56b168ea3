"""The peers on a tiny instance: feasibility only (time-limited runs), checked like every benchmark solution."""

from __future__ import annotations

import pytest

from bench import peers, solomon
from bench.verify import verify
from bench.vrptw import Case, peer_row


@pytest.fixture
def case(c101_10: solomon.Instance) -> Case:
    matrix = solomon.distance_matrix(c101_10)
    return Case("C101", "solomon", c101_10, matrix, solomon.to_problem(c101_10, matrix))


@pytest.mark.parametrize("peer", peers.PEERS)
def test_peer_solution_passes_the_checkers(case: Case, peer: str) -> None:
    row = peer_row(case, peer, 1.0, seed=1)
    assert row.feasible, row.errors
    assert row.errors == ()
    assert "bench.verify" in row.checked_by
    assert row.distance is not None
    assert row.distance > 0
    assert row.vehicles >= 1


def test_vroom_and_pyvrp_routes_cover_every_customer(case: Case) -> None:
    for run in (peers.solve_vroom(case.instance, case.matrix), peers.solve_pyvrp(case.instance, case.matrix, 1.0)):
        assert run.claimed_feasible
        assert sorted(c for r in run.routes for c in r) == list(range(1, 11))
        assert verify(case.instance, case.matrix, run.routes).errors == ()
