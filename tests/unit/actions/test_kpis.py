"""The KPI formulas on a hand-computed fixture (every figure worked out in the comments)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from actions.kpis import KpiJob, compute, grouped, percentile


def at(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


START, END, NOW = at(1, 0), at(8, 0), at(20, 0)
D = Decimal

JOBS = [
    # J1: dispatched after 10 min, on time by 10 min, 2 h on site, invoiced, sent after 12 h, paid after 2 days.
    KpiJob("J1", "P1", "repair", "C1", "Avery", "north", at(1, 8), dispatched_at=at(1, 8, 10),
           en_route_at=at(1, 8, 20), arrived_at=at(1, 8, 50), completed_at=at(1, 10, 50), promised_at=at(1, 9),
           invoiced=True, invoice_sent_at=at(1, 22, 50), invoice_paid_at=at(3, 10, 50),
           parts_now={"FS-100": D(1)}, parts_at_completion={"FS-100": D(1)}),
    # J2: 30 min to dispatch, 30 min late, 1 h on site, never invoiced, a part added after completion; recalled.
    KpiJob("J2", "P2", "repair", "C2", "Blake", "south", at(2, 9), dispatched_at=at(2, 9, 30),
           en_route_at=at(2, 10), arrived_at=at(2, 11, 30), completed_at=at(2, 12, 30), promised_at=at(2, 11),
           parts_now={"CAP-45": D(3)}, parts_at_completion={"CAP-45": D(2)}),
    # J3: 60 min to dispatch, 30 min early, 1 h on site, sent after 24 h, paid after the period.
    KpiJob("J3", "P2", "maintenance", "C1", "Avery", "north", at(3, 8), dispatched_at=at(3, 9),
           en_route_at=at(3, 9, 30), arrived_at=at(3, 10), completed_at=at(3, 11), promised_at=at(3, 10, 30),
           invoiced=True, invoice_sent_at=at(4, 11), invoice_paid_at=at(10, 11)),
    # J4: the recall of J2 (same customer and kind of work, 3 days later); never reached: late.
    KpiJob("J4", "P2", "repair", "C2", "Blake", "south", at(5, 10), promised_at=at(5, 13)),
    # J5: cancelled: never counts as a late arrival.
    KpiJob("J5", "P3", "install", "C4", None, None, at(6, 8), promised_at=at(6, 10), cancelled=True),
    # J6: created before the period, finished in it: 1 h on site, sent after 2 h, paid after 3 days.
    KpiJob("J6", "P3", "install", "C3", "Avery", "east", at(20, 8, month=10), arrived_at=at(2, 7),
           completed_at=at(2, 8), promised_at=at(20, 9, month=10), invoiced=True,
           invoice_sent_at=at(2, 10), invoice_paid_at=at(5, 8)),
]


def test_percentile_is_nearest_rank() -> None:
    assert percentile([], 0.9) is None
    assert percentile([3.0], 0.9) == 3.0
    assert percentile([-30.0, -10.0, 30.0], 0.9) == 30.0
    assert percentile([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0], 0.9) == 9.0


def test_every_kpi_equals_the_hand_computed_value() -> None:
    k = {name: f.as_dict() for name, f in compute(JOBS, START, END, NOW).items()}
    # Created and dispatched in the period: 10, 30, 60 min; P1 alone: 10.
    assert k["dispatch_time_minutes"] == {"value": 30, "sample_size": 3, "p1_median": 10, "p1_sample_size": 1}
    # Due in the period: J1, J2, J3, J4 (J5 cancelled, J6 due before); on time J1 and J3; late by -10, 30, -30.
    assert k["on_time_arrival_percent"] == {"value": 50.0, "sample_size": 4, "median_minutes_late": -10.0,
                                            "p90_minutes_late": 30.0}
    # Completed in the period: J1, J2, J3, J6; J2 was recalled by J4 -> 3 of 4.
    assert k["first_time_fix_percent"] == {"value": 75.0, "sample_size": 4}
    # Billable on site 2 + 1 + 1 = 4 h; unbilled on site 1 h (J2); driving 0.5 + 1.5 + 0.5 = 2.5 h -> 4 / 7.5.
    assert k["billable_percent"] == {"value": 53.33, "sample_size": 4, "billable_hours": 4.0,
                                     "non_billable_hours": 3.5, "drive_hours": 2.5}
    # |1-1| + |2-3| = 1 over 1 + 3 = 4 parts now -> 75 %; one job changed after completion.
    assert k["parts_accuracy_percent"] == {"value": 75.0, "sample_size": 2, "jobs_changed_after_completion": 1.0}
    # Sent in the period: 12, 24, 2 h -> median 12, p90 24.
    assert k["invoice_cycle_hours"] == {"value": 12.0, "sample_size": 3, "p90": 24.0}
    # Paid in the period: 2 and 3 days (J3's payment falls after it) -> median 2.5, p90 3.
    assert k["cash_conversion_days"] == {"value": 2.5, "sample_size": 2, "p90": 3.0}


def test_groups_and_empty_samples() -> None:
    groups = grouped(JOBS, "technician")
    assert list(groups) == ["(none)", "Avery", "Blake"]
    avery = compute(groups["Avery"], START, END, NOW)
    assert avery["dispatch_time_minutes"].value == 35 and avery["dispatch_time_minutes"].sample_size == 2
    nobody = compute(groups["(none)"], START, END, NOW)
    assert nobody["invoice_cycle_hours"].value is None and nobody["invoice_cycle_hours"].sample_size == 0
    assert nobody["on_time_arrival_percent"].value is None, "an empty sample has no value, not 0 %"
