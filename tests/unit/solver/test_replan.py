"""Re-planning: the freeze holds, stability keeps the day, and every change is reported."""

from __future__ import annotations

import dataclasses

import pytest

from solver.check import check
from solver.dispatch import rank_technicians
from solver.exceptions import InvalidProblem
from solver.models import Break, Depot, Job, JobStatus, PartNeed, Priority, Problem, RoutingResult
from solver.params import SolveParams
from solver.replan import ADDED, REASSIGNED, Stability, changes, freeze, insert_emergency, reoptimize
from solver.routing import solve_routes
from tests.unit.solver.problems import H, M, problem, tech

EXACT = SolveParams(time_limit=10, solution_limit=200, seed=3)


def _pinned_plan(p: Problem, assignment: dict[str, str]) -> RoutingResult:
    """A previous plan with the jobs where `assignment` puts them (solved with pins)."""
    pinned = tuple(dataclasses.replace(j, pinned_to=assignment.get(j.id)) for j in p.jobs)
    result = solve_routes(dataclasses.replace(p, jobs=pinned), EXACT)
    assert result.feasible and not result.unassigned
    return result


def _placement(result: RoutingResult) -> dict[str, tuple[str, int]]:
    return {s.id: (r.technician_id, s.start) for r in result.routes for s in r.stops if s.kind == "job"}


def _day() -> Problem:
    """A at home 0, B at home 6 (60 min along the road); five one-hour jobs along the road."""
    jobs = tuple(Job(f"j{loc}", loc, H) for loc in (1, 2, 3, 5, 6))
    return problem((tech("A"), tech("B", home=6)), jobs)


def test_stability_weight_decides_whether_a_costly_plan_is_reshuffled() -> None:
    """A does the far job and B the near one: swapping saves 160 minutes of driving.

    Two reassignments cost 2 x 900 s x weight: weight 2 (3,600 s) swaps them, weight 10 (18,000 s) keeps them.
    """
    p = problem((tech("A"), tech("B", home=6)), (Job("near_a", 1, H), Job("near_b", 5, H)))
    previous = _pinned_plan(p, {"near_a": "B", "near_b": "A"})
    free = reoptimize(p, previous, freeze_at=0, params=EXACT, stability=Stability(weight=2))
    assert _placement(free.result)["near_a"][0] == "A"
    assert {c.kind for c in free.changes} == {REASSIGNED}
    kept = reoptimize(p, previous, freeze_at=0, params=EXACT, stability=Stability(weight=10))
    assert _placement(kept.result)["near_a"][0] == "B"
    assert kept.changes == () and kept.eta_moved == ()


def test_stops_before_the_freeze_never_move() -> None:
    p = _day()
    previous = solve_routes(p, EXACT)
    freeze_at = 10 * H
    before = {j: at for j, at in _placement(previous).items() if at[1] < freeze_at}
    assert before, "the day should have started by 10:00"
    # Cheaper plans exist without the past: moving every job to A would still be refused for the frozen ones.
    everything_on_a = tuple(dataclasses.replace(j, pinned_to="A") for j in p.jobs)
    replan = reoptimize(dataclasses.replace(p, jobs=everything_on_a), previous, freeze_at=freeze_at, params=EXACT,
                        stability=Stability(weight=0))
    after = _placement(replan.result)
    assert {j: after[j] for j in before} == before
    assert check(replan.problem, replan.result) == []
    frozen = {j.id: j for j in replan.problem.jobs}
    assert all(frozen[j].status in (JobStatus.DONE, JobStatus.IN_PROGRESS) for j in before)


def test_freeze_drops_taken_breaks_and_moves_parts() -> None:
    lunch = Break("lunch", 11 * H, 13 * H, 30 * M)
    p = problem((tech("A", breaks=(lunch,), truck_stock=(("CAP", 1),)),),
                (Job("uses_truck", 1, H, parts=(PartNeed("CAP", 1),)), Job("later", 2, H, parts=(PartNeed("FAN", 1),))),
                depots=(Depot("w", 3, pickup_duration=10 * M),))
    previous = solve_routes(p, EXACT)
    assert check(p, previous) == []
    stops = previous.routes[0].stops
    assert [(st.kind, st.id, st.for_job) for st in stops[1:-1]] == [
        ("job", "uses_truck", None), ("pickup", "w", "later"), ("job", "later", None), ("break", "lunch", None)]
    pickup, lunch_stop = stops[2], stops[4]

    # Just after the pickup: the first job is done, the parts for "later" are on the truck, lunch is still ahead.
    frozen = freeze(p, previous, pickup.end + 1)
    jobs = {j.id: j for j in frozen.jobs}
    assert jobs["uses_truck"].status == JobStatus.DONE and jobs["later"].status == JobStatus.OPEN
    assert frozen.technicians[0].stock() == {"FAN": 1}  # CAP used by the frozen job, FAN picked up for "later"
    assert frozen.technicians[0].breaks == (lunch,)
    assert check(frozen, solve_routes(frozen, EXACT)) == []

    # Just after lunch: everything has happened, the break is taken and not planned again.
    frozen = freeze(p, previous, lunch_stop.end + 1)
    assert {j.id: j.status for j in frozen.jobs} == {"uses_truck": JobStatus.DONE, "later": JobStatus.DONE}
    assert frozen.technicians[0].breaks == ()
    assert frozen.technicians[0].stock() == {}
    assert check(frozen, solve_routes(frozen, EXACT)) == []


def test_emergency_goes_to_the_best_technician_and_lists_moved_etas() -> None:
    p = _day()
    previous = _pinned_plan(p, {"j1": "A", "j2": "A", "j3": "A", "j5": "B", "j6": "B"})
    emergency = Job("burst_pipe", 4, H, priority=Priority.P3)  # 40 min along the road; forced to P1
    replan = insert_emergency(p, previous, emergency, freeze_at=9 * H + 30 * M, params=EXACT,
                              stability=Stability(weight=2, eta_tolerance=0))
    assert replan.candidates[0].feasible
    assert replan.technician_id == replan.candidates[0].technician_id
    placed = _placement(replan.result)
    assert placed["burst_pipe"][0] == replan.technician_id
    assert check(replan.problem, replan.result) == []
    urgent = next(j for j in replan.problem.jobs if j.id == "burst_pipe")
    assert urgent.priority == Priority.P1 and urgent.pinned_to == replan.technician_id
    assert any(c.job_id == "burst_pipe" and c.kind == ADDED for c in replan.changes)
    old = _placement(previous)
    moved = {c.job_id: (c.old_start, c.new_start) for c in replan.eta_moved}
    for job_id, (_, start) in old.items():  # exactly the jobs whose start moved are listed, old and new
        if placed[job_id][1] != start:
            assert moved[job_id] == (start, placed[job_id][1])
        else:
            assert job_id not in moved
    assert moved, "someone's afternoon must move to make room"


def test_an_emergency_nobody_can_insert_still_goes_through_the_solver() -> None:
    p = _day()
    previous = solve_routes(p, EXACT)
    needs = Job("gas_leak", 4, H, skills=frozenset({"gas"}))
    replan = insert_emergency(p, previous, needs, freeze_at=9 * H, params=EXACT)
    assert replan.technician_id is None
    assert all(not c.feasible and c.reasons == ("missing_skill:gas",) for c in replan.candidates)
    assert [u.job_id for u in replan.result.unassigned] == ["gas_leak"]
    with pytest.raises(InvalidProblem, match="already in the problem"):
        insert_emergency(p, previous, p.jobs[0], freeze_at=9 * H)


def test_overrun_is_absorbed_and_reported() -> None:
    p = _day()
    previous = _pinned_plan(p, {"j1": "A", "j2": "A", "j3": "A", "j5": "B", "j6": "B"})
    first = next(s for s in previous.routes[0].stops if s.kind == "job")
    overran = tuple(dataclasses.replace(j, status=JobStatus.IN_PROGRESS, technician_id="A", actual_start=first.start,
                                        service=4 * H) if j.id == first.id else j for j in p.jobs)
    now = first.start + 2 * H
    replan = reoptimize(dataclasses.replace(p, jobs=overran), previous, freeze_at=now, params=EXACT,
                        stability=Stability(weight=1, eta_tolerance=15 * M))
    assert replan.result.feasible
    assert check(replan.problem, replan.result) == []
    placed = _placement(replan.result)
    assert placed[first.id] == ("A", first.start)
    assert replan.eta_moved
    assert all(abs((c.new_start or 0) - (c.old_start or 0)) > 15 * M or c.new_start is None for c in replan.eta_moved)
    found, moved = changes(replan.problem, previous, replan.result, 15 * M)
    assert (found, moved) == (replan.changes, replan.eta_moved)


def test_rank_respects_now_and_facts() -> None:
    p = _day()
    previous = _pinned_plan(p, {"j1": "A", "j2": "A", "j3": "A", "j5": "B", "j6": "B"})
    job = Job("new", 1, 30 * M)
    (best, *_) = rank_technicians(dataclasses.replace(p, jobs=(*p.jobs, job)), list(previous.routes), job, now=13 * H)
    assert best.feasible and best.eta >= 13 * H


def test_stability_rejects_out_of_range_weights() -> None:
    with pytest.raises(ValueError, match="weight"):
        Stability(weight=11)


def test_progress_reports_the_best_objective_so_far() -> None:
    seen = []
    solve_routes(_day(), SolveParams(time_limit=5, solution_limit=30, seed=1), on_progress=seen.append)
    assert seen and seen[0].solutions == 1
    assert [p.objective for p in seen] == sorted((p.objective for p in seen), reverse=True)
    assert all(p.elapsed >= 0 for p in seen)
