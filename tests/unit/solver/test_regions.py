"""Large days are solved region by region; every technician and job lands in exactly one region."""

from __future__ import annotations

from typing import TYPE_CHECKING

from solver import regions
from solver.check import check
from solver.models import Job, JobStatus, Priority, Problem, Technician, TravelMatrix
from solver.params import SolveParams
from solver.reasons import Analysis
from solver.routing import solve_routes
from tests.unit.solver.problems import H, M

if TYPE_CHECKING:
    import pytest

# Two towns 3 hours apart on a line; minutes along the line.
WEST, EAST = (0, 2, 4, 6, 8, 10, 12, 14, 16, 18), (180, 182, 184, 186, 188, 190, 192, 194, 196, 198)


def _two_towns() -> Problem:
    points = (0, 180, *WEST, *EAST, *WEST, *EAST)
    durations = tuple(tuple(abs(a - b) * M for b in points) for a in points)
    distances = tuple(tuple(abs(a - b) * 1000 for b in points) for a in points)
    matrix = TravelMatrix(durations=durations, distances=distances)
    techs = tuple(Technician(f"t{k}", start=k % 2, end=k % 2, shift_start=8 * H, shift_end=17 * H,
                             skills=frozenset({"gas"}) if k < 2 else frozenset()) for k in range(6))
    jobs = [Job(f"j{i}", 2 + i, 20 * M, skills=frozenset({"gas"}) if i % 7 == 0 else frozenset(),
                priority=Priority.P1 if i % 9 == 0 else Priority.P3) for i in range(40)]
    jobs.append(Job("done", 2, 10 * M, status=JobStatus.DONE, technician_id="t4", actual_start=8 * H))
    jobs.append(Job("nobody", 3, 10 * M, skills=frozenset({"roofing"})))
    return Problem(technicians=techs, jobs=tuple(jobs), matrix=matrix)


def test_split_puts_everyone_in_one_region_near_their_work() -> None:
    problem = _two_towns()
    parts = regions.split(problem, Analysis(problem), region_jobs=20)
    techs = sorted(v for t, _ in parts for v in t)
    jobs = sorted(i for _, j in parts for i in j)
    assert techs == list(range(6)) and jobs == list(range(len(problem.jobs)))
    for members, held in parts:
        towns = {problem.technicians[v].start for v in members}
        assert len(towns) == 1  # the split follows geography
        east = towns.pop() == 1
        local = [i for i in held if problem.jobs[i].id != "nobody" and _east(problem.jobs[i]) == east]
        assert len(local) >= 0.8 * len(held)
    (with_done,) = [members for members, held in parts if problem.jobs.index(_job(problem, "done")) in held]
    assert 4 in with_done


def _job(problem: Problem, job_id: str) -> Job:
    return next(j for j in problem.jobs if j.id == job_id)


def test_a_large_day_is_solved_by_region_and_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(regions, "DECOMPOSE_ABOVE", 20)
    monkeypatch.setattr(regions, "REGION_JOBS", 20)
    problem = _two_towns()
    result = solve_routes(problem, SolveParams(time_limit=6, seed=1))
    assert result.stats.strategy.endswith("regions")
    assert check(problem, result) == []
    assert result.feasible
    assert [u.job_id for u in result.unassigned] == ["nobody"]
    whole = solve_routes(problem, SolveParams(time_limit=6, seed=1, decompose=False))
    assert whole.stats.strategy and not whole.stats.strategy.endswith("regions")


def _east(job: Job) -> bool:
    return (job.location - 2) // 10 % 2 == 1
