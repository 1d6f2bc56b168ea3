"""From what OR-Tools returned (`RawSolution`) to routes of stops with times, travel and distance.

Conventions of a route (the checker verifies them):

- stops: "start", the done jobs then the job in progress (their actual times), the planned jobs,
  pickups and breaks in time order, "end";
- a break sits between two stops; its location is the previous stop's; the stop after it is
  reached at `previous end + travel + durations of the breaks in between` (driving may be split
  around a break), and starts no earlier than the breaks' ends;
- the start stop's time is the departure (with facts: when the technician left for the first one);
- times are re-derived from the stop order (`_schedule`): every service and break as early as its
  window allows, departing as late as that allows; OR-Tools' own times are the fallback;
- the end stop's start/end is the return (or the end of a last break taken there);
- overtime is how far the return is past the shift end.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from solver._model import NODE_JOB, NODE_PICKUP
from solver.models import JobStatus, Route, Stop
from solver.reasons import earliest_start, fact_start

if TYPE_CHECKING:
    from solver._model import Spec
    from solver._ortools import RawRoute, RawSolution
    from solver.models import Problem
    from solver.reasons import Analysis, TechnicianDay


@dataclass(frozen=True)
class _Item:
    """A planned stop or a break, in route order, before its time is fixed."""

    kind: str
    id: str
    location: int
    service: int
    windows: tuple[tuple[int, int], ...]
    solver_start: int
    for_job: str | None = None
    not_before: int = 0


def _items(problem: Problem, spec: Spec, raw: RawRoute) -> list[_Item]:
    """The planned stops and breaks of a raw route in time order, the end stop last."""
    vehicle = spec.vehicles[raw.vehicle]
    pending = sorted((start, k) for k, start in raw.breaks)
    delivery = dict(spec.pairs)
    items: list[_Item] = []
    for node_id, at in zip(raw.nodes[1:], raw.times[1:], strict=True):
        while pending and (pending[0][0] < at or node_id == raw.nodes[-1]):
            start, k = pending.pop(0)
            earliest, latest, duration = vehicle.breaks[k]
            items.append(_Item("break", vehicle.break_ids[k], -1, duration, ((earliest, latest),), start))
        node = spec.nodes[node_id]
        if node.kind == NODE_JOB:
            windows = node.windows or ((0, 2**62),)
            not_before = node.target - spec.shift_tolerance if spec.shift_cost and node.target >= 0 else 0
            items.append(_Item("job", problem.jobs[node.ref].id, node.location, node.service, windows, at,
                               not_before=not_before))
        elif node.kind == NODE_PICKUP:
            job = problem.jobs[spec.nodes[delivery[node_id]].ref].id
            items.append(_Item("pickup", problem.depots[node.ref].id, node.location, node.service, ((0, 2**62),), at,
                               for_job=job))
    end = problem.technicians[raw.vehicle].end
    return [*items, _Item("end", "end", end, 0, ((0, 2**62),), raw.times[-1])]


def _schedule(items: list[_Item], durations: tuple[tuple[int, ...], ...], location: int, ready: int,
              targets: bool = True) -> list[int] | None:
    """The earliest start of every item, breaks kept in their gaps; None when something does not fit.

    Driving between two stops may be split around the breaks of that gap: drive until a break's
    window opens, take it, drive on. With `targets`, a job with a planned start (stability) starts
    no earlier than its free tolerance allows, so that a re-plan does not pull ETAs forward.
    """
    starts: list[int] = []
    t, drive = ready, None
    for k, item in enumerate(items):
        if drive is None:  # first item of a gap: how far to the next stop
            target = next(i for i in items[k:] if i.kind != "break")
            drive = durations[location][target.location]
        if item.kind == "break":
            (earliest, latest), = item.windows
            ahead = min(drive, max(0, earliest - t))
            t, drive = t + ahead, drive - ahead
            start: int | None = max(t, earliest)
            if start is not None and start > latest:
                return None
        else:
            start = earliest_start(max(t + drive, item.not_before if targets else 0), item.windows)
            location, drive = item.location, None
        if start is None:
            return None
        starts.append(start)
        t = start + item.service
    return starts


class _Builder:
    """Appends stops to one route, computing travel, distance and arrival from the previous stop."""

    def __init__(self, problem: Problem) -> None:
        self.durations = problem.matrix.durations
        self.distances = problem.matrix.distances
        self.stops: list[Stop] = []
        self._breaks = 0  # duration of breaks since the last non-break stop

    @property
    def last(self) -> Stop:
        return next(s for s in reversed(self.stops) if s.kind != "break")

    def first(self, location: int, at: int) -> None:
        self.stops.append(Stop(kind="start", id="start", location=location, arrival=at, start=at, end=at))

    def fact(self, id_: str, location: int, start: int, service: int) -> None:
        prev = self.last.location
        self.stops.append(Stop(kind="job", id=id_, location=location, arrival=start, start=start, end=start + service,
                               travel_time=self.durations[prev][location], distance=self.distances[prev][location]))

    def add(self, item: _Item, start: int) -> None:
        if item.kind == "break":
            self.stops.append(Stop(kind="break", id=item.id, location=self.stops[-1].location, arrival=start,
                                   start=start, end=start + item.service))
            self._breaks += item.service
            return
        last = self.last
        travel = self.durations[last.location][item.location]
        self.stops.append(Stop(kind=item.kind, id=item.id, location=item.location,
                               arrival=last.end + travel + self._breaks, start=start, end=start + item.service,
                               travel_time=travel, distance=self.distances[last.location][item.location],
                               for_job=item.for_job))
        self._breaks = 0


def build_routes(problem: Problem, analysis: Analysis, spec: Spec, raw: RawSolution | None) -> tuple[Route, ...]:
    """Every technician's route, in `problem.technicians` order.

    Args:
        problem: The problem.
        analysis: Its analysis (facts and days).
        spec: The model the solution belongs to.
        raw: The solution (None: nothing planned; facts only).

    Returns:
        The routes.
    """
    by_vehicle = {r.vehicle: r for r in raw.routes} if raw is not None else {}
    return tuple(_route(problem, analysis, spec, v, by_vehicle.get(v)) for v in range(len(problem.technicians)))


def _route(problem: Problem, analysis: Analysis, spec: Spec, v: int, raw: RawRoute | None) -> Route:
    tech, day = problem.technicians[v], analysis.days[v]
    used = raw is not None and (len(raw.nodes) > 2 or bool(day.facts))
    items = _items(problem, spec, raw) if raw is not None and used else [
        _Item("end", "end", tech.end, 0, ((0, 2**62),), day.ready)]
    starts = (_schedule(items, problem.matrix.durations, day.location, day.ready)
              or _schedule(items, problem.matrix.durations, day.location, day.ready, targets=False)
              or [i.solver_start for i in items])
    builder = _Builder(problem)
    _start(builder, problem, v, day, items[0], starts[0])
    for item, start in zip(items, starts, strict=True):
        builder.add(item, start)
    stops = tuple(builder.stops)
    return Route(technician_id=tech.id, stops=stops, travel_time=sum(s.travel_time for s in stops),
                 distance=sum(s.distance for s in stops), overtime=max(0, stops[-1].end - tech.shift_end))


def _start(builder: _Builder, problem: Problem, v: int, day: TechnicianDay, first: _Item, first_start: int) -> None:
    """The start stop, then the facts; without facts, leave as late as the first stop allows."""
    tech, durations = problem.technicians[v], problem.matrix.durations
    if day.facts:
        job = day.facts[0]
        left = fact_start(job, tech) - durations[tech.start][job.location]
        builder.first(tech.start, max(0, min(tech.shift_start, left)))
        for job in day.facts:
            builder.fact(job.id, job.location, fact_start(job, tech), job.service)
    elif first.kind == "break":
        builder.first(tech.start, day.ready)
    else:
        builder.first(tech.start, max(day.ready, first_start - durations[tech.start][first.location]))


def objective(problem: Problem, routes: tuple[Route, ...]) -> int:
    """What the plan costs, without drop penalties.

    Travel (time or distance, per `problem.objective`) from the last done or in-progress job on,
    plus overtime at `problem.overtime_cost` per second.

    Args:
        problem: The problem.
        routes: Its routes.

    Returns:
        The cost, in objective units.
    """
    jobs = {j.id: j for j in problem.jobs}
    total = 0
    for route in routes:
        stops = [s for s in route.stops if s.kind != "break"]
        facts = [k for k, s in enumerate(stops) if s.kind == "job" and jobs[s.id].status != JobStatus.OPEN]
        planned = stops[(facts[-1] if facts else 0) + 1:]
        if len(planned) <= 1 and not facts:
            continue  # an unused technician
        total += sum(s.distance if problem.objective == "distance" else s.travel_time for s in planned)
        total += route.overtime * problem.overtime_cost
    return total
