"""Blueprint "api": trigger polling, action calls and run status, generic over the catalogs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify, request

from actions.catalog import REGISTRY as ACTIONS
from connector.api.runner import Call, Caller, call_action
from connector.auth.guard import current_principal, require_token
from connector.connections.status import describe
from connector.db.models import ActionRun, Event, Install, User
from connector.errors import NotFoundError, Unprocessable
from connector.extensions import api_limit
from connector.jobs import progress
from triggers.canonical import CanonicalEvent, EventType
from triggers.catalog import REGISTRY as TRIGGERS

if TYPE_CHECKING:
    from flask import Response

    from connector.runtime import Runtime

bp = Blueprint("api", __name__, url_prefix="/api/v1")
api_limit(bp)

MAX_POLL_ITEMS = 100


def _runtime() -> Runtime:
    return cast("Runtime", current_app.extensions["backbone"])


def canonical(row: Event) -> CanonicalEvent:
    return CanonicalEvent(event_id=row.event_id, type=EventType(row.type), occurred_at=row.occurred_at,
                          source=row.source, source_id=row.source_id, subject_id=row.subject_id, data=row.data)


@bp.get("/triggers/<key>")
@require_token("triggers")
def poll_trigger(key: str) -> Response:
    """Polling: a bare JSON array, newest first, at most 100 items, each with a unique id."""
    spec = TRIGGERS.get(key)
    if spec is None:
        raise NotFoundError(f"No trigger called {key!r}.", field="trigger")
    try:
        limit = min(MAX_POLL_ITEMS, max(1, int(request.args.get("limit", MAX_POLL_ITEMS))))
    except ValueError as exc:
        raise Unprocessable("limit must be a whole number from 1 to 100.", field="limit") from exc
    principal = current_principal()
    with _runtime().db.session() as session:
        rows = session.scalars(
            sa.select(Event)
            .where(Event.tenant_id == principal.tenant_id, Event.applied.is_(True),
                   Event.type.in_([t.value for t in spec.event_types]))
            .order_by(Event.seq.desc())
            .limit(limit)
        ).all()
        items = [spec.render(canonical(row)).model_dump(mode="json") for row in rows]
        stale = [c["provider"] for c in _connections(session, principal.tenant_id) if c["stale"]]
    response = jsonify(items)
    if stale:
        # The items are the last known state; these systems could not be read lately.
        response.headers["X-Backbone-Stale"] = ",".join(sorted(set(stale)))
    return response


def _connections(session: Any, tenant_id: str) -> list[dict[str, Any]]:
    rt = _runtime()
    rows = session.scalars(sa.select(Install).where(Install.tenant_id == tenant_id, Install.provider != "sandbox")
                           .order_by(Install.created_at)).all()
    return [describe(row, rt.clock(), rt.settings) for row in rows]


@bp.get("/kpis")
@require_token("triggers")
def get_kpis() -> Response:
    """The KPI kit over a period, per technician, region or job type, against a baseline if asked."""
    from connector.kpis.views import kpis, parse

    query = parse(request.args)
    return jsonify(kpis(_runtime(), current_principal().tenant_id, query))


@bp.post("/searches/<key>")
@require_token("triggers")
def run_search(key: str) -> Response:
    """A search: the criteria as a JSON object; a bare JSON array of results, best first ([] for none)."""
    from actions.catalog import SEARCH_REGISTRY
    from connector.api.searches import run_search

    spec = SEARCH_REGISTRY.get(key)
    if spec is None:
        raise NotFoundError(f"No search called {key!r}.", field="search")
    body: Any = request.get_json(silent=True)
    if body is None and request.get_data():
        raise Unprocessable("The body must be JSON (Content-Type: application/json).", field="body")
    return jsonify(run_search(_runtime(), current_principal().tenant_id, spec, body if body is not None else {}))


@bp.get("/stock")
@require_token("triggers")
def get_truck_stock() -> Response:
    """A truck's stock levels and open stock orders (?technician_id=)."""
    from connector.stock.service import truck

    return jsonify(truck(_runtime(), current_principal().tenant_id, request.args.get("technician_id", "").strip()))


@bp.post("/stock/orders/<id:order_id>/<any(receive, cancel):verb>")
@require_token("actions")
def close_stock_order(order_id: str, verb: str) -> Response:
    """Receives (adds what arrived to the truck) or cancels an open stock order."""
    from connector.stock.service import close_order

    body: Any = request.get_json(silent=True)
    if body is None and request.get_data():
        raise Unprocessable("The body must be JSON (Content-Type: application/json).", field="body")
    return jsonify(close_order(_runtime(), current_principal().tenant_id, order_id, verb, body))


@bp.get("/connections")
@require_token("triggers")
def list_connections() -> Response:
    """The tenant's provider connections: status, last successful sync, lag and whether data is stale."""
    principal = current_principal()
    with _runtime().db.session() as session:
        return jsonify(_connections(session, principal.tenant_id))


@bp.post("/actions/<key>")
@require_token("actions")
def run_action(key: str) -> tuple[Response, int, dict[str, str]]:
    spec = ACTIONS.get(key)
    if spec is None:
        raise NotFoundError(f"No action called {key!r}.", field="action")
    principal = current_principal()
    rt = _runtime()
    with rt.db.session() as session:
        email = session.scalar(sa.select(User.email).where(User.id == principal.user_id))
    body: Any = request.get_json(silent=True)
    if body is None and request.get_data():
        raise Unprocessable("The body must be JSON (Content-Type: application/json).", field="body")
    call = Call(
        spec=spec, tenant_id=principal.tenant_id, body=body if body is not None else {},
        idempotency_key=request.headers.get("Idempotency-Key"),
        caller=Caller("oauth", principal.client_id, f"{principal.client_name} ({email or principal.user_id})"),
        callback_url=request.headers.get("X-Callback-Url"),
    )
    answer = call_action(rt, call)
    return jsonify(answer.body), answer.status, answer.headers


@bp.get("/runs/<id:run_id>")
@require_token("actions")
def run_status(run_id: str) -> Response:
    principal = current_principal()
    with _runtime().db.session() as session:
        run = session.scalar(sa.select(ActionRun).where(ActionRun.id == run_id,
                                                        ActionRun.tenant_id == principal.tenant_id))
        if run is None:
            raise NotFoundError(f"No run {run_id!r}.", field="run_id")
        return jsonify({
            "run_id": run.id, "action": run.action_key, "status": run.status, "attempts": run.attempts,
            "result": run.result, "error": run.error, "progress": progress.read(_runtime(), run.id),
            "created_at": run.created_at.isoformat().replace("+00:00", "Z"),
            "finished_at": run.finished_at.isoformat().replace("+00:00", "Z") if run.finished_at else None,
        })
