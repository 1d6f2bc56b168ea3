"""Running searches: validate the criteria, read through the tenant's store, answer a JSON array.

Searches only read, so unlike actions they record no run and need no Idempotency-Key. Nothing
found is `[]` with 200 (Zapier and Make treat an empty list as "no match"), never a 404.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from connector.context import build_search_context
from connector.errors import Unprocessable, fields_message, validation_fields

if TYPE_CHECKING:
    from actions.spec import SearchSpec
    from connector.runtime import Runtime


def criteria(spec: SearchSpec, body: Any) -> Any:
    """The body validated against the search's input model.

    Raises:
        Unprocessable: Not a JSON object, or a field is wrong (every bad field is named).
    """
    if not isinstance(body, dict):
        raise Unprocessable("The body must be a JSON object.", field="body")
    try:
        return spec.input.model_validate(body)
    except ValidationError as exc:
        fields = validation_fields(exc)
        raise Unprocessable(fields_message(fields), fields=fields) from exc


def run_search(rt: Runtime, tenant_id: str, spec: SearchSpec, body: Any) -> list[dict[str, Any]]:
    """The search's results for this tenant, best first, as JSON-ready dicts.

    Raises:
        Unprocessable: Bad criteria (422 naming the field).
        ActionError: What the search raised on purpose (the error handlers map it to its status).
    """
    data = criteria(spec, body)
    with rt.db.session() as session:
        results = spec.run(build_search_context(rt, session, tenant_id), data)
        return [spec.output.model_validate(item).model_dump(mode="json") for item in results]
