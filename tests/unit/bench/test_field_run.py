from __future__ import annotations

from bench import field_run
from bench.field_day import DayConfig, generate
from solver.models import Job, Priority, TimeWindow


def test_plan_problem_leaves_the_probes_out() -> None:
    day = generate(DayConfig(techs=5, jobs=40, probes=10))
    problem, with_probes = field_run.build(day)
    assert problem.matrix.size == day.plan_locations == 5 + 2 + 40
    assert with_probes.matrix.size == len(day.points)
    assert with_probes.matrix.durations[3][:10] == problem.matrix.durations[3][:10]


def test_serviceable_needs_skills_and_a_reachable_window() -> None:
    day = generate(DayConfig(techs=5, jobs=40, probes=0))
    problem, _ = field_run.build(day)
    skill = next(iter(day.technicians[0].skills))
    job = Job(id="x", location=46, service=1800, skills=frozenset({skill}), priority=Priority.P1)
    assert field_run.serviceable(problem, job)
    assert not field_run.serviceable(problem, Job(id="y", location=46, service=1800, skills=frozenset({"nobody"})))
    night = (TimeWindow(start=23 * 3600, latest_start=23 * 3600 + 60),)
    assert not field_run.serviceable(problem, Job(id="z", location=46, service=1800, windows=night))


def test_report_of_a_small_day() -> None:
    day = generate(DayConfig(techs=4, jobs=30, probes=5))
    report = field_run.run(day, time_limit=3.0, seed=1, workers=1)
    plan = report["plan"]
    assert isinstance(plan, dict)
    assert plan["feasible"] is True
    assert plan["check"] == {"errors": 0, "first": []}
    assert sum(v["total"] for v in plan["served_by_priority"].values()) == 30
    assert plan["serviceable_p1"]["served"] == plan["serviceable_p1"]["total"]
    rank = report["rank_technicians"]
    assert isinstance(rank, dict)
    assert rank["jobs"] == 5
    assert rank["p95_ms"] >= rank["p50_ms"]
