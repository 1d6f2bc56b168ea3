from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from connector.api.runner import replay, request_hash
from connector.db.models import ActionAttempt, ActionRun, AuditEntry, Event, Invoice, InvoiceLine, Job
from connector.sandbox.accounting import SandboxAccounting, set_outage
from tests.factories import bearer, issue_token
from tests.helpers import T0, job_data, post_sandbox

URL = "/api/v1/actions/generate_invoice"
PARTS = [{"sku": "FS-100", "description": "Flame sensor", "quantity": "1", "unit_cost": "18.40"}]


def completed_job(client, runtime, tenant, source_id="J-1") -> str:
    post_sandbox(client, tenant, "job.arrived", T0, job_data(source_id), event_id=f"a-{source_id}")
    post_sandbox(client, tenant, "job.completed", T0 + timedelta(minutes=90), job_data(source_id, parts=PARTS),
                 event_id=f"c-{source_id}")
    with runtime.db.session() as session:
        return session.scalar(sa.select(Job.id).where(Job.tenant_id == tenant.tenant_id, Job.source_id == source_id))


def _count(runtime, model, tenant) -> int:
    with runtime.db.session() as session:
        return session.scalar(sa.select(sa.func.count()).select_from(model).where(model.tenant_id == tenant.tenant_id))


def _post(client, token, body, key=None):
    headers = bearer(token) | ({"Idempotency-Key": key} if key else {})
    return client.post(URL, json=body, headers=headers)


def test_generate_invoice_prices_the_job_from_the_rate_card(client, runtime, tenant, token) -> None:
    job_id = completed_job(client, runtime, tenant)
    response = _post(client, token, {"job_id": job_id}, "k1")
    assert response.status_code == 200, response.json
    body = response.json
    assert [(ln["kind"], ln["quantity"], ln["amount"]) for ln in body["lines"]] == [
        ("labour", "1.500", "142.50"), ("trip", "1.000", "49.00"), ("part", "1.000", "24.84")]
    assert (body["subtotal"], body["tax"], body["total"]) == ("216.34", "17.85", "234.19")
    assert body["created"] is True and body["accounting_system"] == "sandbox"
    assert body["invoice_number"] == "SBX-000001"  # numbered by the accounting system
    assert response.headers["Backbone-Run-Id"]
    with runtime.db.session() as session:
        invoice = session.scalar(sa.select(Invoice).where(Invoice.tenant_id == tenant.tenant_id))
        assert str(invoice.total) == "234.19"
        assert session.scalar(sa.select(sa.func.count()).select_from(InvoiceLine)) == 3
        event = session.scalar(sa.select(Event).where(Event.type == "invoice.created"))
        assert event.subject_id == invoice.id
        run = session.scalar(sa.select(ActionRun))
        assert (run.status, run.attempts, run.http_status, run.caller_kind) == ("succeeded", 1, 200, "oauth")
        assert run.caller_label == f"Zapier ({tenant.owner_email})"
        assert run.input == {"job_id": job_id} and run.result["invoice_id"] == invoice.id
        assert run.duration_ms is not None and run.finished_at is not None
    assert _accounting(runtime, tenant).count() == 1


def _accounting(runtime, tenant) -> SandboxAccounting:
    return SandboxAccounting(runtime.sandbox_db, tenant.account_id)


def test_same_key_same_body_returns_the_first_result(client, runtime, tenant, token) -> None:
    job_id = completed_job(client, runtime, tenant)
    first = _post(client, token, {"job_id": job_id}, "same")
    again = _post(client, token, {"job_id": job_id}, "same")
    assert again.status_code == 200 and again.json == first.json
    assert again.headers["Idempotent-Replayed"] == "true"
    assert _count(runtime, Invoice, tenant) == 1 and _count(runtime, ActionRun, tenant) == 1


def test_same_key_different_body_is_422(client, runtime, tenant, token) -> None:
    job_id = completed_job(client, runtime, tenant)
    _post(client, token, {"job_id": job_id}, "k")
    response = _post(client, token, {"job_id": job_id, "notes": "other"}, "k")
    assert response.status_code == 422
    assert response.json["error"]["code"] == "idempotency_key_reused"
    assert response.json["error"]["fields"][0]["field"] == "Idempotency-Key"


def test_same_key_while_first_still_running_is_409(client, runtime, tenant, token) -> None:
    body = {"job_id": "whatever"}
    with runtime.db.session() as session:
        session.add(ActionRun(tenant_id=tenant.tenant_id, action_key="generate_invoice", idempotency_key="busy",
                              request_hash=request_hash(body), input=body, status="running", caller_kind="oauth"))
    response = _post(client, token, body, "busy")
    assert response.status_code == 409
    assert response.json["error"]["code"] == "in_progress"


def test_a_second_call_for_the_same_job_returns_the_same_invoice(client, runtime, tenant, token) -> None:
    job_id = completed_job(client, runtime, tenant)
    first = _post(client, token, {"job_id": job_id}, "a").json
    second = _post(client, token, {"job_id": job_id}, "b").json
    assert second["invoice_id"] == first["invoice_id"] and second["created"] is False
    assert _count(runtime, Invoice, tenant) == 1


def test_invalid_input_is_422_listing_each_field(client, token) -> None:
    response = _post(client, token, {"labour_hours": "30", "colour": "red"})
    assert response.status_code == 422
    fields = {f["field"]: f["message"] for f in response.json["error"]["fields"]}
    assert fields["job_id"] == "This field is required."
    assert "24" in fields["labour_hours"]
    assert fields["colour"] == "Unknown field: remove it."
    response = client.post(URL, data="{not json", headers=bearer(token) | {"Content-Type": "application/json"})
    assert response.status_code == 422
    response = _post(client, token, ["job_id"])
    assert response.status_code == 422 and response.json["error"]["fields"][0]["field"] == "body"


def test_unknown_or_other_tenants_job_is_404_naming_job_id(client, runtime, tenant, other_tenant, token) -> None:
    job_id = completed_job(client, runtime, tenant)
    other = issue_token(runtime, other_tenant)
    response = _post(client, other, {"job_id": job_id})
    assert response.status_code == 404
    message = f"No job with id {job_id!r} in this account."
    assert response.json["error"]["fields"] == [{"field": "job_id", "message": message}]


def test_job_not_completed_is_422(client, runtime, tenant, token) -> None:
    post_sandbox(client, tenant, "job.en_route", T0)
    with runtime.db.session() as session:
        job_id = session.scalar(sa.select(Job.id))
    response = _post(client, token, {"job_id": job_id})
    assert response.status_code == 422
    assert "not completed yet (status: en_route)" in response.json["error"]["message"]


def test_unknown_action_is_404_and_token_needs_actions_scope(client, runtime, tenant) -> None:
    token = issue_token(runtime, tenant, "profile triggers")
    assert _post(client, token, {"job_id": "x"}).status_code == 403
    full = issue_token(runtime, tenant)
    assert client.post("/api/v1/actions/nonsuch", json={}, headers=bearer(full)).status_code == 404


def test_outage_fails_the_run_and_replay_succeeds_without_billing_twice(client, runtime, tenant, token) -> None:
    job_id = completed_job(client, runtime, tenant)
    set_outage(runtime.sandbox_db, tenant.account_id, "timeout_after_create")
    response = _post(client, token, {"job_id": job_id}, "outage")
    assert response.status_code == 503
    assert response.json["error"]["retryable"] is True
    assert _accounting(runtime, tenant).count() == 1  # the remote did create it before timing out
    assert _count(runtime, Invoice, tenant) == 0
    set_outage(runtime.sandbox_db, tenant.account_id, "off")
    run_id = response.headers["Backbone-Run-Id"]
    from actions.generate_invoice import ACTION

    result = replay(runtime, ACTION, run_id, actor_id=None, actor_label="support@backbone.test")
    assert result.status == "succeeded" and result.attempts == 2 and result.replay_count == 1
    assert _accounting(runtime, tenant).count() == 1  # same idempotency key: no second invoice remotely
    assert _count(runtime, Invoice, tenant) == 1
    with runtime.db.session() as session:
        reasons = session.scalars(sa.select(ActionAttempt.reason).order_by(ActionAttempt.number)).all()
        assert reasons == ["call", "replay"]
        audit = session.scalar(sa.select(AuditEntry))
        assert (audit.action, audit.target_id, audit.actor_email) == ("run.replay", run_id, "support@backbone.test")
    again = _post(client, token, {"job_id": job_id}, "outage")  # the key now answers the replayed result
    assert again.status_code == 200 and again.json["invoice_id"] == result.result["invoice_id"]


def test_two_failed_runs_replayed_get_distinct_invoice_numbers(client, runtime, tenant, token) -> None:
    from actions.generate_invoice import ACTION

    jobs = [completed_job(client, runtime, tenant, f"J-{n}") for n in range(2)]
    set_outage(runtime.sandbox_db, tenant.account_id, "timeout_after_create")
    run_ids = [_post(client, token, {"job_id": job}).headers["Backbone-Run-Id"] for job in jobs]
    set_outage(runtime.sandbox_db, tenant.account_id, "off")
    results = [replay(runtime, ACTION, run_id, actor_id=None, actor_label="s@x.example") for run_id in run_ids]
    assert [r.status for r in results] == ["succeeded", "succeeded"]
    assert sorted(r.result["invoice_number"] for r in results) == ["SBX-000001", "SBX-000002"]
    assert _accounting(runtime, tenant).count() == 2


def test_unavailable_outage_answers_503_with_retry_after(client, runtime, tenant, token) -> None:
    job_id = completed_job(client, runtime, tenant)
    set_outage(runtime.sandbox_db, tenant.account_id, "unavailable")
    response = _post(client, token, {"job_id": job_id})
    assert response.status_code == 503 and response.headers["Retry-After"] == "30"
    assert _accounting(runtime, tenant).count() == 0


def test_poll_trigger_lists_newest_first_with_unique_ids(client, runtime, tenant, token) -> None:
    for n in range(3):
        post_sandbox(client, tenant, "job.completed", T0 + timedelta(hours=n), job_data(f"J-{n}"))
    post_sandbox(client, tenant, "job.created", T0, job_data("J-9"))
    items = client.get("/api/v1/triggers/job_completed", headers=bearer(token)).json
    assert [i["job_source_id"] for i in items] == ["J-2", "J-1", "J-0"]
    assert len({i["id"] for i in items}) == 3
    statuses = client.get("/api/v1/triggers/job_status_changed", headers=bearer(token)).json
    assert len(statuses) == 4 and statuses[0]["job_source_id"] == "J-9"
    assert client.get("/api/v1/triggers/nonsuch", headers=bearer(token)).status_code == 404
    assert client.get("/api/v1/triggers/job_completed?limit=x", headers=bearer(token)).status_code == 422


def test_poll_never_shows_another_tenants_events(client, runtime, tenant, other_tenant, token) -> None:
    post_sandbox(client, other_tenant, "job.completed", T0)
    assert client.get("/api/v1/triggers/job_completed", headers=bearer(token)).json == []


def test_run_status_is_tenant_scoped(client, runtime, tenant, other_tenant, token) -> None:
    job_id = completed_job(client, runtime, tenant)
    run_id = _post(client, token, {"job_id": job_id}).headers["Backbone-Run-Id"]
    status = client.get(f"/api/v1/runs/{run_id}", headers=bearer(token))
    assert status.status_code == 200 and status.json["status"] == "succeeded"
    other = issue_token(runtime, other_tenant)
    assert client.get(f"/api/v1/runs/{run_id}", headers=bearer(other)).status_code == 404


def test_rate_limit_answers_429_with_retry_after_per_connection(client, runtime, tenant, other_tenant, token) -> None:
    object.__setattr__(runtime.settings, "rate_limit", "3 per minute")
    # One budget per connection across routes.
    assert client.get("/api/v1/triggers/job_completed", headers=bearer(token)).status_code == 200
    assert client.get("/api/v1/hooks", headers=bearer(token)).status_code == 200
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200
    limited = client.get("/api/v1/triggers/job_status_changed", headers=bearer(token))
    assert limited.status_code == 429 and limited.json["error"]["code"] == "rate_limited"
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    other = issue_token(runtime, other_tenant)  # another connection has its own budget
    assert client.get("/api/v1/triggers/job_completed", headers=bearer(other)).status_code == 200
    ok = client.get("/api/v1/triggers/job_completed", headers=bearer(other))
    assert "Retry-After" not in ok.headers  # only 429s (and 503s) carry it
