"""Who could serve each job, and why nobody can: our own analysis, independent of OR-Tools.

Run before the model is built: a job nobody can serve never reaches OR-Tools and is reported
unassigned with its reasons; the others get the technicians (and the parts pickup depot) allowed
to serve them. A job left out by the search although somebody could serve it alone gets "capacity".

Reasons (several may apply):

- `missing_skill:<skill>`: no technician has the skill (or nobody has the whole combination);
- `pinned_technician_unavailable`: the pinned technician cannot serve it;
- `demand_exceeds_capacity`: the load is more than any eligible truck carries;
- `parts_unavailable:<sku>`: neither an eligible truck nor a depot has the part;
- `no_window_fits`: no eligible technician can reach it inside a window and be back by the end of
  the shift plus overtime (breaks ignored: they can be taken while waiting);
- `capacity`: it could be served alone, but the day has no room left for it;
- `no_technicians`: the problem has no technician at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from solver.models import JobStatus

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from solver.models import Break, Depot, Job, Problem, Technician

CAPACITY = "capacity"
NO_WINDOW_FITS = "no_window_fits"
PINNED_UNAVAILABLE = "pinned_technician_unavailable"
DEMAND_EXCEEDS_CAPACITY = "demand_exceeds_capacity"
NO_TECHNICIANS = "no_technicians"


@dataclass(frozen=True)
class TechnicianDay:
    """What is left of a technician's day once done and in-progress jobs are accounted for.

    Attributes:
        facts: Done jobs (by actual start), then the job in progress: kept first, never moved.
        location: Where the open part of the day starts (the last fact's location, or the start).
        ready: When it starts.
        latest_end: Hard end of the day: shift end plus overtime (later if a fact overran).
        breaks: Breaks still to take (those whose window is already over are dropped).
    """

    facts: tuple[Job, ...]
    location: int
    ready: int
    latest_end: int
    breaks: tuple[Break, ...]


@dataclass(frozen=True)
class JobOptions:
    """How one open job can be served.

    Attributes:
        truck: Technicians (indices) who can serve it with what is on their truck.
        pickup: Technicians who can serve it after a pickup at `depot`.
        depot: Index of the depot for the pickup alternative (None: no pickup).
        reasons: Why nobody can serve it (empty when somebody can).
    """

    truck: tuple[int, ...]
    pickup: tuple[int, ...] = ()
    depot: int | None = None
    reasons: tuple[str, ...] = ()


def fact_start(job: Job, tech: Technician) -> int:
    """When a done or in-progress job started (an in-progress job without a time: the shift start)."""
    return job.actual_start if job.actual_start is not None else tech.shift_start


def technician_day(problem: Problem, tech: Technician) -> TechnicianDay:
    """The open part of one technician's day.

    Args:
        problem: The problem.
        tech: The technician.

    Returns:
        Facts, where and when the open part starts, the hard end and the breaks left.
    """
    mine = [j for j in problem.jobs if j.technician_id == tech.id and j.status != JobStatus.OPEN]
    done = sorted((j for j in mine if j.status == JobStatus.DONE), key=lambda j: (fact_start(j, tech), j.id))
    facts = tuple(done + [j for j in mine if j.status == JobStatus.IN_PROGRESS])
    location, ready = tech.start, tech.shift_start
    if facts:
        location, ready = facts[-1].location, max(tech.shift_start, fact_start(facts[-1], tech) + facts[-1].service)
    latest_end = max(tech.shift_end + tech.max_overtime, ready + problem.matrix.durations[location][tech.end])
    breaks = tuple(b for b in tech.breaks
                   if b.latest_start >= ready and max(b.earliest_start, ready) + b.duration <= latest_end)
    return TechnicianDay(facts=facts, location=location, ready=ready, latest_end=latest_end, breaks=breaks)


def service_windows(job: Job) -> list[tuple[int, int]]:
    """When service may start: sorted, merged [lo, hi] ranges, `latest_end` folded in (empty: never).

    A job without windows may start any time (one unbounded range).
    """
    if not job.windows:
        return [(0, 2**62)]
    ranges = sorted((w.start, w.latest_start if w.latest_end is None
                     else min(w.latest_start, w.latest_end - job.service)) for w in job.windows)
    merged: list[tuple[int, int]] = []
    for lo, hi in ranges:
        if hi < lo:
            continue
        if merged and lo <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return merged


def earliest_start(arrival: int, windows: Sequence[tuple[int, int]]) -> int | None:
    """The first service start at or after `arrival` inside one of the (sorted) windows."""
    for lo, hi in windows:
        if arrival <= hi:
            return max(arrival, lo)
    return None


class Analysis:
    """The technicians' days and every open job's options, for one problem."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        self.days = tuple(technician_day(problem, t) for t in problem.technicians)
        self._tech_index = {t.id: i for i, t in enumerate(problem.technicians)}
        self.options = {j.id: self._options(j) for j in problem.jobs if j.status == JobStatus.OPEN}

    def reach(self, v: int, job: Job, depot: Depot | None) -> bool:
        """Whether technician `v` alone can serve `job` (after a pickup at `depot`) and be back in time.

        Args:
            v: Technician index.
            job: The job.
            depot: Depot to pick parts up at first, or None.

        Returns:
            True when it fits the technician's day, ignoring every other job.
        """
        durations = self.problem.matrix.durations
        day, tech = self.days[v], self.problem.technicians[v]
        t, loc = day.ready, day.location
        if depot is not None:
            t, loc = t + durations[loc][depot.location] + depot.pickup_duration, depot.location
        start = earliest_start(t + durations[loc][job.location], service_windows(job))
        return start is not None and start + job.service + durations[job.location][tech.end] <= day.latest_end

    def _options(self, job: Job) -> JobOptions:
        if not self.problem.technicians:
            return JobOptions(truck=(), reasons=(NO_TECHNICIANS,))
        reasons: list[str] = []
        cands = list(range(len(self.problem.technicians)))
        stages: tuple[Callable[[Job, list[int]], tuple[list[int], list[str]]], ...] = (
            self._skills, self._pinned, self._demand)
        for stage in stages:
            kept, why = stage(job, cands)
            if kept:
                cands = kept
            else:  # keep diagnosing on the previous candidates: several reasons may apply
                reasons += why
        depot = self._depot(job)
        truck = [v for v in cands if self._covers(v, job)]
        if job.parts and not truck and depot is None:
            reasons += self._missing_parts(job, cands)
        truck_ok = [v for v in (truck if job.parts and not reasons else cands) if self.reach(v, job, None)]
        pickup_ok = [v for v in cands if self.reach(v, job, self.problem.depots[depot])] if depot is not None else []
        if not truck_ok and not pickup_ok:
            reasons.append(NO_WINDOW_FITS)
        if reasons:
            if job.pinned_to is not None and PINNED_UNAVAILABLE not in reasons:
                reasons.append(PINNED_UNAVAILABLE)
            return JobOptions(truck=(), reasons=tuple(reasons))
        return JobOptions(truck=tuple(truck_ok), pickup=tuple(pickup_ok) if job.parts else (),
                          depot=depot if job.parts and pickup_ok else None)

    def _skills(self, job: Job, cands: list[int]) -> tuple[list[int], list[str]]:
        techs = self.problem.technicians
        kept = [v for v in cands if job.skills <= techs[v].skills]
        if kept or not cands:
            return kept, []
        held = frozenset().union(*(techs[v].skills for v in cands))
        missing = job.skills - held
        if not missing:  # every skill is held by someone, the combination by nobody: the closest tech's gaps
            closest = max(cands, key=lambda v: (len(job.skills & techs[v].skills), -v))
            missing = job.skills - techs[closest].skills
        return [], [f"missing_skill:{s}" for s in sorted(missing)]

    def _pinned(self, job: Job, cands: list[int]) -> tuple[list[int], list[str]]:
        if job.pinned_to is None:
            return cands, []
        v = self._tech_index[job.pinned_to]
        return ([v], []) if v in cands else ([], [PINNED_UNAVAILABLE])

    def _demand(self, job: Job, cands: list[int]) -> tuple[list[int], list[str]]:
        techs = self.problem.technicians
        kept = [v for v in cands if techs[v].capacity is None or job.demand <= (techs[v].capacity or 0)]
        return kept, ([] if kept else [DEMAND_EXCEEDS_CAPACITY])

    def _covers(self, v: int, job: Job) -> bool:
        stock = self.problem.technicians[v].stock()
        return all(stock.get(p.sku, 0) >= p.quantity for p in job.parts)

    def _depot(self, job: Job) -> int | None:
        """The depot nearest to the job that stocks all its parts (None: no parts, or no such depot)."""
        if not job.parts:
            return None
        durations = self.problem.matrix.durations
        stocked = [i for i, d in enumerate(self.problem.depots) if _depot_has(d, job)]
        return min(stocked, key=lambda i: (durations[self.problem.depots[i].location][job.location], i), default=None)

    def _missing_parts(self, job: Job, cands: list[int]) -> list[str]:
        """The SKUs the best single source (an eligible truck or a depot) lacks."""
        sources = [self.problem.technicians[v].stock() for v in cands]
        sources += [dict(d.stock) for d in self.problem.depots if d.stock is not None]
        best: set[str] = {p.sku for p in job.parts}
        for stock in sources:
            lacking = {p.sku for p in job.parts if stock.get(p.sku, 0) < p.quantity}
            if len(lacking) < len(best):
                best = lacking
        return [f"parts_unavailable:{s}" for s in sorted(best)]


def _depot_has(depot: Depot, job: Job) -> bool:
    if depot.stock is None:
        return True
    stock = dict(depot.stock)
    return all(stock.get(p.sku, 0) >= p.quantity for p in job.parts)
