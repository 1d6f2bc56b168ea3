"""The routing model as plain data (`Spec`), built from a problem and its analysis; no OR-Tools here.

Nodes are what OR-Tools routes: one per distinct start/end location of the technicians' days,
one per open job (the "truck" alternative), and for a job whose parts may come from a depot a
pickup node at that depot paired with a second copy of the job (the "pickup" alternative). The two
alternatives of a job share one disjunction, so at most one is served.

Drop penalties (in objective units: seconds of travel, or distance) make the priorities strict:

- `C` bounds the cost of any plan: every node's most expensive outgoing arc, every pickup's
  cost, the whole overtime allowance at its cost, and the most the stability costs can add
  (a reassignment per node, a shift over the whole horizon per node): stability never costs a job;
- a P3 job costs `P3 = C + 1` to drop: serving one more P3 beats any change of route cost;
- `P2 = P3 * (n3 + 1)`: one more P2 beats dropping every P3;
- `P1 = P2 * (n2 + 1)`: one more P1 beats dropping every P2 and P3.

If that ladder would overflow int64 (never for realistic days: 2,000 jobs with 1 h arcs reach
~1e16 of the 4.6e18 allowed), the ratios are squeezed and the hierarchy is only approximate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from solver.models import JobStatus, Priority
from solver.reasons import service_windows

if TYPE_CHECKING:
    from solver.models import Job, Problem
    from solver.reasons import Analysis

NODE_DEPOT = "depot"
NODE_JOB = "job"
NODE_PICKUP = "pickup"
OBJECTIVE_LIMIT = 2**62


@dataclass(frozen=True)
class Node:
    """One routing node.

    Attributes:
        location: Matrix location.
        service: Time spent there.
        kind: "depot" (a day's start or end), "job" or "pickup".
        ref: Job index in `problem.jobs` (job), depot index (pickup), -1 (depot node).
        windows: Allowed service starts, sorted disjoint [lo, hi] ranges (empty: any time).
        demand: Load.
        allowed: Vehicles allowed to serve it (None: all).
        stock_use: (sku index, quantity) taken from the truck when served.
        cost: Extra objective cost of serving it (a pickup costs its duration, so that a truck that
            carries the parts is preferred to an unneeded detour).
        preferred: Vehicle that serves it without `Spec.reassign_cost` (-1: any).
        target: Planned start; further than `Spec.shift_tolerance` costs `Spec.shift_cost`/s (-1: none).
    """

    location: int
    service: int
    kind: str
    ref: int = -1
    windows: tuple[tuple[int, int], ...] = ()
    demand: int = 0
    allowed: tuple[int, ...] | None = None
    stock_use: tuple[tuple[int, int], ...] = ()
    cost: int = 0
    preferred: int = -1
    target: int = -1


@dataclass(frozen=True)
class Vehicle:
    """One technician's open day, as OR-Tools sees it.

    Attributes:
        start_node: Node the route starts at (where and when the open part of the day starts).
        end_node: Node the route ends at.
        ready: Earliest departure.
        latest_end: Hard end (shift end plus overtime, or later when a fact overran).
        soft_end: Planned shift end; later costs `overtime_cost` per second.
        capacity: Load capacity.
        stock: Truck stock per SKU of `Spec.skus`.
        breaks: (earliest start, latest start, duration) of each break still to take.
        break_ids: Their ids.
    """

    start_node: int
    end_node: int
    ready: int
    latest_end: int
    soft_end: int
    capacity: int
    stock: tuple[int, ...] = ()
    breaks: tuple[tuple[int, int, int], ...] = ()
    break_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class Spec:
    """Everything OR-Tools needs, as plain picklable data.

    Attributes:
        nodes: The nodes.
        vehicles: One per technician, in `problem.technicians` order.
        durations: Travel seconds between matrix locations.
        costs: Arc costs between matrix locations (durations or distances).
        overtime_cost: Objective units per second past a vehicle's soft end.
        horizon: Upper bound of every time.
        disjunctions: (nodes, drop penalty); at most one node of each is served.
        pairs: (pickup node, delivery node): same vehicle, pickup first, both or neither.
        skus: SKUs whose truck stock is tracked.
        use_load: Whether any node has a demand.
        penalties: Drop penalty per priority (1, 2, 3).
        reassign_cost: Cost of a node served by a vehicle other than its preferred one.
        shift_cost: Cost per second a node starts outside its target +/- `shift_tolerance`.
        shift_tolerance: Free deviation from a target, seconds.
    """

    nodes: tuple[Node, ...]
    vehicles: tuple[Vehicle, ...]
    durations: tuple[tuple[int, ...], ...]
    costs: tuple[tuple[int, ...], ...]
    overtime_cost: int
    horizon: int
    disjunctions: tuple[tuple[tuple[int, ...], int], ...]
    pairs: tuple[tuple[int, int], ...] = ()
    skus: tuple[str, ...] = ()
    use_load: bool = False
    penalties: dict[int, int] = field(default_factory=dict)
    reassign_cost: int = 0
    shift_cost: int = 0
    shift_tolerance: int = 0


def build_spec(problem: Problem, analysis: Analysis) -> Spec:
    """The routing model of `problem` for the jobs somebody can serve.

    Args:
        problem: The (validated) problem.
        analysis: Its analysis (days and job options).

    Returns:
        The spec; open jobs with reasons are left out of it.
    """
    nodes: list[Node] = []
    depot_nodes: dict[int, int] = {}

    def depot_node(location: int) -> int:
        if location not in depot_nodes:
            depot_nodes[location] = len(nodes)
            nodes.append(Node(location=location, service=0, kind=NODE_DEPOT))
        return depot_nodes[location]

    skus = tuple(sorted({p.sku for j in problem.jobs if j.status == JobStatus.OPEN for p in j.parts}))
    vehicles = tuple(_vehicle(problem, analysis, v, depot_node(analysis.days[v].location),
                              depot_node(t.end), skus) for v, t in enumerate(problem.technicians))
    sku_index = {s: k for k, s in enumerate(skus)}
    vehicle_of = {t.id: v for v, t in enumerate(problem.technicians)}
    groups: list[tuple[tuple[int, ...], Priority]] = []
    pairs: list[tuple[int, int]] = []
    for index, job in enumerate(problem.jobs):
        options = analysis.options.get(job.id)
        if options is None or options.reasons:
            continue
        alternatives: list[int] = []
        planned = -1 if job.planned_start is None else job.planned_start
        keep = (vehicle_of.get(job.preferred_technician or "", -1), planned)
        if options.truck:
            alternatives.append(len(nodes))
            nodes.append(_job_node(job, index, options.truck, tuple((sku_index[p.sku], p.quantity) for p in job.parts),
                                   keep))
        if options.pickup and options.depot is not None:
            depot = problem.depots[options.depot]
            pairs.append((len(nodes), len(nodes) + 1))
            nodes.append(Node(location=depot.location, service=depot.pickup_duration, kind=NODE_PICKUP,
                              ref=options.depot, allowed=options.pickup, cost=max(1, depot.pickup_duration)))
            alternatives.append(len(nodes))
            nodes.append(_job_node(job, index, options.pickup, (), keep))
        groups.append((tuple(alternatives), Priority(job.priority)))
    costs = problem.matrix.durations if problem.objective == "travel_time" else problem.matrix.distances
    horizon = max((v.latest_end for v in vehicles), default=0)
    reassign = problem.reassign_cost if any(n.preferred >= 0 for n in nodes) else 0
    shift = problem.shift_cost if any(n.target >= 0 for n in nodes) else 0
    stability = sum((reassign if n.preferred >= 0 else 0) + (shift * horizon if n.target >= 0 else 0) for n in nodes)
    penalties = drop_penalties(nodes, vehicles, costs, problem.overtime_cost, [p for _, p in groups], stability)
    disjunctions = [(alts, penalties[p]) for alts, p in groups] + [((p,), 0) for p, _ in pairs]
    return Spec(nodes=tuple(nodes), vehicles=vehicles, durations=problem.matrix.durations, costs=costs,
                overtime_cost=problem.overtime_cost, horizon=horizon,
                disjunctions=tuple(disjunctions), pairs=tuple(pairs), skus=skus,
                use_load=any(n.demand for n in nodes), penalties=penalties, reassign_cost=reassign,
                shift_cost=shift, shift_tolerance=problem.shift_tolerance)


def _job_node(job: Job, index: int, allowed: tuple[int, ...], stock_use: tuple[tuple[int, int], ...],
              stability: tuple[int, int]) -> Node:
    windows = tuple(service_windows(job)) if job.windows else ()
    return Node(location=job.location, service=job.service, kind=NODE_JOB, ref=index, windows=windows,
                demand=job.demand, allowed=allowed, stock_use=stock_use, preferred=stability[0], target=stability[1])


def _vehicle(problem: Problem, analysis: Analysis, v: int, start_node: int, end_node: int,
             skus: tuple[str, ...]) -> Vehicle:
    tech, day = problem.technicians[v], analysis.days[v]
    total_demand = sum(j.demand for j in problem.jobs)
    stock = tech.stock()
    return Vehicle(start_node=start_node, end_node=end_node, ready=day.ready, latest_end=day.latest_end,
                   soft_end=tech.shift_end, capacity=total_demand if tech.capacity is None else tech.capacity,
                   stock=tuple(stock.get(s, 0) for s in skus),
                   breaks=tuple((max(b.earliest_start, day.ready), b.latest_start, b.duration) for b in day.breaks),
                   break_ids=tuple(b.id for b in day.breaks))


def drop_penalties(nodes: list[Node], vehicles: tuple[Vehicle, ...], costs: tuple[tuple[int, ...], ...],
                   overtime_cost: int, priorities: list[Priority], stability: int = 0) -> dict[int, int]:
    """Drop penalty per priority: strict P1 > P2 > P3 > any route cost change (see the module doc).

    Args:
        nodes: The routing nodes.
        vehicles: The vehicles.
        costs: Arc costs between locations.
        overtime_cost: Cost per second of overtime.
        priorities: Priority of every job in the model.
        stability: The most the stability costs (reassignments, shifted starts) can add.

    Returns:
        {1: P1 penalty, 2: P2 penalty, 3: P3 penalty}.
    """
    locations = {n.location for n in nodes}
    max_arc = max((max(costs[loc]) for loc in locations), default=0)
    overtime = sum(max(0, v.latest_end - v.soft_end) for v in vehicles) * overtime_cost
    bound = (len(nodes) + len(vehicles)) * max_arc + overtime + sum(n.cost for n in nodes) + stability
    counts = {p: sum(1 for q in priorities if q == p) for p in (1, 2, 3)}
    p3 = bound + 1
    p2 = p3 * (counts[3] + 1)
    p1 = p2 * (counts[2] + 1)
    if counts[1] * p1 + counts[2] * p2 + counts[3] * p3 + bound < OBJECTIVE_LIMIT:
        return {1: p1, 2: p2, 3: p3}
    # Squeezed: keep the total representable; a P1 still outweighs many P2s, a P2 many P3s.
    p1 = OBJECTIVE_LIMIT // (4 * max(1, len(priorities)))
    return {1: p1, 2: max(1, p1 // 1000), 3: max(1, p1 // 1_000_000)}
