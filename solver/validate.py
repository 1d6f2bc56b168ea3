"""Pre-flight checks: nothing invalid may reach OR-Tools, whose `CHECK` failures abort the process.

`validate(problem)` collects every problem it finds, each prefixed with its path in the problem
(`technicians[2].shift_end: ...`, `jobs[5].location: ...`), and raises them together.
"""

from __future__ import annotations

import logging
import numbers
from collections import Counter
from typing import TYPE_CHECKING

from solver.exceptions import InvalidProblem
from solver.matrix import matrix_errors
from solver.models import JobStatus, Priority

if TYPE_CHECKING:
    from collections.abc import Iterable

    from solver.models import Break, Depot, Job, Problem, Technician, TimeWindow

logger = logging.getLogger(__name__)

MAX_TIME = 366 * 86_400  # a horizon longer than a year is a unit mistake (milliseconds, epoch seconds)
MAX_JOBS = 20_000
MAX_TECHNICIANS = 2_000
MAX_DEPOTS = 1_000
MAX_LOCATIONS = 25_000
MAX_QUANTITY = 10**9
MAX_OVERTIME_COST = 10**6
MAX_STABILITY_COST = 10**9
OBJECTIVES = ("travel_time", "distance")


def validate(problem: Problem) -> None:
    """Check a problem before it is solved.

    Args:
        problem: The problem.

    Raises:
        InvalidProblem: With every error found, each naming its path.
    """
    errors = problem_errors(problem)
    if errors:
        logger.info("solver.validate.invalid", extra={"errors": len(errors)})
        raise InvalidProblem(errors)


def problem_errors(problem: Problem) -> list[str]:
    """Every problem found in `problem` (empty when it can be solved).

    Args:
        problem: The problem.

    Returns:
        Messages, each starting with the path of the offending value.
    """
    errors = _top_level(problem)
    if errors:  # the rest indexes into these collections
        return errors
    size = problem.matrix.size
    tech_ids = {t.id for t in problem.technicians}
    for i, tech in enumerate(problem.technicians):
        errors += _technician(f"technicians[{i}]", tech, size)
    for i, job in enumerate(problem.jobs):
        errors += _job(f"jobs[{i}]", job, size, tech_ids)
    for i, depot in enumerate(problem.depots):
        errors += _depot(f"depots[{i}]", depot, size)
    errors += _duplicates("technicians", [t.id for t in problem.technicians])
    errors += _duplicates("jobs", [j.id for j in problem.jobs])
    errors += _duplicates("depots", [d.id for d in problem.depots])
    errors += _in_progress_per_technician(problem.jobs)
    return errors


def _top_level(problem: Problem) -> list[str]:
    errors: list[str] = []
    for name, items, limit in (("technicians", problem.technicians, MAX_TECHNICIANS), ("jobs", problem.jobs, MAX_JOBS),
                               ("depots", problem.depots, MAX_DEPOTS)):
        if not isinstance(items, tuple | list):
            errors.append(f"{name}: must be a sequence")
        elif len(items) > limit:
            errors.append(f"{name}: {len(items)} is more than the {limit} one problem may hold")
    if problem.objective not in OBJECTIVES:
        errors.append(f"objective: {problem.objective!r} must be one of {', '.join(OBJECTIVES)}")
    errors += _int("overtime_cost", problem.overtime_cost, 0, MAX_OVERTIME_COST)
    errors += _int("reassign_cost", problem.reassign_cost, 0, MAX_STABILITY_COST)
    errors += _int("shift_cost", problem.shift_cost, 0, MAX_OVERTIME_COST)
    errors += _int("shift_tolerance", problem.shift_tolerance, 0, MAX_TIME)
    matrix = problem.matrix
    durations, distances = getattr(matrix, "durations", None), getattr(matrix, "distances", None)
    if not isinstance(durations, tuple | list) or not isinstance(distances, tuple | list):
        return [*errors, "matrix: durations and distances must be lists of rows"]
    if len(durations) > MAX_LOCATIONS:
        return [*errors, f"matrix: {len(durations)} locations is more than {MAX_LOCATIONS}"]
    errors += matrix_errors("matrix.durations", durations)
    errors += matrix_errors("matrix.distances", distances)
    if len(distances) != len(durations):
        errors.append(f"matrix.distances: size {len(distances)} differs from durations size {len(durations)}")
    return errors


def _int(path: str, value: object, lo: int, hi: int) -> list[str]:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        return [f"{path}: {value!r} is not an integer"]
    value = int(value)
    if value < lo:
        return [f"{path}: {value} is negative" if lo == 0 else f"{path}: {value} is less than {lo}"]
    if value > hi:
        return [f"{path}: {value} is more than {hi}"]
    return []


def _location(path: str, value: object, size: int) -> list[str]:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        return [f"{path}: {value!r} is not an integer"]
    if not 0 <= int(value) < size:
        return [f"{path}: {value} not in matrix (size {size})"]
    return []


def _id(path: str, value: object) -> list[str]:
    return [] if isinstance(value, str) and value else [f"{path}: {value!r} must be a non-empty string"]


def _strings(path: str, values: object) -> list[str]:
    if not isinstance(values, frozenset | set | tuple | list):
        return [f"{path}: must be a set of strings"]
    return [f"{path}: {v!r} is not a non-empty string" for v in values if not (isinstance(v, str) and v)]


def _duplicates(path: str, ids: Iterable[object]) -> list[str]:
    return [f"{path}: duplicate id {i!r}" for i, n in Counter(ids).items() if n > 1]


def _stock(path: str, stock: object, *, positive: bool = False) -> list[str]:
    if not isinstance(stock, tuple | list):
        return [f"{path}: must be a list of (sku, quantity) pairs"]
    errors: list[str] = []
    for k, item in enumerate(stock):
        if not isinstance(item, tuple | list) or len(item) != 2:
            errors.append(f"{path}[{k}]: must be a (sku, quantity) pair")
            continue
        errors += _id(f"{path}[{k}].sku", item[0])
        errors += _int(f"{path}[{k}].quantity", item[1], 1 if positive else 0, MAX_QUANTITY)
    skus = [item[0] for item in stock if isinstance(item, tuple | list) and len(item) == 2]
    return errors + [f"{path}: SKU {s!r} listed twice" for s, n in Counter(skus).items() if n > 1]


def _technician(path: str, tech: Technician, size: int) -> list[str]:
    errors = _id(f"{path}.id", tech.id)
    errors += _location(f"{path}.start", tech.start, size)
    errors += _location(f"{path}.end", tech.end, size)
    times = _int(f"{path}.shift_start", tech.shift_start, 0, MAX_TIME)
    times += _int(f"{path}.shift_end", tech.shift_end, 0, MAX_TIME)
    times += _int(f"{path}.max_overtime", tech.max_overtime, 0, MAX_TIME)
    errors += times
    if not times:
        if tech.shift_end < tech.shift_start:
            errors.append(f"{path}.shift_end: {tech.shift_end} is before shift_start {tech.shift_start}")
        elif tech.shift_end + tech.max_overtime > MAX_TIME:
            errors.append(f"{path}.max_overtime: the shift would end after {MAX_TIME} s (more than a year)")
        else:
            errors += _breaks(f"{path}.breaks", tech)
    errors += _strings(f"{path}.skills", tech.skills)
    errors += _stock(f"{path}.truck_stock", tech.truck_stock)
    if tech.capacity is not None:
        errors += _int(f"{path}.capacity", tech.capacity, 0, MAX_QUANTITY)
    return errors


def _breaks(path: str, tech: Technician) -> list[str]:
    if not isinstance(tech.breaks, tuple | list):
        return [f"{path}: must be a list of breaks"]
    errors: list[str] = []
    for k, brk in enumerate(tech.breaks):
        errors += _break(f"{path}[{k}]", brk, tech)
    errors += _duplicates(path, [b.id for b in tech.breaks])
    if not errors:
        total = sum(b.duration for b in tech.breaks)
        if total > tech.shift_end + tech.max_overtime - tech.shift_start:
            errors.append(f"{path}: {total} s of breaks do not fit the shift with its overtime")
    return errors


def _break(path: str, brk: Break, tech: Technician) -> list[str]:
    errors = _id(f"{path}.id", brk.id)
    times = _int(f"{path}.earliest_start", brk.earliest_start, 0, MAX_TIME)
    times += _int(f"{path}.latest_start", brk.latest_start, 0, MAX_TIME)
    times += _int(f"{path}.duration", brk.duration, 0, MAX_TIME)
    if times:
        return errors + times
    last_end = tech.shift_end + tech.max_overtime
    if brk.latest_start < brk.earliest_start:
        errors.append(f"{path}.latest_start: {brk.latest_start} is before earliest_start {brk.earliest_start}")
    elif brk.latest_start < tech.shift_start:
        errors.append(f"{path}: the window ends at {brk.latest_start}, before the shift starts ({tech.shift_start})")
    elif max(brk.earliest_start, tech.shift_start) + brk.duration > last_end:
        errors.append(f"{path}: does not fit the shift (it would end after {last_end}, shift end with overtime)")
    return errors


def _windows(path: str, job: Job) -> list[str]:
    if not isinstance(job.windows, tuple | list):
        return [f"{path}: must be a list of time windows"]
    errors: list[str] = []
    for k, window in enumerate(job.windows):
        errors += _window(f"{path}[{k}]", window, job.service)
    return errors


def _window(path: str, window: TimeWindow, service: int) -> list[str]:
    errors = _int(f"{path}.start", window.start, 0, MAX_TIME)
    errors += _int(f"{path}.latest_start", window.latest_start, 0, MAX_TIME)
    if window.latest_end is not None:
        errors += _int(f"{path}.latest_end", window.latest_end, 0, MAX_TIME)
    if errors:
        return errors
    if window.latest_start < window.start:
        return [f"{path}: inverted, latest_start {window.latest_start} is before start {window.start}"]
    if window.latest_end is not None and window.latest_end < window.start + service:
        return [f"{path}.latest_end: {window.latest_end} leaves no time for the {service} s service after "
                f"start {window.start}"]
    return []


def _job(path: str, job: Job, size: int, tech_ids: set[str]) -> list[str]:
    errors = _id(f"{path}.id", job.id)
    errors += _location(f"{path}.location", job.location, size)
    service = _int(f"{path}.service", job.service, 0, MAX_TIME)
    errors += service or _windows(f"{path}.windows", job)
    errors += _strings(f"{path}.skills", job.skills)
    if job.priority not in tuple(Priority):
        errors.append(f"{path}.priority: {job.priority!r} must be 1, 2 or 3 (P1..P3)")
    errors += _parts(f"{path}.parts", job)
    errors += _int(f"{path}.demand", job.demand, 0, MAX_QUANTITY)
    if job.pinned_to is not None and job.pinned_to not in tech_ids:
        errors.append(f"{path}.pinned_to: unknown technician {job.pinned_to!r}")
    if job.preferred_technician is not None and job.preferred_technician not in tech_ids:
        errors.append(f"{path}.preferred_technician: unknown technician {job.preferred_technician!r}")
    if job.planned_start is not None:
        errors += _int(f"{path}.planned_start", job.planned_start, 0, MAX_TIME)
    return errors + _status(path, job, tech_ids)


def _parts(path: str, job: Job) -> list[str]:
    if not isinstance(job.parts, tuple | list):
        return [f"{path}: must be a list of part needs"]
    return _stock(path, [(p.sku, p.quantity) for p in job.parts], positive=True)


def _status(path: str, job: Job, tech_ids: set[str]) -> list[str]:
    if job.status not in tuple(JobStatus):
        return [f"{path}.status: {job.status!r} must be one of {', '.join(JobStatus)}"]
    if job.actual_start is not None:
        errors = _int(f"{path}.actual_start", job.actual_start, 0, MAX_TIME)
        if errors:
            return errors
    if job.status == JobStatus.OPEN:
        return []
    if job.technician_id is None:
        return [f"{path}.technician_id: required for a job that is {job.status.value}"]
    if job.technician_id not in tech_ids:
        return [f"{path}.technician_id: unknown technician {job.technician_id!r}"]
    if job.pinned_to is not None and job.pinned_to != job.technician_id:
        return [f"{path}.pinned_to: {job.pinned_to!r} differs from technician_id {job.technician_id!r}"]
    if job.status == JobStatus.DONE and job.actual_start is None:
        return [f"{path}.actual_start: required for a done job"]
    return []


def _in_progress_per_technician(jobs: Iterable[Job]) -> list[str]:
    counts = Counter(j.technician_id for j in jobs if j.status == JobStatus.IN_PROGRESS)
    return [f"jobs: technician {t!r} has {n} jobs in progress (at most one)" for t, n in counts.items() if n > 1]


def _depot(path: str, depot: Depot, size: int) -> list[str]:
    errors = _id(f"{path}.id", depot.id)
    errors += _location(f"{path}.location", depot.location, size)
    errors += _int(f"{path}.pickup_duration", depot.pickup_duration, 0, MAX_TIME)
    if depot.stock is not None:
        errors += _stock(f"{path}.stock", depot.stock)
    return errors
