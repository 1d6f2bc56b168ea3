from __future__ import annotations

import dataclasses
import json
import math

import pytest

from bench.instances import Bks
from bench.summary import OURS, Row, gap_pct, gaps, geomean, merge_rows, ratios, summarize


def _row(instance: str, solver: str, distance: float | None, limit: float | None = 5.0, *, feasible: bool = True,
         set_: str = "solomon") -> Row:
    return Row(instance=instance, set=set_, solver=solver, time_limit=limit, feasible=feasible, vehicles=3,
               distance=distance, wall_s=1.0)


ROWS = [
    _row("A", OURS, 110.0), _row("A", "vroom", 100.0, None), _row("A", "pyvrp", 105.0),
    _row("B", OURS, 90.0), _row("B", "vroom", 100.0, None), _row("B", "pyvrp", 90.0),
    _row("C", OURS, 50.0), _row("C", "vroom", 40.0, None, feasible=False), _row("C", "pyvrp", 50.0),
    _row("h1", OURS, 200.0, set_="homberger_200"), _row("h1", "vroom", 250.0, None, set_="homberger_200"),
]
BKS = {"A": Bks(3, 100.0, "dimacs_trunc1"), "B": Bks(3, 90.0, "dimacs_trunc1"),
       "H1": Bks(3, 190.0, "hierarchical_real")}


def test_geomean() -> None:
    assert geomean([1.0, 4.0]) == pytest.approx(2.0)
    assert geomean([1.1, 0.9]) == pytest.approx(math.sqrt(0.99))
    assert geomean([]) is None


def test_gap_pct() -> None:
    assert gap_pct(101.0, 100.0) == pytest.approx(1.0)
    assert gap_pct(99.0, 100.0) == pytest.approx(-1.0)


def test_ratio_uses_instances_both_solved_feasibly() -> None:
    """Tests that C (vroom infeasible) is left out and vroom's single unlimited row pairs with our limit."""
    by_set = ratios(ROWS, "vroom", 5.0)
    assert by_set["solomon"] == {"geomean": pytest.approx(math.sqrt(1.1 * 0.9)), "n": 2}
    assert by_set["homberger_200"] == {"geomean": pytest.approx(0.8), "n": 1}
    assert by_set["all"]["n"] == 3
    assert by_set["all"]["geomean"] == pytest.approx((1.1 * 0.9 * 0.8) ** (1 / 3))
    assert ratios(ROWS, "pyvrp", 5.0)["all"] == {"geomean": pytest.approx((110 / 105) ** (1 / 3)), "n": 3}


def test_gaps_are_grouped_by_set_and_convention() -> None:
    ours = [r for r in ROWS if r.solver == OURS]
    assert gaps(ours, BKS) == {
        "homberger_200/hierarchical_real": {"mean_pct": pytest.approx(100 * 10 / 190), "n": 1},
        "solomon/dimacs_trunc1": {"mean_pct": pytest.approx(5.0), "n": 2},
    }


def test_summary_per_time_limit() -> None:
    summary = summarize(ROWS, BKS)
    assert list(summary) == ["5"]
    block = summary["5"]
    assert isinstance(block, dict)
    assert block["feasible_share"] == {OURS: 1.0, "pyvrp": 1.0, "vroom": 0.75}
    assert block["ratio_ours_to"]["pyvrp"]["solomon"]["n"] == 3
    assert block["gap_to_bks"]["vroom"]["solomon/dimacs_trunc1"] == {"mean_pct": pytest.approx((0 + 100 / 9) / 2),
                                                                      "n": 2}


def test_summary_without_ours_reports_no_ratio() -> None:
    summary = summarize([r for r in ROWS if r.solver != OURS], BKS)
    block = summary["5"]
    assert isinstance(block, dict)
    assert block["ratio_ours_to"] == {}


def test_merge_keeps_one_row_per_solve_the_last_wins() -> None:
    rerun = _row("A", OURS, 101.0)
    merged = merge_rows([ROWS, [rerun]])
    assert len(merged) == len(ROWS)
    assert [r.distance for r in merged if r.instance == "A" and r.solver == OURS] == [101.0]


def test_row_round_trips_through_json() -> None:
    row = dataclasses.replace(ROWS[0], checked_by=("bench.verify",), errors=("x",))
    assert Row.from_dict(json.loads(json.dumps(dataclasses.asdict(row)))) == row
