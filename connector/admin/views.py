"""Blueprint "admin": runs, deliveries, connections, audit, the sandbox switch; replay, sync now.

Every view needs the read permission; every POST needs the write permission too, carries a
CSRF token (CSRFProtect is global) and leaves an audit row.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from actions.catalog import REGISTRY
from connector.accounts.users import runtime, signed_in
from connector.admin import queries
from connector.admin.connections import connections as connection_rows
from connector.admin.connections import sync_now
from connector.admin.formatting import duration, error_summary, excerpt, pretty_json
from connector.admin.permissions import ADMIN_WRITE, has_permission, read_required, write_required
from connector.admin.queries import DeliveryFilters, RunFilters, page_number
from connector.admin.replay import MAX_BULK, detail_message, replay_many, replay_one, summary
from connector.admin.sandbox import OUTAGE_LABELS, UnknownAccount, active_outages, sandbox_accounts, switch_outage
from connector.sandbox.remote import OUTAGE_MODES

if TYPE_CHECKING:
    from werkzeug.wrappers import Response

bp = Blueprint(
    "admin",
    __name__,
    url_prefix="/admin",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)
bp.add_app_template_filter(pretty_json, "pretty_json")
bp.add_app_template_filter(duration, "duration")
bp.add_app_template_filter(excerpt, "excerpt")
bp.add_app_template_filter(error_summary, "error_summary")


@bp.context_processor
def _admin_context() -> dict[str, Any]:
    user = signed_in()
    return {
        "can_write": has_permission(getattr(user, "role", None), ADMIN_WRITE),
        "actions": REGISTRY,
        "outage_modes": OUTAGE_MODES,
        "outage_labels": OUTAGE_LABELS,
    }


@bp.get("/")
@read_required
def index() -> Response:
    return redirect(url_for("admin.list_runs"))


# --- action runs -------------------------------------------------------------------------------


@bp.get("/runs")
@read_required
def list_runs() -> str:
    filters = RunFilters.from_args(request.args)
    rt = runtime()
    with rt.db.session() as session:
        page = queries.list_runs(session, filters, page_number(request.args))
        tenants = queries.tenant_choices(session)
    outages = active_outages(rt, tenant_id=filters.tenant or None)
    return render_template(
        "admin/runs.html",
        page=page,
        filters=filters,
        statuses=queries.RUN_STATUSES,
        tenants=tenants,
        outages=outages,
    )


@bp.post("/runs/replay")
@write_required
def replay_runs() -> Response:
    filters = RunFilters.from_args(request.form)
    keep: dict[str, Any] = {**filters.as_args(), "page": page_number(request.form)}
    back = url_for("admin.list_runs", **keep)
    run_ids = [run_id for run_id in request.form.getlist("run_id") if run_id][: MAX_BULK + 1]
    if not run_ids:
        flash("Select at least one failed run to replay.")
        return redirect(back)
    if len(run_ids) > MAX_BULK:
        flash(f"Replay at most {MAX_BULK} runs at once.")
        return redirect(back)
    flash(summary(replay_many(runtime(), run_ids, signed_in())))
    return redirect(back)


@bp.get("/runs/<id:run_id>")
@read_required
def run_detail(run_id: str) -> str:
    with runtime().db.session() as session:
        detail = queries.run_detail(session, run_id)
    if detail is None:
        abort(404, description=f"No action run has the id {run_id!r}.")
    return render_template(
        "admin/run_detail.html", detail=detail, run=detail.run, spec=REGISTRY.get(detail.run.action_key)
    )


@bp.post("/runs/<id:run_id>/replay")
@write_required
def replay_run(run_id: str) -> Response:
    outcome = replay_one(runtime(), run_id, signed_in())
    if outcome.not_found:
        abort(404, description=f"No action run has the id {run_id!r}.")
    flash(detail_message(outcome))
    return redirect(url_for("admin.run_detail", run_id=run_id))


# --- hook deliveries ---------------------------------------------------------------------------


@bp.get("/deliveries")
@read_required
def list_deliveries() -> str:
    filters = DeliveryFilters.from_args(request.args)
    with runtime().db.session() as session:
        page = queries.list_deliveries(session, filters, page_number(request.args))
        tenants = queries.tenant_choices(session)
    return render_template(
        "admin/deliveries.html", page=page, filters=filters, statuses=queries.DELIVERY_STATUSES, tenants=tenants
    )


@bp.get("/deliveries/<id:delivery_id>")
@read_required
def delivery_detail(delivery_id: str) -> str:
    with runtime().db.session() as session:
        detail = queries.delivery_detail(session, delivery_id)
    if detail is None:
        abort(404, description=f"No hook delivery has the id {delivery_id!r}.")
    return render_template("admin/delivery_detail.html", detail=detail, delivery=detail.delivery)


# --- audit -------------------------------------------------------------------------------------


@bp.get("/audit")
@read_required
def list_audit() -> str:
    with runtime().db.session() as session:
        page = queries.list_audit(session, page_number(request.args))
    return render_template("admin/audit.html", page=page)


# --- provider connections --------------------------------------------------------------------


@bp.get("/connections")
@read_required
def list_connections() -> str:
    return render_template("admin/connections.html", items=connection_rows(runtime()))


@bp.post("/connections/<id:install_id>/sync")
@write_required
def sync_connection_now(install_id: str) -> Response:
    user = signed_in()
    result = sync_now(runtime(), install_id, actor_id=user.id, actor_email=user.email)
    flash(f"Sync {result['status']}: " + ", ".join(f"{k} {v}" for k, v in result.items() if k != "status"))
    return redirect(url_for("admin.list_connections"))


# --- the sandbox switch ------------------------------------------------------------------------


@bp.get("/sandbox")
@read_required
def sandbox() -> str:
    return render_template("admin/sandbox.html", accounts=sandbox_accounts(runtime()))


@bp.post("/sandbox/outage")
@write_required
def set_sandbox_outage() -> Response:
    account_id, mode = request.form.get("account_id", ""), request.form.get("mode", "")
    back = request.form.get("back") == "runs"
    try:
        row, changed = switch_outage(runtime(), account_id, mode, signed_in())
    except UnknownAccount:
        abort(404, description=f"No sandbox connection has the account id {account_id!r}.")
    except ValueError as exc:
        abort(400, description=str(exc))
    state = "is now" if changed else "was already"
    flash(f"Sandbox accounting of {row.tenant_name} ({row.account_id}) {state}: {OUTAGE_LABELS[row.outage]}.")
    return redirect(url_for("admin.list_runs" if back else "admin.sandbox"))


@bp.get("/runs/replay")
@bp.get("/runs/<id:run_id>/replay")
@bp.get("/sandbox/outage")
@read_required
def return_to_page(run_id: str | None = None) -> Response:
    """A GET of a POST-only URL: where sign-in sends someone whose session ran out as they pressed a
    button. Back to the page that holds the button; nothing is replayed or switched by a GET."""
    if request.path.endswith("/sandbox/outage"):
        return redirect(url_for("admin.sandbox"))
    return redirect(url_for("admin.run_detail", run_id=run_id) if run_id else url_for("admin.list_runs"))
