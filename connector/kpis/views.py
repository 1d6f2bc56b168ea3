"""GET /api/v1/kpis?from&to&group_by&baseline_days: the KPI kit, per group, with a baseline to compare."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from actions.kpis import KPIS, compute, grouped
from connector.errors import Unprocessable, validation_fields
from connector.kpis.facts import as_of, kpi_jobs

if TYPE_CHECKING:
    from collections.abc import Mapping

    from connector.runtime import Runtime

MAX_DAYS = 366


class KpiQuery(BaseModel):
    """The query string, validated at the edge (dates are UTC days, both ends included)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: date | None = Field(None, alias="from")
    to: date | None = None
    group_by: Literal["technician", "region", "job_type"] | None = None
    baseline_days: int | None = None

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
        if value is not None and value not in (30, 60, 90):
            raise ValueError("baseline_days is 30, 60 or 90 (the 30/60/90-day checks)")
        return value


def parse(args: Mapping[str, str]) -> KpiQuery:
    try:
        return KpiQuery.model_validate(dict(args))
    except ValidationError as exc:
        fields = validation_fields(exc)
        raise Unprocessable(fields[0]["message"] if fields else "Invalid query.",
                            field=fields[0]["field"] if fields else "query") from exc


def _window(first: date, last: date) -> tuple[datetime, datetime]:
    return datetime.combine(first, time.min, UTC), datetime.combine(last + timedelta(days=1), time.min, UTC)


def kpis(rt: Runtime, tenant_id: str, query: KpiQuery) -> dict[str, Any]:
    """The whole answer: every KPI for each group, each with its sample size, `as_of` and baseline."""
    now = rt.clock()
    last = query.to or now.date()
    first = query.from_ or last - timedelta(days=29)
    start, end = _window(first, last)
    base: tuple[datetime, datetime] | None = None
    if query.baseline_days:
        base = _window(first - timedelta(days=query.baseline_days), first - timedelta(days=1))
    with rt.db.session() as session:
        jobs = kpi_jobs(session, tenant_id, base[0] if base else start, end)
        fresh = as_of(session, tenant_id)
    stamp = fresh.isoformat().replace("+00:00", "Z") if fresh else None
    groups = []
    for key, members in grouped(jobs, query.group_by).items():
        period = compute(members, start, end, now)
        before = compute(members, base[0], base[1], now) if base else None
        figures: dict[str, Any] = {}
        for name, figure in period.items():
            item = {**figure.as_dict(), "as_of": stamp}
            if before is not None:
                old = before[name]
                item["baseline"] = {"value": old.value, "sample_size": old.sample_size}
                item["change"] = (round(figure.value - old.value, 2)
                                  if figure.value is not None and old.value is not None else None)
            figures[name] = item
        groups.append({"key": key, "kpis": figures})
    return {
        "from": first.isoformat(), "to": last.isoformat(), "as_of": stamp, "group_by": query.group_by,
        "baseline": {"from": base[0].date().isoformat(), "to": (base[1] - timedelta(days=1)).date().isoformat()}
        if base else None,
        "units": {name: unit for name, (unit, _fn) in KPIS.items()},
        "groups": groups,
    }
