from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from connector.db.models import (
    ActionAttempt,
    ActionRun,
    AuditEntry,
    Delivery,
    DeliveryAttempt,
    Event,
    HookSubscription,
    Invoice,
)
from connector.sandbox.accounting import outage, set_outage
from tests.conftest import csrf_token, make_tenant
from tests.factories import issue_token
from tests.helpers import T0
from tests.unit.connector.admin.scenario import (
    SUPPORT_EMAIL,
    TIMEOUT_MESSAGE,
    call_invoice,
    completed_job,
    failed_invoice_run,
    remote_invoices,
)

#: An id of the right shape that names nothing.
R1 = "0" * 32
#: A URL for each admin view (the ids need not exist: permissions are checked first).
GET_URLS = ["/admin/", "/admin/runs", f"/admin/runs/{R1}", "/admin/deliveries", f"/admin/deliveries/{R1}",
            "/admin/audit", "/admin/sandbox", "/admin/connections"]
POST_URLS = ["/admin/runs/replay", f"/admin/runs/{R1}/replay", "/admin/sandbox/outage",
             f"/admin/connections/{R1}/sync"]


def _run(runtime, tenant_id: str, *, status: str = "succeeded", key: str = "k", minutes: int = 0,
         error: dict[str, Any] | None = None, caller: str = "Zapier") -> str:
    with runtime.db.session() as session:
        run = ActionRun(tenant_id=tenant_id, action_key="generate_invoice", idempotency_key=key, request_hash="h",
                        input={"job_id": "j"}, status=status, error=error, caller_kind="oauth", caller_label=caller,
                        attempts=1, created_at=T0 + timedelta(minutes=minutes))
        session.add(run)
        session.flush()
        return run.id


def _listed_ids(html: str) -> list[str]:
    return re.findall(r'<tr id="run-([0-9a-f]+)"', html)


def _count(runtime, model, **where: Any) -> int:
    with runtime.db.session() as session:
        stmt = sa.select(sa.func.count()).select_from(model)
        for name, value in where.items():
            stmt = stmt.where(getattr(model, name) == value)
        return int(session.scalar(stmt) or 0)


def _audit(runtime) -> list[AuditEntry]:
    with runtime.db.session() as session:
        return list(session.scalars(sa.select(AuditEntry).order_by(AuditEntry.created_at)))


def _token(client) -> str:
    return csrf_token(client.get("/admin/runs").text)


# --- permissions -------------------------------------------------------------------------------

@pytest.mark.parametrize("url", GET_URLS + POST_URLS)
def test_signed_out_visitors_are_sent_to_sign_in(app, url) -> None:
    client = app.test_client()
    if url in GET_URLS:
        response = client.get(url)
    else:
        response = client.post(url, data={"csrf_token": csrf_token(client.get("/login").text), "run_id": "r1"})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_users_without_the_support_role_get_an_html_403_everywhere(app, owner, tenant) -> None:
    token = csrf_token(owner.get("/").text)
    for url in GET_URLS:
        response = owner.get(url)
        assert response.status_code == 403, url
        assert response.mimetype == "text/html" and "403 Forbidden" in response.text
    for url in POST_URLS:
        response = owner.post(url, data={"csrf_token": token, "run_id": "r1"})
        assert response.status_code == 403, url
    admin_rules = {r.endpoint for r in app.url_map.iter_rules() if r.endpoint.startswith("admin.")}
    assert admin_rules - {"admin.static"} == {
        "admin.index", "admin.list_runs", "admin.replay_runs", "admin.run_detail", "admin.replay_run",
        "admin.list_deliveries", "admin.delivery_detail", "admin.list_audit", "admin.sandbox",
        "admin.set_sandbox_outage", "admin.return_to_page", "admin.list_connections", "admin.sync_connection_now",
    }, "a new admin view needs a line above so that its permission is tested"


def test_a_get_of_a_post_only_url_goes_back_to_its_page(support) -> None:
    """Tests where sign-in lands someone whose session expired as they pressed Replay."""
    assert support.get("/admin/runs/replay").headers["Location"] == "/admin/runs"
    assert support.get(f"/admin/runs/{R1}/replay").headers["Location"] == f"/admin/runs/{R1}"
    assert support.get("/admin/sandbox/outage").headers["Location"] == "/admin/sandbox"


def test_support_navigation_and_index(support) -> None:
    response = support.get("/admin/")
    assert response.status_code == 302 and response.headers["Location"] == "/admin/runs"
    page = support.get("/admin/runs").text
    for label in ("Action runs", "Hook deliveries", "Audit log", "Sandbox"):
        assert label in page
    with support.get("/admin/static/admin/admin.css") as css:
        assert css.status_code == 200 and css.mimetype == "text/css"


def test_unknown_run_and_delivery_are_html_404(support) -> None:
    response = support.get(f"/admin/runs/{R1}")
    assert response.status_code == 404 and response.mimetype == "text/html"
    assert "No action run has the id" in response.text
    response = support.get(f"/admin/deliveries/{R1}")
    assert response.status_code == 404 and "No hook delivery has the id" in response.text
    assert support.get("/admin/runs/not-an-id").status_code == 404


# --- the runs list -----------------------------------------------------------------------------

def test_support_sees_runs_of_every_tenant_newest_first(runtime, support, tenant, other_tenant) -> None:
    older = _run(runtime, tenant.tenant_id, key="a", minutes=0)
    newer = _run(runtime, other_tenant.tenant_id, key="b", minutes=5, caller="Make scenario 7")
    page = support.get("/admin/runs").text
    assert _listed_ids(page) == [newer, older]
    assert "Acme Heating" in page and "Other Plumbing" in page and "Make scenario 7" in page
    assert "status-succeeded" in page and "Generate Invoice" in page


def test_filters_by_status_action_tenant_and_search(runtime, support, tenant, other_tenant) -> None:
    error = {"code": "upstream_unavailable", "message": "Accounting down", "fields": [], "retryable": True}
    failed = _run(runtime, tenant.tenant_id, status="failed", key="zap-123-abc", error=error, minutes=1)
    ok = _run(runtime, tenant.tenant_id, key="zap-456", minutes=2)
    other = _run(runtime, other_tenant.tenant_id, status="failed", key="make-1", error=error, minutes=3)

    def listed(query: str) -> list[str]:
        return _listed_ids(support.get(f"/admin/runs?{query}").text)

    assert listed("status=failed") == [other, failed]
    assert listed("status=succeeded") == [ok]
    assert listed(f"tenant={tenant.tenant_id}") == [ok, failed]
    assert listed(f"status=failed&tenant={other_tenant.tenant_id}") == [other]
    assert listed("action=generate_invoice") == [other, ok, failed]
    assert listed("q=ZAP-123") == [failed]  # idempotency key, any case, any part
    assert listed(f"q={ok[:10]}") == [ok]  # run id prefix
    assert listed("q=nothing-like-it") == []
    assert listed("status=bogus&action=nonesuch") == [other, ok, failed]  # unknown values are ignored
    page = support.get("/admin/runs?status=failed").text
    assert '<option value="failed" selected>' in page
    assert "upstream_unavailable: Accounting down" in page


def test_runs_are_paginated_fifty_a_page(runtime, support, tenant) -> None:
    ids = [_run(runtime, tenant.tenant_id, key=f"k{n}", minutes=n) for n in range(55)]
    first = support.get("/admin/runs").text
    assert _listed_ids(first) == ids[::-1][:50]
    assert "Page 1 of 2 · 55 in all" in first and 'href="/admin/runs?page=2"' in first
    second = support.get("/admin/runs?page=2").text
    assert _listed_ids(second) == ids[::-1][50:]
    assert _listed_ids(support.get("/admin/runs?page=x").text) == ids[::-1][:50]


def test_only_replayable_failed_runs_get_a_checkbox(runtime, support, tenant) -> None:
    timeout = {"code": "upstream_unavailable", "message": "down", "fields": [], "retryable": True}
    invalid = {"code": "invalid_input", "message": "Invalid input: job_id.", "fields": [], "retryable": False}
    replayable = _run(runtime, tenant.tenant_id, status="failed", key="a", error=timeout)
    _run(runtime, tenant.tenant_id, status="failed", key="b", error=invalid)
    _run(runtime, tenant.tenant_id, key="c")
    page = support.get("/admin/runs").text
    assert re.findall(r'name="run_id" value="([0-9a-f]+)"', page) == [replayable]
    assert "Replay selected" in page


# --- run detail and replay ---------------------------------------------------------------------

def test_run_detail_shows_input_error_timings_and_attempts(client, runtime, support, tenant, token) -> None:
    run_id = failed_invoice_run(client, runtime, tenant, token, key="zap-77")
    page = support.get(f"/admin/runs/{run_id}").text
    assert TIMEOUT_MESSAGE in page
    assert "upstream_unavailable" in page and "Retryable</dt><dd>yes" in page
    assert "zap-77" in page and "sent by the caller" in page
    assert "&#34;job_id&#34;" in page  # the input, as indented JSON
    assert re.search(r'class="attempt-count">1<', page)
    assert "<td>call</td>" in page and "Acme Heating" in page
    assert f'action="/admin/runs/{run_id}/replay"' in page
    assert "cannot bill twice" in page


def test_replay_without_csrf_token_is_400_and_replays_nothing(client, runtime, support, tenant, token) -> None:
    run_id = failed_invoice_run(client, runtime, tenant, token)
    set_outage(runtime.sandbox_db, tenant.account_id, "off")
    for url, data in ((f"/admin/runs/{run_id}/replay", {}), ("/admin/runs/replay", {"run_id": run_id})):
        response = support.post(url, data=data)
        assert response.status_code == 400 and response.mimetype == "text/html"
        assert "CSRF" in response.text
    response = support.post(f"/admin/runs/{run_id}/replay", data={"csrf_token": "forged"})
    assert response.status_code == 400
    with runtime.db.session() as session:
        run = session.get(ActionRun, run_id)
        assert (run.status, run.attempts, run.replay_count) == ("failed", 1, 0)
    assert _audit(runtime) == []


def test_replay_reuses_the_idempotency_key_and_is_audited(client, runtime, support, tenant, token) -> None:
    run_id = failed_invoice_run(client, runtime, tenant, token, key="zap-once")
    assert remote_invoices(runtime, tenant) == 1  # the remote made it before timing out
    set_outage(runtime.sandbox_db, tenant.account_id, "off")

    response = support.post(f"/admin/runs/{run_id}/replay", data={"csrf_token": _token(support)})
    assert response.status_code == 302 and response.headers["Location"] == f"/admin/runs/{run_id}"
    page = support.get(response.headers["Location"]).text
    assert "Replayed: the run succeeded on attempt 2." in page
    assert "status-succeeded" in page and f'action="/admin/runs/{run_id}/replay"' not in page

    assert remote_invoices(runtime, tenant) == 1  # same idempotency key: no second remote invoice
    assert _count(runtime, Invoice, tenant_id=tenant.tenant_id) == 1
    with runtime.db.session() as session:
        run = session.get(ActionRun, run_id)
        assert (run.status, run.attempts, run.replay_count, run.idempotency_key) == ("succeeded", 2, 1, "zap-once")
        attempts = session.scalars(sa.select(ActionAttempt).order_by(ActionAttempt.number)).all()
        assert [(a.reason, a.actor) for a in attempts] == [("call", None), ("replay", SUPPORT_EMAIL)]
    [entry] = _audit(runtime)
    assert (entry.action, entry.target_type, entry.target_id) == ("run.replay", "action_run", run_id)
    assert entry.actor_email == SUPPORT_EMAIL and entry.tenant_id == tenant.tenant_id
    assert "<td>replay</td>" in page and "run.replay" in page  # attempt and audit rows on the page


def test_replay_that_fails_again_says_so(client, runtime, support, tenant, token) -> None:
    run_id = failed_invoice_run(client, runtime, tenant, token)
    set_outage(runtime.sandbox_db, tenant.account_id, "unavailable")
    response = support.post(f"/admin/runs/{run_id}/replay", data={"csrf_token": _token(support)},
                            follow_redirects=True)
    assert "Replayed, but the run failed again: The accounting system is unavailable" in response.text
    assert remote_invoices(runtime, tenant) == 1


def test_not_replayable_runs_are_refused_with_a_clear_flash(runtime, support, tenant) -> None:
    invalid = {"code": "invalid_input", "message": "Invalid input: job_id.", "fields": [], "retryable": False}
    bad_input = _run(runtime, tenant.tenant_id, status="failed", key="a", error=invalid)
    done = _run(runtime, tenant.tenant_id, key="b")
    token = _token(support)
    page = support.get(f"/admin/runs/{bad_input}").text
    assert f'action="/admin/runs/{bad_input}/replay"' not in page  # no button for it

    response = support.post(f"/admin/runs/{bad_input}/replay", data={"csrf_token": token}, follow_redirects=True)
    assert "Not replayed: The input was invalid: replaying it would fail the same way." in response.text
    response = support.post(f"/admin/runs/{done}/replay", data={"csrf_token": token}, follow_redirects=True)
    assert "Not replayed: Only failed runs can be replayed (this one is succeeded)." in response.text
    assert support.post("/admin/runs/nonesuch/replay", data={"csrf_token": token}).status_code == 404
    assert _audit(runtime) == []


def test_bulk_replay_replays_each_and_flashes_a_summary(client, runtime, support, tenant, token) -> None:
    # One failed run per tenant: the sandbox outage is per tenant, so one of them can stay down.
    second, stuck = make_tenant(runtime, company="Second Electric"), make_tenant(runtime, company="Stuck Pest")
    first_run = failed_invoice_run(client, runtime, tenant, token)
    second_run = failed_invoice_run(client, runtime, second, issue_token(runtime, second))
    stuck_run = failed_invoice_run(client, runtime, stuck, issue_token(runtime, stuck))
    set_outage(runtime.sandbox_db, tenant.account_id, "off")
    set_outage(runtime.sandbox_db, second.account_id, "off")
    set_outage(runtime.sandbox_db, stuck.account_id, "unavailable")  # still down: fails again
    done = _run(runtime, tenant.tenant_id, key="done")

    response = support.post("/admin/runs/replay", data={
        "csrf_token": _token(support), "run_id": [first_run, stuck_run, done, second_run, first_run],
        "status": "failed", "q": "", "page": "1",
    })
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/runs?status=failed&page=1"  # the filters are kept
    page = support.get(response.headers["Location"]).text
    assert "Replayed 3 runs: 2 succeeded, 1 failed again." in page
    assert f"Not replayed: 1 run ({done[:8]}: Only failed runs can be replayed (this one is succeeded))." in page
    assert _listed_ids(page) == [stuck_run]
    for info, invoices in ((tenant, 1), (second, 1), (stuck, 0)):
        assert remote_invoices(runtime, info) == 1  # made once, before the first timeout
        assert _count(runtime, Invoice, tenant_id=info.tenant_id) == invoices
    assert sorted(e.target_id for e in _audit(runtime)) == sorted([first_run, second_run, stuck_run])


def test_bulk_replay_with_nothing_selected(support) -> None:
    response = support.post("/admin/runs/replay", data={"csrf_token": _token(support)}, follow_redirects=True)
    assert "Select at least one failed run to replay." in response.text


# --- the sandbox switch ------------------------------------------------------------------------

def test_outage_switch_is_audited(runtime, support, tenant) -> None:
    page = support.get("/admin/sandbox").text
    assert tenant.account_id in page and "Off (accounting answers)" in page
    token = csrf_token(page)
    response = support.post("/admin/sandbox/outage", data={
        "csrf_token": token, "account_id": tenant.account_id, "mode": "timeout_after_create"})
    assert response.status_code == 302 and response.headers["Location"] == "/admin/sandbox"
    assert outage(runtime.sandbox_db, tenant.account_id) == "timeout_after_create"
    [entry] = _audit(runtime)
    assert (entry.action, entry.target_type, entry.target_id) == ("sandbox.outage", "sandbox_account",
                                                                  tenant.account_id)
    assert entry.detail == {"from": "off", "to": "timeout_after_create"} and entry.actor_email == SUPPORT_EMAIL
    runs = support.get("/admin/runs").text  # the runs page warns while an outage is on
    assert "Sandbox outages switched on" in runs and "Times out after creating the invoice" in runs

    response = support.post("/admin/sandbox/outage", data={
        "csrf_token": token, "account_id": tenant.account_id, "mode": "off", "back": "runs"}, follow_redirects=True)
    assert "Acme Heating" in response.text and "is now: Off (accounting answers)." in response.text
    assert "Sandbox outages switched on" not in response.text
    assert outage(runtime.sandbox_db, tenant.account_id) == "off"
    assert len(_audit(runtime)) == 2
    response = support.post("/admin/sandbox/outage", data={
        "csrf_token": token, "account_id": tenant.account_id, "mode": "off"}, follow_redirects=True)
    assert "was already: Off (accounting answers)." in response.text
    assert len(_audit(runtime)) == 2  # nothing changed, nothing audited


def test_outage_switch_refuses_bad_input(runtime, support, tenant) -> None:
    token = _token(support)
    bad_mode = support.post("/admin/sandbox/outage", data={
        "csrf_token": token, "account_id": tenant.account_id, "mode": "meltdown"})
    assert bad_mode.status_code == 400 and "Outage mode must be one of" in bad_mode.text
    unknown = support.post("/admin/sandbox/outage", data={"csrf_token": token, "account_id": "sbx_x", "mode": "off"})
    assert unknown.status_code == 404
    no_csrf = support.post("/admin/sandbox/outage", data={"account_id": tenant.account_id, "mode": "unavailable"})
    assert no_csrf.status_code == 400
    assert outage(runtime.sandbox_db, tenant.account_id) == "off"
    assert _audit(runtime) == []


# --- deliveries and audit ----------------------------------------------------------------------

def _delivery(runtime, tenant_id: str) -> str:
    with runtime.db.session() as session:
        event = Event(tenant_id=tenant_id, event_id="e1", type="job.completed", source="sandbox", occurred_at=T0,
                      data={})
        hook = HookSubscription(tenant_id=tenant_id, trigger_key="job_completed",
                                target_url="https://hooks.zapier.com/hooks/standard/1/abc", secret_encrypted="x")
        session.add_all([event, hook])
        session.flush()
        delivery = Delivery(tenant_id=tenant_id, subscription_id=hook.id, event_seq=event.seq, event_id="e1",
                            trigger_key="job_completed", payload={"id": "e1", "job_id": "j"}, status="pending",
                            attempts=2, last_error="HTTP 503 from target", created_at=T0)
        session.add(delivery)
        session.flush()
        session.add_all([
            DeliveryAttempt(tenant_id=tenant_id, delivery_id=delivery.id, number=1, duration_ms=120, status_code=503,
                            outcome="retry", error="HTTP 503 from target", retry_in_seconds=12.5),
            DeliveryAttempt(tenant_id=tenant_id, delivery_id=delivery.id, number=2, duration_ms=2300,
                            status_code=None, outcome="retry", error="timed out", retry_in_seconds=41.0),
        ])
        return delivery.id


def test_deliveries_list_filter_and_detail(runtime, support, tenant) -> None:
    delivery_id = _delivery(runtime, tenant.tenant_id)
    page = support.get("/admin/deliveries").text
    assert f'id="delivery-{delivery_id}"' in page
    assert "job_completed" in page and "hooks.zapier.com" in page and "HTTP 503 from target" in page
    assert f'id="delivery-{delivery_id}"' in support.get("/admin/deliveries?status=pending").text
    assert f'id="delivery-{delivery_id}"' not in support.get("/admin/deliveries?status=gave_up").text
    detail = support.get(f"/admin/deliveries/{delivery_id}").text
    assert "12.5 s" in detail and "41.0 s" in detail and "2.3 s" in detail and "120 ms" in detail
    assert "<td>503</td>" in detail and "timed out" in detail and "&#34;job_id&#34;" in detail


def test_audit_lists_entries_newest_first_with_links(client, runtime, support, tenant, token) -> None:
    run_id = failed_invoice_run(client, runtime, tenant, token)
    set_outage(runtime.sandbox_db, tenant.account_id, "off")
    support.post(f"/admin/runs/{run_id}/replay", data={"csrf_token": _token(support)})
    support.post("/admin/sandbox/outage", data={
        "csrf_token": _token(support), "account_id": tenant.account_id, "mode": "unavailable"})
    page = support.get("/admin/audit").text
    assert page.index("sandbox.outage") < page.index("run.replay")
    assert f'href="/admin/runs/{run_id}"' in page and SUPPORT_EMAIL in page
    assert "off → unavailable" in page and "previous error: upstream_unavailable" in page


def test_a_completed_job_can_still_be_invoiced_after_a_replay(client, runtime, support, tenant, token) -> None:
    """Tests that the replayed key answers API callers with the replayed result."""
    run_id = failed_invoice_run(client, runtime, tenant, token, key="zap-again")
    set_outage(runtime.sandbox_db, tenant.account_id, "off")
    support.post(f"/admin/runs/{run_id}/replay", data={"csrf_token": _token(support)})
    job_id = completed_job(client, runtime, tenant)
    again = call_invoice(client, token, job_id, "zap-again")
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert remote_invoices(runtime, tenant) == 1
