"""Housecall Pro adapter against the Housecall Pro emulator over real HTTP on 127.0.0.1."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest
from flask import request
from werkzeug.datastructures import Headers

from connector.config import HousecallProApp
from connector.providers.base import Connection, Grant, Notification, WebhookRejected
from connector.providers.housecallpro import HousecallProAdapter, HousecallProClient, sign
from connector.providers.http import ClientError, Unauthorized, UpstreamError
from tests.emulators.housecallpro import DEFAULT_SECRET, HousecallProEmulator
from tests.emulators.server import Emulator
from triggers.canonical import EventType

if TYPE_CHECKING:
    from collections.abc import Iterator

COMPANY = "d3514589-8266-4fcf-aa56-af658b20f8ab"
API_KEY = "hcp-company-api-key"
START = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
END = START + timedelta(hours=1)

adapter = HousecallProAdapter()


class Tokens:
    """A token source Housecall Pro never uses (the API key is the credential)."""

    def __init__(self) -> None:
        self.invalidated = 0

    def access_token(self) -> str:
        return "unused"

    def invalidate(self) -> None:
        self.invalidated += 1


@pytest.fixture(scope="module")
def server() -> Iterator[HousecallProEmulator]:
    """One running emulator for the module (stopping one takes half a second)."""
    emu = HousecallProEmulator()
    emu.start()
    yield emu
    emu.stop()


@pytest.fixture
def emulator(server: HousecallProEmulator) -> HousecallProEmulator:
    server.reset()
    server.add_company(COMPANY, api_key=API_KEY, name="Bright Plumbing")
    return server


@pytest.fixture
def app(emulator: HousecallProEmulator) -> HousecallProApp:
    return HousecallProApp(api_url=emulator.url, webhook_secret=DEFAULT_SECRET)


def connect(app: HousecallProApp, api_key: str = API_KEY, tokens: Tokens | None = None) -> Connection:
    return Connection(install_id="install-1", account_id=COMPANY, app=app, tokens=tokens or Tokens(),
                      credentials={"api_key": api_key})


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def client(app: HousecallProApp, sleeps: list[float]) -> Iterator[HousecallProClient]:
    hcp = HousecallProClient(connect(app), sleep=sleeps.append, rng=lambda: 0.0)
    yield hcp
    hcp.close()


@pytest.fixture
def job_id(emulator: HousecallProEmulator) -> str:
    tech = emulator.add_employee(COMPANY, "Dana", "Tech")
    customer = emulator.add_customer(COMPANY, "Pat", "Customer")
    return emulator.add_job(COMPANY, customer, start=START, end=END, employee_ids=[tech], total_amount=18950)


def _parse(emulator: HousecallProEmulator, topic: str, item: str) -> Notification:
    headers, body = emulator.webhook(topic, item)
    assert adapter.verify(DEFAULT_SECRET, headers, body)
    [note] = adapter.parse(body)
    return note


# -- connecting ----------------------------------------------------------------------------
def test_adapter_declares_an_api_key_and_no_oauth(app: HousecallProApp) -> None:
    assert adapter.grant is Grant.CREDENTIALS
    assert [(f.name, f.secret) for f in adapter.credential_fields] == [("api_key", True)]
    assert adapter.oauth(app) is None
    assert adapter.account_id({}) is None


def test_account_checks_the_key_with_one_call(emulator: HousecallProEmulator, client: HousecallProClient) -> None:
    info = adapter.account(client, {"api_key": API_KEY})
    assert (info.account_id, info.name) == (COMPANY, "Bright Plumbing")
    [seen] = emulator.requests_to("/company")
    assert seen.headers["Authorization"] == f"Token {API_KEY}"


def test_a_wrong_key_is_unauthorized_without_a_refresh(emulator: HousecallProEmulator, app: HousecallProApp) -> None:
    tokens = Tokens()
    hcp = HousecallProClient(connect(app, "wrong-key", tokens), sleep=lambda s: None)
    with pytest.raises(Unauthorized):
        adapter.account(hcp, {"api_key": "wrong-key"})
    assert tokens.invalidated == 0
    assert len(emulator.requests_to("/company")) == 1


def test_a_connection_without_a_key_is_refused(app: HousecallProApp) -> None:
    with pytest.raises(ClientError, match="API key"):
        HousecallProClient(connect(app, " "))


# -- signatures ----------------------------------------------------------------------------
def test_valid_signature_verifies(emulator: HousecallProEmulator, job_id: str, app: HousecallProApp) -> None:
    headers, body = emulator.webhook("job.completed", job_id)
    assert headers["Api-Signature"] == sign(DEFAULT_SECRET, body, headers["Api-Timestamp"])
    assert adapter.verify(adapter.webhook_secret(app), Headers(headers), body, app)


def test_tampered_body_wrong_secret_and_missing_headers_fail(emulator: HousecallProEmulator, job_id: str) -> None:
    headers, body = emulator.webhook("job.completed", job_id)
    assert not adapter.verify(DEFAULT_SECRET, headers, body.replace(b"Leaky", b"Fixed"))
    assert not adapter.verify("not-the-secret", headers, body)
    assert not adapter.verify("", headers, body)
    assert not adapter.verify(DEFAULT_SECRET, {k: v for k, v in headers.items() if k != "Api-Signature"}, body)
    assert not adapter.verify(DEFAULT_SECRET, {k: v for k, v in headers.items() if k != "Api-Timestamp"}, body)
    later = {**headers, "Api-Timestamp": str(int(headers["Api-Timestamp"]) + 1)}
    assert not adapter.verify(DEFAULT_SECRET, later, body)  # the timestamp is signed too


def test_raw_body_signing_and_header_are_configurable(emulator: HousecallProEmulator, job_id: str) -> None:
    emulator.timestamp_header, emulator.signature_header = "", "X-HCP-Signature"
    headers, body = emulator.webhook("job.completed", job_id)
    app = HousecallProApp(signature_header="X-HCP-Signature", webhook_secret=DEFAULT_SECRET)
    raw = HousecallProAdapter(app, timestamp_header="")
    assert raw.verify(DEFAULT_SECRET, headers, body)
    assert not raw.verify(DEFAULT_SECRET, headers, body + b" ")
    assert not adapter.verify(DEFAULT_SECRET, headers, body, app)  # expects a timestamp


def test_unsigned_delivery_fails(emulator: HousecallProEmulator, job_id: str) -> None:
    emulator.signing_secret = None
    headers, body = emulator.webhook("job.completed", job_id)
    assert not adapter.verify(DEFAULT_SECRET, headers, body)


# -- parse: fat deliveries ---------------------------------------------------------------------
def test_parse_job_created_carries_the_created_event(emulator: HousecallProEmulator, job_id: str) -> None:
    note = _parse(emulator, "job.created", job_id)
    job = emulator.companies[COMPANY].jobs[job_id]
    assert (note.account_id, note.topic, note.item_id) == (COMPANY, "job.created", job_id)
    assert note.event is not None
    assert note.event.type is EventType.JOB_CREATED
    assert note.event.occurred_at == datetime.fromisoformat(job["created_at"].replace("Z", "+00:00"))
    upsert = note.event.job
    assert upsert is not None
    assert (upsert.scheduled_start, upsert.scheduled_end, upsert.job_type) == (START, END, "Repair")
    assert upsert.customer is not None
    assert (upsert.customer.name, upsert.customer.email, upsert.customer.phone) == (
        "Pat Customer", "pat@example.com", "5550199")
    assert upsert.customer.address == "12 E 8th St, Apt 3, Chicago, IL 60605"
    assert upsert.technician is not None and upsert.technician.name == "Dana Tech"


@pytest.mark.parametrize(("topic", "change", "expected"), [
    ("job.scheduled", None, EventType.JOB_SCHEDULED),
    ("job.on_my_way", "on_my_way", EventType.JOB_EN_ROUTE),
    ("job.started", "start_job", EventType.JOB_ARRIVED),
    ("job.completed", "finish_job", EventType.JOB_COMPLETED),
    ("job.canceled", "cancel_job", EventType.JOB_CANCELLED),
])
def test_parse_each_job_topic(emulator: HousecallProEmulator, job_id: str, topic: str, change: str | None,
                              expected: EventType) -> None:
    if change is not None:
        getattr(emulator, change)(COMPANY, job_id)
    note = _parse(emulator, topic, job_id)
    job = emulator.companies[COMPANY].jobs[job_id]
    assert note.event is not None and note.event.type is expected
    assert note.event.occurred_at == datetime.fromisoformat(job["updated_at"].replace("Z", "+00:00"))
    assert note.event.event_id == f"housecallpro:{COMPANY}:job:{job_id}:{expected.value}:" + \
        note.event.occurred_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    sent = json.loads(emulator.webhook(topic, job_id, event_id="evt_fixed")[1])
    assert adapter.parse(json.dumps(sent).encode())[0].dedupe_key == f"housecallpro:{COMPANY}:evt_fixed"


def test_completed_job_carries_its_notes(emulator: HousecallProEmulator, client: HousecallProClient,
                                         job_id: str) -> None:
    client.add_job_note(job_id, "Replaced the cartridge.")
    emulator.finish_job(COMPANY, job_id)
    note = _parse(emulator, "job.completed", job_id)
    assert note.event is not None and note.event.job is not None
    assert note.event.job.completion_notes == "Replaced the cartridge."


def test_parse_invoice_topics(emulator: HousecallProEmulator, job_id: str) -> None:
    invoice_id = emulator.add_invoice(COMPANY, job_id, amount=18950)
    emulator.send_invoice(COMPANY, invoice_id)
    sent = _parse(emulator, "invoice.sent", invoice_id)
    assert sent.event is not None and sent.event.type is EventType.INVOICE_SENT
    emulator.pay_invoice(COMPANY, invoice_id)
    paid = _parse(emulator, "invoice.paid", invoice_id)
    assert paid.event is not None and paid.event.invoice is not None
    invoice = paid.event.invoice
    assert paid.event.type is EventType.INVOICE_PAID
    assert (invoice.total, invoice.balance, invoice.amount_paid) == (Decimal("189.5"), Decimal(0), Decimal("189.5"))
    assert invoice.job_source_id == job_id
    assert paid.event.event_id != sent.event.event_id


def test_other_topics_are_acknowledged_and_ignored(emulator: HousecallProEmulator, job_id: str) -> None:
    customer = emulator.companies[COMPANY].jobs[job_id]["customer"]["id"]
    assert adapter.parse(emulator.webhook("customer.updated", customer)[1]) == []
    assert adapter.parse(emulator.webhook("estimate.sent", "est_1")[1]) == []


def test_an_unscheduled_job_update_says_nothing(emulator: HousecallProEmulator) -> None:
    customer = emulator.add_customer(COMPANY, "Lee", "Customer")
    unscheduled = emulator.add_job(COMPANY, customer)
    assert adapter.parse(emulator.webhook("job.updated", unscheduled)[1]) == []
    [note] = adapter.parse(emulator.webhook("job.created", unscheduled)[1])
    assert note.event is not None and note.event.type is EventType.JOB_CREATED


def test_the_item_may_come_under_its_own_key(emulator: HousecallProEmulator, job_id: str) -> None:
    job = emulator.companies[COMPANY].jobs[job_id]
    body = json.dumps({"event": "job.scheduled", "job": job}).encode()
    [note] = adapter.parse(body)
    assert note.account_id == COMPANY  # from the job's company_id
    assert note.event is not None and note.event.type is EventType.JOB_SCHEDULED


def _body(emulator: HousecallProEmulator, job_id: str, **changes: object) -> bytes:
    delivery = json.loads(emulator.webhook("job.completed", job_id)[1])
    for path, value in changes.items():
        target = delivery
        *parents, leaf = path.split("__")
        for key in parents:
            target = target[key]
        if value is None:
            target.pop(leaf, None)
        else:
            target[leaf] = value
    return json.dumps(delivery).encode()


@pytest.mark.parametrize(("changes", "field"), [
    ({"event": None}, "event"),
    ({"event": "job completed"}, "event"),
    ({"data": None}, "data"),
    ({"data__updated_at": None}, "data.updated_at"),
    ({"data__updated_at": "yesterday"}, "data.updated_at"),
    ({"data__id": ""}, "data.id"),
    ({"data__customer": "pat"}, "data.customer"),
    ({"company_id": None, "data__company_id": None}, "company_id"),
    ({"company_id": "another-company"}, "company_id"),
])
def test_bad_shape_is_rejected_naming_the_field(emulator: HousecallProEmulator, job_id: str,
                                                changes: dict[str, object], field: str) -> None:
    with pytest.raises(WebhookRejected) as raised:
        adapter.parse(_body(emulator, job_id, **changes))
    assert (raised.value.status, raised.value.code) == (422, "invalid_payload")
    assert field in [f["field"] for f in raised.value.fields]


def test_nul_and_non_json_are_rejected() -> None:
    for body in (b'{"event": "job.created\\u0000"}', b"not json", b"[]"):
        with pytest.raises(WebhookRejected) as raised:
            adapter.parse(body)
        assert raised.value.status == 422


def test_send_webhook_posts_the_signed_delivery(emulator: HousecallProEmulator, job_id: str) -> None:
    received: list[tuple[Headers, bytes]] = []
    receiver = Emulator("receiver")

    def hook() -> str:
        received.append((Headers(request.headers), request.get_data()))
        return "ok"

    receiver.app.add_url_rule("/webhooks/housecallpro", "hook", hook, methods=["POST"])
    receiver.start()
    try:
        answer = emulator.send_webhook(receiver.url + "/webhooks/housecallpro", "job.scheduled", job_id)
    finally:
        receiver.stop()
    assert answer.status_code == 200
    [(headers, body)] = received
    assert adapter.verify(DEFAULT_SECRET, headers, body)
    assert adapter.parse(body)[0].item_id == job_id


# -- hydrate and catch-up ------------------------------------------------------------------
def test_hydrate_returns_the_delivered_event_or_fetches_the_job(emulator: HousecallProEmulator,
                                                                client: HousecallProClient, job_id: str) -> None:
    note = _parse(emulator, "job.scheduled", job_id)
    assert note.event is not None
    assert adapter.hydrate(client, note) == [note.event]
    thin = Notification(account_id=COMPANY, topic="job.scheduled", item_id=job_id, occurred_at=note.occurred_at,
                        dedupe_key="k")
    [fetched] = adapter.hydrate(client, thin)
    assert fetched.event_id == note.event.event_id
    gone = Notification(account_id=COMPANY, topic="job.completed", item_id="job_gone", occurred_at=START,
                        dedupe_key="k2")
    assert adapter.hydrate(client, gone) == []


def test_changes_since_finds_a_change_whose_webhook_was_lost(emulator: HousecallProEmulator,
                                                             client: HousecallProClient, job_id: str) -> None:
    before = emulator.stamp()
    emulator.on_my_way(COMPANY, job_id)  # no webhook sent
    page = adapter.changes_since(client, before, datetime.now(UTC))
    [event] = page.events
    assert (event.type, event.job and event.job.source_id) == (EventType.JOB_EN_ROUTE, job_id)
    webhook = _parse(emulator, "job.on_my_way", job_id).event
    assert webhook is not None
    assert webhook.event_id == event.event_id and webhook.occurred_at == event.occurred_at


def test_changes_since_pages_newest_first_and_stops_at_older_jobs(emulator: HousecallProEmulator,
                                                                  app: HousecallProApp, job_id: str) -> None:
    customer = emulator.add_customer(COMPANY, "Lee", "Customer")
    old = [emulator.add_job(COMPANY, customer, start=START, end=END) for _ in range(5)]
    before = emulator.stamp()
    fresh = [emulator.add_job(COMPANY, customer, start=START, end=END) for _ in range(3)]
    emulator.start_job(COMPANY, old[0])
    hcp = HousecallProClient(connect(app), page_size=2)
    page = adapter.changes_since(hcp, before, datetime.now(UTC))
    by_job = {(e.job.source_id, e.type) for e in page.events if e.job is not None}
    assert by_job == {*((j, EventType.JOB_CREATED) for j in fresh), *((j, EventType.JOB_SCHEDULED) for j in fresh),
                      (old[0], EventType.JOB_ARRIVED)}
    queries = [s.query for s in emulator.requests_to("/jobs", "GET") if s.path == "/jobs"]
    assert len(queries) == 3  # 4 changed jobs, 2 a page, then the first older job stops it
    assert all("sort_by=updated_at" in q and "sort_direction=desc" in q for q in queries)
    assert job_id not in {e.job.source_id for e in page.events if e.job is not None}


def test_first_sync_looks_back_a_week_and_skips_old_creations(emulator: HousecallProEmulator,
                                                              client: HousecallProClient, job_id: str) -> None:
    emulator.companies[COMPANY].jobs[job_id]["created_at"] = "2026-01-01T00:00:00Z"
    now = datetime.now(UTC)
    page = adapter.changes_since(client, None, now)
    assert page.cursor == now
    assert [e.type for e in page.events] == [EventType.JOB_SCHEDULED]


# -- the HTTP client -----------------------------------------------------------------------
def test_429_with_retry_after_and_503_are_retried_to_success(emulator: HousecallProEmulator,
                                                             client: HousecallProClient, sleeps: list[float],
                                                             job_id: str) -> None:
    emulator.fail_next(f"/jobs/{job_id}", 429, headers={"Retry-After": "3"})
    emulator.fail_next(f"/jobs/{job_id}", 503)
    assert client.get_job(job_id).id == job_id
    assert len(emulator.requests_to(f"/jobs/{job_id}")) == 3
    assert sleeps[0] == 3.0


def test_add_job_note_writes_once(emulator: HousecallProEmulator, client: HousecallProClient, job_id: str) -> None:
    note = client.add_job_note(job_id, "Invoice sent from Backbone.")
    assert note["content"] == "Invoice sent from Backbone."
    assert [n["content"] for n in emulator.notes(COMPANY, job_id)] == ["Invoice sent from Backbone."]
    emulator.fail_next(f"/jobs/{job_id}/notes", 502)
    with pytest.raises(UpstreamError) as raised:
        client.add_job_note(job_id, "again")
    assert raised.value.retryable is False
    assert len(emulator.requests_to(f"/jobs/{job_id}/notes", "POST")) == 2


def test_job_invoices_and_customer_reads(emulator: HousecallProEmulator, client: HousecallProClient,
                                         job_id: str) -> None:
    invoice_id = emulator.add_invoice(COMPANY, job_id, amount=5000, due_amount=2000)
    [invoice] = client.job_invoices(job_id)
    assert (invoice.id, invoice.amount, invoice.due_amount) == (invoice_id, 5000, 2000)
    customer_id = emulator.companies[COMPANY].jobs[job_id]["customer"]["id"]
    assert client.get_customer(customer_id).first_name == "Pat"
