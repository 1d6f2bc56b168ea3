"""The peers, on exactly the integer data our solver sees: pyvroom and PyVRP.

Both get the same matrix (`bench.solomon.distance_matrix`, used as distance and travel time), the
windows and service times scaled by 10, K vehicles of capacity Q, no fixed vehicle cost: a distance-only
objective. Each returns raw routes (customer numbers); the runner verifies them independently.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

import numpy as np

from bench.solomon import SCALE

if TYPE_CHECKING:
    import pyvrp

    from bench.solomon import Instance, Matrix
    from bench.verify import RawRoutes

PEERS = ("vroom", "pyvrp")
VROOM_EXPLORATION = 5
VROOM_THREADS = 1


@dataclass(frozen=True)
class PeerRun:
    """A peer's raw answer: its routes, its own feasibility claim, and the wall time of the solve."""

    routes: RawRoutes
    claimed_feasible: bool
    wall_s: float


def solve_vroom(instance: Instance, matrix: Matrix, time_limit: float | None = None) -> PeerRun:
    """Solve with pyvroom at exploration level 5 on one thread; it stops by itself (`time_limit` caps it if given)."""
    import vroom  # type: ignore[import-untyped]  # pyvroom ships no type information

    m = np.asarray(matrix, dtype=np.uint32)
    problem = vroom.Input()
    problem.set_durations_matrix("car", m)  # vroom's default cost is the duration: here, the distance
    problem.set_distances_matrix("car", m)
    horizon = vroom.TimeWindow(instance.depot.ready * SCALE, instance.horizon * SCALE)
    problem.add_vehicle([vroom.Vehicle(k + 1, start=0, end=0, capacity=[instance.capacity], time_window=horizon)
                         for k in range(instance.vehicles)])
    problem.add_job([vroom.Job(c.id, location=c.id, default_service=c.service * SCALE, delivery=[c.demand],
                               time_windows=[vroom.TimeWindow(c.ready * SCALE, c.due * SCALE)])
                     for c in instance.customers])
    timeout = timedelta(seconds=time_limit) if time_limit else None
    start = time.perf_counter()
    solution = problem.solve(exploration_level=VROOM_EXPLORATION, nb_threads=VROOM_THREADS, timeout=timeout)
    wall = time.perf_counter() - start
    answer = solution.to_dict()
    routes = [[int(s["id"]) for s in r["steps"] if s["type"] == "job"] for r in answer["routes"]]
    return PeerRun(routes=routes, claimed_feasible=not answer["unassigned"], wall_s=wall)


def solve_pyvrp(instance: Instance, matrix: Matrix, time_limit: float, seed: int = 1) -> PeerRun:
    """PyVRP's iterated local search for `time_limit` seconds with a fixed seed, no fleet cost."""
    import pyvrp
    from pyvrp.stop import MaxRuntime

    start = time.perf_counter()
    result = pyvrp.solve(_pyvrp_data(instance, matrix), MaxRuntime(time_limit), seed=seed,
                         collect_stats=False, display=False)
    wall = time.perf_counter() - start
    routes = [[a.idx + 1 for a in r if a.is_client()] for r in result.best.routes()]  # client idx is 0-based
    return PeerRun(routes=routes, claimed_feasible=result.best.is_feasible() and result.best.is_complete(),
                   wall_s=wall)


def _pyvrp_data(instance: Instance, matrix: Matrix) -> pyvrp.ProblemData:
    # Built directly rather than through pyvrp.read/Model: no rounding function can drift from ours.
    from pyvrp import Client, Depot, Location, ProblemData, VehicleType

    m = np.asarray(matrix, dtype=np.int64)
    horizon = instance.horizon * SCALE
    return ProblemData(
        locations=[Location(n.x, n.y) for n in instance.nodes],
        clients=[Client(location=c.id, delivery=[c.demand], service_duration=c.service * SCALE,
                        tw_early=c.ready * SCALE, tw_late=c.due * SCALE) for c in instance.customers],
        depots=[Depot(0, tw_early=instance.depot.ready * SCALE, tw_late=horizon)],
        vehicle_types=[VehicleType(num_available=instance.vehicles, capacity=[instance.capacity], fixed_cost=0,
                                   tw_early=instance.depot.ready * SCALE, tw_late=horizon,
                                   unit_distance_cost=1, unit_duration_cost=0)],
        # PyVRP's stub says `ndarray[int]`, which no real array type matches.
        distance_matrices=[m],  # type: ignore[list-item]
        duration_matrices=[m],  # type: ignore[list-item]
    )
