"""Search: the KPI kit over a period, one result per technician, region or job type (or one for all).

The same answer as `GET /api/v1/kpis` (which calls `report` here): formulas in `actions.kpis`, facts
from the store. Zapier uses the first result, so without `group_by` a Zap gets the company's figures.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from actions.kpis import answer, period
from actions.matching import drop_empty
from actions.spec import SearchSpec

if TYPE_CHECKING:
    from actions.context import SearchContext

#: The longest period one answer covers.
MAX_DAYS = 366
BASELINE_DAYS = (30, 60, 90)


class GetKpisInput(BaseModel):
    """The period (UTC days, both ends included), the grouping and the baseline to compare with."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, str_strip_whitespace=True)

    from_: date | None = Field(None, alias="from",
                               description="First day of the period (UTC). Default: 29 days before To.")
    to: date | None = Field(None, description="Last day of the period, included (UTC). Default: today.")
    group_by: Literal["technician", "region", "job_type"] | None = Field(
        None, description="One result per technician, region or job type. Empty: one result for the company.")
    baseline_days: int | None = Field(None, description="Compare with the 30, 60 or 90 days just before the "
                                      "period (the 30/60/90-day checks). Empty: no comparison.",
                                      json_schema_extra={"enum": list(BASELINE_DAYS)})

    @model_validator(mode="before")
    @classmethod
    def _blank_is_any(cls, data: Any) -> Any:
        return drop_empty(data)

    @field_validator("to")
    @classmethod
    def _after_from(cls, value: date | None, info: ValidationInfo) -> date | None:
        first = info.data.get("from_")
        if value and first and first > value:
            raise ValueError("to must not be before from")
        if value and first and (value - first).days >= MAX_DAYS:
            raise ValueError(f"a period is at most {MAX_DAYS} days")
        return value

    @field_validator("baseline_days")
    @classmethod
    def _checks(cls, value: int | None) -> int | None:
        if value is not None and value not in BASELINE_DAYS:
            raise ValueError("baseline_days is 30, 60 or 90 (the 30/60/90-day checks)")
        return value


class KpiBaseline(BaseModel):
    """The same figure over the baseline period."""

    model_config = ConfigDict(extra="forbid")

    value: float | None = Field(description="The baseline value (empty when its sample is empty).")
    sample_size: int = Field(description="What the baseline value rests on.")


class KpiFigure(BaseModel):
    """One KPI: its value, what it rests on, how fresh it is and how it compares."""

    model_config = ConfigDict(extra="forbid")

    value: float | None = Field(description="The figure (empty when its sample is empty, never a made-up zero).")
    sample_size: int = Field(description="How many jobs, appointments or invoices it rests on.")
    as_of: datetime | None = Field(description="When Backbone last heard from your systems (UTC): the figure "
                                   "is as fresh as that.")
    baseline: KpiBaseline | None = Field(None, description="The figure over the baseline period, if asked for.")
    change: float | None = Field(None, description="Value minus baseline value.")


class DispatchTimeFigure(KpiFigure):
    """Minutes from created to dispatched, median."""

    p1_median: float | None = Field(description="Median for P1 (emergency) jobs alone.")
    p1_sample_size: int = Field(description="How many P1 jobs that rests on.")


class OnTimeArrivalFigure(KpiFigure):
    """% of appointments reached by the promised time."""

    median_minutes_late: float | None = Field(description="Median minutes arrived after the promise (negative: early).")
    p90_minutes_late: float | None = Field(description="90th percentile of the minutes late.")


class BillableFigure(KpiFigure):
    """% of on-site and drive hours that were billed."""

    billable_hours: float | None = Field(description="On-site hours of invoiced jobs.")
    non_billable_hours: float | None = Field(description="On-site hours never invoiced, plus drive time.")
    drive_hours: float | None = Field(description="Drive time (en route to arrived).")


class PartsAccuracyFigure(KpiFigure):
    """% agreement between parts recorded at completion and parts now."""

    jobs_changed_after_completion: int = Field(description="Jobs whose parts changed after completion.")


class SpreadFigure(KpiFigure):
    """A median with its 90th percentile."""

    p90: float | None = Field(description="90th percentile.")


class KpiFigures(BaseModel):
    """Every KPI of one group."""

    model_config = ConfigDict(extra="forbid")

    dispatch_time_minutes: DispatchTimeFigure = Field(description="Dispatch time: minutes, median.")
    on_time_arrival_percent: OnTimeArrivalFigure = Field(description="On-time arrival: % of appointments.")
    first_time_fix_percent: KpiFigure = Field(description="First-time fix: % of completed jobs with no recall "
                                              "within 30 days.")
    billable_percent: BillableFigure = Field(description="Billable share of on-site and drive hours, %.")
    parts_accuracy_percent: PartsAccuracyFigure = Field(description="Parts usage accuracy, %.")
    invoice_cycle_hours: SpreadFigure = Field(description="Hours from completion to invoice sent, median.")
    cash_conversion_days: SpreadFigure = Field(description="Days from completion to payment, median.")


class GetKpisOutput(BaseModel):
    """The KPIs of one group over the period."""

    id: str = Field(description="Unique id of this result (period, grouping and group).")
    group_by: str | None = Field(description="technician, region or job_type; empty for the whole company.")
    group: str = Field(description="The technician, region or job type (\"all\" without grouping; \"(none)\" "
                       "for jobs without one).")
    period_from: date = Field(description="First day of the period (UTC).")
    period_to: date = Field(description="Last day of the period, included (UTC).")
    baseline_from: date | None = Field(description="First day of the baseline period, if asked for.")
    baseline_to: date | None = Field(description="Last day of the baseline period, if asked for.")
    as_of: datetime | None = Field(description="When Backbone last heard from your systems (UTC).")
    kpis: KpiFigures = Field(description="Every KPI, each with its sample size.")


def report(ctx: SearchContext, data: GetKpisInput) -> dict[str, Any]:
    """The whole KPI answer (`GET /api/v1/kpis` answers exactly this).

    Args:
        ctx: The tenant's store and clock.
        data: The period, grouping and baseline.

    Returns:
        `{"from", "to", "as_of", "group_by", "baseline", "units", "groups": [{"key", "kpis"}]}`.
    """
    now = ctx.clock()
    span = period(data.from_, data.to, data.baseline_days, now.date())
    jobs = ctx.store.kpi_jobs(span.facts_from, span.end)
    return answer(jobs, span, now, ctx.store.kpi_as_of(), data.group_by)


def run(ctx: SearchContext, data: GetKpisInput) -> list[GetKpisOutput]:
    """One result per group, in the order of the KPI answer (by group name)."""
    body = report(ctx, data)
    baseline = body["baseline"] or {}
    return [
        GetKpisOutput(
            id=f"{body['from']}..{body['to']}:{body['group_by'] or 'all'}:{group['key']}",
            group_by=body["group_by"], group=group["key"], period_from=body["from"], period_to=body["to"],
            baseline_from=baseline.get("from"), baseline_to=baseline.get("to"), as_of=body["as_of"],
            kpis=KpiFigures.model_validate(group["kpis"]),
        )
        for group in body["groups"]
    ]


def _figure(value: float | None, size: int, **extra: Any) -> dict[str, Any]:
    return {"value": value, "sample_size": size, "as_of": AS_OF, "baseline": {"value": None, "sample_size": 0},
            "change": None, **extra}


AS_OF = datetime(2026, 11, 24, 16, 55, tzinfo=UTC)
SAMPLE = GetKpisOutput(
    id="2026-10-26..2026-11-24:technician:Marcus Reyes",
    group_by="technician",
    group="Marcus Reyes",
    period_from=date(2026, 10, 26),
    period_to=date(2026, 11, 24),
    baseline_from=date(2026, 9, 26),
    baseline_to=date(2026, 10, 25),
    as_of=AS_OF,
    kpis=KpiFigures.model_validate({
        "dispatch_time_minutes": _figure(18.5, 42, p1_median=6.0, p1_sample_size=5),
        "on_time_arrival_percent": _figure(88.1, 42, median_minutes_late=-4.0, p90_minutes_late=12.0),
        "first_time_fix_percent": _figure(92.5, 40),
        "billable_percent": _figure(71.3, 40, billable_hours=61.5, non_billable_hours=24.75, drive_hours=19.0),
        "parts_accuracy_percent": _figure(97.2, 31, jobs_changed_after_completion=2),
        "invoice_cycle_hours": _figure(5.5, 38, p90=30.0),
        "cash_conversion_days": _figure(9.0, 29, p90=27.5),
    }),
)

SEARCH = SearchSpec(
    key="get_kpis",
    noun="KPIs",
    label="Get KPIs",
    help_text="Dispatch time, on-time arrival, first-time fix, billable hours, parts accuracy, invoice cycle and "
    "cash conversion over a period, per technician, region or job type.",
    input=GetKpisInput,
    output=GetKpisOutput,
    sample=SAMPLE,
    run=run,
)
