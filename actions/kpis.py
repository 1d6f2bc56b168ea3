"""The KPI kit: pure formulas over the facts the projections hold (no database here).

Definitions (../shared/WORKFLOWS.md; "ours" where the trade has no single standard):
- dispatch time: median minutes from created to dispatched, per job created in the period; P1
  jobs also on their own.
- on-time arrival: arrivals by the promised time ÷ appointments whose promised time fell in the
  period (a missed one counts as late); also the median and p90 of arrived - promised, minutes.
  Promised = the route plan's ETA window end, else the booked start plus the tenant's grace.
- first-time fix rate: completed jobs with no recall ÷ completed jobs; a recall is a later job
  for the same customer and the same kind of work created within 30 days of completion (ours).
- billable vs non-billable hours: on-site hours (arrived → completed) of invoiced jobs are
  billable; on-site hours of jobs never invoiced and drive time (en route → arrived) are not.
- parts usage accuracy: 1 - Σ|quantity recorded at completion - quantity now| ÷ Σ quantity now,
  over completed jobs with parts (parts added or removed after completion lower it; ours).
- invoice cycle time: hours from job completed to invoice sent, median and p90.
- cash conversion: days from job completed to invoice paid, median and p90.
Every figure carries its sample size; an empty sample gives no value (None), never a zero.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

RECALL_WINDOW = timedelta(days=30)


@dataclass(frozen=True)
class KpiJob:
    """What the KPIs read of one job (times UTC)."""

    id: str
    priority: str
    job_type: str
    customer_id: str | None
    technician: str | None
    region: str | None
    created_at: datetime
    dispatched_at: datetime | None = None
    en_route_at: datetime | None = None
    arrived_at: datetime | None = None
    completed_at: datetime | None = None
    cancelled: bool = False
    promised_at: datetime | None = None
    invoice_sent_at: datetime | None = None
    invoice_paid_at: datetime | None = None
    invoiced: bool = False
    parts_now: dict[str, Decimal] = field(default_factory=dict)
    parts_at_completion: dict[str, Decimal] | None = None


@dataclass(frozen=True)
class Figure:
    """One KPI value with what it rests on."""

    value: float | None
    sample_size: int
    extra: dict[str, float | None] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """The figure as the API answers it."""
        return {"value": self.value, "sample_size": self.sample_size, **self.extra}


def _r(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..1) of the values; None for none."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-int(q * 100) * len(ordered) // 100))  # ceil(q·n), at least 1
    return ordered[min(rank, len(ordered)) - 1]


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def _minutes(a: datetime, b: datetime) -> float:
    return (b - a).total_seconds() / 60


def in_period(moment: datetime | None, start: datetime, end: datetime) -> bool:
    """Whether `moment` falls in [start, end)."""
    return moment is not None and start <= moment < end


def dispatch_time(jobs: Iterable[KpiJob], start: datetime, end: datetime) -> Figure:
    """Median minutes from created to dispatched, jobs created in the period (P1 also apart)."""
    rows = [j for j in jobs if in_period(j.created_at, start, end) and j.dispatched_at is not None]
    minutes = [_minutes(j.created_at, j.dispatched_at) for j in rows if j.dispatched_at]
    p1 = [_minutes(j.created_at, j.dispatched_at) for j in rows if j.dispatched_at and j.priority == "P1"]
    return Figure(_r(_median(minutes)), len(minutes), {"p1_median": _r(_median(p1)), "p1_sample_size": len(p1)})


def on_time_arrival(jobs: Iterable[KpiJob], start: datetime, end: datetime, now: datetime) -> Figure:
    """% of appointments due in the period (and by now) reached by the promised time."""
    due = [j for j in jobs if not j.cancelled and in_period(j.promised_at, start, min(end, now))]
    on_time = [j for j in due if j.arrived_at is not None and j.promised_at and j.arrived_at <= j.promised_at]
    deltas = [_minutes(j.promised_at, j.arrived_at) for j in due if j.arrived_at and j.promised_at]
    share = 100 * len(on_time) / len(due) if due else None
    return Figure(_r(share), len(due), {"median_minutes_late": _r(_median(deltas)),
                                        "p90_minutes_late": _r(percentile(deltas, 0.9))})


def first_time_fix(jobs: Iterable[KpiJob], start: datetime, end: datetime) -> Figure:
    """% of jobs completed in the period with no recall within 30 days."""
    everything = list(jobs)
    done = [j for j in everything if in_period(j.completed_at, start, end) and not j.cancelled]

    def recalled(job: KpiJob) -> bool:
        done_at = job.completed_at
        return done_at is not None and any(
            o.id != job.id and o.customer_id == job.customer_id and o.job_type == job.job_type
            and done_at < o.created_at <= done_at + RECALL_WINDOW for o in everything if job.customer_id)

    fixed = [j for j in done if not recalled(j)]
    return Figure(_r(100 * len(fixed) / len(done)) if done else None, len(done))


def billable_hours(jobs: Iterable[KpiJob], start: datetime, end: datetime) -> Figure:
    """% of on-site and drive hours that were billed, jobs completed in the period."""
    done = [j for j in jobs if in_period(j.completed_at, start, end) and j.arrived_at and j.completed_at]
    on_site = {j.id: (j.completed_at - j.arrived_at).total_seconds() / 3600 for j in done
               if j.completed_at and j.arrived_at}
    billable = sum(h for j in done if j.invoiced for h in [on_site[j.id]])
    unbilled = sum(h for j in done if not j.invoiced for h in [on_site[j.id]])
    driving = sum((j.arrived_at - j.en_route_at).total_seconds() / 3600 for j in done
                  if j.en_route_at and j.arrived_at and j.arrived_at > j.en_route_at)
    total = billable + unbilled + driving
    return Figure(_r(100 * billable / total) if total else None, len(done),
                  {"billable_hours": _r(billable), "non_billable_hours": _r(unbilled + driving),
                   "drive_hours": _r(driving)})


def parts_accuracy(jobs: Iterable[KpiJob], start: datetime, end: datetime) -> Figure:
    """% agreement between parts recorded at completion and parts now, jobs completed in the period."""
    rows = [j for j in jobs if in_period(j.completed_at, start, end) and j.parts_at_completion is not None
            and (j.parts_now or j.parts_at_completion)]
    diff = Decimal(0)
    total = Decimal(0)
    for j in rows:
        recorded = j.parts_at_completion or {}
        for sku in set(recorded) | set(j.parts_now):
            diff += abs(recorded.get(sku, Decimal(0)) - j.parts_now.get(sku, Decimal(0)))
            total += j.parts_now.get(sku, Decimal(0))
    changed = sum(1 for j in rows if (j.parts_at_completion or {}) != j.parts_now)
    value = 100 * (1 - float(diff / total)) if total else None
    return Figure(_r(value), len(rows), {"jobs_changed_after_completion": float(changed)})


def _spread(values: list[float]) -> tuple[float | None, dict[str, float | None]]:
    return _r(_median(values)), {"p90": _r(percentile(values, 0.9))}


def invoice_cycle(jobs: Iterable[KpiJob], start: datetime, end: datetime) -> Figure:
    """Median (and p90) hours from completion to invoice sent, invoices sent in the period."""
    hours = [(j.invoice_sent_at - j.completed_at).total_seconds() / 3600 for j in jobs
             if in_period(j.invoice_sent_at, start, end) and j.completed_at and j.invoice_sent_at]
    median, extra = _spread(hours)
    return Figure(median, len(hours), extra)


def cash_conversion(jobs: Iterable[KpiJob], start: datetime, end: datetime) -> Figure:
    """Median (and p90) days from completion to payment, invoices paid in the period."""
    days = [(j.invoice_paid_at - j.completed_at).total_seconds() / 86400 for j in jobs
            if in_period(j.invoice_paid_at, start, end) and j.completed_at and j.invoice_paid_at]
    median, extra = _spread(days)
    return Figure(median, len(days), extra)


#: Each KPI: its name in the answer, its unit, and how it is computed.
KPIS: dict[str, tuple[str, Callable[[list[KpiJob], datetime, datetime, datetime], Figure]]] = {
    "dispatch_time_minutes": ("minutes, median", lambda j, s, e, n: dispatch_time(j, s, e)),
    "on_time_arrival_percent": ("% of appointments", on_time_arrival),
    "first_time_fix_percent": ("% of completed jobs", lambda j, s, e, n: first_time_fix(j, s, e)),
    "billable_percent": ("% of on-site and drive hours", lambda j, s, e, n: billable_hours(j, s, e)),
    "parts_accuracy_percent": ("%", lambda j, s, e, n: parts_accuracy(j, s, e)),
    "invoice_cycle_hours": ("hours, median", lambda j, s, e, n: invoice_cycle(j, s, e)),
    "cash_conversion_days": ("days, median", lambda j, s, e, n: cash_conversion(j, s, e)),
}

GROUPINGS: dict[str, Callable[[KpiJob], str | None]] = {
    "technician": lambda j: j.technician,
    "region": lambda j: j.region,
    "job_type": lambda j: j.job_type,
}


def compute(jobs: list[KpiJob], start: datetime, end: datetime, now: datetime) -> dict[str, Figure]:
    """Every KPI over these jobs for the period [start, end)."""
    return {name: fn(jobs, start, end, now) for name, (_unit, fn) in KPIS.items()}


def grouped(jobs: list[KpiJob], group_by: str | None) -> dict[str, list[KpiJob]]:
    """The jobs by group ("all" without grouping; "(none)" for jobs without a value)."""
    if group_by is None:
        return {"all": jobs}
    key = GROUPINGS[group_by]
    groups: dict[str, list[KpiJob]] = {}
    for job in jobs:
        groups.setdefault(key(job) or "(none)", []).append(job)
    return dict(sorted(groups.items()))


@dataclass(frozen=True)
class KpiPeriod:
    """The period asked for (UTC days, both ends included) and the baseline before it, if any."""

    first: date
    last: date
    start: datetime
    end: datetime
    baseline: tuple[datetime, datetime] | None = None

    @property
    def facts_from(self) -> datetime:
        """The earliest moment whose facts the answer needs (the baseline's start, else the period's)."""
        return self.baseline[0] if self.baseline else self.start


def _window(first: date, last: date) -> tuple[datetime, datetime]:
    return datetime.combine(first, time.min, UTC), datetime.combine(last + timedelta(days=1), time.min, UTC)


def period(first: date | None, last: date | None, baseline_days: int | None, today: date) -> KpiPeriod:
    """The period [first, last] (default: the 30 days to today) and the `baseline_days` just before it."""
    last = last or today
    first = first or last - timedelta(days=29)
    start, end = _window(first, last)
    base = _window(first - timedelta(days=baseline_days), first - timedelta(days=1)) if baseline_days else None
    return KpiPeriod(first, last, start, end, base)


def _stamp(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def answer(jobs: list[KpiJob], span: KpiPeriod, now: datetime, as_of: datetime | None,
           group_by: str | None) -> dict[str, Any]:
    """The whole KPI answer: every KPI for each group, each with its sample size, `as_of` and baseline."""
    stamp = _stamp(as_of)
    groups = []
    for key, members in grouped(jobs, group_by).items():
        current = compute(members, span.start, span.end, now)
        before = compute(members, span.baseline[0], span.baseline[1], now) if span.baseline else None
        figures: dict[str, Any] = {}
        for name, figure in current.items():
            item = {**figure.as_dict(), "as_of": stamp}
            if before is not None:
                old = before[name]
                item["baseline"] = {"value": old.value, "sample_size": old.sample_size}
                item["change"] = (round(figure.value - old.value, 2)
                                  if figure.value is not None and old.value is not None else None)
            figures[name] = item
        groups.append({"key": key, "kpis": figures})
    baseline = None
    if span.baseline:
        baseline = {"from": span.baseline[0].date().isoformat(),
                    "to": (span.baseline[1] - timedelta(days=1)).date().isoformat()}
    return {
        "from": span.first.isoformat(), "to": span.last.isoformat(), "as_of": stamp, "group_by": group_by,
        "baseline": baseline,
        "units": {name: unit for name, (unit, _fn) in KPIS.items()},
        "groups": groups,
    }
