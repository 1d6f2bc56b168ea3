"""notify_customer through the API, on SQLite and PostgreSQL, with Twilio emulated and a real SMTP server."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs

import pytest
import sqlalchemy as sa

from actions.catalog import REGISTRY
from connector.api.runner import replay
from connector.config import SmtpSettings, TwilioSettings
from connector.consent import SqlConsentLedger
from connector.db.models import ActionRun, Job, Notification, Tenant
from tests.conftest import csrf_token, sign_in
from tests.emulators.smtp import SmtpServer
from tests.emulators.twilio import TwilioEmulator
from tests.factories import bearer
from tests.helpers import T0, job_data, post_sandbox

URL = "/api/v1/actions/notify_customer"
PHONE = "+15125550142"


@pytest.fixture
def twilio():  # type: ignore[no-untyped-def]
    with TwilioEmulator() as emulator:
        yield emulator


@pytest.fixture
def smtp():  # type: ignore[no-untyped-def]
    with SmtpServer() as server:
        yield server


@pytest.fixture
def settings(settings, request, twilio, smtp):  # type: ignore[no-untyped-def]
    """The suite's settings, with Twilio and SMTP pointed at 127.0.0.1 (unless parametrized with "unconfigured")."""
    if getattr(request, "param", None) == "unconfigured":
        return settings
    return settings.model_copy(update={
        "twilio": TwilioSettings(account_sid=twilio.account_sid, auth_token=twilio.auth_token,
                                 from_number="+15125550100", api_url=twilio.url, timeout_seconds=5),
        "smtp": SmtpSettings.model_validate({"host": "127.0.0.1", "port": smtp.port, "starttls": False,
                                             "from": "office@acme-heating.example", "timeout_seconds": 5}),
    })


def _job(client, runtime, tenant, topic: str = "job.scheduled", at=T0, source_id: str = "J-1", **fields) -> str:
    post_sandbox(client, tenant, topic, at, job_data(source_id, **fields), event_id=f"{topic}-{source_id}-{at}")
    with runtime.db.session() as session:
        session.get(Tenant, tenant.tenant_id).timezone = "America/Chicago"
        return session.scalar(sa.select(Job.id).where(Job.tenant_id == tenant.tenant_id, Job.source_id == source_id))


def _post(client, token, body, key=None):
    headers = bearer(token) | ({"Idempotency-Key": key} if key else {})
    return client.post(URL, json=body, headers=headers)


def _rows(runtime, tenant) -> list[tuple[str, int, str]]:
    with runtime.db.session() as session:
        return [(n.stage, n.sequence, n.status) for n in session.scalars(
            sa.select(Notification).where(Notification.tenant_id == tenant.tenant_id)
            .order_by(Notification.created_at, Notification.stage))]


def test_the_whole_ladder_by_sms_each_stage_once(client, runtime, tenant, token, twilio) -> None:
    job_id = _job(client, runtime, tenant)
    confirmation = _post(client, token, {"job_id": job_id, "stage": "confirmation"}, "c1")
    assert confirmation.status_code == 200, confirmation.json
    body = confirmation.json
    assert (body["status"], body["channel"], body["to"], body["provider"]) == ("sent", "sms", PHONE, "twilio")
    assert body["body"] == ("Hi Dana Whitfield, Acme Heating here: your repair visit is booked for Tue Nov 24 "
                            "between 9:00 AM and 11:00 AM.")  # 15:00-17:00 UTC in Chicago
    assert body["provider_message_id"] == twilio.messages[0].sid
    form = parse_qs(twilio.requests_to("/2010-04-01/")[0].body.decode())
    assert form == {"To": [PHONE], "From": ["+15125550100"], "Body": [body["body"]]}

    _job(client, runtime, tenant, "job.en_route", T0 + timedelta(minutes=50))
    eta = _post(client, token, {"job_id": job_id, "stage": "eta_window", "eta": "2026-11-24T15:06:00Z"}, "e1").json
    assert (eta["status"], eta["sequence"]) == ("sent", 1) and "between 8:36 AM and 9:36 AM" in eta["body"]
    way = _post(client, token, {"job_id": job_id, "stage": "on_the_way", "eta": "2026-11-24T15:06:00Z"}, "w1").json
    assert way["status"] == "sent" and way["body"].endswith("should arrive around 9:06 AM.")
    _job(client, runtime, tenant, "job.arrived", T0 + timedelta(minutes=70))
    assert _post(client, token, {"job_id": job_id, "stage": "arrived"}, "a1").json["status"] == "sent"
    _job(client, runtime, tenant, "job.completed", T0 + timedelta(minutes=160))
    assert _post(client, token, {"job_id": job_id, "stage": "completed"}, "d1").json["status"] == "sent"
    invoice = client.post("/api/v1/actions/generate_invoice", json={"job_id": job_id},
                          headers=bearer(token) | {"Idempotency-Key": "inv"})
    assert invoice.status_code == 200, invoice.json
    paid = _post(client, token, {"job_id": job_id, "stage": "invoice", "payment_link": "https://pay.example.com/1"},
                 "i1").json
    assert paid["status"] == "sent" and invoice.json["invoice_number"] in paid["body"]
    assert paid["body"].endswith("Pay online: https://pay.example.com/1")
    assert len(twilio.messages) == 6

    # Every stage again, under new keys: nothing is sent twice.
    for stage in ("confirmation", "arrived", "completed", "invoice"):
        again = _post(client, token, {"job_id": job_id, "stage": stage, "payment_link": "https://pay.example.com/1"},
                      f"again-{stage}")
        assert again.json["status"] == "already_sent", again.json
    # The same key replays the first answer.
    replayed = _post(client, token, {"job_id": job_id, "stage": "confirmation"}, "c1")
    assert replayed.headers["Idempotent-Replayed"] == "true" and replayed.json == confirmation.json
    assert len(twilio.messages) == 6 and len(twilio.requests_to("/2010-04-01/")) == 6


def test_a_slipped_eta_sends_a_second_window(client, runtime, tenant, token, twilio) -> None:
    job_id = _job(client, runtime, tenant, "job.en_route")
    first = _post(client, token, {"job_id": job_id, "stage": "eta_window", "eta": "2026-11-24T15:06:00Z"}).json
    same = _post(client, token, {"job_id": job_id, "stage": "eta_window", "eta": "2026-11-24T15:20:00Z"}).json
    slipped = _post(client, token, {"job_id": job_id, "stage": "eta_window", "eta": "2026-11-24T16:15:00Z"}).json
    assert [first["status"], same["status"], slipped["status"]] == ["sent", "already_sent", "sent"]
    assert slipped["sequence"] == 2 and "between 9:45 AM and 10:45 AM" in slipped["body"]
    assert [m.body for m in twilio.messages] == [first["body"], slipped["body"]]
    assert _rows(runtime, tenant) == [("eta_window", 1, "sent"), ("eta_window", 2, "sent")]


def test_email_through_smtp_once(client, runtime, tenant, token, twilio, smtp) -> None:
    job_id = _job(client, runtime, tenant)
    out = _post(client, token, {"job_id": job_id, "stage": "confirmation", "channel": "email"}).json
    assert (out["status"], out["channel"], out["provider"]) == ("sent", "email", "smtp")
    again = _post(client, token, {"job_id": job_id, "stage": "confirmation", "channel": "email"}).json
    assert again["status"] == "already_sent"
    [message] = smtp.messages
    assert message["To"] == "dana@example.com" and message["Subject"] == "Your Acme Heating visit on Tue Nov 24"
    assert message["Message-ID"] == out["provider_message_id"]
    assert "between 9:00 AM and 11:00 AM at 4812 Avenue H" in message.get_content()
    assert twilio.messages == []


def test_an_opted_out_customer_is_suppressed(client, runtime, tenant, token, twilio, smtp) -> None:
    job_id = _job(client, runtime, tenant)
    with runtime.db.session() as session:
        customer_id = session.scalar(sa.select(Job.customer_id).where(Job.id == job_id))
        ledger = SqlConsentLedger(session, tenant.tenant_id, runtime.clock)
        for channel in ("sms", "email"):
            ledger.record(customer_id, channel, "operational", granted=False, source="support",
                          evidence="Customer called: no more texts or emails")
    response = _post(client, token, {"job_id": job_id, "stage": "confirmation"})
    assert response.status_code == 200
    assert (response.json["status"], response.json["reason"]) == ("suppressed", "opted_out")
    assert twilio.messages == [] and smtp.messages == []
    assert _rows(runtime, tenant) == [("confirmation", 1, "suppressed")]


@pytest.mark.parametrize("settings", ["unconfigured"], indirect=True)
def test_not_configured_composes_the_message_for_the_next_step(client, runtime, tenant, token) -> None:
    job_id = _job(client, runtime, tenant)
    out = _post(client, token, {"job_id": job_id, "stage": "confirmation"}).json
    assert (out["status"], out["channel"], out["to"], out["provider"]) == ("composed", "sms", PHONE, None)
    assert out["body"].startswith("Hi Dana Whitfield, Acme Heating here:")
    assert _post(client, token, {"job_id": job_id, "stage": "confirmation"}).json["status"] == "already_sent"
    assert _rows(runtime, tenant) == [("confirmation", 1, "composed")]


def test_a_throttled_send_fails_then_a_replay_sends_it_once(client, runtime, tenant, token, twilio) -> None:
    job_id = _job(client, runtime, tenant)
    twilio.throttle_next(10, retry_after=30)
    failed = _post(client, token, {"job_id": job_id, "stage": "confirmation"}, "t1")
    assert failed.status_code == 503 and failed.json["error"]["retryable"] is True
    assert twilio.messages == []
    twilio.faults.clear()
    run = replay(runtime, REGISTRY["notify_customer"], failed.headers["Backbone-Run-Id"], actor_id=None,
                 actor_label="support@backbone.example")
    assert run.status == "succeeded" and run.result["status"] == "sent"
    assert len(twilio.messages) == 1
    assert _post(client, token, {"job_id": job_id, "stage": "confirmation"}, "t2").json["status"] == "already_sent"
    assert len(twilio.messages) == 1


def test_an_unanswered_send_is_never_repeated(client, runtime, tenant, token, twilio) -> None:
    job_id = _job(client, runtime, tenant)
    twilio.fail_next("/2010-04-01/", 500)
    first = _post(client, token, {"job_id": job_id, "stage": "confirmation"}, "u1")
    assert first.status_code == 200 and (first.json["status"], first.json["provider_status"]) == ("sent", "unknown")
    again = _post(client, token, {"job_id": job_id, "stage": "confirmation"}, "u2").json
    assert again["status"] == "already_sent" and "may have gone out" in again["reason"]
    assert len(twilio.requests_to("/2010-04-01/")) == 1
    assert _rows(runtime, tenant) == [("confirmation", 1, "unknown")]


def test_a_bad_number_is_422_and_nothing_is_held(client, runtime, tenant, token, twilio) -> None:
    customer = {"id": "C-9", "name": "Ray Alvarez", "phone": "512-555", "email": None}
    job_id = _job(client, runtime, tenant, source_id="J-9", customer=customer)
    response = _post(client, token, {"job_id": job_id, "stage": "confirmation"})
    assert response.status_code == 422
    [field] = response.json["error"]["fields"]
    assert field["field"] == "channel" and "21211" in field["message"]
    assert twilio.messages == []


def test_bad_input_names_the_field(client, runtime, tenant, token, other_tenant) -> None:
    job_id = _job(client, runtime, tenant)
    response = _post(client, token, {"job_id": job_id, "stage": "tomorrow"})
    assert response.status_code == 422
    assert [f["field"] for f in response.json["error"]["fields"]] == ["stage"]
    response = _post(client, token, {"job_id": job_id, "stage": "eta_window", "eta_window_start": "2026-11-24T15:00Z"})
    assert response.status_code == 422 and response.json["error"]["fields"][0]["field"] == "eta_window_end"
    response = _post(client, token, {"job_id": job_id, "stage": "completed"})
    assert response.status_code == 422 and response.json["error"]["fields"][0]["field"] == "stage"
    response = _post(client, token, {"job_id": "0" * 32, "stage": "confirmation"})
    assert response.status_code == 404 and response.json["error"]["fields"][0]["field"] == "job_id"
    _job(client, runtime, tenant, "job.cancelled", T0 + timedelta(hours=1))
    assert _post(client, token, {"job_id": job_id, "stage": "confirmation"}).status_code == 409
    with runtime.db.session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(ActionRun)) == 5


def test_the_templates_page_checks_placeholders_and_the_action_uses_the_saved_text(
        client, runtime, tenant, token, twilio) -> None:
    sign_in(client, tenant.owner_email)
    page = client.get("/notifications")
    assert page.status_code == 200 and "{window_start}" in page.text
    form = {"csrf_token": csrf_token(page.text), "eta_window.sms": "Coming {wen}", "invoice.email_subject": "Hi"}
    bad = client.post("/notifications", data=form)
    assert bad.status_code == 422
    assert 'data-field="eta_window.sms"' in bad.text and "Unknown placeholder {wen}" in bad.text
    form["eta_window.sms"] = "{company_name}: {technician_name} comes {window_start}-{window_end}."
    assert client.post("/notifications", data=form).status_code == 302
    job_id = _job(client, runtime, tenant, "job.en_route")
    out = _post(client, token, {"job_id": job_id, "stage": "eta_window", "eta": "2026-11-24T15:06:00Z"}).json
    assert out["body"] == "Acme Heating: Marcus Reyes comes 8:36 AM-9:36 AM."
    # Emptying the box returns to the built-in text.
    form = {"csrf_token": csrf_token(client.get("/notifications").text)}
    assert client.post("/notifications", data=form).status_code == 302
    assert 'Coming' not in client.get("/notifications").text
