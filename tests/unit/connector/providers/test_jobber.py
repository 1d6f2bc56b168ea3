"""The Jobber adapter against the Jobber emulator over real HTTP on 127.0.0.1."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

import fakeredis
import pytest
import requests
from werkzeug.datastructures import Headers

from connector.providers.base import Connection, WebhookRejected, entity_event_id
from connector.providers.http import ClientError, RateBudget, RateLimited, UpstreamError
from connector.providers.jobber import (
    CLOCK_SKEW_MARGIN,
    GRAPHQL_VERSION,
    SIGNATURE_HEADER,
    TOPICS,
    JobberAdapter,
    JobberClient,
)
from tests.emulators.jobber import DEFAULT_ACCOUNT, JobberEmulator
from tests.emulators.server import Emulator
from triggers.canonical import EventType

if TYPE_CHECKING:
    from collections.abc import Iterator

    from connector.providers.base import NormalizedEvent, Notification
    from tests.emulators.jobber import Client, Job, User

ACCOUNT = DEFAULT_ACCOUNT
T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
VISIT_START = datetime(2026, 3, 9, 14, 0, tzinfo=UTC)  # a Monday, 08:00 at the account's -06:00


class Clock:
    """The emulator's clock: stands still unless a test moves it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> datetime:
        self.now += timedelta(**kw)
        return self.now


class StaticTokens:
    """A TokenSource: one token; `invalidate` (after a 401) fetches a fresh one from the emulator."""

    def __init__(self, emulator: JobberEmulator, account: str = ACCOUNT) -> None:
        self.emulator, self.account = emulator, account
        self.token = emulator.issue_token(account)
        self.invalidations = 0

    def access_token(self) -> str:
        return self.token

    def invalidate(self) -> None:
        self.invalidations += 1
        self.token = self.emulator.issue_token(self.account)


@pytest.fixture
def clock() -> Clock:
    return Clock(T0)


@pytest.fixture(scope="module")
def server() -> Iterator[JobberEmulator]:
    emu = JobberEmulator()
    emu.start()
    yield emu
    emu.stop()


@pytest.fixture
def emulator(server: JobberEmulator, clock: Clock) -> JobberEmulator:
    server.reset(clock)
    return server


@pytest.fixture
def tokens(emulator: JobberEmulator) -> StaticTokens:
    return StaticTokens(emulator)


@pytest.fixture
def connection(emulator: JobberEmulator, tokens: StaticTokens) -> Connection:
    return Connection(install_id="inst-1", account_id=ACCOUNT, app=emulator.provider_app(), tokens=tokens)


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def client(connection: Connection, sleeps: list[float]) -> Iterator[JobberClient]:
    with JobberClient(connection, sleep=sleeps.append) as c:
        yield c


@pytest.fixture
def adapter() -> JobberAdapter:
    return JobberAdapter()


@pytest.fixture
def tech(emulator: JobberEmulator) -> User:
    return emulator.add_user("Tina Tech", "tina@acme.example")


@pytest.fixture
def customer(emulator: JobberEmulator) -> Client:
    return emulator.add_client("Carol Customer", email="carol@example.com", phone="403-555-0100",
                               billing={"street1": "1 Billing Rd", "city": "Calgary", "province": "AB"})


def make_job(emulator: JobberEmulator, customer: Client, tech: User, *, scheduled: bool = True,
             at: datetime | None = None) -> Job:
    visits: list[tuple[datetime | None, datetime | None, list[User]]] = (
        [(VISIT_START, VISIT_START + timedelta(hours=2), [tech])] if scheduled else [(None, None, [])])
    return emulator.create_job(customer, "Furnace makes a noise", visits=visits, at=at,
                               address={"street1": "9 Elm St", "city": "Calgary", "province": "AB",
                                        "postalCode": "T2P 1J9"}, lat=51.045, lng=-114.057)


def notification(adapter: JobberAdapter, emulator: JobberEmulator, topic: str, item_id: str) -> Notification:
    _, body = emulator.webhook(topic, item_id)
    [n] = adapter.parse(body)
    return n


def hydrate(adapter: JobberAdapter, client: JobberClient, emulator: JobberEmulator, topic: str,
            item_id: str) -> list[NormalizedEvent]:
    return adapter.hydrate(client, notification(adapter, emulator, topic, item_id))


def api_calls(emulator: JobberEmulator) -> int:
    return len(emulator.requests_to(JobberEmulator.API_PATH))


# -- install -----------------------------------------------------------------------------------
def test_oauth_endpoints_and_webhook_secret_come_from_the_app(emulator: JobberEmulator,
                                                              adapter: JobberAdapter) -> None:
    app = emulator.provider_app()
    endpoints = adapter.oauth(app)
    assert endpoints.authorize_url == app.authorize_url
    assert endpoints.token_url == app.token_url
    assert endpoints.token_endpoint_auth_method == "client_secret_post"
    assert adapter.webhook_secret(app) == emulator.client_secret
    assert adapter.account_id({SIGNATURE_HEADER: "x"}) is None


def test_account_is_the_connected_jobber_account(adapter: JobberAdapter, client: JobberClient) -> None:
    info = adapter.account(client, {})
    assert (info.account_id, info.name) == (ACCOUNT, "Acme Plumbing & Heating")


def test_emulator_rotates_refresh_tokens_and_kills_the_old_one_at_once(emulator: JobberEmulator) -> None:
    redirect = "https://backbone.example/oauth/jobber/callback"
    answer = requests.get(emulator.url + JobberEmulator.AUTHORIZE_PATH, allow_redirects=False, timeout=5, params={
        "client_id": emulator.client_id, "redirect_uri": redirect, "response_type": "code", "state": "s1"})
    code = parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0]
    form = {"client_id": emulator.client_id, "client_secret": emulator.client_secret}
    token_url = emulator.url + JobberEmulator.TOKEN_PATH
    first = requests.post(token_url, timeout=5, data={**form, "grant_type": "authorization_code", "code": code,
                                                      "redirect_uri": redirect}).json()
    second = requests.post(token_url, timeout=5, data={**form, "grant_type": "refresh_token",
                                                       "refresh_token": first["refresh_token"]}).json()
    assert second["refresh_token"] != first["refresh_token"]
    again = requests.post(token_url, timeout=5, data={**form, "grant_type": "refresh_token",
                                                      "refresh_token": first["refresh_token"]})
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"


# -- signatures --------------------------------------------------------------------------------
def test_a_delivery_signed_like_jobber_verifies(emulator: JobberEmulator, adapter: JobberAdapter) -> None:
    headers, body = emulator.webhook("JOB_UPDATE", "Z2lkOi8vSm9iYmVyL0pvYi8x")
    assert adapter.verify(emulator.client_secret, headers, body)


@pytest.mark.parametrize("case", ["tampered body", "wrong secret", "missing header", "not base64", "empty secret"])
def test_a_delivery_not_signed_with_the_client_secret_fails(emulator: JobberEmulator, adapter: JobberAdapter,
                                                            case: str) -> None:
    headers, body = emulator.webhook("JOB_UPDATE", "Z2lkOi8vSm9iYmVyL0pvYi8x")
    secret = emulator.client_secret
    if case == "tampered body":
        body = body.replace(b"JOB_UPDATE", b"JOB_CLOSED")
    elif case == "wrong secret":
        headers, body = emulator.webhook("JOB_UPDATE", "Z2lkOi8vSm9iYmVyL0pvYi8x", secret="another-app")
    elif case == "missing header":
        headers = {}
    elif case == "not base64":
        headers = {SIGNATURE_HEADER: "not base64 at all!"}
    else:
        secret = ""
    assert not adapter.verify(secret, headers, body)


def test_recorded_webhooks_are_posted_signed_over_http(emulator: JobberEmulator, adapter: JobberAdapter,
                                                       customer: Client, tech: User) -> None:
    sink = Emulator("backbone")
    sink.app.add_url_rule("/webhooks/jobber", "hook", lambda: ("", 200), methods=["POST"])
    sink.start()
    try:
        job = make_job(emulator, customer, tech)
        answers = emulator.deliver(sink.url + "/webhooks/jobber")
        assert [a.status_code for a in answers] == [200, 200]
        assert emulator.outbox == []
        received = sink.requests_to("/webhooks/jobber")
        # what a Flask view hands the adapter: case-insensitive headers, the raw body
        assert all(adapter.verify(emulator.client_secret, Headers(r.headers), r.body) for r in received)
        assert [(n.topic, n.item_id) for r in received for n in adapter.parse(r.body)] == [
            ("CLIENT_CREATE", customer.id), ("JOB_CREATE", job.id)]
    finally:
        sink.stop()


# -- parsing -----------------------------------------------------------------------------------
@pytest.mark.parametrize("topic", sorted(TOPICS))
def test_each_supported_topic_parses_into_a_thin_notification(emulator: JobberEmulator, adapter: JobberAdapter,
                                                              topic: str) -> None:
    occurred = datetime(2026, 3, 2, 9, 30, 5, tzinfo=UTC)
    _, body = emulator.webhook(topic, "SXRlbS8x", occurred_at=occurred)
    [n] = adapter.parse(body)
    assert (n.account_id, n.topic, n.item_id, n.occurred_at) == (ACCOUNT, topic, "SXRlbS8x", occurred)
    assert n.occurred_at.tzinfo == UTC
    assert n.event is None
    assert n.uninstall is (topic == "APP_DISCONNECT")
    assert n.dedupe_key == f"{topic}:SXRlbS8x:2026-03-02T09:30:05Z"


def test_the_legacy_occured_at_spelling_is_read(emulator: JobberEmulator, adapter: JobberAdapter) -> None:
    _, body = emulator.webhook("JOB_CREATE", "SXRlbS8x", occurred_at=T0, legacy_spelling=True)
    assert b"occuredAt" in body
    [n] = adapter.parse(body)
    assert n.occurred_at == T0


def test_the_same_delivery_twice_has_one_dedupe_key(emulator: JobberEmulator, adapter: JobberAdapter) -> None:
    one = notification(adapter, emulator, "JOB_UPDATE", "SXRlbS8x")
    again = notification(adapter, emulator, "JOB_UPDATE", "SXRlbS8x")
    _, later = emulator.webhook("JOB_UPDATE", "SXRlbS8x", occurred_at=T0 + timedelta(seconds=1))
    assert one.dedupe_key == again.dedupe_key != adapter.parse(later)[0].dedupe_key


def test_an_unused_topic_is_acknowledged_and_dropped(emulator: JobberEmulator, adapter: JobberAdapter) -> None:
    _, body = emulator.webhook("QUOTE_CREATE", "SXRlbS8x")
    assert adapter.parse(body) == []


def _event_body(**overrides: object) -> bytes:
    event: dict[str, object] = {"topic": "JOB_UPDATE", "appId": "app", "accountId": ACCOUNT, "itemId": "SXRlbS8x",
                                "occurredAt": "2026-03-02T09:30:05-06:00"}
    event.update(overrides)
    return json.dumps({"data": {"webHookEvent": {k: v for k, v in event.items() if v is not None}}}).encode()


@pytest.mark.parametrize(("body", "field"), [
    (_event_body(itemId=None), "data.webHookEvent.itemId"),
    (_event_body(itemId=""), "data.webHookEvent.itemId"),
    (_event_body(accountId=None), "data.webHookEvent.accountId"),
    (_event_body(topic="job_update"), "data.webHookEvent.topic"),
    (_event_body(occurredAt=None), "data.webHookEvent.occurredAt"),
    (_event_body(occurredAt="2026-03-02T09:30:05"), "data.webHookEvent.occurredAt"),
    (_event_body(itemId="x" * 101), "data.webHookEvent.itemId"),
    (b'{"data": {}}', "data.webHookEvent"),
    (b"[]", "body"),
])
def test_a_bad_shape_is_rejected_naming_the_field(adapter: JobberAdapter, body: bytes, field: str) -> None:
    with pytest.raises(WebhookRejected) as caught:
        adapter.parse(body)
    assert caught.value.status == 422
    assert caught.value.code == "invalid_payload"
    assert field in [f["field"] for f in caught.value.fields]


@pytest.mark.parametrize("body", [b"not json", b'{"data": "\\u0000"}', b"\x00"])
def test_garbage_and_nul_are_rejected(adapter: JobberAdapter, body: bytes) -> None:
    with pytest.raises(WebhookRejected) as caught:
        adapter.parse(body)
    assert caught.value.status == 422


# -- hydration: jobs ---------------------------------------------------------------------------
def test_a_new_scheduled_job_hydrates_to_created_and_scheduled_in_utc(
        emulator: JobberEmulator, adapter: JobberAdapter, client: JobberClient, customer: Client, tech: User) -> None:
    job = make_job(emulator, customer, tech)
    created, scheduled = hydrate(adapter, client, emulator, "JOB_CREATE", job.id)

    assert [created.type, scheduled.type] == [EventType.JOB_CREATED, EventType.JOB_SCHEDULED]
    assert created.occurred_at == scheduled.occurred_at == T0  # rendered by Jobber at -06:00
    assert created.event_id == entity_event_id("jobber", ACCOUNT, "job", job.id, "2026-03-02T15:00:00Z",
                                               "job.created")
    assert scheduled.source == "jobber"
    upsert = scheduled.job
    assert upsert is not None
    assert upsert.source_id == job.id
    assert upsert.description == "Furnace makes a noise"
    assert (upsert.scheduled_start, upsert.scheduled_end) == (VISIT_START, VISIT_START + timedelta(hours=2))
    assert upsert.scheduled_start is not None
    assert upsert.scheduled_start.tzinfo == UTC
    assert upsert.customer is not None
    assert (upsert.customer.source_id, upsert.customer.name, upsert.customer.email, upsert.customer.phone) == (
        customer.id, "Carol Customer", "carol@example.com", "403-555-0100")
    assert upsert.customer.address == "9 Elm St, Calgary, AB T2P 1J9"
    assert (upsert.customer.lat, upsert.customer.lng) == (51.045, -114.057)
    assert upsert.technician is not None
    assert (upsert.technician.source_id, upsert.technician.name) == (tech.id, "Tina Tech")
    assert scheduled.extra["job_number"] == str(job.number)


def test_an_unscheduled_job_is_only_created(emulator: JobberEmulator, adapter: JobberAdapter, client: JobberClient,
                                            customer: Client, tech: User) -> None:
    job = make_job(emulator, customer, tech, scheduled=False)
    [created] = hydrate(adapter, client, emulator, "JOB_CREATE", job.id)
    assert created.type is EventType.JOB_CREATED
    assert created.job is not None
    assert created.job.scheduled_start is None
    assert created.job.customer is not None
    assert created.job.customer.address == "9 Elm St, Calgary, AB T2P 1J9"


def test_scheduling_a_visit_later_makes_the_job_scheduled(emulator: JobberEmulator, adapter: JobberAdapter,
                                                          client: JobberClient, clock: Clock, customer: Client,
                                                          tech: User) -> None:
    job = make_job(emulator, customer, tech, scheduled=False)
    clock.advance(hours=1)
    visit = emulator.schedule_visit(job.id, VISIT_START, VISIT_START + timedelta(hours=1), [tech])
    events = hydrate(adapter, client, emulator, "VISIT_CREATE", visit.id)
    assert [e.type for e in events] == [EventType.JOB_CREATED, EventType.JOB_SCHEDULED]
    assert events[1].occurred_at == T0 + timedelta(hours=1)


def test_completing_the_last_visit_completes_the_job(emulator: JobberEmulator, adapter: JobberAdapter,
                                                     client: JobberClient, clock: Clock, customer: Client,
                                                     tech: User) -> None:
    job = make_job(emulator, customer, tech)
    clock.advance(days=7)
    emulator.complete_visit(job.visit_ids[0])
    visit_event = next(e for e in emulator.outbox if e.topic == "VISIT_COMPLETE")
    events = hydrate(adapter, client, emulator, "VISIT_COMPLETE", visit_event.item_id)
    assert [e.type for e in events] == [EventType.JOB_CREATED, EventType.JOB_COMPLETED]
    assert events[1].occurred_at == T0 + timedelta(days=7)
    assert events[1].job is not None
    assert events[1].job.scheduled_start == VISIT_START  # the last visit, once none is left


def test_a_clock_driven_status_change_keeps_the_same_event(emulator: JobberEmulator, adapter: JobberAdapter,
                                                           client: JobberClient, customer: Client,
                                                           tech: User) -> None:
    """Tests that upcoming → late (Jobber moves it; updatedAt does not) gives the same event id."""
    job = make_job(emulator, customer, tech)
    before = hydrate(adapter, client, emulator, "JOB_UPDATE", job.id)
    job.status_override = "late"
    after = hydrate(adapter, client, emulator, "JOB_UPDATE", job.id)
    assert [e.event_id for e in before] == [e.event_id for e in after]
    assert after[1].extra["jobber_status"] == "late"


def test_closing_an_unfinished_job_cancels_it(emulator: JobberEmulator, adapter: JobberAdapter,
                                              client: JobberClient, customer: Client, tech: User) -> None:
    job = make_job(emulator, customer, tech)
    emulator.close_job(job.id)
    assert [e.type for e in hydrate(adapter, client, emulator, "JOB_CLOSED", job.id)] == [
        EventType.JOB_CREATED, EventType.JOB_CANCELLED]


def test_closing_a_finished_job_completes_it(emulator: JobberEmulator, adapter: JobberAdapter,
                                             client: JobberClient, customer: Client, tech: User) -> None:
    job = make_job(emulator, customer, tech)
    emulator.complete_visit(job.visit_ids[0])
    emulator.close_job(job.id)
    assert hydrate(adapter, client, emulator, "JOB_CLOSED", job.id)[-1].type is EventType.JOB_COMPLETED


def test_a_deleted_job_is_cancelled_without_a_call(emulator: JobberEmulator, adapter: JobberAdapter,
                                                   client: JobberClient, customer: Client, tech: User) -> None:
    job = make_job(emulator, customer, tech)
    emulator.delete_job(job.id)
    calls = api_calls(emulator)
    [event] = hydrate(adapter, client, emulator, "JOB_DESTROY", job.id)
    assert event.type is EventType.JOB_CANCELLED
    assert event.job is not None
    assert event.job.source_id == job.id
    assert api_calls(emulator) == calls


def test_an_item_gone_since_the_webhook_hydrates_to_nothing(emulator: JobberEmulator, adapter: JobberAdapter,
                                                            client: JobberClient) -> None:
    for topic in ("JOB_UPDATE", "VISIT_UPDATE", "INVOICE_UPDATE", "PAYMENT_UPDATE"):
        assert hydrate(adapter, client, emulator, topic, "Z2lkOi8vSm9iYmVyL05vbmUvOTk=") == []


def test_client_and_disconnect_topics_hydrate_to_nothing_without_a_call(
        emulator: JobberEmulator, adapter: JobberAdapter, client: JobberClient, customer: Client) -> None:
    calls = api_calls(emulator)
    assert hydrate(adapter, client, emulator, "CLIENT_UPDATE", customer.id) == []
    assert hydrate(adapter, client, emulator, "APP_DISCONNECT", ACCOUNT) == []
    assert api_calls(emulator) == calls


def test_another_accounts_item_is_not_visible(emulator: JobberEmulator, adapter: JobberAdapter,
                                              client: JobberClient, tech: User) -> None:
    emulator.add_account("acct-2", "Other Co")
    other = emulator.add_client("Olga Other", account_id="acct-2")
    job = make_job(emulator, other, tech)
    assert hydrate(adapter, client, emulator, "JOB_UPDATE", job.id) == []


# -- hydration: invoices and payments ----------------------------------------------------------
def test_an_invoice_is_created_sent_part_paid_and_paid(emulator: JobberEmulator, adapter: JobberAdapter,
                                                       client: JobberClient, clock: Clock, customer: Client,
                                                       tech: User) -> None:
    job = make_job(emulator, customer, tech)
    invoice = emulator.create_invoice(job, "480.00", sent=False)
    [draft] = hydrate(adapter, client, emulator, "INVOICE_CREATE", invoice.id)
    assert draft.type is EventType.INVOICE_CREATED

    clock.advance(hours=2)
    emulator.send_invoice(invoice.id)
    created, sent = hydrate(adapter, client, emulator, "INVOICE_UPDATE", invoice.id)
    assert created.event_id == draft.event_id
    assert sent.type is EventType.INVOICE_SENT
    assert sent.occurred_at == T0 + timedelta(hours=2)
    update = sent.invoice
    assert update is not None
    assert (update.source_id, update.number, update.total, update.balance, update.amount_paid) == (
        invoice.id, invoice.number, Decimal("480.00"), Decimal("480.00"), Decimal(0))
    assert update.issued_at == T0 + timedelta(hours=2)
    assert update.due_at == T0 + timedelta(days=30)
    assert update.job_source_id == job.id
    assert update.customer is not None
    assert update.customer.address == "1 Billing Rd, Calgary, AB"

    clock.advance(hours=1)
    part = emulator.add_payment(invoice.id, "80.00")
    partly = hydrate(adapter, client, emulator, "PAYMENT_CREATE", part.id)[-1]
    assert partly.type is EventType.INVOICE_SENT
    assert partly.invoice is not None
    assert (partly.invoice.amount_paid, partly.invoice.balance) == (Decimal("80.00"), Decimal("400.00"))

    clock.advance(hours=1)
    rest = emulator.add_payment(invoice.id, "400.00")
    paid = hydrate(adapter, client, emulator, "PAYMENT_CREATE", rest.id)[-1]
    assert paid.type is EventType.INVOICE_PAID
    assert paid.occurred_at == T0 + timedelta(hours=4)
    assert paid.invoice is not None
    assert (paid.invoice.amount_paid, paid.invoice.balance) == (Decimal("480.00"), Decimal(0))
    assert paid.event_id == hydrate(adapter, client, emulator, "INVOICE_UPDATE", invoice.id)[-1].event_id


def test_a_written_off_invoice_has_no_event(emulator: JobberEmulator, adapter: JobberAdapter,
                                            client: JobberClient, customer: Client, tech: User) -> None:
    invoice = emulator.create_invoice(make_job(emulator, customer, tech), "99.00")
    emulator.mark_bad_debt(invoice.id)
    assert hydrate(adapter, client, emulator, "INVOICE_UPDATE", invoice.id) == []


# -- catch-up ----------------------------------------------------------------------------------
def test_catch_up_finds_a_change_whose_webhook_was_lost(emulator: JobberEmulator, adapter: JobberAdapter,
                                                        client: JobberClient, clock: Clock, customer: Client,
                                                        tech: User) -> None:
    job = make_job(emulator, customer, tech, scheduled=False)
    first = adapter.changes_since(client, None, clock.now)
    clock.advance(hours=3)
    emulator.schedule_visit(job.id, VISIT_START, VISIT_START + timedelta(hours=1), [tech])
    emulator.outbox.clear()  # the webhook never arrives

    page = adapter.changes_since(client, first.cursor, clock.now)
    assert [(e.type, e.occurred_at) for e in page.events] == [
        (EventType.JOB_CREATED, T0), (EventType.JOB_SCHEDULED, T0 + timedelta(hours=3))]
    assert page.cursor == T0 + timedelta(hours=3) == emulator.jobs[job.id].updated_at


def test_catch_up_and_hydration_give_the_same_event_ids(emulator: JobberEmulator, adapter: JobberAdapter,
                                                        client: JobberClient, clock: Clock, customer: Client,
                                                        tech: User) -> None:
    job = make_job(emulator, customer, tech)
    clock.advance(hours=1)
    invoice = emulator.create_invoice(job, "150.00")
    clock.advance(hours=1)
    payment = emulator.add_payment(invoice.id, "150.00")
    hydrated = (hydrate(adapter, client, emulator, "JOB_CREATE", job.id)
                + hydrate(adapter, client, emulator, "PAYMENT_CREATE", payment.id))
    synced = adapter.changes_since(client, None, clock.now).events
    assert sorted(e.event_id for e in hydrated) == sorted(e.event_id for e in synced)
    assert {e.type for e in synced} == {EventType.JOB_CREATED, EventType.JOB_SCHEDULED, EventType.INVOICE_CREATED,
                                        EventType.INVOICE_PAID}


def test_catch_up_reads_every_page_and_stops_at_since(emulator: JobberEmulator, connection: Connection,
                                                      adapter: JobberAdapter, clock: Clock, customer: Client,
                                                      tech: User) -> None:
    old = [make_job(emulator, customer, tech) for _ in range(3)]
    since = clock.now
    clock.advance(minutes=10)
    fresh = [make_job(emulator, customer, tech) for _ in range(5)]
    invoices = [emulator.create_invoice(job, "10.00") for job in fresh[:3]]
    calls = api_calls(emulator)

    with JobberClient(connection, jobs_page_size=2, invoices_page_size=2) as client:
        page = adapter.changes_since(client, since, clock.now)
    seen_jobs = {e.job.source_id for e in page.events if e.job is not None}
    seen_invoices = {e.invoice.source_id for e in page.events if e.invoice is not None}
    assert seen_jobs == {j.id for j in fresh}
    assert not seen_jobs & {j.id for j in old}
    assert seen_invoices == {i.id for i in invoices}
    assert api_calls(emulator) - calls == 3 + 2  # 5 jobs in pages of 2, 3 invoices in pages of 2
    assert page.cursor == max(i.updated_at for i in invoices)


def test_a_first_catch_up_looks_back_seven_days(emulator: JobberEmulator, adapter: JobberAdapter,
                                                client: JobberClient, clock: Clock, customer: Client,
                                                tech: User) -> None:
    stale = make_job(emulator, customer, tech, at=T0 - timedelta(days=8))
    recent = make_job(emulator, customer, tech, at=T0 - timedelta(days=6))
    page = adapter.changes_since(client, None, clock.now)
    ids = {e.job.source_id for e in page.events if e.job is not None}
    assert (stale.id in ids, recent.id in ids) == (False, True)
    assert page.cursor == T0 - timedelta(days=6)


def test_the_cursor_stays_put_when_nothing_changed(adapter: JobberAdapter, client: JobberClient,
                                                   clock: Clock) -> None:
    since = T0 - timedelta(hours=1)
    assert adapter.changes_since(client, since, clock.now).cursor == since
    first = adapter.changes_since(client, None, clock.now)
    assert (first.events, first.cursor) == ([], T0 - CLOCK_SKEW_MARGIN)


def test_the_jobs_filter_has_no_updated_at_in_jobber(client: JobberClient) -> None:
    """Tests that the emulator refuses what Jobber's schema refuses (why catch-up sorts instead)."""
    query = "query($filter: JobFilterAttributes) { jobs(filter: $filter) { nodes { id } } }"
    with pytest.raises(ClientError) as caught:
        client.graphql(query, {"filter": {"updatedAt": {"after": "2026-03-01T00:00:00Z"}}})
    assert caught.value.code == "graphql_error"
    assert "updatedAt" in caught.value.message


# -- the client: headers, retries, throttling, tokens, budget ----------------------------------
def test_requests_carry_the_bearer_token_and_api_version(emulator: JobberEmulator, client: JobberClient,
                                                         tokens: StaticTokens) -> None:
    client.account()
    [seen] = emulator.requests_to(JobberEmulator.API_PATH)
    assert seen.headers["Authorization"] == f"Bearer {tokens.token}"
    assert seen.headers["X-Jobber-Graphql-Version"] == GRAPHQL_VERSION
    assert json.loads(seen.body)["query"].startswith("query BackboneAccount")


def test_the_emulator_refuses_a_request_without_an_api_version(emulator: JobberEmulator,
                                                               tokens: StaticTokens) -> None:
    answer = requests.post(emulator.url + JobberEmulator.API_PATH, json={"query": "{ account { id } }"}, timeout=5,
                           headers={"Authorization": f"Bearer {tokens.token}"})
    assert answer.status_code == 400


def test_a_429_with_retry_after_is_waited_out(emulator: JobberEmulator, client: JobberClient,
                                              sleeps: list[float]) -> None:
    emulator.fail_next(JobberEmulator.API_PATH, 429, headers={"Retry-After": "3"},
                       body={"message": "Too Many Requests"})
    assert client.account()["id"] == ACCOUNT
    assert sleeps == [3.0]
    assert api_calls(emulator) == 2


def test_a_503_is_retried_for_a_query(emulator: JobberEmulator, client: JobberClient, sleeps: list[float],
                                      customer: Client, tech: User) -> None:
    job = make_job(emulator, customer, tech)
    emulator.fail_next(JobberEmulator.API_PATH, 503, times=2)
    fetched = client.fetch_job(job.id)
    assert fetched is not None
    assert fetched["id"] == job.id
    assert len(sleeps) == 2


def test_a_throttled_query_waits_for_the_cost_bucket(emulator: JobberEmulator, client: JobberClient,
                                                     sleeps: list[float]) -> None:
    emulator.throttle_next(requested=1500, available=500, restore_rate=500)
    assert client.account()["id"] == ACCOUNT
    assert sleeps == [2.0]  # (1500 - 500) / 500
    assert client.last_cost is not None
    assert client.last_cost["throttleStatus"]["maximumAvailable"] == 10_000


def test_a_long_throttle_raises_rate_limited_with_the_wait(emulator: JobberEmulator, client: JobberClient,
                                                           sleeps: list[float]) -> None:
    emulator.throttle_next(requested=100_500, available=500, restore_rate=500)
    with pytest.raises(RateLimited) as caught:
        client.account()
    assert (caught.value.code, caught.value.retry_after, caught.value.retryable) == ("throttled", 200.0, True)
    assert sleeps == []


def test_a_401_refreshes_the_token_once_and_retries(emulator: JobberEmulator, client: JobberClient,
                                                    tokens: StaticTokens) -> None:
    emulator.oauth.expire_access_tokens(ACCOUNT)
    assert client.account()["id"] == ACCOUNT
    assert tokens.invalidations == 1
    assert [s.headers["Authorization"] for s in emulator.requests_to(JobberEmulator.API_PATH)][-1] == (
        f"Bearer {tokens.token}")


def test_graphql_errors_raise_a_client_error(client: JobberClient) -> None:
    with pytest.raises(ClientError) as caught:
        client.graphql("query { nosuchRoot { id } }")
    assert caught.value.code == "graphql_error"
    assert "nosuchRoot" in caught.value.message


def test_every_attempt_takes_from_the_installs_rate_budget(emulator: JobberEmulator, connection: Connection,
                                                           sleeps: list[float]) -> None:
    redis = fakeredis.FakeRedis()
    connection.budget = RateBudget(redis, limit=2, window_seconds=300)
    with JobberClient(connection, sleep=sleeps.append) as client:
        client.account()
        client.account()
        with pytest.raises(RateLimited) as caught:
            client.account()
    assert caught.value.code == "budget_exhausted"
    assert api_calls(emulator) == 2
    keys: list[bytes] = list(redis.scan_iter("budget:*"))
    assert [k.decode().split(":")[1] for k in keys] == ["inst-1"]


# -- write-back --------------------------------------------------------------------------------
def test_a_job_note_is_added_and_its_id_returned(emulator: JobberEmulator, client: JobberClient,
                                                 customer: Client, tech: User) -> None:
    job = make_job(emulator, customer, tech)
    note_id = client.add_job_note(job.id, "Invoice INV-1002 generated by Backbone.")
    assert [(n["id"], n["message"]) for n in emulator.jobs[job.id].notes] == [
        (note_id, "Invoice INV-1002 generated by Backbone.")]


def test_a_note_on_a_missing_job_is_a_user_error(client: JobberClient) -> None:
    with pytest.raises(ClientError) as caught:
        client.add_job_note("Z2lkOi8vSm9iYmVyL0pvYi85OTk=", "hello")
    assert caught.value.code == "user_error"
    assert "Job not found" in caught.value.message


def test_a_job_note_is_not_sent_twice_after_a_5xx(emulator: JobberEmulator, client: JobberClient,
                                                  customer: Client, tech: User) -> None:
    job = make_job(emulator, customer, tech)
    emulator.fail_next(JobberEmulator.API_PATH, 503)
    with pytest.raises(UpstreamError) as caught:
        client.add_job_note(job.id, "hello")
    assert caught.value.retryable is False
    assert api_calls(emulator) == 1


def test_a_throttled_note_is_retried_and_added_once(emulator: JobberEmulator, client: JobberClient,
                                                    customer: Client, tech: User) -> None:
    job = make_job(emulator, customer, tech)
    emulator.throttle_next()
    client.add_job_note(job.id, "hello")
    assert len(emulator.jobs[job.id].notes) == 1


def test_completing_a_visit_is_idempotent(emulator: JobberEmulator, client: JobberClient, customer: Client,
                                          tech: User) -> None:
    job = make_job(emulator, customer, tech)
    visit_id = job.visit_ids[0]
    emulator.outbox.clear()
    client.complete_visit(visit_id, completed_at=T0 + timedelta(days=7))
    client.complete_visit(visit_id)
    assert emulator.visits[visit_id].completed_at == T0 + timedelta(days=7)
    assert [e.topic for e in emulator.outbox] == ["VISIT_COMPLETE", "JOB_UPDATE"]


def test_completing_an_unknown_visit_is_a_user_error(client: JobberClient) -> None:
    with pytest.raises(ClientError) as caught:
        client.complete_visit("Z2lkOi8vSm9iYmVyL1Zpc2l0Lzk5OQ==")
    assert caught.value.code == "user_error"


def test_disconnect_revokes_the_connection(emulator: JobberEmulator, client: JobberClient,
                                           tokens: StaticTokens) -> None:
    client.disconnect()
    assert emulator.oauth.valid_access(tokens.token) is None
    assert [e.topic for e in emulator.outbox][-1] == "APP_DISCONNECT"
