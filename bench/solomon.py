"""Solomon-format VRPTW instances: parsing, the integer (trunc1) data, and the solver `Problem`.

All solvers see the same integers: distances (= travel times) are `isqrt(100·(dx²+dy²))`, i.e.
⌊10·euclid⌋, and ready/due/service times are scaled by 10. Totals divided by 10 compare directly
with the `dimacs_trunc1` best-known solutions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from solver.models import Job, Priority, Problem, Technician, TimeWindow, TravelMatrix

if TYPE_CHECKING:
    from pathlib import Path

SCALE = 10
Matrix = tuple[tuple[int, ...], ...]


@dataclass(frozen=True)
class Node:
    """One line of the CUSTOMER table (node 0 is the depot), in the file's units."""

    id: int
    x: int
    y: int
    demand: int
    ready: int
    due: int
    service: int


@dataclass(frozen=True)
class Instance:
    """A parsed instance: K vehicles of capacity Q, the depot and the customers (file order)."""

    name: str
    vehicles: int
    capacity: int
    depot: Node
    customers: tuple[Node, ...]

    @property
    def nodes(self) -> tuple[Node, ...]:
        """Depot first, then the customers: node i is matrix location i."""
        return (self.depot, *self.customers)

    @property
    def horizon(self) -> int:
        """The depot's due date: every route must be back by then (file units)."""
        return self.depot.due


class FormatError(ValueError):
    """The file is not in Solomon format."""


def read(path: Path) -> Instance:
    """Parse a Solomon-format file (CRLF or LF)."""
    return parse(path.read_text())


def parse(text: str) -> Instance:
    """Parse the text of a Solomon-format instance.

    Raises:
        FormatError: A section is missing or a row is malformed.
    """
    lines = [ln.strip() for ln in text.splitlines()]
    lines = [ln for ln in lines if ln]
    try:
        name = lines[0]
        v = lines.index("VEHICLE")
        vehicles, capacity = (int(t) for t in lines[v + 2].split())
        c = lines.index("CUSTOMER")
    except (ValueError, IndexError) as exc:
        raise FormatError(f"not a Solomon instance: {exc}") from exc
    nodes = [_node(ln) for ln in lines[c + 2:]]
    if not nodes or nodes[0].id != 0:
        raise FormatError("the first CUSTOMER row must be the depot (0)")
    if [n.id for n in nodes] != list(range(len(nodes))):
        raise FormatError("customers must be numbered 1..n in order")
    return Instance(name=name, vehicles=vehicles, capacity=capacity, depot=nodes[0], customers=tuple(nodes[1:]))


def _node(line: str) -> Node:
    fields = line.split()
    if len(fields) != 7:
        raise FormatError(f"expected 7 fields in a customer row: {line!r}")
    try:
        return Node(*(int(f) for f in fields))
    except ValueError as exc:  # the sets we use are integral; a fractional file would need another convention
        raise FormatError(f"non-integer value in {line!r}") from exc


def head(instance: Instance, n: int) -> Instance:
    """The instance restricted to its first `n` customers (small test problems)."""
    return Instance(instance.name, instance.vehicles, instance.capacity, instance.depot, instance.customers[:n])


def int_distance(a: Node, b: Node) -> int:
    """⌊10·euclid(a, b)⌋, computed exactly in integers."""
    dx, dy = a.x - b.x, a.y - b.y
    return math.isqrt(SCALE * SCALE * (dx * dx + dy * dy))


def distance_matrix(instance: Instance) -> Matrix:
    """The integer distance (= travel time) matrix over `instance.nodes`."""
    nodes = instance.nodes
    rows = [[0] * len(nodes) for _ in nodes]
    for i, a in enumerate(nodes):
        for j in range(i + 1, len(nodes)):
            rows[i][j] = rows[j][i] = int_distance(a, nodes[j])
    return tuple(tuple(r) for r in rows)


def to_problem(instance: Instance, matrix: Matrix | None = None) -> Problem:
    """The instance as a Backbone `Problem`: K identical vehicles at location 0, distance objective.

    Job ids are the customer numbers as strings; technician ids are "v1".."vK".
    """
    m = matrix if matrix is not None else distance_matrix(instance)
    techs = tuple(
        Technician(id=f"v{k + 1}", start=0, end=0, shift_start=0, shift_end=instance.horizon * SCALE,
                   capacity=instance.capacity)
        for k in range(instance.vehicles)
    )
    jobs = tuple(
        Job(id=str(c.id), location=c.id, service=c.service * SCALE, demand=c.demand, priority=Priority.P1,
            windows=(TimeWindow(start=c.ready * SCALE, latest_start=c.due * SCALE),))
        for c in instance.customers
    )
    return Problem(technicians=techs, jobs=jobs, matrix=TravelMatrix(durations=m, distances=m), objective="distance")
