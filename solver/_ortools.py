"""The only module that imports OR-Tools: a `Spec` in, a `RawSolution` out, all typed.

OR-Tools has no type information (mypy sees `Any`), so everything crossing this boundary is
converted to plain ints, tuples and frozen dataclasses here. Inputs were validated before: an
invalid value reaching OR-Tools would abort the process with a failed `CHECK`.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from google.protobuf import text_format  # type: ignore[import-untyped]  # no stubs installed; only Merge is used
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

if TYPE_CHECKING:
    from collections.abc import Callable

    from solver._model import Node, Spec

logger = logging.getLogger(__name__)

TIME = "time"
LOAD = "load"
STABILITY = "stability"
MATRIX_NODES_MAX = 4000  # above this a node-space matrix costs too much memory: use a Python callback
STALL_NODES_MAX = 30  # small models can exhaust every neighbourhood: stop when no solution comes any more
STALL_SECONDS = 1.0

FIRST_SOLUTION = {
    "parallel_cheapest_insertion": "PARALLEL_CHEAPEST_INSERTION",
    "local_cheapest_insertion": "LOCAL_CHEAPEST_INSERTION",
    "sequential_cheapest_insertion": "SEQUENTIAL_CHEAPEST_INSERTION",
    "local_cheapest_cost_insertion": "LOCAL_CHEAPEST_COST_INSERTION",
    "savings": "SAVINGS",
    "parallel_savings": "PARALLEL_SAVINGS",
    "path_cheapest_arc": "PATH_CHEAPEST_ARC",
    "christofides": "CHRISTOFIDES",
    "automatic": "AUTOMATIC",
}
METAHEURISTIC = {
    "guided_local_search": "GUIDED_LOCAL_SEARCH",
    "simulated_annealing": "SIMULATED_ANNEALING",
    "tabu_search": "TABU_SEARCH",
    "generic_tabu_search": "GENERIC_TABU_SEARCH",
    "greedy_descent": "GREEDY_DESCENT",
    "automatic": "AUTOMATIC",
}
STATUS = {0: "not_solved", 1: "success", 2: "partial_success", 3: "fail", 4: "time_limit", 5: "invalid",
          6: "infeasible", 7: "optimal"}


@dataclass(frozen=True)
class SearchConfig:
    """One search: strategies, limits, and raw OR-Tools parameter overrides.

    Attributes:
        first_solution: A key of `FIRST_SOLUTION`.
        metaheuristic: A key of `METAHEURISTIC`.
        time_limit: Seconds of search.
        solution_limit: Stop after this many solutions (None: time only).
        seed: Seed of the solver's random generator (used by LNS and annealing).
        overrides: `RoutingSearchParameters` in protobuf text format, merged last (tuning knobs).
    """

    first_solution: str
    metaheuristic: str
    time_limit: float
    solution_limit: int | None = None
    seed: int = 0
    overrides: str = ""

    @property
    def label(self) -> str:
        """A short name for stats and logs."""
        return f"{self.first_solution}+{self.metaheuristic}" + ("+tuned" if self.overrides else "")


@dataclass(frozen=True)
class RawRoute:
    """One vehicle's route as OR-Tools returned it.

    Attributes:
        vehicle: Vehicle index.
        nodes: Spec nodes from the start node to the end node.
        times: Time cumul (service start) at each node.
        breaks: (break index, start) of each break of the vehicle.
    """

    vehicle: int
    nodes: tuple[int, ...]
    times: tuple[int, ...]
    breaks: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class RawSolution:
    """What one search found.

    Attributes:
        routes: One per vehicle.
        objective: OR-Tools objective (arc costs, overtime costs and drop penalties).
        status: Search status ("success", "time_limit", "fail", ...).
        solutions: Solutions found during the search.
        search_seconds: Time spent searching.
        label: The search configuration that found it.
    """

    routes: tuple[RawRoute, ...]
    objective: int
    status: str
    solutions: int
    search_seconds: float
    label: str


class _Model:
    """An OR-Tools routing model built from a spec."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        starts = [v.start_node for v in spec.vehicles]
        ends = [v.end_node for v in spec.vehicles]
        self.manager: Any = pywrapcp.RoutingIndexManager(len(spec.nodes), len(spec.vehicles), starts, ends)
        self.routing: Any = pywrapcp.RoutingModel(self.manager)
        self.solver: Any = self.routing.solver()
        self.breaks: list[list[Any]] = [[] for _ in spec.vehicles]
        self._keep_alive: list[object] = []
        self._arc_costs()
        self._time()
        self._load()
        self._stock()
        self._nodes()
        self._pairs()
        self._breaks()
        self._stability()

    def keep(self, thing: object) -> None:
        """Keep a Python object OR-Tools calls back into alive as long as the model."""
        self._keep_alive.append(thing)

    def index(self, node: int) -> int:
        return int(self.manager.NodeToIndex(node))

    def _register(self, rows: tuple[tuple[int, ...], ...], extra: list[int]) -> int:
        """The transit `rows[location a][location b] + extra[a]` between nodes a and b.

        A C++ matrix when small enough (values interned: repeated ints share one object while the
        rows are built), else a Python callback.
        """
        locations = [n.location for n in self.spec.nodes]
        if len(locations) <= MATRIX_NODES_MAX:
            interned: dict[int, int] = {}
            matrix = []
            for a, add in zip(locations, extra, strict=True):
                row = rows[a]
                matrix.append([row[b] for b in locations] if add == 0 else
                              [interned.setdefault(row[b] + add, row[b] + add) for b in locations])
            return int(self.routing.RegisterTransitMatrix(matrix))
        node_of = self.manager.IndexToNode

        def callback(i: int, j: int) -> int:
            a = node_of(i)
            return int(rows[locations[a]][locations[node_of(j)]] + extra[a])

        self.keep(callback)
        return int(self.routing.RegisterTransitCallback(callback))

    def _arc_costs(self) -> None:
        evaluator = self._register(self.spec.costs, [n.cost for n in self.spec.nodes])
        self.routing.SetArcCostEvaluatorOfAllVehicles(evaluator)

    def _time(self) -> None:
        spec = self.spec
        evaluator = self._register(spec.durations, [n.service for n in spec.nodes])
        self.routing.AddDimension(evaluator, spec.horizon, spec.horizon, False, TIME)
        self.time: Any = self.routing.GetDimensionOrDie(TIME)
        for v, vehicle in enumerate(spec.vehicles):
            start, end = self.routing.Start(v), self.routing.End(v)
            self.time.CumulVar(start).SetRange(vehicle.ready, vehicle.latest_end)
            self.time.CumulVar(end).SetRange(vehicle.ready, vehicle.latest_end)
            if vehicle.latest_end > vehicle.soft_end and spec.overtime_cost > 0:
                self.time.SetCumulVarSoftUpperBound(end, vehicle.soft_end, spec.overtime_cost)

    def _load(self) -> None:
        if not self.spec.use_load:
            return
        evaluator = self.routing.RegisterUnaryTransitVector([n.demand for n in self.spec.nodes])
        capacities = [v.capacity for v in self.spec.vehicles]
        self.routing.AddDimensionWithVehicleCapacity(evaluator, 0, capacities, True, LOAD)

    def _stock(self) -> None:
        for k, sku in enumerate(self.spec.skus):
            use = [dict(n.stock_use).get(k, 0) for n in self.spec.nodes]
            if not any(use):
                continue
            evaluator = self.routing.RegisterUnaryTransitVector(use)
            stock = [v.stock[k] for v in self.spec.vehicles]
            self.routing.AddDimensionWithVehicleCapacity(evaluator, 0, stock, True, f"stock:{sku}")

    def _nodes(self) -> None:
        everyone = len(self.spec.vehicles)
        for node_id, node in enumerate(self.spec.nodes):
            if node.kind == "depot":
                continue
            index = self.index(node_id)
            _set_windows(self.time.CumulVar(index), node)
            if node.allowed is not None and len(node.allowed) < everyone:
                allowed = set(node.allowed)
                self.routing.VehicleVar(index).RemoveValues([v for v in range(everyone) if v not in allowed])
            self.routing.AddVariableMinimizedByFinalizer(self.time.CumulVar(index))
        for nodes, penalty in self.spec.disjunctions:
            self.routing.AddDisjunction([self.index(n) for n in nodes], penalty, 1)
        # Earliest service starts, earliest returns, then the latest departure that keeps them.
        for v in range(everyone):
            self.routing.AddVariableMinimizedByFinalizer(self.time.CumulVar(self.routing.End(v)))
        for v in range(everyone):
            self.routing.AddVariableMaximizedByFinalizer(self.time.CumulVar(self.routing.Start(v)))

    def _pairs(self) -> None:
        for pickup_node, delivery_node in self.spec.pairs:
            pickup, delivery = self.index(pickup_node), self.index(delivery_node)
            self.routing.AddPickupAndDelivery(pickup, delivery)
            self.solver.Add(self.routing.ActiveVar(pickup) == self.routing.ActiveVar(delivery))
            self.solver.Add(self.routing.VehicleVar(pickup) == self.routing.VehicleVar(delivery))
            self.solver.Add(self.time.CumulVar(pickup) <= self.time.CumulVar(delivery))

    def _breaks(self) -> None:
        visit = [int(self.spec.nodes[self.manager.IndexToNode(i)].service) for i in range(self.routing.Size())]
        for v, vehicle in enumerate(self.spec.vehicles):
            if not vehicle.breaks:
                continue
            for k, (earliest, latest, duration) in enumerate(vehicle.breaks):
                interval = self.solver.FixedDurationIntervalVar(earliest, latest, duration, False, f"break-{v}-{k}")
                # Breaks belong to the day: not before departure, not after the return.
                self.solver.Add(interval.StartExpr() >= self.time.CumulVar(self.routing.Start(v)))
                self.solver.Add(interval.EndExpr() <= self.time.CumulVar(self.routing.End(v)))
                self.breaks[v].append(interval)
                self.routing.AddIntervalToAssignment(interval)
            self.time.SetBreakIntervalsOfVehicle(self.breaks[v], v, visit)

    def _stability(self) -> None:
        """Reassignment costs as a vehicle-dependent unary dimension; shifted starts as soft bounds."""
        spec = self.spec
        if spec.reassign_cost > 0:
            evaluators: dict[tuple[int, ...], int] = {}
            per_vehicle = []
            for v in range(len(spec.vehicles)):
                costs = tuple(spec.reassign_cost if n.preferred >= 0 and n.preferred != v else 0 for n in spec.nodes)
                if costs not in evaluators:
                    evaluators[costs] = int(self.routing.RegisterUnaryTransitVector(list(costs)))
                per_vehicle.append(evaluators[costs])
            total = spec.reassign_cost * len(spec.nodes)
            self.routing.AddDimensionWithVehicleTransits(per_vehicle, 0, total, True, STABILITY)
            self.routing.GetDimensionOrDie(STABILITY).SetSpanCostCoefficientForAllVehicles(1)
        if spec.shift_cost > 0:
            for node_id, node in enumerate(spec.nodes):
                if node.target < 0:
                    continue
                self.time.SetCumulVarSoftUpperBound(self.index(node_id), node.target + spec.shift_tolerance,
                                                    spec.shift_cost)
                if node.target > spec.shift_tolerance:
                    self.time.SetCumulVarSoftLowerBound(self.index(node_id), node.target - spec.shift_tolerance,
                                                        spec.shift_cost)

    def read(self, assignment: Any, config: SearchConfig, seconds: float) -> RawSolution:
        routes = []
        for v in range(len(self.spec.vehicles)):
            index, nodes, times = self.routing.Start(v), [], []
            while True:
                nodes.append(int(self.manager.IndexToNode(index)))
                times.append(int(assignment.Min(self.time.CumulVar(index))))
                if self.routing.IsEnd(index):
                    break
                index = assignment.Value(self.routing.NextVar(index))
            breaks = tuple((k, int(assignment.StartValue(b))) for k, b in enumerate(self.breaks[v]))
            routes.append(RawRoute(vehicle=v, nodes=tuple(nodes), times=tuple(times), breaks=breaks))
        return RawSolution(routes=tuple(routes), objective=int(assignment.ObjectiveValue()),
                           status=STATUS.get(int(self.routing.status()), "unknown"),
                           solutions=int(self.solver.Solutions()), search_seconds=seconds, label=config.label)


class _Stall:
    """Stops a search that has stopped finding solutions (GLS on a tiny model waits for its time limit).

    The silence allowed is generous: five times what the first solution took, and at least a second.
    A count-limited run stays reproducible: it only stops where no further solution would come.
    """

    def __init__(self) -> None:
        self.started = self.last = time.monotonic()
        self.allowance: float | None = None

    def on_solution(self) -> None:
        self.last = time.monotonic()
        if self.allowance is None:
            self.allowance = max(STALL_SECONDS, 5 * (self.last - self.started))

    def stalled(self) -> bool:
        return self.allowance is not None and time.monotonic() - self.last > self.allowance


def _set_windows(cumul: Any, node: Node) -> None:
    if not node.windows:
        return
    cumul.SetRange(node.windows[0][0], node.windows[-1][1])
    for (_, hi), (lo, _) in zip(node.windows, node.windows[1:], strict=False):
        cumul.RemoveInterval(hi + 1, lo - 1)


def search_parameters(config: SearchConfig) -> Any:
    """OR-Tools search parameters for one search configuration."""
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = getattr(routing_enums_pb2.FirstSolutionStrategy,
                                             FIRST_SOLUTION[config.first_solution])
    params.local_search_metaheuristic = getattr(routing_enums_pb2.LocalSearchMetaheuristic,
                                                METAHEURISTIC[config.metaheuristic])
    params.time_limit.FromMicroseconds(max(1000, int(config.time_limit * 1e6)))
    if config.solution_limit is not None:
        params.solution_limit = config.solution_limit
    if config.overrides:
        text_format.Merge(config.overrides, params)
    return params


@dataclass(frozen=True)
class Progress:
    """How a running search is doing.

    Attributes:
        solutions: Solutions found so far.
        objective: The best objective so far (travel, overtime, stability and drop penalties).
        elapsed: Seconds since the search started.
    """

    solutions: int
    objective: int
    elapsed: float


class _Reporter:
    """Calls back with the best objective so far: on the first solution, then at most once per interval."""

    def __init__(self, model: _Model, callback: Callable[[Progress], None], interval: float) -> None:
        self.model, self.callback, self.interval = model, callback, interval
        self.started = time.monotonic()
        self.last = -interval
        self.best: int | None = None
        self.count = 0

    def on_solution(self) -> None:
        self.count += 1
        cost = int(self.model.routing.CostVar().Value())
        self.best = cost if self.best is None else min(self.best, cost)
        now = time.monotonic() - self.started
        if self.count == 1 or now - self.last >= self.interval:
            self.last = now
            try:
                self.callback(Progress(solutions=self.count, objective=self.best, elapsed=round(now, 2)))
            except Exception:  # a failing progress sink must not stop the search
                logger.exception("solver.search.progress_failed")


def solve(spec: Spec, config: SearchConfig, on_progress: Callable[[Progress], None] | None = None,
          progress_interval: float = 1.0) -> RawSolution | None:
    """Build the model of `spec` and search it.

    Args:
        spec: The model as plain data.
        config: How to search.
        on_progress: Called with the search's progress (first solution, then every interval).
        progress_interval: Seconds between progress calls.

    Returns:
        The best solution found, or None when the search found none.
    """
    model = _Model(spec)
    params = search_parameters(config)
    model.solver.ReSeed(config.seed)
    if sum(1 for n in spec.nodes if n.kind != "depot") <= STALL_NODES_MAX:
        stall = _Stall()
        model.routing.AddAtSolutionCallback(stall.on_solution)
        model.routing.AddSearchMonitor(model.solver.CustomLimit(stall.stalled))
        model.keep(stall)
    if on_progress is not None:
        reporter = _Reporter(model, on_progress, progress_interval)
        model.routing.AddAtSolutionCallback(reporter.on_solution)
        model.keep(reporter)
    started = time.perf_counter()
    assignment = model.routing.SolveWithParameters(params)
    seconds = time.perf_counter() - started
    if assignment is None:
        logger.info("solver.search.no_solution", extra={"config": config.label,
                                                        "status": STATUS.get(int(model.routing.status()))})
        return None
    return model.read(assignment, config, seconds)
