from __future__ import annotations

from bench import solomon
from bench.verify import raw_routes, to_result, verify

# Depot at 0,0 (horizon 100); customer 1 at 3,4 (window 0-10), customer 2 at 6,8 (window 20-25).
TINY = solomon.Instance(
    name="T", vehicles=2, capacity=10, depot=solomon.Node(0, 0, 0, 0, 0, 100, 0),
    customers=(solomon.Node(1, 3, 4, 6, 0, 10, 1), solomon.Node(2, 6, 8, 5, 20, 25, 1)),
)
M = solomon.distance_matrix(TINY)


def test_a_feasible_solution_has_no_errors() -> None:
    verdict = verify(TINY, M, [[1], [2]])
    assert verdict.errors == ()
    assert verdict.distance == 50 + 50 + 100 + 100
    assert verdict.vehicles == 2


def test_finds_capacity_missing_and_duplicate_customers() -> None:
    assert any("capacity" in e for e in verify(TINY, M, [[1, 2]]).errors)  # load 11 > 10
    assert any("not served" in e for e in verify(TINY, M, [[1]]).errors)
    assert any("on routes" in e for e in verify(TINY, M, [[1], [1, 2]]).errors)
    assert any("unknown customer" in e for e in verify(TINY, M, [[7]]).errors)
    assert any("routes for 2 vehicles" in e for e in verify(TINY, M, [[1], [], [2], [1]]).errors)


def test_finds_late_service_and_late_return() -> None:
    """Tests that times are scaled by 10: customer 2 first, then 1 at 210+10+50 > due 100."""
    errors = verify(TINY, M, [[2, 1]]).errors
    assert any("customer 1 starts at" in e for e in errors)
    short = solomon.Instance("S", 1, 10, solomon.Node(0, 0, 0, 0, 0, 10, 0), (solomon.Node(1, 3, 4, 1, 0, 10, 1),))
    assert any("after the horizon" in e for e in verify(short, solomon.distance_matrix(short), [[1]]).errors)


def test_raw_routes_become_a_timed_result() -> None:
    problem = solomon.to_problem(TINY, M)
    result = to_result(problem, [[2], [1]], 0.5, "peer")
    assert result.feasible
    assert result.unassigned == ()
    first = result.routes[0]
    assert first.technician_id == "v1"
    assert [s.kind for s in first.stops] == ["start", "job", "end"]
    job = first.stops[1]
    assert (job.id, job.arrival, job.start, job.end, job.distance) == ("2", 100, 200, 210, 100)
    assert first.stops[2].arrival == 310
    assert first.distance == 200
    assert result.objective == 300
    assert raw_routes(result) == [[2], [1]]


def test_unrouted_customers_are_unassigned() -> None:
    result = to_result(solomon.to_problem(TINY, M), [[1]], 0.0, "peer")
    assert not result.feasible
    assert [u.job_id for u in result.unassigned] == ["2"]
