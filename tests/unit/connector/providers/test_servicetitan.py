"""ServiceTitan adapter against the ServiceTitan emulator over real HTTP on 127.0.0.1."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest
import requests
from flask import request
from werkzeug.datastructures import Headers

from connector.config import ServiceTitanApp
from connector.providers.base import Connection, Grant, NormalizedEvent, Notification, WebhookRejected
from connector.providers.http import ClientError, Unauthorized, UpstreamError
from connector.providers.servicetitan import ServiceTitanAdapter, ServiceTitanClient, sign
from tests.emulators.server import Emulator
from tests.emulators.servicetitan import DEFAULT_APP_KEY, DEFAULT_HMAC_KEY, TOKEN_PATH, ServiceTitanEmulator
from triggers.canonical import EventType

if TYPE_CHECKING:
    from collections.abc import Iterator

TENANT = "1234567"
CLIENT_ID = "cid.tenant-client"
CLIENT_SECRET = "cs1.tenant-secret"
START = datetime(2026, 11, 26, 14, 0, tzinfo=UTC)
END = START + timedelta(hours=2)

adapter = ServiceTitanAdapter()


class Tokens:
    """A static token source: each invalidate() moves to the next token."""

    def __init__(self, *values: str) -> None:
        self.values = list(values)
        self.invalidated = 0

    def access_token(self) -> str:
        return self.values[min(self.invalidated, len(self.values) - 1)]

    def invalidate(self) -> None:
        self.invalidated += 1


@pytest.fixture(scope="module")
def server() -> Iterator[ServiceTitanEmulator]:
    """One running emulator for the module (stopping one takes half a second)."""
    emu = ServiceTitanEmulator()
    emu.start()
    yield emu
    emu.stop()


@pytest.fixture
def emulator(server: ServiceTitanEmulator) -> ServiceTitanEmulator:
    server.reset()
    server.add_tenant(TENANT, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, name="Acme Heating")
    return server


@pytest.fixture
def app(emulator: ServiceTitanEmulator) -> ServiceTitanApp:
    return ServiceTitanApp(api_url=emulator.url, token_url=emulator.url + TOKEN_PATH, app_key=DEFAULT_APP_KEY,
                           webhook_secret=DEFAULT_HMAC_KEY, client_id="backbone-app")


def connect(app: ServiceTitanApp, tokens: Tokens) -> Connection:
    return Connection(install_id="install-1", account_id=TENANT, app=app, tokens=tokens,
                      credentials={"tenant_id": TENANT, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET})


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def client(emulator: ServiceTitanEmulator, app: ServiceTitanApp, sleeps: list[float]) -> Iterator[ServiceTitanClient]:
    st = ServiceTitanClient(connect(app, Tokens(emulator.token_for(TENANT))), sleep=sleeps.append, rng=lambda: 0.0)
    yield st
    st.close()


@pytest.fixture
def job_id(emulator: ServiceTitanEmulator) -> int:
    tech = emulator.add_technician(TENANT, "Dana Tech")
    customer = emulator.add_customer(TENANT, "Pat Customer")
    return emulator.add_job(TENANT, customer, start=START, end=END, technician_id=tech, priority="Urgent")


# -- connecting ----------------------------------------------------------------------------
def test_adapter_declares_a_credentials_grant_with_client_credentials_tokens(app: ServiceTitanApp) -> None:
    assert adapter.grant is Grant.CREDENTIALS
    assert [f.name for f in adapter.credential_fields] == ["tenant_id", "client_id", "client_secret"]
    assert [f.secret for f in adapter.credential_fields] == [False, False, True]
    endpoints = adapter.oauth(app)
    assert endpoints.token_url == app.token_url
    assert endpoints.token_endpoint_auth_method == "client_secret_post"


def test_token_endpoint_issues_short_tokens_for_the_tenants_client_only(emulator: ServiceTitanEmulator) -> None:
    url = emulator.url + TOKEN_PATH
    good = requests.post(url, data={"grant_type": "client_credentials", "client_id": CLIENT_ID,
                                    "client_secret": CLIENT_SECRET}, timeout=5)
    assert good.status_code == 200
    body = good.json()
    assert body["expires_in"] == 900 and "refresh_token" not in body
    assert emulator.oauth.valid_access(body["access_token"]) == TENANT
    bad = requests.post(url, data={"grant_type": "client_credentials", "client_id": CLIENT_ID,
                                   "client_secret": "wrong"}, timeout=5)
    assert bad.status_code == 401


def test_account_checks_the_credentials_with_one_call(client: ServiceTitanClient,
                                                      emulator: ServiceTitanEmulator) -> None:
    info = adapter.account(client, {"tenant_id": TENANT, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET})
    assert (info.account_id, info.name) == (TENANT, "Acme Heating")
    assert [s.path for s in emulator.requests_to("/settings/")] == [f"/settings/v2/tenant/{TENANT}/business-units"]
    with pytest.raises(ClientError):
        adapter.account(client, {"tenant_id": "999"})


def test_account_with_a_bad_app_key_is_unauthorized(emulator: ServiceTitanEmulator, app: ServiceTitanApp) -> None:
    wrong = app.model_copy(update={"app_key": "not-the-key"})
    st = ServiceTitanClient(connect(wrong, Tokens(emulator.token_for(TENANT))), sleep=lambda s: None)
    with pytest.raises(Unauthorized):
        adapter.account(st, {"tenant_id": TENANT})


def test_a_tenant_id_that_is_not_a_number_is_a_client_error(app: ServiceTitanApp) -> None:
    bad = Connection(install_id="", account_id="", app=app, tokens=Tokens(""), credentials={"tenant_id": "acme"})
    with pytest.raises(ClientError) as raised:
        adapter.client(bad)
    assert raised.value.code == "invalid_tenant"


def test_a_tenant_the_token_is_not_for_is_forbidden(emulator: ServiceTitanEmulator, app: ServiceTitanApp) -> None:
    emulator.add_tenant("7654321", client_id="cid.other", client_secret="cs1.other")
    other = Connection(install_id="i", account_id="7654321", app=app, tokens=Tokens(emulator.token_for(TENANT)),
                       credentials={"tenant_id": "7654321"})
    with pytest.raises(ClientError) as raised:
        adapter.client(other).tenant_name()
    assert raised.value.status == 403


# -- webhooks ------------------------------------------------------------------------------
def test_valid_signature_verifies(emulator: ServiceTitanEmulator, job_id: int, app: ServiceTitanApp) -> None:
    headers, body = emulator.webhook("job.completed", job_id)
    assert adapter.verify(adapter.webhook_secret(app), headers, body)
    assert adapter.verify(DEFAULT_HMAC_KEY, headers, body, app)


def test_tampered_body_wrong_secret_and_missing_header_fail(emulator: ServiceTitanEmulator, job_id: int) -> None:
    headers, body = emulator.webhook("job.completed", job_id)
    assert not adapter.verify(DEFAULT_HMAC_KEY, headers, body.replace(b"Scheduled", b"Completed"))
    assert not adapter.verify("another-key-0123456789abcdef0123456789", headers, body)
    assert not adapter.verify(DEFAULT_HMAC_KEY, {}, body)
    assert not adapter.verify(DEFAULT_HMAC_KEY, {"X-ServiceTitan-Signature": ""}, body)


def test_without_a_configured_key_every_delivery_fails_closed(emulator: ServiceTitanEmulator, job_id: int) -> None:
    headers, body = emulator.webhook("job.completed", job_id)
    unconfigured = ServiceTitanApp()
    assert adapter.webhook_secret(unconfigured) == ""
    assert not adapter.verify(adapter.webhook_secret(unconfigured), headers, body, unconfigured)
    emulator.hmac_key = None
    unsigned_headers, unsigned = emulator.webhook("job.completed", job_id)
    assert "X-ServiceTitan-Signature" not in unsigned_headers
    assert not adapter.verify(DEFAULT_HMAC_KEY, unsigned_headers, unsigned)


def test_signature_header_and_encoding_are_configurable(emulator: ServiceTitanEmulator, job_id: int) -> None:
    emulator.signature_header, emulator.signature_encoding = "X-ST-Hmac", "hex"
    headers, body = emulator.webhook("job.completed", job_id)
    hex_app = ServiceTitanApp(signature_header="X-ST-Hmac", signature_encoding="hex", webhook_secret=DEFAULT_HMAC_KEY)
    assert adapter.verify(DEFAULT_HMAC_KEY, headers, body, hex_app)
    assert headers["X-ST-Hmac"] == sign(DEFAULT_HMAC_KEY, body, "hex")
    assert not adapter.verify(DEFAULT_HMAC_KEY, headers, body)  # default header and encoding: not there
    assert ServiceTitanAdapter(hex_app).verify(DEFAULT_HMAC_KEY, headers, body)


def test_parse_job_event_is_thin_with_the_tenant_from_the_body(emulator: ServiceTitanEmulator, job_id: int) -> None:
    _, body = emulator.webhook("Job.Completed", job_id)
    sent = json.loads(body)
    [note] = adapter.parse(body)
    assert note.account_id == TENANT
    assert (note.topic, note.item_id, note.event) == ("job.completed", str(job_id), None)
    assert note.dedupe_key == f"servicetitan:{TENANT}:{sent['eventId']}"
    assert note.occurred_at == datetime.fromisoformat(sent["data"]["modifiedOn"].replace("Z", "+00:00"))


def test_parse_appointment_event_names_its_job(emulator: ServiceTitanEmulator, job_id: int) -> None:
    appointment_id = emulator.tenants[TENANT].jobs[job_id]["lastAppointmentId"]
    [note] = adapter.parse(emulator.webhook("appointment.dispatched", appointment_id)[1])
    assert (note.topic, note.item_id) == ("appointment.dispatched", str(job_id))


def test_parse_invoice_event_and_ignores_other_entities(emulator: ServiceTitanEmulator, job_id: int) -> None:
    invoice_id = emulator.add_invoice(TENANT, job_id, total="250.00")
    [note] = adapter.parse(emulator.webhook("invoice.created", invoice_id)[1])
    assert (note.topic, note.item_id) == ("invoice.created", str(invoice_id))
    assert adapter.parse(emulator.webhook("customer.updated", 1)[1]) == []
    assert adapter.parse(b'{"eventId": "e", "eventType": "technician.shift", "tenantId": 1, "data": {}}') == []


@pytest.mark.parametrize(("body", "field"), [
    (b'{"eventId": "e1", "eventType": "job.completed", "createdOn": "2026-11-25T10:00:00Z", "data": {"id": 1}}',
     "tenantId"),
    (b'{"eventId": "e1", "eventType": "job.completed", "tenantId": "acme", "data": {"id": 1}}', "tenantId"),
    (b'{"eventId": "e1", "eventType": "job.completed", "tenantId": 1, "createdOn": "soon", "data": {"id": 1}}',
     "createdOn"),
    (b'{"eventId": "e1", "eventType": "job.completed", "tenantId": 1, "data": {}}', "data.id"),
    (b'{"eventId": "e1", "eventType": "job completed", "tenantId": 1, "data": {"id": 1}}', "eventType"),
    (b'{"eventId": "e1", "eventType": "appointment.scheduled", "tenantId": 1, "data": {"id": 5}}', "data.jobId"),
    (b'{"eventId": "e1", "eventType": "job.completed", "tenantId": 1, "data": {"id": 5}}', "createdOn"),
    (b'[1, 2]', "body"),
])
def test_bad_shape_is_rejected_naming_the_field(body: bytes, field: str) -> None:
    with pytest.raises(WebhookRejected) as raised:
        adapter.parse(body)
    assert raised.value.status == 422
    assert raised.value.code == "invalid_payload"
    assert field in [f["field"] for f in raised.value.fields]


def test_nul_in_the_body_is_rejected() -> None:
    with pytest.raises(WebhookRejected) as raised:
        adapter.parse(b'{"eventId": "e\\u0000", "eventType": "job.completed", "tenantId": 1, "data": {"id": 1}}')
    assert raised.value.status == 422


def test_send_webhook_posts_the_signed_delivery(emulator: ServiceTitanEmulator, job_id: int) -> None:
    received: list[tuple[dict[str, str], bytes]] = []
    receiver = Emulator("receiver")

    def hook() -> str:
        received.append((dict(request.headers), request.get_data()))
        return "ok"

    receiver.app.add_url_rule("/webhooks/servicetitan", "hook", hook, methods=["POST"])
    receiver.start()
    try:
        answer = emulator.send_webhook(receiver.url + "/webhooks/servicetitan", "job.completed", job_id)
    finally:
        receiver.stop()
    assert answer.status_code == 200
    [(headers, body)] = received
    assert adapter.verify(DEFAULT_HMAC_KEY, Headers(headers), body)  # as the ingest sees them: any case
    assert adapter.parse(body)[0].item_id == str(job_id)


# -- hydrate -------------------------------------------------------------------------------
def _hydrate(emulator: ServiceTitanEmulator, client: ServiceTitanClient, topic: str,
             item: int) -> list[NormalizedEvent]:
    [note] = adapter.parse(emulator.webhook(topic, item)[1])
    return adapter.hydrate(client, note)


def test_hydrate_a_new_job_gives_created_and_scheduled(emulator: ServiceTitanEmulator, client: ServiceTitanClient,
                                                        job_id: int) -> None:
    created, scheduled = _hydrate(emulator, client, "job.created", job_id)
    job = emulator.tenants[TENANT].jobs[job_id]
    assert (created.type, scheduled.type) == (EventType.JOB_CREATED, EventType.JOB_SCHEDULED)
    assert created.occurred_at == datetime.fromisoformat(job["createdOn"].replace("Z", "+00:00"))
    assert created.occurred_at.tzinfo is not None and created.occurred_at.utcoffset() == timedelta(0)
    upsert = scheduled.job
    assert upsert is not None
    assert (upsert.source_id, upsert.priority, upsert.description) == (str(job_id), "P1", "No heat")
    assert (upsert.scheduled_start, upsert.scheduled_end) == (START, END)
    assert upsert.technician is not None and upsert.technician.name == "Dana Tech"
    assert upsert.customer is not None and upsert.customer.name == "Pat Customer"
    assert upsert.customer.address == "12 Elm St, Springfield, IL 62701"
    assert scheduled.event_id.startswith(f"servicetitan:{TENANT}:job:{job_id}:job.scheduled:")


@pytest.mark.parametrize(("status", "expected"), [
    ("Dispatched", EventType.JOB_EN_ROUTE),
    ("InProgress", EventType.JOB_ARRIVED),
    ("Completed", EventType.JOB_COMPLETED),
    ("Canceled", EventType.JOB_CANCELLED),
])
def test_hydrate_follows_the_job_through_its_statuses(emulator: ServiceTitanEmulator, client: ServiceTitanClient,
                                                       job_id: int, status: str, expected: EventType) -> None:
    emulator.set_status(TENANT, job_id, status)
    [event] = _hydrate(emulator, client, f"job.{status.lower()}", job_id)
    job = emulator.tenants[TENANT].jobs[job_id]
    assert event.type is expected
    assert event.occurred_at == datetime.fromisoformat(job["modifiedOn"].replace("Z", "+00:00"))
    assert event.source == "servicetitan"


def test_a_job_on_hold_says_nothing_new(emulator: ServiceTitanEmulator, client: ServiceTitanClient,
                                         job_id: int) -> None:
    emulator.set_status(TENANT, job_id, "Hold")
    assert [e.type for e in _hydrate(emulator, client, "job.updated", job_id)] == [EventType.JOB_CREATED]


def test_hydrate_a_deleted_job_gives_nothing(client: ServiceTitanClient) -> None:
    note = Notification(account_id=TENANT, topic="job.completed", item_id="999999",
                        occurred_at=START, dedupe_key="k")
    assert adapter.hydrate(client, note) == []


def test_hydrate_invoice_created_then_paid(emulator: ServiceTitanEmulator, client: ServiceTitanClient,
                                           job_id: int) -> None:
    invoice_id = emulator.add_invoice(TENANT, job_id, total="250.00")
    [created] = _hydrate(emulator, client, "invoice.created", invoice_id)
    assert created.type is EventType.INVOICE_CREATED
    assert created.invoice is not None
    assert (created.invoice.total, created.invoice.balance, created.invoice.amount_paid) == (
        Decimal("250.00"), Decimal("250.00"), Decimal("0.00"))
    assert created.invoice.job_source_id == str(job_id) and created.invoice.number == f"INV-{invoice_id}"
    emulator.pay_invoice(TENANT, invoice_id)
    [paid] = _hydrate(emulator, client, "invoice.paid", invoice_id)
    assert paid.type is EventType.INVOICE_PAID
    assert paid.invoice is not None and paid.invoice.amount_paid == Decimal("250.00")
    assert paid.event_id != created.event_id


# -- catch-up ------------------------------------------------------------------------------
def test_changes_since_finds_a_change_whose_webhook_was_lost(emulator: ServiceTitanEmulator,
                                                             client: ServiceTitanClient, job_id: int) -> None:
    before = emulator.stamp()
    emulator.set_status(TENANT, job_id, "Completed")  # no webhook sent
    page = adapter.changes_since(client, before, datetime.now(UTC))
    [event] = page.events
    assert (event.type, event.job and event.job.source_id) == (EventType.JOB_COMPLETED, str(job_id))
    [hydrated] = _hydrate(emulator, client, "job.completed", job_id)
    assert hydrated.event_id == event.event_id
    assert hydrated.occurred_at == event.occurred_at


def test_changes_since_finds_a_moved_appointment(emulator: ServiceTitanEmulator, client: ServiceTitanClient,
                                                 job_id: int) -> None:
    before = emulator.stamp()
    emulator.reschedule(TENANT, job_id, start=START + timedelta(days=1), end=END + timedelta(days=1))
    events = adapter.changes_since(client, before, datetime.now(UTC)).events
    scheduled = [e for e in events if e.type is EventType.JOB_SCHEDULED]
    assert [e.job and e.job.scheduled_start for e in scheduled] == [START + timedelta(days=1)]


def test_changes_since_reads_every_page_and_invoices(emulator: ServiceTitanEmulator, app: ServiceTitanApp,
                                                     job_id: int) -> None:
    customer = emulator.add_customer(TENANT, "Lee Customer")
    others = [emulator.add_job(TENANT, customer, start=START, end=END) for _ in range(4)]
    invoice_id = emulator.add_invoice(TENANT, job_id, total="99.50")
    now = datetime.now(UTC)
    st = ServiceTitanClient(connect(app, Tokens(emulator.token_for(TENANT))), page_size=2)
    page = adapter.changes_since(st, None, now)
    assert page.cursor == now
    jobs = {e.job.source_id for e in page.events if e.job is not None}
    assert jobs == {str(j) for j in [job_id, *others]}
    assert [e.invoice.source_id for e in page.events if e.invoice is not None] == [str(invoice_id)]
    assert len(emulator.requests_to(f"/jpm/v2/tenant/{TENANT}/jobs", "GET")) == 3  # 5 jobs, 2 a page
    assert [e.occurred_at for e in page.events] == sorted(e.occurred_at for e in page.events)


def test_a_second_sync_of_the_same_versions_yields_the_same_ids(emulator: ServiceTitanEmulator,
                                                                client: ServiceTitanClient, job_id: int) -> None:
    start = emulator.stamp() - timedelta(minutes=5)
    first = adapter.changes_since(client, start, datetime.now(UTC))
    second = adapter.changes_since(client, start, datetime.now(UTC))
    assert [e.event_id for e in first.events] == [e.event_id for e in second.events]
    assert len(first.events) == 2


# -- the HTTP client -----------------------------------------------------------------------
def test_429_with_retry_after_and_503_are_retried_to_success(emulator: ServiceTitanEmulator,
                                                             client: ServiceTitanClient, sleeps: list[float],
                                                             job_id: int) -> None:
    path = f"/jpm/v2/tenant/{TENANT}/jobs/{job_id}"
    emulator.fail_next(path, 429, headers={"Retry-After": "2"})
    emulator.fail_next(path, 503)
    job = client.get_job(str(job_id))
    assert job.id == str(job_id)
    assert len(emulator.requests_to(path)) == 3
    assert sleeps[0] == 2.0


def test_401_invalidates_the_token_and_retries(emulator: ServiceTitanEmulator, app: ServiceTitanApp,
                                               job_id: int) -> None:
    tokens = Tokens("at-expired", emulator.token_for(TENANT))
    st = ServiceTitanClient(connect(app, tokens), sleep=lambda s: None)
    assert st.get_job(str(job_id)).jobStatus == "Scheduled"
    assert tokens.invalidated == 1
    assert [s.headers.get("Authorization") for s in emulator.requests_to("/jpm/")] == [
        "Bearer at-expired", f"Bearer {tokens.values[1]}"]
    assert all(s.headers.get("St-App-Key") == DEFAULT_APP_KEY for s in emulator.requests_to("/jpm/"))


def test_an_expired_token_everywhere_is_unauthorized(emulator: ServiceTitanEmulator, app: ServiceTitanApp,
                                                      job_id: int) -> None:
    token = emulator.token_for(TENANT)
    emulator.oauth.expire_access_tokens(TENANT)
    with pytest.raises(Unauthorized):
        ServiceTitanClient(connect(app, Tokens(token)), sleep=lambda s: None).get_job(str(job_id))


# -- write-back ----------------------------------------------------------------------------
def test_add_job_note_writes_the_note(emulator: ServiceTitanEmulator, client: ServiceTitanClient,
                                      job_id: int) -> None:
    note = client.add_job_note(str(job_id), "Invoice 1042 sent from Backbone.", pin_to_top=True)
    assert note["text"] == "Invoice 1042 sent from Backbone."
    assert [(n["text"], n["isPinned"]) for n in emulator.notes(TENANT, job_id)] == [
        ("Invoice 1042 sent from Backbone.", True)]


def test_add_job_note_is_not_retried_after_a_5xx(emulator: ServiceTitanEmulator, client: ServiceTitanClient,
                                                 job_id: int) -> None:
    path = f"/jpm/v2/tenant/{TENANT}/jobs/{job_id}/notes"
    emulator.fail_next(path, 503)
    with pytest.raises(UpstreamError) as raised:
        client.add_job_note(str(job_id), "hello")
    assert raised.value.retryable is False
    assert len(emulator.requests_to(path, "POST")) == 1
