"""The independent checker catches every kind of violation in hand-broken results."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import pytest

from solver.check import check
from solver.models import (
    Break,
    Depot,
    Job,
    JobStatus,
    PartNeed,
    Problem,
    Route,
    RoutingResult,
    SolveStats,
    Stop,
    TimeWindow,
    Unassigned,
)
from tests.unit.solver.problems import H, M, problem, tech

if TYPE_CHECKING:
    from collections.abc import Callable

CAP = (PartNeed("CAP", 1),)


def day() -> Problem:
    t1 = tech("t1", skills=frozenset({"hvac"}), capacity=10, truck_stock=(("CAP", 1),), max_overtime=H,
              breaks=(Break("lunch", 12 * H, 13 * H, 30 * M),))
    return problem(
        (t1, tech("t2", home=7)),
        (Job("done", 1, 30 * M, status=JobStatus.DONE, technician_id="t1", actual_start=8 * H + 10 * M),
         Job("now", 2, 60 * M, status=JobStatus.IN_PROGRESS, technician_id="t1", actual_start=9 * H),
         Job("win", 3, 60 * M, windows=(TimeWindow(10 * H, 11 * H, latest_end=12 * H),), skills=frozenset({"hvac"}),
             demand=4),
         Job("p1", 5, 60 * M, parts=CAP, pinned_to="t1"),
         Job("p2", 4, 60 * M, parts=CAP, pinned_to="t1", demand=4),
         Job("other", 7, 30 * M)),
        depots=(Depot("w", 6),))


def s(kind: str, id_: str, location: int, arrival: int, start: int, end: int, travel: int = 0) -> Stop:
    return Stop(kind, id_, location, arrival, start, end, travel_time=travel * M, distance=travel * 1000)


def good() -> RoutingResult:
    """A feasible plan for `day()`, written out by hand (times in seconds)."""
    t1 = (s("start", "start", 0, 28800, 28800, 28800), s("job", "done", 1, 29400, 29400, 31200, 10),
          s("job", "now", 2, 32400, 32400, 36000, 10), s("job", "win", 3, 36600, 36600, 40200, 10),
          s("job", "p1", 5, 41400, 41400, 45000, 20), s("pickup", "w", 6, 45600, 45600, 46200, 10),
          s("break", "lunch", 6, 46200, 46200, 48000), s("job", "p2", 4, 49200, 49200, 52800, 20),
          s("end", "end", 0, 55200, 55200, 55200, 40))
    t2 = (s("start", "start", 7, 28800, 28800, 28800), s("job", "other", 7, 28800, 28800, 30600),
          s("end", "end", 7, 30600, 30600, 30600))
    routes = (Route("t1", t1, travel_time=120 * M, distance=120_000), Route("t2", t2, travel_time=0, distance=0))
    return RoutingResult(routes=routes, unassigned=(), objective=0, feasible=True, stats=SolveStats(0.0, "hand"))


def edit_stop(tech_id: str, k: int, **changes: object) -> Callable[[RoutingResult], RoutingResult]:
    def change(result: RoutingResult) -> RoutingResult:
        return edit_route(tech_id, lambda stops: (*stops[:k], replace(stops[k], **changes), *stops[k + 1:]))(result)
    return change


def edit_route(tech_id: str, edit: Callable[[tuple[Stop, ...]], tuple[Stop, ...]],
               **route_changes: object) -> Callable[[RoutingResult], RoutingResult]:
    def change(result: RoutingResult) -> RoutingResult:
        routes = tuple(replace(r, stops=edit(r.stops), **route_changes) if r.technician_id == tech_id else r
                       for r in result.routes)
        return replace(result, routes=routes)
    return change


def unassign(job_id: str, reasons: tuple[str, ...] = ("capacity",)) -> Callable[[RoutingResult], RoutingResult]:
    return lambda result: replace(result, unassigned=(*result.unassigned, Unassigned(job_id, reasons)))


def drop(k: int) -> Callable[[tuple[Stop, ...]], tuple[Stop, ...]]:
    return lambda stops: (*stops[:k], *stops[k + 1:])


BROKEN: list[tuple[str, Callable[[RoutingResult], RoutingResult], str]] = [
    ("served twice", edit_route("t2", lambda st: (st[0], s("job", "other", 7, 28800, 28800, 30600),
                                                  s("job", "other", 7, 30600, 30600, 32400), st[-1])),
     "job other: served 2 times"),
    ("neither served nor unassigned", edit_route("t2", drop(1)), "job other: neither served nor unassigned"),
    ("served and unassigned", unassign("other"), "job other: both served and unassigned"),
    ("unassigned without reason", lambda r: unassign("other", ())(edit_route("t2", drop(1))(r)),
     "job other: unassigned without a reason"),
    ("done job unassigned", unassign("done"), "job done: done but listed as unassigned"),
    ("in-progress job moved away", edit_route("t1", drop(2)), "job now: in_progress, must stay on t1's route"),
    ("arrival inconsistent", edit_stop("t1", 3, arrival=36000),
     "route t1 stop 3 (job win): arrival 36000, expected 36600 (previous end + travel + breaks)"),
    ("starts before arriving", edit_stop("t1", 4, start=41000, end=44600), "starts at 41000, before arriving at 41400"),
    ("outside every window", edit_stop("t1", 3, start=39700, end=43300), "starts at 39700, outside every time window"),
    ("latest_end", edit_stop("t1", 3, start=36600, end=40200 + 3600 * 2), "route t1 stop 3 (job win): ends at 47400"),
    ("wrong service length", edit_stop("t1", 4, end=44000), "ends at 44000, expected start + service = 45000"),
    ("travel not the matrix", edit_stop("t1", 4, travel_time=60), "travel_time 60, the matrix says 1200"),
    ("late return", edit_stop("t1", 8, arrival=55200, start=70000, end=70000),
     "returns at 70000, after the shift end plus overtime (64800)"),
    ("departure before the shift", edit_stop("t2", 0, start=100, end=100, arrival=100), "leaves at 100, before"),
    ("break outside its window", edit_stop("t1", 6, start=46900, end=48700, arrival=46900),
     "outside its window or of the wrong length"),
    ("break overlapping service", edit_stop("t1", 6, start=48000, end=49800, arrival=48000), "overlaps a stop"),
    ("break missing", edit_route("t1", drop(6)), "route t1 break lunch: not taken"),
    ("unknown break", edit_stop("t1", 6, id="siesta"), "not one of the technician's breaks"),
    ("missing skill", lambda r: edit_route("t2", lambda st: (
        st[0], s("job", "win", 3, 30000, 36000, 39600, 70), st[-1]))(edit_route("t1", drop(3))(r)),
     "technician lacks skill hvac"),
    ("pinned elsewhere", lambda r: unassign("p1")(edit_route("t1", drop(4))(edit_route(
        "t2", lambda st: (st[0], s("job", "p1", 5, 30000, 30000, 33600, 50), st[-1]))(r))), "pinned to t1"),
    ("parts neither on truck nor picked up", edit_route("t1", drop(5)),
     "parts neither on the truck nor picked up earlier"),
    ("in progress not first", edit_route("t1", lambda st: (st[0], st[1], st[3], st[2], *st[4:])),
     "a done or in-progress job must come before the planned stops"),
    ("done job with invented times", edit_stop("t1", 1, start=29500, end=31300),
     "done job must keep its actual time 29400..31200"),
    ("totals wrong", edit_route("t1", lambda st: st, travel_time=1), "travel_time 1 is not the sum over its stops"),
    ("overtime wrong", edit_route("t1", lambda st: st, overtime=5), "overtime 5, expected 0"),
    ("unknown technician", lambda r: replace(r, routes=(*r.routes, Route("ghost", r.routes[1].stops, 0, 0))),
     "route ghost: unknown technician"),
    ("unknown job", edit_stop("t2", 1, id="nope"), "job nope: unknown job on route t2"),
    ("no end stop", edit_route("t2", lambda st: st[:-1]), "must begin with a start stop and finish with an end stop"),
    ("wrong start location", edit_stop("t2", 0, location=1), "route t2 start: at location 1, the shift starts at 7"),
]


def test_the_hand_made_plan_is_feasible() -> None:
    assert check(day(), good()) == []


def test_capacity_is_checked() -> None:
    p = day()
    heavy = replace(p, technicians=(replace(p.technicians[0], capacity=7), p.technicians[1]))
    assert "route t1 : load 8 exceeds capacity 7" in check(heavy, good())


@pytest.mark.parametrize(("name", "breakage", "message"), BROKEN, ids=[b[0] for b in BROKEN])
def test_each_violation_is_caught(name: str, breakage: Callable[[RoutingResult], RoutingResult], message: str) -> None:
    violations = check(day(), breakage(good()))
    assert any(message in v for v in violations), violations


def test_a_pickup_that_names_its_job_serves_that_job_only() -> None:
    named = edit_stop("t1", 5, for_job="p2")(good())
    assert check(day(), named) == []
    wrong = edit_stop("t1", 5, for_job="p1")(good())
    assert any("a pickup for job p1 is not followed by that job" in v for v in check(day(), wrong))


def test_a_named_pickup_before_a_truck_job_leaves_the_truck_stock_to_it() -> None:
    """Pickup for p2 first, then p1 from the truck: the pickup is kept for p2.

    Only the parts verdict matters here (the hand-shifted times are not re-derived).
    """
    def reorder(stops: tuple[Stop, ...]) -> tuple[Stop, ...]:
        start, done, now, *_, end = stops
        pickup = s("pickup", "w", 6, 37200, 37200, 37800, 10)
        p1 = s("job", "p1", 5, 39000, 39000, 42600, 20)
        win_late = s("job", "win", 3, 43200, 43200, 46800, 10)
        lunch = s("break", "lunch", 3, 46800, 46800, 48600)
        p2 = s("job", "p2", 4, 49800, 49800, 53400, 20)
        return (start, done, now, replace(pickup, for_job="p2"), p1, win_late, lunch, p2, replace(end, arrival=55800,
                start=55800, end=55800))
    result = edit_route("t1", reorder)(good())
    violations = check(day(), result)
    assert not any("parts neither" in v or "a pickup for" in v for v in violations), violations

