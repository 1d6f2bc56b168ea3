from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from connector.db.models import Customer, Event, Job, Technician
from tests.helpers import T0, job_data, post_sandbox, sandbox_webhook


def _job(runtime, tenant, source_id="J-1") -> Job:
    with runtime.db.session() as session:
        return session.scalar(sa.select(Job).where(Job.tenant_id == tenant.tenant_id, Job.source_id == source_id))


def _events(runtime, tenant) -> list[Event]:
    with runtime.db.session() as session:
        return list(session.scalars(sa.select(Event).where(Event.tenant_id == tenant.tenant_id).order_by(Event.seq)))


def test_signed_webhook_creates_job_customer_technician_and_event(client, runtime, tenant) -> None:
    response = post_sandbox(client, tenant, "job.created", T0, event_id="evt_1")
    assert response.status_code == 200
    assert response.json == {"received": 1, "queued": 0, "duplicates": 0, "ignored": 0}
    job = _job(runtime, tenant)
    assert job.status == "created" and job.created_at == T0
    with runtime.db.session() as session:
        assert session.scalar(sa.select(Customer.name).where(Customer.id == job.customer_id)) == "Dana Whitfield"
        assert session.scalar(sa.select(Technician.name).where(Technician.id == job.technician_id)) == "Marcus Reyes"
    [event] = _events(runtime, tenant)
    assert event.type == "job.created" and event.applied and event.subject_id == job.id
    assert event.data["job"]["customer"]["name"] == "Dana Whitfield"


def test_same_delivery_twice_changes_nothing_the_second_time(client, runtime, tenant) -> None:
    body, headers = sandbox_webhook(tenant, "job.completed", T0, job_data(), "evt_dup")
    assert client.post("/webhooks/sandbox", data=body, headers=headers).json["received"] == 1
    before = _job(runtime, tenant)
    second = client.post("/webhooks/sandbox", data=body, headers=headers)
    assert second.status_code == 200
    assert second.json == {"received": 0, "queued": 0, "duplicates": 1, "ignored": 0}
    assert len(_events(runtime, tenant)) == 1
    assert _job(runtime, tenant).status_changed_at == before.status_changed_at


def test_older_event_never_moves_a_job_backwards(client, runtime, tenant) -> None:
    post_sandbox(client, tenant, "job.completed", T0 + timedelta(hours=2))
    late = post_sandbox(client, tenant, "job.en_route", T0)
    assert late.status_code == 200
    job = _job(runtime, tenant)
    assert job.status == "completed"
    assert job.completed_at == T0 + timedelta(hours=2)
    assert job.en_route_at == T0  # the late event still fills in its own timestamp
    stale = [e for e in _events(runtime, tenant) if e.type == "job.en_route"]
    assert len(stale) == 1 and stale[0].applied is False


def test_newer_event_applies_details(client, runtime, tenant) -> None:
    post_sandbox(client, tenant, "job.arrived", T0)
    data = job_data(parts=[{"sku": "FS-100", "description": "Flame sensor", "quantity": "1", "unit_cost": "18.40"}],
                    completion_notes="Replaced flame sensor")
    post_sandbox(client, tenant, "job.completed", T0 + timedelta(minutes=90), data)
    [event] = [e for e in _events(runtime, tenant) if e.type == "job.completed"]
    assert event.data["job"]["parts"][0]["sku"] == "FS-100"
    assert event.data["previous_status"] == "arrived"
    assert event.data["job"]["completion_notes"] == "Replaced flame sensor"


def test_bad_or_missing_signature_is_401_and_nothing_is_stored(client, runtime, tenant) -> None:
    body, headers = sandbox_webhook(tenant, "job.created", T0, job_data())
    tampered = body.replace(b"Furnace", b"Fridge!")
    assert client.post("/webhooks/sandbox", data=tampered, headers=headers).status_code == 401
    no_sig = {k: v for k, v in headers.items() if k != "X-Sandbox-Signature"}
    response = client.post("/webhooks/sandbox", data=body, headers=no_sig)
    assert response.status_code == 401
    assert response.json["error"]["code"] == "invalid_signature"
    wrong_account = {**headers, "X-Sandbox-Account": "sbx_nobody"}
    assert client.post("/webhooks/sandbox", data=body, headers=wrong_account).status_code == 401
    assert _events(runtime, tenant) == []
    assert _job(runtime, tenant) is None


def test_another_tenants_secret_cannot_post_for_this_tenant(client, runtime, tenant, other_tenant) -> None:
    body, headers = sandbox_webhook(tenant, "job.created", T0, job_data())
    forged = {**headers, "X-Sandbox-Account": tenant.account_id}
    from connector.providers.sandbox import sign

    forged["X-Sandbox-Signature"] = sign(other_tenant.webhook_secret, body)
    assert client.post("/webhooks/sandbox", data=body, headers=forged).status_code == 401


def test_malformed_body_with_valid_signature_is_422_naming_the_field(client, tenant) -> None:
    body, headers = sandbox_webhook(tenant, "job.created", T0, {"job": {"id": "J-9", "priority": "urgent"}})
    response = client.post("/webhooks/sandbox", data=body, headers=headers)
    assert response.status_code == 422
    assert [f["field"] for f in response.json["error"]["fields"]] == ["data.job.priority"]


def test_unknown_topic_is_acknowledged_and_ignored(client, runtime, tenant) -> None:
    response = post_sandbox(client, tenant, "estimate.created", T0)
    assert response.status_code == 200 and response.json["ignored"] == 1
    assert _events(runtime, tenant) == []


def test_unknown_provider_is_404(client) -> None:
    assert client.post("/webhooks/nonsuch", data=b"{}").status_code == 404
