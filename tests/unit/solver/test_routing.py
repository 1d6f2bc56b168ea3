"""solve_routes on hand-checkable days (locations on a road; see problems.py).

Count-limited searches with a seed on one worker are reproducible: these tests assert exact routes.
Every result also goes through the independent checker.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from solver.check import check
from solver.exceptions import InvalidProblem
from solver.models import Break, Depot, Job, JobStatus, PartNeed, Priority, Problem, RoutingResult, TimeWindow
from solver.params import SolveParams
from solver.routing import solve_routes
from tests.unit.solver.problems import H, M, problem, tech

COUNTED = SolveParams(time_limit=30, solution_limit=30, seed=1)


def solve(p: Problem, params: SolveParams = COUNTED) -> RoutingResult:
    result = solve_routes(p, params)
    assert check(p, result) == []
    return result


def stops(result: RoutingResult, tech_id: str) -> list[tuple[str, str, int, int]]:
    """(kind, id, start, end) of every stop but the route's start and end."""
    route = result.route_of(tech_id)
    assert route is not None
    return [(s.kind, s.id, s.start, s.end) for s in route.stops[1:-1]]


def test_one_technician_serves_a_line_of_jobs_in_order() -> None:
    p = problem((tech("t1"),), (Job("c", 3, 30 * M), Job("a", 1, 30 * M), Job("b", 2, 30 * M)))
    result = solve(p)
    route = result.route_of("t1")
    assert route is not None
    assert route.job_ids() == ["c", "b", "a"]  # same drive as a, b, c: 60 minutes there and back
    assert stops(result, "t1") == [("job", "c", 8 * H + 30 * M, 9 * H), ("job", "b", 9 * H + 10 * M, 9 * H + 40 * M),
                                   ("job", "a", 9 * H + 50 * M, 10 * H + 20 * M)]
    assert (route.travel_time, route.distance, route.overtime) == (60 * M, 60_000, 0)
    assert route.stops[-1].arrival == 10 * H + 30 * M
    assert result.objective == 60 * M
    assert result.feasible and result.unassigned == ()
    assert result.stats.solutions > 0 and result.stats.strategy


def test_distance_objective_counts_distance() -> None:
    p = problem((tech("t1"),), (Job("a", 1, 60),), objective="distance")
    assert solve(p).objective == 20_000


def test_skills_go_to_the_technician_who_has_them() -> None:
    p = problem((tech("t1"), tech("t2", home=7, skills=frozenset({"gas"}))),
                (Job("gas", 1, 30 * M, skills=frozenset({"gas"})), Job("plain", 6, 30 * M)))
    result = solve(p)
    assert [r.job_ids() for r in result.routes] == [[], ["plain", "gas"]]  # t2 passes by "plain" on the way
    p = replace(p, jobs=(Job("gas", 6, 30 * M, skills=frozenset({"gas"})), Job("plain", 1, 30 * M)))
    assert [r.job_ids() for r in solve(p).routes] == [["plain"], ["gas"]]


def test_multiple_windows_the_reachable_one_is_used_and_latest_end_holds() -> None:
    windows = (TimeWindow(8 * H, 8 * H + 5 * M), TimeWindow(13 * H, 14 * H, latest_end=14 * H + 30 * M))
    p = problem((tech("t1"),), (Job("two", 2, 60 * M, windows=windows),))
    result = solve(p)
    assert stops(result, "t1") == [("job", "two", 13 * H, 14 * H)]  # 20 minutes away: 8:05 is out of reach
    route = result.route_of("t1")
    assert route is not None and route.stops[0].end == 12 * H + 40 * M  # leaves as late as it can


def test_a_job_whose_windows_are_all_out_of_reach_is_unassigned() -> None:
    p = problem((tech("t1"),), (Job("late", 7, 60 * M, windows=(TimeWindow(7 * H, 8 * H),)),))
    assert solve(p).unassigned[0].reasons == ("no_window_fits",)


def test_break_is_taken_inside_its_window_between_jobs() -> None:
    lunch = Break("lunch", 12 * H, 12 * H + 30 * M, 30 * M)
    p = problem((tech("t1", breaks=(lunch,)),), (Job("a", 1, 4 * H), Job("b", 2, 2 * H)))
    result = solve(p)
    planned = stops(result, "t1")
    assert ("break", "lunch", 12 * H, 12 * H + 30 * M) in planned
    assert [s[0] for s in planned] == ["job", "break", "job"]


def test_parts_from_the_truck_or_a_pickup_at_the_nearest_depot_that_has_them() -> None:
    cap = (PartNeed("CAP", 1),)
    p = problem(
        (tech("stocked", truck_stock=(("CAP", 1),)), tech("empty", home=7, skills=frozenset({"gas"}))),
        (Job("from-truck", 1, 30 * M, parts=cap), Job("needs-pickup", 6, 30 * M, parts=cap, skills=frozenset({"gas"}))),
        depots=(Depot("far", 0, (("CAP", 9),)), Depot("near", 5, (("CAP", 9),)), Depot("wrong", 6, (("X", 1),))))
    result = solve(p)
    assert stops(result, "stocked") == [("job", "from-truck", 8 * H + 10 * M, 8 * H + 40 * M)]
    assert stops(result, "empty") == [("pickup", "near", 8 * H + 50 * M, 9 * H), ("job", "needs-pickup", 9 * H + 10 * M,
                                                                                9 * H + 40 * M)]


def test_truck_stock_is_consumed_so_the_second_job_needs_a_pickup() -> None:
    cap = (PartNeed("CAP", 1),)
    p = problem((tech("t1", truck_stock=(("CAP", 1),)),),
                (Job("a", 1, 30 * M, parts=cap), Job("b", 2, 30 * M, parts=cap)), depots=(Depot("w", 3),))
    result = solve(p)
    assert [s[:2] for s in stops(result, "t1")] == [("job", "b"), ("pickup", "w"), ("job", "a")]
    assert not result.unassigned


def test_p1_is_served_over_a_cheaper_p3_when_the_day_is_short() -> None:
    p = problem((tech("t1", shift_end=12 * H),),
                (Job("p3", 2, 90 * M, priority=Priority.P3), Job("p1", 4, 90 * M, priority=Priority.P1)))
    result = solve(p)
    assert [r.job_ids() for r in result.routes] == [["p1"]]
    assert [(u.job_id, u.reasons) for u in result.unassigned] == [("p3", ("capacity",))]
    assert result.feasible  # a P3 left for lack of room does not make the plan infeasible


def test_a_p1_left_for_lack_of_room_makes_the_plan_infeasible() -> None:
    p = problem((tech("t1", shift_end=12 * H),), (Job("x", 2, 90 * M, priority=Priority.P1),
                                                   Job("y", 4, 90 * M, priority=Priority.P1)))
    result = solve(p)
    assert len(result.unassigned) == 1 and result.unassigned[0].reasons == ("capacity",)
    assert not result.feasible


def test_pinned_job_goes_to_its_technician_even_when_another_is_closer() -> None:
    p = problem((tech("t1"), tech("t2", home=7)), (Job("pin", 6, 30 * M, pinned_to="t1"),))
    assert solve(p).route_of("t1").job_ids() == ["pin"]  # type: ignore[union-attr]


def test_in_progress_stays_first_and_done_is_kept_with_actual_times() -> None:
    p = problem((tech("t1"), tech("t2", home=7)),
                (Job("done", 1, 30 * M, status=JobStatus.DONE, technician_id="t1", actual_start=8 * H + 10 * M),
                 Job("now", 3, 60 * M, status=JobStatus.IN_PROGRESS, technician_id="t1", actual_start=9 * H),
                 Job("next", 4, 30 * M), Job("far", 6, 30 * M, pinned_to="t1")))
    result = solve(p)
    assert stops(result, "t1") == [("job", "done", 8 * H + 10 * M, 8 * H + 40 * M), ("job", "now", 9 * H, 10 * H),
                                   ("job", "next", 10 * H + 10 * M, 10 * H + 40 * M),
                                   ("job", "far", 11 * H, 11 * H + 30 * M)]
    assert result.unassigned == ()
    assert result.objective == (10 + 20 + 60) * M  # travel from the job in progress on


def test_in_progress_without_a_start_time_is_taken_as_started_at_shift_start() -> None:
    p = problem((tech("t1"),), (Job("now", 2, 60 * M, status=JobStatus.IN_PROGRESS, technician_id="t1"),))
    assert stops(solve(p), "t1") == [("job", "now", 8 * H, 9 * H)]


def test_overtime_is_allowed_up_to_the_maximum_and_costed() -> None:
    p = problem((tech("t1", shift_end=10 * H, max_overtime=H),), (Job("long", 1, 2 * H + 30 * M),), overtime_cost=3)
    result = solve(p)
    route = result.route_of("t1")
    assert route is not None and route.overtime == 50 * M
    assert result.objective == 20 * M + 3 * 50 * M
    beyond = replace(p, jobs=(Job("longer", 1, 3 * H + 30 * M),))
    assert solve(beyond).unassigned[0].reasons == ("no_window_fits",)


def test_unassigned_reasons() -> None:
    p = problem((tech("t1", skills=frozenset({"hvac"}), capacity=5),
                 tech("t2", skills=frozenset({"gas"}), shift_end=9 * H)),
                (Job("skill", 1, 60, skills=frozenset({"plumbing"})),
                 Job("combo", 1, 60, skills=frozenset({"hvac", "gas"})),
                 Job("late", 7, 60, windows=(TimeWindow(7 * H, 8 * H),)),
                 Job("parts", 1, 60, parts=(PartNeed("UNOBTAINIUM", 1),)),
                 Job("pinned", 1, 60, pinned_to="t2", skills=frozenset({"hvac"})),
                 Job("heavy", 1, 60, demand=9, skills=frozenset({"hvac"})),
                 Job("fits", 2, 7 * H, skills=frozenset({"hvac"})),
                 Job("no-room", 2, 7 * H, skills=frozenset({"hvac"}), priority=Priority.P3)))
    result = solve(p)
    assert {u.job_id: u.reasons for u in result.unassigned} == {
        "skill": ("missing_skill:plumbing",),
        "combo": ("missing_skill:gas",),
        "late": ("no_window_fits",),
        "parts": ("parts_unavailable:UNOBTAINIUM",),
        "pinned": ("pinned_technician_unavailable",),
        "heavy": ("demand_exceeds_capacity",),
        "no-room": ("capacity",),
    }


def test_several_reasons_may_apply() -> None:
    p = problem((tech("t1"),), (Job("x", 7, 60, skills=frozenset({"gas"}), parts=(PartNeed("P", 1),),
                                    windows=(TimeWindow(0, 60),)),))
    assert solve(p).unassigned[0].reasons == ("missing_skill:gas", "parts_unavailable:P", "no_window_fits")


def test_no_technicians_leaves_every_job_unassigned() -> None:
    result = solve(problem((), (Job("a", 1, 60),)))
    assert result.routes == () and result.unassigned[0].reasons == ("no_technicians",)


def test_capacity_limits_the_load() -> None:
    p = problem((tech("t1", capacity=10), tech("t2", capacity=10)),
                tuple(Job(f"j{k}", 1 + k, 10 * M, demand=6) for k in range(3)))
    result = solve(p)
    assert sorted(len(r.job_ids()) for r in result.routes) == [1, 1]
    assert [u.reasons for u in result.unassigned] == [("capacity",)]


def test_invalid_problems_raise_before_solving() -> None:
    with pytest.raises(InvalidProblem, match=r"jobs\[0\]\.location: 99 not in matrix"):
        solve_routes(problem((tech("t1"),), (Job("a", 99, 60),)), COUNTED)


def test_count_limited_runs_are_reproducible_with_one_or_two_workers() -> None:
    p = problem((tech("t1"), tech("t2", home=7)), tuple(Job(f"j{k}", k % 8, 20 * M) for k in range(12)))
    for workers in (1, 2):
        params = replace(COUNTED, workers=workers)
        first, second = solve(p, params), solve(p, params)
        assert first.routes == second.routes and first.objective == second.objective


def test_nothing_to_plan_still_gives_every_technician_a_route() -> None:
    result = solve(problem((tech("t1"),), ()))
    assert [(s.kind, s.start) for s in result.routes[0].stops] == [("start", 8 * H), ("end", 8 * H)]
    assert result.stats.status == "nothing_to_plan" and result.feasible


def test_no_solution_in_time_is_rescued_by_a_first_solution(monkeypatch: pytest.MonkeyPatch) -> None:
    """A loaded machine can spend a tiny limit before any solution: small models then take the first one."""
    import solver.routing as routing

    real, calls = routing.run, []

    def starved(spec, configs, on_progress=None):  # type: ignore[no-untyped-def]
        calls.append(configs)
        return None if len(calls) == 1 else real(spec, configs, on_progress)

    monkeypatch.setattr(routing, "run", starved)
    p = problem((tech("A"),), (Job("j", 1, H),))
    result = solve_routes(p, SolveParams(time_limit=1, seed=1))
    assert [r.job_ids() for r in result.routes] == [["j"]] and result.feasible
    assert calls[1][0].solution_limit == 1
