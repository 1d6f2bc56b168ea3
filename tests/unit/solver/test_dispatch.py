"""rank_technicians on hand-made days (locations on a line: travel = |a - b| minutes)."""

from __future__ import annotations

from solver.dispatch import rank_technicians
from solver.models import Job, PartNeed, Problem, Route, Stop, Technician, TimeWindow, TravelMatrix

M = 60
POINTS = [0, 10, 20, 30, 40, 100]  # location index -> position (minutes along a road)


def matrix() -> TravelMatrix:
    rows = tuple(tuple(abs(a - b) * M for b in POINTS) for a in POINTS)
    return TravelMatrix(durations=rows, distances=rows)


def tech(tech_id: str, home: int = 0, *, skills: tuple[str, ...] = ("hvac",), end: int = 600 * M,
         stock: tuple[tuple[str, int], ...] = ()) -> Technician:
    return Technician(id=tech_id, start=home, end=home, shift_start=0, shift_end=end, skills=frozenset(skills),
                      truck_stock=stock)


def route(tech_id: str, stops: list[tuple[str, int, int, int]], home: int = 0) -> Route:
    """stops: (job id, location, start, end) in minutes."""
    built = [Stop("start", "start", home, 0, 0, 0)]
    for job_id, location, start, end in stops:
        built.append(Stop("job", job_id, location, start * M, start * M, end * M))
    built.append(Stop("end", "end", home, 500 * M, 500 * M, 500 * M))
    return Route(tech_id, tuple(built), travel_time=0, distance=0)


def test_cheapest_insertion_wins_and_reports_eta_and_extra_drive() -> None:
    existing = [Job("a", 2, 30 * M), Job("b", 4, 30 * M)]
    new = Job("new", 3, 15 * M, skills=frozenset({"hvac"}))
    problem = Problem((tech("t1"), tech("t2", home=5)), (*existing, new), matrix())
    routes = [route("t1", [("a", 2, 20, 50), ("b", 4, 70, 100)])]
    ranked = rank_technicians(problem, routes, new)
    best = ranked[0]
    assert best.technician_id == "t1" and best.feasible
    # Between a and b and after b both add no driving (30 is on the way); after b delays nobody.
    assert best.position == 2
    assert best.extra_travel_time == 0
    assert best.eta == 110 * M  # b ends at 100, 10 minutes to drive
    assert best.delay == 0
    assert ranked[1].technician_id == "t2" and ranked[1].extra_travel_time == 140 * M  # 100 -> 30 -> 100


def test_skills_parts_and_windows_rule_technicians_out_with_reasons() -> None:
    new = Job("new", 3, 15 * M, windows=(TimeWindow(start=0, latest_start=5 * M),), skills=frozenset({"gas"}),
              parts=(PartNeed("CAP-45", 1),))
    problem = Problem(
        (tech("no-skill"), tech("no-parts", skills=("gas",)), tech("too-far", home=5, skills=("gas",),
                                                                    stock=(("CAP-45", 2),))),
        (new,), matrix())
    ranked = {c.technician_id: c for c in rank_technicians(problem, [], new)}
    assert ranked["no-skill"].reasons == ("missing_skill:gas", "parts_unavailable:CAP-45")
    assert ranked["no-parts"].reasons == ("parts_unavailable:CAP-45",)
    assert ranked["too-far"].reasons == ("no_window_fits",)  # 70 minutes away, window closes at 5
    assert not any(c.feasible for c in ranked.values())


def test_an_insertion_that_would_break_a_later_window_is_refused() -> None:
    existing = [Job("tight", 4, 30 * M, windows=(TimeWindow(start=60 * M, latest_start=62 * M),))]
    new = Job("new", 1, 40 * M, skills=frozenset({"hvac"}))
    problem = Problem((tech("t1"),), (*existing, new), matrix())
    routes = [route("t1", [("tight", 4, 60, 90)])]
    [candidate] = rank_technicians(problem, routes, new)
    assert candidate.feasible and candidate.position == 1  # only after the tight job
    assert candidate.eta == 120 * M  # 90 + 30 minutes back to location 1


def test_overtime_limit_is_respected() -> None:
    new = Job("new", 5, 60 * M)
    problem = Problem((Technician("t1", 0, 0, 0, 150 * M, max_overtime=0),), (new,), matrix())
    [candidate] = rank_technicians(problem, [], new)
    assert not candidate.feasible  # 100 there + 60 + 100 back = 260 > 150
    problem = Problem((Technician("t1", 0, 0, 0, 150 * M, max_overtime=120 * M),), (new,), matrix())
    assert rank_technicians(problem, [], new)[0].feasible
