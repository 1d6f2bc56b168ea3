from __future__ import annotations

import math
import random
from typing import TYPE_CHECKING

import pytest

from bench import solomon
from solver.models import Priority

if TYPE_CHECKING:
    from pathlib import Path


def test_reads_r101_header_and_customers(r101: solomon.Instance) -> None:
    assert (r101.name, r101.vehicles, r101.capacity) == ("R101", 25, 200)
    assert len(r101.customers) == 100
    assert r101.depot == solomon.Node(0, 35, 35, 0, 0, 230, 0)
    assert r101.horizon == 230
    assert r101.customers[0] == solomon.Node(1, 41, 49, 10, 161, 171, 10)
    assert r101.customers[-1].id == 100


def test_parser_agrees_with_vrplib(vrptw_dir: Path) -> None:
    """Tests that our parser reads the same numbers as vrplib's Solomon reader."""
    import vrplib

    path = vrptw_dir / "solomon" / "RC101.txt"
    ours = solomon.read(path)
    theirs = vrplib.read_instance(str(path), instance_format="solomon")
    assert theirs["vehicles"] == ours.vehicles
    assert theirs["capacity"] == ours.capacity
    assert theirs["node_coord"].tolist() == [[n.x, n.y] for n in ours.nodes]
    assert theirs["demand"].tolist() == [n.demand for n in ours.nodes]
    assert theirs["time_window"].tolist() == [[n.ready, n.due] for n in ours.nodes]
    assert theirs["service_time"].tolist() == [n.service for n in ours.nodes]


def test_int_distance_is_floor_of_ten_times_euclid() -> None:
    def node(x: int, y: int) -> solomon.Node:
        return solomon.Node(0, x, y, 0, 0, 0, 0)

    assert solomon.int_distance(node(0, 0), node(3, 4)) == 50  # exact: no float rounding below
    assert solomon.int_distance(node(0, 0), node(1, 1)) == 14  # 14.142...
    assert solomon.int_distance(node(2, 7), node(2, 7)) == 0
    rng = random.Random(4)
    for _ in range(1000):
        a, b = node(rng.randint(0, 100), rng.randint(0, 100)), node(rng.randint(0, 100), rng.randint(0, 100))
        assert solomon.int_distance(a, b) == math.floor(10 * math.hypot(a.x - b.x, a.y - b.y) + 1e-9)


def test_distance_matrix_is_symmetric_with_zero_diagonal(c101_10: solomon.Instance) -> None:
    m = solomon.distance_matrix(c101_10)
    assert len(m) == 11
    assert all(m[i][i] == 0 for i in range(11))
    assert all(m[i][j] == m[j][i] for i in range(11) for j in range(11))
    assert m[0][1] == solomon.int_distance(c101_10.depot, c101_10.customers[0])


def test_problem_scales_times_by_ten(r101: solomon.Instance) -> None:
    problem = solomon.to_problem(r101)
    assert problem.objective == "distance"
    assert len(problem.technicians) == 25
    tech = problem.technicians[0]
    assert (tech.start, tech.end, tech.shift_start, tech.shift_end, tech.capacity) == (0, 0, 0, 2300, 200)
    job = problem.jobs[0]
    assert (job.id, job.location, job.service, job.demand, job.priority) == ("1", 1, 100, 10, Priority.P1)
    assert (job.windows[0].start, job.windows[0].latest_start) == (1610, 1710)
    assert problem.matrix.durations == problem.matrix.distances
    assert problem.matrix.size == 101


def test_rejects_a_file_that_is_not_solomon() -> None:
    with pytest.raises(solomon.FormatError):
        solomon.parse("NAME: X\nTYPE: CVRP\n")
    with pytest.raises(solomon.FormatError, match="7 fields"):
        solomon.parse("X\nVEHICLE\nNUMBER CAPACITY\n2 10\nCUSTOMER\nCUST NO.\n0 1 2 3\n")
