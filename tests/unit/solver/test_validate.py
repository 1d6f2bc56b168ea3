"""Pre-flight validation: every bad input is a clear error naming its path, never a crash."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import pytest

from solver.exceptions import InvalidProblem
from solver.models import Break, Depot, Job, JobStatus, PartNeed, Problem, TimeWindow, TravelMatrix
from solver.params import SolveParams
from solver.routing import solve_routes
from solver.validate import problem_errors, validate
from tests.unit.solver.problems import H, problem, tech

if TYPE_CHECKING:
    from collections.abc import Callable


def good() -> Problem:
    return problem(
        (tech("t1", breaks=(Break("lunch", 12 * H, 13 * H, 1800),), truck_stock=(("CAP", 2),)), tech("t2", home=7)),
        (Job("a", 1, 1800, windows=(TimeWindow(9 * H, 10 * H),)), Job("b", 2, 1800, parts=(PartNeed("CAP", 1),)),
         Job("c", 3, 600, status=JobStatus.DONE, technician_id="t1", actual_start=8 * H)),
        depots=(Depot("w1", 6),),
    )


def with_tech(k: int, **changes: object) -> Callable[[Problem], Problem]:
    def change(p: Problem) -> Problem:
        techs = list(p.technicians)
        techs[k] = replace(techs[k], **changes)  # type: ignore[arg-type]
        return replace(p, technicians=tuple(techs))
    return change


def with_job(k: int, **changes: object) -> Callable[[Problem], Problem]:
    def change(p: Problem) -> Problem:
        jobs = list(p.jobs)
        jobs[k] = replace(jobs[k], **changes)  # type: ignore[arg-type]
        return replace(p, jobs=tuple(jobs))
    return change


def square(n: int, value: int = 1) -> TravelMatrix:
    rows = tuple(tuple(0 if i == j else value for j in range(n)) for i in range(n))
    return TravelMatrix(rows, rows)


CASES: list[tuple[str, Callable[[Problem], Problem], str]] = [
    ("shift inverted", with_tech(1, shift_end=7 * H), "technicians[1].shift_end: 25200 is before shift_start 28800"),
    ("start off matrix", with_tech(0, start=412), "technicians[0].start: 412 not in matrix (size 8)"),
    ("negative overtime", with_tech(0, max_overtime=-5), "technicians[0].max_overtime: -5 is negative"),
    ("job off matrix", with_job(0, location=412), "jobs[0].location: 412 not in matrix (size 8)"),
    ("negative service", with_job(1, service=-1), "jobs[1].service: -1 is negative"),
    ("float service", with_job(1, service=1.5), "jobs[1].service: 1.5 is not an integer"),
    ("window inverted", with_job(0, windows=(TimeWindow(10 * H, 9 * H),)),
     "jobs[0].windows[0]: inverted, latest_start 32400 is before start 36000"),
    ("latest_end too early", with_job(0, windows=(TimeWindow(9 * H, 10 * H, latest_end=9 * H + 60),)),
     "jobs[0].windows[0].latest_end: 32460 leaves no time for the 1800 s service after start 32400"),
    ("duplicate job", lambda p: replace(p, jobs=(*p.jobs, Job("a", 1, 60))), "jobs: duplicate id 'a'"),
    ("duplicate technician", lambda p: replace(p, technicians=(*p.technicians, tech("t1"))),
     "technicians: duplicate id 't1'"),
    ("unknown pinned", with_job(0, pinned_to="nobody"), "jobs[0].pinned_to: unknown technician 'nobody'"),
    ("break outside shift", with_tech(0, breaks=(Break("late", 20 * H, 21 * H, 1800),)),
     "technicians[0].breaks[0]: does not fit the shift (it would end after 61200, shift end with overtime)"),
    ("break inverted", with_tech(0, breaks=(Break("lunch", 13 * H, 12 * H, 1800),)),
     "technicians[0].breaks[0].latest_start: 43200 is before earliest_start 46800"),
    ("depot off matrix", lambda p: replace(p, depots=(Depot("w1", 99),)),
     "depots[0].location: 99 not in matrix (size 8)"),
    ("matrix not square", lambda p: replace(p, matrix=TravelMatrix(((0, 1), (1,)), ((0, 1), (1, 0)))),
     "matrix.durations[1]: 1 values, the matrix is not square (2 rows)"),
    ("matrix negative", lambda p: replace(p, matrix=TravelMatrix(((0, -3), (1, 0)), ((0, 1), (1, 0)))),
     "matrix.durations[0][1]: -3 is negative"),
    ("absurd horizon", with_tech(0, shift_end=10**9), "technicians[0].shift_end: 1000000000 is more than 31622400"),
    ("too many jobs", lambda p: replace(p, jobs=tuple(Job(str(k), 0, 1) for k in range(20_001))),
     "jobs: 20001 is more than the 20000 one problem may hold"),
    ("done without technician", with_job(2, technician_id=None),
     "jobs[2].technician_id: required for a job that is done"),
    ("in progress, unknown technician", with_job(2, status=JobStatus.IN_PROGRESS, technician_id="x"),
     "jobs[2].technician_id: unknown technician 'x'"),
    ("done without a time", with_job(2, actual_start=None), "jobs[2].actual_start: required for a done job"),
    ("two in progress", lambda p: replace(p, jobs=(*p.jobs, *(Job(f"i{k}", 1, 60, status=JobStatus.IN_PROGRESS,
                                                                   technician_id="t2") for k in range(2)))),
     "jobs: technician 't2' has 2 jobs in progress (at most one)"),
    ("bad priority", with_job(0, priority=7), "jobs[0].priority: 7 must be 1, 2 or 3 (P1..P3)"),
    ("zero part quantity", with_job(1, parts=(PartNeed("CAP", 0),)), "jobs[1].parts[0].quantity: 0 is less than 1"),
    ("duplicate stock", with_tech(0, truck_stock=(("CAP", 1), ("CAP", 2))),
     "technicians[0].truck_stock: SKU 'CAP' listed twice"),
    ("empty id", with_job(0, id=""), "jobs[0].id: '' must be a non-empty string"),
    ("unknown objective", lambda p: replace(p, objective="fastest"),
     "objective: 'fastest' must be one of travel_time, distance"),
    ("status garbage", with_job(0, status="started"),
     "jobs[0].status: 'started' must be one of open, in_progress, done"),
]


def test_the_good_problem_is_valid() -> None:
    validate(good())


@pytest.mark.parametrize(("name", "change", "error"), CASES, ids=[c[0] for c in CASES])
def test_each_bad_input_gives_a_clear_error(name: str, change: Callable[[Problem], Problem], error: str) -> None:
    bad = change(good())
    errors = problem_errors(bad)
    assert error in errors, errors
    with pytest.raises(InvalidProblem) as caught:
        solve_routes(bad, SolveParams(time_limit=1, solution_limit=1))
    assert error in caught.value.errors
    assert error in str(caught.value)


def test_every_error_is_listed_at_once() -> None:
    bad = with_job(0, location=412)(with_tech(1, shift_end=0)(good()))
    assert len(problem_errors(bad)) == 2


def test_a_matrix_of_the_right_size_is_accepted() -> None:
    validate(replace(good(), matrix=square(8)))
