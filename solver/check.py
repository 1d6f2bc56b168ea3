"""An independent feasibility checker: `check(problem, result) -> list[str]` of violations.

Written apart from the model on purpose (it imports only the plain models): it re-derives every
rule from the problem itself, so a bug in the model or in the extraction shows up here instead of
being repeated. Every benchmark and test result goes through it; empty means feasible.

Route conventions checked (see `solver._extract`): stops run start, facts (done then in progress),
planned stops and breaks, end; a stop after breaks is reached at `previous end + travel + break
durations` and starts after the breaks end; times are consistent with the matrix.
"""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from solver.models import JobStatus

if TYPE_CHECKING:
    from solver.models import Break, Depot, Job, Problem, Route, RoutingResult, Stop, Technician


def check(problem: Problem, result: RoutingResult) -> list[str]:
    """Every rule `result` breaks for `problem`.

    Args:
        problem: The problem that was solved.
        result: A result claimed for it (from any solver).

    Returns:
        Violations, each naming the route, stop or job; empty when the result is feasible.
    """
    techs = {t.id: t for t in problem.technicians}
    violations: list[str] = []
    seen: Counter[str] = Counter()
    for route in result.routes:
        tech = techs.get(route.technician_id)
        if tech is None:
            violations.append(f"route {route.technician_id}: unknown technician")
            continue
        seen[tech.id] += 1
        violations += _Route(problem, tech, route).violations()
    violations += [f"route {t}: {n} routes for one technician" for t, n in seen.items() if n > 1]
    return violations + _coverage(problem, result)


def _coverage(problem: Problem, result: RoutingResult) -> list[str]:
    """Each job at most once; open jobs in a route or unassigned; facts on their technician's route."""
    jobs = {j.id: j for j in problem.jobs}
    where: dict[str, list[str]] = {}
    for route in result.routes:
        for stop in route.stops:
            if stop.kind == "job":
                where.setdefault(stop.id, []).append(route.technician_id)
    violations = [f"job {j}: served {len(ts)} times ({', '.join(ts)})" for j, ts in where.items() if len(ts) > 1]
    violations += [f"job {j}: unknown job on route {ts[0]}" for j, ts in where.items() if j not in jobs]
    left = Counter(u.job_id for u in result.unassigned)
    violations += [f"job {j}: listed {n} times as unassigned" for j, n in left.items() if n > 1]
    violations += [f"job {u.job_id}: unassigned without a reason" for u in result.unassigned if not u.reasons]
    for job in problem.jobs:
        if job.status == JobStatus.OPEN:
            if job.id in where and job.id in left:
                violations.append(f"job {job.id}: both served and unassigned")
            elif job.id not in where and job.id not in left:
                violations.append(f"job {job.id}: neither served nor unassigned")
        elif job.id in left:
            violations.append(f"job {job.id}: {job.status.value} but listed as unassigned")
        elif where.get(job.id, [None])[0] != job.technician_id:
            violations.append(f"job {job.id}: {job.status.value}, must stay on {job.technician_id}'s route")
    violations += [f"job {j}: unknown job listed as unassigned" for j in left if j not in jobs]
    return violations


@dataclass
class _Parts:
    """Parts on the truck, and pickups made and not yet used, along a route.

    A pickup that names its job (`Stop.for_job`) serves that job only; one that does not serves the
    first later job its depot can supply.
    """

    truck: dict[str, int]
    pickups: list[Depot] = field(default_factory=list)
    named: dict[str, Depot] = field(default_factory=dict)

    def serve(self, job: Job) -> bool:
        depot_for_job = self.named.pop(job.id, None)
        if depot_for_job is not None:
            return depot_for_job.stock is None or _depot_supplies(depot_for_job, job)
        for depot in self.pickups:
            if depot.stock is None or _depot_supplies(depot, job):
                self.pickups.remove(depot)
                return True
        if all(self.truck.get(p.sku, 0) >= p.quantity for p in job.parts):
            for p in job.parts:
                self.truck[p.sku] -= p.quantity
            return True
        return False


def _depot_supplies(depot: Depot, job: Job) -> bool:
    stock = dict(depot.stock or ())
    return all(stock.get(p.sku, 0) >= p.quantity for p in job.parts)


class _Route:
    """The checks of one route against its technician."""

    def __init__(self, problem: Problem, tech: Technician, route: Route) -> None:
        self.problem, self.tech, self.route = problem, tech, route
        self.jobs = {j.id: j for j in problem.jobs}
        self.depots = {d.id: d for d in problem.depots}
        self.out: list[str] = []
        self.facts = [self.jobs[s.id] for s in route.stops if s.kind == "job" and s.id in self.jobs
                      and self.jobs[s.id].status != JobStatus.OPEN]

    def fail(self, where: str, message: str) -> None:
        self.out.append(f"route {self.tech.id} {where}: {message}")

    def violations(self) -> list[str]:
        stops = self.route.stops
        if len(stops) < 2 or stops[0].kind != "start" or stops[-1].kind != "end":
            self.fail("", "must begin with a start stop and finish with an end stop")
            return self.out
        self._ends(stops[0], stops[-1])
        self._sequence(stops)
        self._totals(stops)
        self._loads(stops)
        self._breaks([s for s in stops if s.kind == "break"], stops)
        return self.out

    def _fact_start(self, job: Job) -> int:
        return job.actual_start if job.actual_start is not None else self.tech.shift_start

    def _ready(self) -> tuple[int, int]:
        """Where and when the open part of the day starts."""
        if not self.facts:
            return self.tech.start, self.tech.shift_start
        last = self.facts[-1]
        return last.location, max(self.tech.shift_start, self._fact_start(last) + last.service)

    def _latest_end(self) -> int:
        location, ready = self._ready()
        return max(self.tech.shift_end + self.tech.max_overtime,
                   ready + self.problem.matrix.durations[location][self.tech.end])

    def _ends(self, start: Stop, end: Stop) -> None:
        if start.location != self.tech.start:
            self.fail("start", f"at location {start.location}, the shift starts at {self.tech.start}")
        if not self.facts and start.end < self.tech.shift_start:
            self.fail("start", f"leaves at {start.end}, before the shift starts ({self.tech.shift_start})")
        if end.location != self.tech.end:
            self.fail("end", f"at location {end.location}, the shift ends at {self.tech.end}")
        if end.end < end.start or end.start < end.arrival:
            self.fail("end", "times out of order")
        if end.end > self._latest_end():
            self.fail("end", f"returns at {end.end}, after the shift end plus overtime ({self._latest_end()})")

    def _sequence(self, stops: tuple[Stop, ...]) -> None:
        durations, distances = self.problem.matrix.durations, self.problem.matrix.distances
        prev, breaks, facts_over = stops[0], [], False
        for k, stop in enumerate(stops[1:], start=1):
            if stop.kind == "break":
                breaks.append(stop)
                continue
            where = f"stop {k} ({stop.kind} {stop.id})"
            if stop.travel_time != durations[prev.location][stop.location]:
                self.fail(where, f"travel_time {stop.travel_time}, the matrix says "
                                 f"{durations[prev.location][stop.location]}")
            if stop.distance != distances[prev.location][stop.location]:
                self.fail(where, f"distance {stop.distance}, the matrix says {distances[prev.location][stop.location]}")
            job = self.jobs.get(stop.id) if stop.kind == "job" else None
            is_fact = job is not None and job.status != JobStatus.OPEN
            if is_fact and facts_over:
                self.fail(where, "a done or in-progress job must come before the planned stops")
            facts_over = facts_over or not is_fact
            if is_fact and job is not None:
                self._fact(where, stop, job)
            else:
                self._timing(where, prev, stop, breaks)
                self._stop(where, stop)
            prev, breaks = stop, []

    def _fact(self, where: str, stop: Stop, job: Job) -> None:
        start = self._fact_start(job)
        if (stop.start, stop.end) != (start, start + job.service):
            self.fail(where, f"{job.status.value} job must keep its actual time {start}..{start + job.service}")

    def _timing(self, where: str, prev: Stop, stop: Stop, breaks: list[Stop]) -> None:
        travel = self.problem.matrix.durations[prev.location][stop.location]
        arrival = prev.end + travel + sum(b.end - b.start for b in breaks)
        if stop.arrival != arrival:
            self.fail(where, f"arrival {stop.arrival}, expected {arrival} (previous end + travel + breaks)")
        if stop.start < stop.arrival:
            self.fail(where, f"starts at {stop.start}, before arriving at {stop.arrival}")
        for b in breaks:
            if b.start < prev.end or b.end > stop.start:
                self.fail(f"break {b.id}", f"{b.start}..{b.end} overlaps a stop ({prev.end}..{stop.start} is free)")

    def _stop(self, where: str, stop: Stop) -> None:
        if stop.kind == "job":
            self._job(where, stop)
        elif stop.kind == "pickup":
            depot = self.depots.get(stop.id)
            if depot is None:
                self.fail(where, "unknown depot")
            elif stop.location != depot.location or stop.end != stop.start + depot.pickup_duration:
                self.fail(where, "pickup must be at the depot and last its pickup_duration")
        elif stop.kind == "end":
            if stop.end != stop.start:
                self.fail(where, "the end stop has no duration")
        else:
            self.fail(where, f"unknown stop kind {stop.kind!r}")

    def _job(self, where: str, stop: Stop) -> None:
        job = self.jobs.get(stop.id)
        if job is None:
            return  # reported once by the coverage check
        if stop.location != job.location:
            self.fail(where, f"at location {stop.location}, the job is at {job.location}")
        if stop.end != stop.start + job.service:
            self.fail(where, f"ends at {stop.end}, expected start + service = {stop.start + job.service}")
        if job.windows and not any(w.start <= stop.start <= w.latest_start and
                                   (w.latest_end is None or stop.end <= w.latest_end) for w in job.windows):
            self.fail(where, f"starts at {stop.start}, outside every time window")
        missing = job.skills - self.tech.skills
        if missing:
            self.fail(where, f"technician lacks skill {', '.join(sorted(missing))}")
        if job.pinned_to is not None and job.pinned_to != self.tech.id:
            self.fail(where, f"pinned to {job.pinned_to}")

    def _totals(self, stops: tuple[Stop, ...]) -> None:
        if self.route.travel_time != sum(s.travel_time for s in stops):
            self.fail("", f"travel_time {self.route.travel_time} is not the sum over its stops")
        if self.route.distance != sum(s.distance for s in stops):
            self.fail("", f"distance {self.route.distance} is not the sum over its stops")
        overtime = max(0, stops[-1].end - self.tech.shift_end)
        if self.route.overtime != overtime:
            self.fail("", f"overtime {self.route.overtime}, expected {overtime}")

    def _loads(self, stops: tuple[Stop, ...]) -> None:
        parts = _Parts(truck=self.tech.stock())
        load = 0
        for k, stop in enumerate(stops):
            if stop.kind == "pickup" and stop.id in self.depots:
                if stop.for_job is None:
                    parts.pickups.append(self.depots[stop.id])
                else:
                    parts.named[stop.for_job] = self.depots[stop.id]
            job = self.jobs.get(stop.id) if stop.kind == "job" else None
            if job is None or job.status != JobStatus.OPEN:
                continue
            load += job.demand
            if job.parts and not parts.serve(job):
                self.fail(f"stop {k} (job {job.id})", "parts neither on the truck nor picked up earlier")
        for job_id in parts.named:
            self.fail("", f"a pickup for job {job_id} is not followed by that job")
        if self.tech.capacity is not None and load > self.tech.capacity:
            self.fail("", f"load {load} exceeds capacity {self.tech.capacity}")

    def _breaks(self, taken: list[Stop], stops: tuple[Stop, ...]) -> None:
        own = {b.id: b for b in self.tech.breaks}
        counts = Counter(s.id for s in taken)
        for stop in taken:
            brk = own.get(stop.id)
            if brk is None:
                self.fail(f"break {stop.id}", "not one of the technician's breaks")
            elif counts[stop.id] > 1:
                self.fail(f"break {stop.id}", f"taken {counts[stop.id]} times")
            elif not brk.earliest_start <= stop.start <= brk.latest_start or stop.end - stop.start != brk.duration:
                self.fail(f"break {stop.id}", f"{stop.start}..{stop.end} outside its window or of the wrong length")
        spans = sorted((s.start, s.end) for s in taken)
        if any(a_end > b_start for (_, a_end), (b_start, _) in itertools.pairwise(spans)):
            self.fail("breaks", "overlap")
        planned = any(s.kind == "job" and s.id in self.jobs and self.jobs[s.id].status == JobStatus.OPEN
                      for s in stops)
        if planned:
            for brk in self._due():
                if counts[brk.id] == 0:
                    self.fail(f"break {brk.id}", "not taken")

    def _due(self) -> list[Break]:
        """Breaks still to take once the facts are accounted for."""
        _, ready = self._ready()
        latest = self._latest_end()
        return [b for b in self.tech.breaks
                if b.latest_start >= ready and max(b.earliest_start, ready) + b.duration <= latest]
