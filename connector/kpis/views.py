"""GET /api/v1/kpis?from&to&group_by&baseline_days: the KPI kit, per group, with a baseline to compare.

The answer is the `get_kpis` search's (`actions.get_kpis.report`): the same query model, the same
formulas (`actions.kpis`), the same facts (`connector.kpis.facts`, through the store).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from actions.get_kpis import MAX_DAYS, GetKpisInput, report
from connector.context import build_search_context
from connector.errors import Unprocessable, validation_fields

if TYPE_CHECKING:
    from collections.abc import Mapping

    from connector.runtime import Runtime

__all__ = ["MAX_DAYS", "KpiQuery", "kpis", "parse"]

#: The query string, validated at the edge like the search's input (dates are UTC days, both ends included).
KpiQuery = GetKpisInput


def parse(args: Mapping[str, str]) -> KpiQuery:
    try:
        return KpiQuery.model_validate(dict(args))
    except ValidationError as exc:
        fields = validation_fields(exc)
        raise Unprocessable(fields[0]["message"] if fields else "Invalid query.",
                            field=fields[0]["field"] if fields else "query") from exc


def kpis(rt: Runtime, tenant_id: str, query: KpiQuery) -> dict[str, Any]:
    """The whole answer: every KPI for each group, each with its sample size, `as_of` and baseline."""
    with rt.db.session() as session:
        return report(build_search_context(rt, session, tenant_id), query)
