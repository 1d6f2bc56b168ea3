"""The problem and the result, as plain frozen dataclasses (validated in `solver.validate`).

Times are integer seconds from the problem's time origin (the caller picks it, e.g. midnight UTC
of the planning day); durations are integer seconds; distances are integer units of the matrix
(metres for coordinates, or whatever the caller's matrix uses). Locations are indices into the
travel matrix.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Priority(enum.IntEnum):
    """P1 is served whenever any feasible plan can serve it, then P2, then P3."""

    P1 = 1
    P2 = 2
    P3 = 3


class JobStatus(enum.StrEnum):
    """Open jobs are planned; in-progress jobs stay first on their technician; done jobs are kept."""

    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"


@dataclass(frozen=True)
class TimeWindow:
    """Service may start in [start, latest_start] and must end by latest_end (if given)."""

    start: int
    latest_start: int
    latest_end: int | None = None


@dataclass(frozen=True)
class Break:
    """A break of `duration` seconds that must start in [earliest_start, latest_start]."""

    id: str
    earliest_start: int
    latest_start: int
    duration: int


@dataclass(frozen=True)
class PartNeed:
    """A job needs `quantity` units of `sku`."""

    sku: str
    quantity: int


@dataclass(frozen=True)
class Technician:
    """One technician's shift.

    Attributes:
        id: Technician id.
        start: Location index the shift starts from (home base or depot).
        end: Location index the shift ends at.
        shift_start: Earliest departure.
        shift_end: Planned end of the shift (back at `end`).
        max_overtime: Seconds the shift may run past `shift_end` (at an overtime cost).
        skills: Skills the technician has.
        breaks: Breaks to take inside their windows.
        truck_stock: Parts on the truck, by SKU.
        capacity: Load capacity (None: unlimited), against `Job.demand`.
    """

    id: str
    start: int
    end: int
    shift_start: int
    shift_end: int
    max_overtime: int = 0
    skills: frozenset[str] = frozenset()
    breaks: tuple[Break, ...] = ()
    truck_stock: tuple[tuple[str, int], ...] = ()
    capacity: int | None = None

    def stock(self) -> dict[str, int]:
        """The truck stock as a dict."""
        return dict(self.truck_stock)


@dataclass(frozen=True)
class Job:
    """One visit to plan.

    Attributes:
        id: Job id.
        location: Location index.
        service: Service duration, seconds.
        windows: When service may start (empty: any time in the shift). Several windows are allowed.
        skills: Skills required (all of them).
        priority: P1 (emergency) to P3 (routine).
        parts: Parts needed; from the truck, or picked up at a depot first.
        demand: Load against the technician's capacity.
        pinned_to: Only this technician may do it.
        status: open / in_progress / done.
        technician_id: For in-progress and done jobs: who has it.
        actual_start: For in-progress and done jobs: when service started.
        preferred_technician: Serving it with anyone else costs `Problem.reassign_cost` (stability).
        planned_start: The start promised so far; starting more than `Problem.shift_tolerance` away
            from it costs `Problem.shift_cost` per second (stability).
    """

    id: str
    location: int
    service: int
    windows: tuple[TimeWindow, ...] = ()
    skills: frozenset[str] = frozenset()
    priority: Priority = Priority.P3
    parts: tuple[PartNeed, ...] = ()
    demand: int = 0
    pinned_to: str | None = None
    status: JobStatus = JobStatus.OPEN
    technician_id: str | None = None
    actual_start: int | None = None
    preferred_technician: str | None = None
    planned_start: int | None = None


@dataclass(frozen=True)
class Depot:
    """A warehouse where parts can be picked up.

    Attributes:
        id: Depot id.
        location: Location index.
        stock: Parts by SKU (None: anything is in stock).
        pickup_duration: Seconds a pickup stop takes.
    """

    id: str
    location: int
    stock: tuple[tuple[str, int], ...] | None = None
    pickup_duration: int = 600


@dataclass(frozen=True)
class TravelMatrix:
    """Travel durations (seconds) and distances between location indices (square, same size)."""

    durations: tuple[tuple[int, ...], ...]
    distances: tuple[tuple[int, ...], ...]

    @property
    def size(self) -> int:
        """Number of locations."""
        return len(self.durations)


@dataclass(frozen=True)
class Problem:
    """Everything to plan.

    Attributes:
        technicians: The shifts.
        jobs: The visits (open, in progress and done).
        matrix: Travel between locations.
        depots: Where parts can be picked up.
        objective: "travel_time" (field service) or "distance" (benchmarks: distance only).
        overtime_cost: Cost per second of overtime, in objective units.
        reassign_cost: Cost of serving a job with someone other than its preferred technician.
        shift_cost: Cost per second a job starts outside `planned_start` +/- `shift_tolerance`.
        shift_tolerance: Seconds a start may move from its planned start for free.
    """

    technicians: tuple[Technician, ...]
    jobs: tuple[Job, ...]
    matrix: TravelMatrix
    depots: tuple[Depot, ...] = ()
    objective: str = "travel_time"
    overtime_cost: int = 2
    reassign_cost: int = 0
    shift_cost: int = 0
    shift_tolerance: int = 0


@dataclass(frozen=True)
class Stop:
    """One stop of a route.

    Attributes:
        kind: "start", "job", "pickup", "break" or "end".
        id: Job, depot or break id ("start"/"end" for the shift ends).
        location: Location index (the previous stop's for a break).
        arrival: When the technician gets there.
        start: When service (or the break) starts: the ETA of a job.
        end: When it ends.
        travel_time: Driving time from the previous stop.
        distance: Distance from the previous stop.
        for_job: For a pickup: the job whose parts it collects.
    """

    kind: str
    id: str
    location: int
    arrival: int
    start: int
    end: int
    travel_time: int = 0
    distance: int = 0
    for_job: str | None = None


@dataclass(frozen=True)
class Route:
    """A technician's day, stop by stop, with its totals."""

    technician_id: str
    stops: tuple[Stop, ...]
    travel_time: int
    distance: int
    overtime: int = 0

    def job_ids(self) -> list[str]:
        """The job ids in visiting order."""
        return [s.id for s in self.stops if s.kind == "job"]


@dataclass(frozen=True)
class Unassigned:
    """A job left out, with every reason found (e.g. "missing_skill:gas", "no_window_fits")."""

    job_id: str
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class SolveStats:
    """How the solve went."""

    wall_seconds: float
    status: str
    solutions: int = 0
    strategy: str = ""
    extra: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class RoutingResult:
    """The plan: a route per technician, the jobs left out and why, and the objective."""

    routes: tuple[Route, ...]
    unassigned: tuple[Unassigned, ...]
    objective: int
    feasible: bool
    stats: SolveStats

    def route_of(self, technician_id: str) -> Route | None:
        """The route of one technician, if any."""
        return next((r for r in self.routes if r.technician_id == technician_id), None)
