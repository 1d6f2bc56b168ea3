"""QuickBooks Online adapter against the QuickBooks emulator over real HTTP on 127.0.0.1."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

import pytest
import requests

from actions.context import Accounting, InvoiceDraft, InvoiceLineDraft
from actions.errors import InputError, UpstreamUnavailable
from connector.config import QuickBooksApp
from connector.providers.base import Connection, PartyUpsert, ProviderAdapter, WebhookRejected
from connector.providers.http import ClientError, RetryPolicy
from connector.providers.quickbooks import (
    CDC_MAX_LOOK_BACK,
    PurchaseOrderLine,
    QuickBooksAccounting,
    QuickBooksAdapter,
    QuickBooksClient,
    query_literal,
    request_id,
    sign,
)
from tests.emulators.quickbooks import QuickBooksEmulator
from triggers.canonical import EventType

if TYPE_CHECKING:
    from collections.abc import Iterator

REALM = "9130355377388316"
OTHER_REALM = "4620816365254321"


class Tokens:
    """A tiny TokenSource: one access token; a 401 makes the next one come from the emulator."""

    def __init__(self, emulator: QuickBooksEmulator, realm: str = REALM) -> None:
        self.emulator = emulator
        self.realm = realm
        self.token = emulator.token_for(realm)
        self.invalidated = 0

    def access_token(self) -> str:
        return self.token

    def invalidate(self) -> None:
        self.invalidated += 1
        self.token = self.emulator.token_for(self.realm)


@pytest.fixture(scope="module")
def running() -> Iterator[QuickBooksEmulator]:
    with QuickBooksEmulator(realm=REALM) as emu:
        assert isinstance(emu, QuickBooksEmulator)
        yield emu


@pytest.fixture
def emulator(running: QuickBooksEmulator) -> QuickBooksEmulator:
    running.reset()
    return running


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def adapter(sleeps: list[float]) -> QuickBooksAdapter:
    return QuickBooksAdapter(timeout=2.0, policy=RetryPolicy(backoff_base=0.01), sleep=sleeps.append)


@pytest.fixture
def app(emulator: QuickBooksEmulator) -> QuickBooksApp:
    return QuickBooksApp(client_id="qb-client", client_secret="qb-secret", webhook_secret=emulator.verifier_token,
                         api_url=emulator.url, authorize_url=emulator.url + "/connect/oauth2",
                         token_url=emulator.url + "/oauth2/v1/tokens/bearer",
                         revoke_url=emulator.url + "/oauth2/v1/tokens/revoke")


@pytest.fixture
def tokens(emulator: QuickBooksEmulator) -> Tokens:
    return Tokens(emulator)


@pytest.fixture
def client(adapter: QuickBooksAdapter, app: QuickBooksApp, tokens: Tokens) -> Iterator[QuickBooksClient]:
    qbo = adapter.client(Connection(install_id="inst-1", account_id=REALM, app=app, tokens=tokens))
    yield qbo
    qbo.close()


@pytest.fixture
def customer(emulator: QuickBooksEmulator) -> dict[str, Any]:
    return emulator.add_customer("Amy's Bird Sanctuary", "amy@example.com")


def _notification(adapter: QuickBooksAdapter, emulator: QuickBooksEmulator, topic: str, item_id: str,
                  shape: str = "legacy") -> Any:
    headers, body = emulator.webhook_for(topic, item_id, shape=shape)
    assert adapter.verify(emulator.verifier_token, headers, body)
    [note] = adapter.parse(body)
    return note


# --- signatures ----------------------------------------------------------------------------------------------


def test_signature_verifies_on_the_raw_body(adapter: QuickBooksAdapter, emulator: QuickBooksEmulator) -> None:
    headers, body = emulator.webhook_for("Invoice.Create", "145")
    assert headers["intuit-signature"] == sign(emulator.verifier_token, body)
    assert adapter.verify(emulator.verifier_token, headers, body)
    assert adapter.verify(emulator.verifier_token, {"Intuit-Signature": headers["intuit-signature"]}, body)


def test_tampered_body_wrong_secret_missing_header_and_empty_secret_fail(
        adapter: QuickBooksAdapter, emulator: QuickBooksEmulator) -> None:
    headers, body = emulator.webhook_for("Invoice.Create", "145")
    assert not adapter.verify(emulator.verifier_token, headers, body.replace(b"145", b"146"))
    assert not adapter.verify("another-verifier", headers, body)
    assert not adapter.verify(emulator.verifier_token, {}, body)
    assert not adapter.verify("", {"intuit-signature": sign("", body)}, body)


# --- parse ---------------------------------------------------------------------------------------------------


def test_parse_legacy_delivery_one_notification_per_realm_and_entity(adapter: QuickBooksAdapter) -> None:
    body = json.dumps({"eventNotifications": [
        {"realmId": REALM, "dataChangeEvent": {"entities": [
            {"name": "Invoice", "id": "145", "operation": "Create", "lastUpdated": "2015-10-05T14:42:19-0700"},
            {"name": "Payment", "id": "7", "operation": "Create", "lastUpdated": "2015-10-05T14:43:00-0700"},
            {"name": "Account", "id": "3", "operation": "Update", "lastUpdated": "2015-10-05T14:43:00-0700"},
        ]}},
        {"realmId": OTHER_REALM, "dataChangeEvent": {"entities": [
            {"name": "Customer", "id": "9", "operation": "Merge", "lastUpdated": "2015-10-05T21:50:00.657Z"},
            {"name": "PurchaseOrder", "id": "4", "operation": "Update", "lastUpdated": "2015-10-05T21:50:00Z"},
        ]}},
    ]}).encode()
    notes = adapter.parse(body)
    assert [(n.account_id, n.topic, n.item_id) for n in notes] == [
        (REALM, "Invoice.Create", "145"), (REALM, "Payment.Create", "7"),
        (OTHER_REALM, "Customer.Merge", "9"), (OTHER_REALM, "PurchaseOrder.Update", "4")]
    assert notes[0].occurred_at == datetime(2015, 10, 5, 21, 42, 19, tzinfo=UTC)
    assert notes[0].occurred_at.utcoffset() == timedelta(0)
    assert notes[0].dedupe_key == f"quickbooks:{REALM}:Invoice:145:Create:2015-10-05T21:42:19+00:00"
    assert all(n.event is None for n in notes)  # thin: hydrated later
    assert adapter.parse(body) == notes  # a redelivery gives the same keys


def test_parse_cloudevents_delivery(adapter: QuickBooksAdapter) -> None:
    body = json.dumps([
        {"specversion": "1.0", "id": "88cd52aa-33b6-4351-9aa4-47572edbd068", "source": "intuit.dsnBgbse",
         "type": "qbo.invoice.updated.v1", "datacontenttype": "application/json",
         "time": "2025-09-10T21:31:25.179851517Z", "intuitentityid": "145", "intuitaccountid": REALM, "data": {}},
        {"specversion": "1.0", "id": "e2", "type": "qbo.payment.created.v1", "time": "2025-09-10T14:31:25-07:00",
         "intuitentityid": "7", "intuitaccountid": OTHER_REALM},
        {"specversion": "1.0", "id": "e3", "type": "qbo.account.created.v1", "time": "2025-09-10T21:31:25Z",
         "intuitentityid": "1", "intuitaccountid": REALM},
        {"specversion": "1.0", "id": "88cd52aa-33b6-4351-9aa4-47572edbd068", "type": "qbo.invoice.updated.v1",
         "time": "2025-09-10T21:31:25Z", "intuitentityid": "145", "intuitaccountid": REALM},
    ]).encode()
    notes = adapter.parse(body)
    assert [(n.account_id, n.topic, n.item_id) for n in notes] == [
        (REALM, "Invoice.Update", "145"), (OTHER_REALM, "Payment.Create", "7")]
    assert notes[0].dedupe_key == f"quickbooks:{REALM}:ce:88cd52aa-33b6-4351-9aa4-47572edbd068"
    assert notes[0].occurred_at == datetime(2025, 9, 10, 21, 31, 25, 179851, tzinfo=UTC)
    assert notes[1].occurred_at == datetime(2025, 9, 10, 21, 31, 25, tzinfo=UTC)


def test_emulator_deliveries_of_both_shapes_parse(adapter: QuickBooksAdapter, emulator: QuickBooksEmulator,
                                                  customer: dict[str, Any]) -> None:
    invoice = emulator.add_invoice(customer["Id"], 250.0)
    emulator.add_company(OTHER_REALM, "Other Co")
    bob = emulator.add_customer("Bob", realm=OTHER_REALM)
    changes = emulator.take_changes()
    expected = [(REALM, "Customer.Create", customer["Id"]), (REALM, "Invoice.Create", invoice["Id"]),
                (OTHER_REALM, "Customer.Create", bob["Id"])]
    for shape in ("legacy", "cloudevents"):
        headers, body = emulator.webhook(changes, shape=shape)
        assert adapter.verify(emulator.verifier_token, headers, body)
        assert [(n.account_id, n.topic, n.item_id) for n in adapter.parse(body)] == expected


@pytest.mark.parametrize(("body", "field"), [
    ({"eventNotifications": [{"dataChangeEvent": {"entities": []}}]}, "eventNotifications.0.realmId"),
    ({"eventNotifications": [{"realmId": REALM, "dataChangeEvent": {"entities": [
        {"name": "Invoice", "id": "1", "operation": "Create", "lastUpdated": "yesterday"}]}}]},
     "eventNotifications.0.dataChangeEvent.entities.0.lastUpdated"),
    ({"eventNotifications": [{"realmId": "../1", "dataChangeEvent": {"entities": []}}]},
     "eventNotifications.0.realmId"),
    ([{"specversion": "1.0", "id": "x", "type": "qbo.invoice.created.v1", "time": "2025-09-10T21:31:25Z",
       "intuitentityid": "1"}], "0.intuitaccountid"),
    ([{"specversion": "1.0", "id": "x", "type": "invoice", "time": "2025-09-10T21:31:25Z",
       "intuitentityid": "1", "intuitaccountid": REALM}], "0.type"),
    ("just a string", "body"),
])
def test_bad_shape_is_rejected_naming_the_field(adapter: QuickBooksAdapter, body: Any, field: str) -> None:
    with pytest.raises(WebhookRejected) as caught:
        adapter.parse(json.dumps(body).encode())
    assert caught.value.status == 422
    assert caught.value.code == "invalid_payload"
    assert field in [f["field"] for f in caught.value.fields]


def test_invalid_json_and_nul_are_rejected(adapter: QuickBooksAdapter) -> None:
    for body in (b"{not json", b'{"eventNotifications": [], "x": "\\u0000"}'):
        with pytest.raises(WebhookRejected) as caught:
            adapter.parse(body)
        assert caught.value.status == 422


# --- hydrate and catch-up ------------------------------------------------------------------------------------


def test_hydrate_invoice_created_sent_and_paid_in_utc(adapter: QuickBooksAdapter, client: QuickBooksClient,
                                                     emulator: QuickBooksEmulator, customer: dict[str, Any]) -> None:
    invoice = emulator.add_invoice(customer["Id"], 250.0, email="amy@example.com")
    [created] = adapter.hydrate(client, _notification(adapter, emulator, "Invoice.Create", invoice["Id"]))
    created_at = datetime.fromisoformat(invoice["MetaData"]["CreateTime"])
    assert invoice["MetaData"]["CreateTime"].endswith("-07:00")
    assert created.type is EventType.INVOICE_CREATED
    assert created.occurred_at == created_at and created.occurred_at.tzinfo is UTC
    assert created.event_id == f"quickbooks:{REALM}:invoice:{invoice['Id']}:invoice.created:" \
                               f"{created_at.astimezone(UTC).isoformat()}"
    update = created.invoice
    assert update is not None
    assert (update.source_id, update.number, update.total, update.balance, update.amount_paid, update.currency) == (
        invoice["Id"], invoice["DocNumber"], Decimal("250.00"), Decimal("250.00"), Decimal("0.00"), "USD")
    assert update.customer == PartyUpsert(customer["Id"], "Amy's Bird Sanctuary", "amy@example.com")
    assert update.issued_at is not None and update.issued_at.tzinfo is UTC

    sent_invoice = client.send_invoice(invoice["Id"], "billing@example.com")
    assert sent_invoice["EmailStatus"] == "EmailSent"
    events = adapter.hydrate(client, _notification(adapter, emulator, "Invoice.Emailed", invoice["Id"]))
    assert [e.type for e in events] == [EventType.INVOICE_CREATED, EventType.INVOICE_SENT]
    assert events[0].event_id == created.event_id  # the same creation: deduped by the ingest

    payment = emulator.pay_invoice(invoice["Id"])
    paid = adapter.hydrate(client, _notification(adapter, emulator, "Payment.Create", payment["Id"]))
    assert [e.type for e in paid] == [EventType.INVOICE_PAID]
    assert paid[0].invoice is not None and paid[0].invoice.amount_paid == Decimal("250.00")
    assert paid[0].invoice.balance == Decimal("0.00")
    paid_at = datetime.fromisoformat(emulator.entity("Invoice", invoice["Id"])["MetaData"]["LastUpdatedTime"])
    assert paid[0].occurred_at == paid_at.astimezone(UTC)


def test_hydrate_without_events(adapter: QuickBooksAdapter, client: QuickBooksClient, emulator: QuickBooksEmulator,
                                customer: dict[str, Any]) -> None:
    invoice = emulator.add_invoice(customer["Id"], 80.0)
    assert adapter.hydrate(client, _notification(adapter, emulator, "Customer.Create", customer["Id"])) == []
    void = adapter.hydrate(client, _notification(adapter, emulator, "Invoice.Void", emulator.void_invoice(
        invoice["Id"])["Id"]))
    assert [e.type for e in void] == [EventType.INVOICE_CREATED]  # total 0: not "paid"
    emulator.delete_invoice(invoice["Id"])
    assert adapter.hydrate(client, _notification(adapter, emulator, "Invoice.Delete", invoice["Id"])) == []
    assert adapter.hydrate(client, _notification(adapter, emulator, "Invoice.Update", invoice["Id"])) == []


def test_changes_since_finds_a_change_whose_webhook_was_lost_with_the_same_event_ids(
        adapter: QuickBooksAdapter, client: QuickBooksClient, emulator: QuickBooksEmulator,
        customer: dict[str, Any]) -> None:
    invoice = emulator.add_invoice(customer["Id"], 120.0, email="amy@example.com")
    emulator.email_invoice(invoice["Id"])
    emulator.pay_invoice(invoice["Id"], 20.0)
    emulator.take_changes()  # the webhooks are lost
    now = datetime.now(UTC)
    page = adapter.changes_since(client, now - timedelta(minutes=5), now)
    by_type = {e.type: e for e in page.events}
    assert set(by_type) == {EventType.INVOICE_CREATED, EventType.INVOICE_SENT}
    sent = by_type[EventType.INVOICE_SENT].invoice
    assert sent is not None and sent.amount_paid == Decimal("20.00")
    hydrated = adapter.hydrate(client, _notification(adapter, emulator, "Invoice.Update", invoice["Id"],
                                                     shape="cloudevents"))
    assert {e.event_id for e in hydrated} == {e.event_id for e in page.events}
    # the cursor is Intuit's clock from the CDC answer
    [cdc] = emulator.requests_to(f"/v3/company/{REALM}/cdc")
    assert page.cursor.tzinfo is not None and page.cursor >= now - timedelta(seconds=5)
    assert parse_qs(cdc.query)["entities"] == ["Invoice,Payment"]

    payment = emulator.pay_invoice(invoice["Id"])  # the rest: paid
    page = adapter.changes_since(client, page.cursor, datetime.now(UTC))
    paid = [e for e in page.events if e.type is EventType.INVOICE_PAID]
    hydrated = adapter.hydrate(client, _notification(adapter, emulator, "Payment.Create", payment["Id"]))
    assert [e.event_id for e in paid] == [e.event_id for e in hydrated] and len(paid) == 1


def test_changes_since_reads_invoices_of_payments_cdc_did_not_list(
        adapter: QuickBooksAdapter, client: QuickBooksClient, emulator: QuickBooksEmulator,
        customer: dict[str, Any]) -> None:
    invoice = emulator.add_invoice(customer["Id"], 60.0)
    start = datetime.now(UTC) + timedelta(seconds=5)
    emulator.company().last_stamp = start
    emulator.pay_invoice(invoice["Id"], touch_invoice=False)
    page = adapter.changes_since(client, start, datetime.now(UTC))
    assert [e.type for e in page.events] == [EventType.INVOICE_PAID]


def test_first_sync_looks_back_7_days_and_old_cursors_are_clamped_to_30(
        adapter: QuickBooksAdapter, client: QuickBooksClient, emulator: QuickBooksEmulator) -> None:
    now = datetime.now(UTC)
    adapter.changes_since(client, None, now)
    adapter.changes_since(client, now - timedelta(days=45), now)  # the emulator refuses > 30 days
    first, second = (datetime.fromisoformat(parse_qs(s.query)["changedSince"][0])
                     for s in emulator.requests_to(f"/v3/company/{REALM}/cdc"))
    assert first == (now - timedelta(days=7)).replace(microsecond=0)
    assert now - CDC_MAX_LOOK_BACK < second < now - CDC_MAX_LOOK_BACK + timedelta(hours=1)


def test_a_full_cdc_list_moves_the_cursor_only_to_its_newest_item(
        adapter: QuickBooksAdapter, client: QuickBooksClient, emulator: QuickBooksEmulator,
        customer: dict[str, Any]) -> None:
    emulator.cdc_page_limit = client.cdc_page_limit = 2
    first, second, _third = (emulator.add_invoice(customer["Id"], 10.0 + n) for n in range(3))
    page = adapter.changes_since(client, datetime.now(UTC) - timedelta(minutes=1), datetime.now(UTC))
    assert {e.invoice.source_id for e in page.events if e.invoice} == {first["Id"], second["Id"]}
    assert page.cursor == datetime.fromisoformat(second["MetaData"]["LastUpdatedTime"])


# --- the API client: retries, auth, errors -------------------------------------------------------------------


def test_429_with_retry_after_and_503_are_retried_to_success(
        client: QuickBooksClient, emulator: QuickBooksEmulator, sleeps: list[float]) -> None:
    path = f"/v3/company/{REALM}/companyinfo"
    emulator.fail_next(path, 429, headers={"Retry-After": "3"})
    emulator.fail_next(path, 503)
    assert client.company_info()["CompanyName"] == "Backbone Test Plumbing"
    assert len(emulator.requests_to(path)) == 3
    assert sleeps[0] == 3.0 and len(sleeps) == 2


def test_emulator_throttles_per_realm(emulator: QuickBooksEmulator, client: QuickBooksClient) -> None:
    emulator.rate_limit_per_minute = 1
    client.company_info()
    with pytest.raises(Exception, match="ThrottleExceeded") as caught:
        client.company_info()
    assert getattr(caught.value, "status", None) == 429


def test_401_invalidates_the_token_and_retries(client: QuickBooksClient, emulator: QuickBooksEmulator,
                                               tokens: Tokens) -> None:
    emulator.oauth.expire_access_tokens(REALM)
    assert client.company_info()["CompanyName"] == "Backbone Test Plumbing"
    assert tokens.invalidated == 1
    auths = [s.headers["Authorization"] for s in emulator.requests_to(f"/v3/company/{REALM}/companyinfo")]
    assert auths[0] != auths[1] and auths[1] == f"Bearer {tokens.token}"


def test_faults_become_clear_errors(client: QuickBooksClient, emulator: QuickBooksEmulator) -> None:
    with pytest.raises(ClientError) as caught:
        client.create_invoice("rid-1", {"Line": []})
    assert "ValidationFault 2020" in caught.value.message and "CustomerRef" in caught.value.message
    assert client.get_invoice("999999") is None  # Object Not Found


def test_account_is_the_realm_and_company_name(adapter: QuickBooksAdapter, client: QuickBooksClient) -> None:
    provider: ProviderAdapter = adapter  # mypy checks the protocol
    assert (provider.name, provider.kind, provider.grant.value) == ("quickbooks", "accounting", "authorization_code")
    info = adapter.account(client, {"code": "c", "realmId": REALM, "state": "s"})
    assert (info.account_id, info.name) == (REALM, "Backbone Test Plumbing")


def test_oauth_endpoints_and_the_emulators_intuit_token_flow(adapter: QuickBooksAdapter, app: QuickBooksApp,
                                                            emulator: QuickBooksEmulator) -> None:
    endpoints = adapter.oauth(app)
    assert endpoints.token_endpoint_auth_method == "client_secret_basic"
    assert (endpoints.account_param, endpoints.refresh_token_ttl_days) == ("realmId", 100)
    assert endpoints.revoke_url == app.revoke_url and adapter.webhook_secret(app) == emulator.verifier_token
    redirect = requests.get(endpoints.authorize_url, params={
        "client_id": "qb-client", "response_type": "code", "redirect_uri": "https://backbone.test/cb",
        "state": "s1", "scope": " ".join(endpoints.scopes)}, allow_redirects=False, timeout=5)
    query = parse_qs(redirect.headers["Location"].split("?", 1)[1])
    assert query["realmId"] == [REALM] and query["state"] == ["s1"]
    basic = {"Authorization": "Basic " + base64.b64encode(b"qb-client:qb-secret").decode()}
    first = requests.post(endpoints.token_url, headers=basic, timeout=5, data={
        "grant_type": "authorization_code", "code": query["code"][0], "redirect_uri": "https://backbone.test/cb"})
    assert first.status_code == 200 and 100 * 24 * 3600 - 60 < first.json()["x_refresh_token_expires_in"] <= 8640000
    posted = requests.post(endpoints.token_url, timeout=5, data={
        "grant_type": "refresh_token", "refresh_token": first.json()["refresh_token"],
        "client_id": "qb-client", "client_secret": "qb-secret"})
    assert posted.status_code == 401  # Intuit takes the client credentials as HTTP Basic only
    second = requests.post(endpoints.token_url, headers=basic, timeout=5, data={
        "grant_type": "refresh_token", "refresh_token": first.json()["refresh_token"]})
    assert second.json()["refresh_token"] != first.json()["refresh_token"]  # rotated
    assert second.json()["refresh_token"] in emulator.oauth.valid_refresh_tokens(REALM)


# --- writes --------------------------------------------------------------------------------------------------


def test_create_retried_after_a_timeout_creates_one_invoice(
        app: QuickBooksApp, tokens: Tokens, emulator: QuickBooksEmulator, customer: dict[str, Any],
        sleeps: list[float]) -> None:
    adapter = QuickBooksAdapter(timeout=0.25, policy=RetryPolicy(backoff_base=0.01), sleep=sleeps.append)
    qbo = adapter.client(Connection(install_id="inst-1", account_id=REALM, app=app, tokens=tokens))
    body = {"CustomerRef": {"value": customer["Id"]}, "Line": [{
        "DetailType": "SalesItemLineDetail", "Amount": 90.0,
        "SalesItemLineDetail": {"ItemRef": {"value": "1"}, "Qty": 1, "UnitPrice": 90.0}}]}
    emulator.delay_next(f"/v3/company/{REALM}/invoice", 0.8, method="POST")
    try:
        created = qbo.create_invoice("invoice:run-42", body)
        again = qbo.create_invoice("invoice:run-42", body)
    finally:
        qbo.close()
    assert len(emulator.invoices()) == 1
    assert created["Id"] == again["Id"] == emulator.invoices()[0]["Id"]
    posts = emulator.requests_to(f"/v3/company/{REALM}/invoice", "POST")
    assert len(posts) == 3 and all(parse_qs(p.query)["requestid"] == ["invoice:run-42"] for p in posts)
    assert all(parse_qs(p.query)["minorversion"] == ["75"] for p in posts)


def test_send_and_payment_link(client: QuickBooksClient, emulator: QuickBooksEmulator,
                               customer: dict[str, Any]) -> None:
    invoice = emulator.add_invoice(customer["Id"], 40.0)
    assert client.invoice_link(invoice["Id"]) is None  # no BillEmail yet
    sent = client.send_invoice(invoice["Id"], "amy@example.com")
    assert (sent["EmailStatus"], sent["BillEmail"]["Address"]) == ("EmailSent", "amy@example.com")
    [post] = emulator.requests_to(f"/v3/company/{REALM}/invoice/{invoice['Id']}/send")
    assert parse_qs(post.query)["sendTo"] == ["amy@example.com"]
    link = client.invoice_link(invoice["Id"])
    assert link is not None and link.startswith("https://connect.intuit.com/")


def test_find_or_create_customer_escapes_quotes_and_creates_once(client: QuickBooksClient,
                                                                 emulator: QuickBooksEmulator) -> None:
    name = "O'Brien's \\ Plumbing"
    created = client.find_or_create_customer("cust-1", name, "ob@example.com")
    found = client.find_or_create_customer("cust-2", name, "ob@example.com")
    assert created["Id"] == found["Id"]
    assert [c["DisplayName"] for c in emulator.company().lists["Customer"].values()] == [name]
    query = parse_qs(emulator.requests_to(f"/v3/company/{REALM}/query")[0].query)["query"][0]
    assert query == "select * from Customer where DisplayName = 'O\\'Brien\\'s \\\\ Plumbing'"
    assert query_literal("it's") == "'it\\'s'"


def test_create_purchase_order(client: QuickBooksClient, emulator: QuickBooksEmulator) -> None:
    vendor = emulator.add_vendor("Ferguson Supply")
    order = client.create_purchase_order("po-1", vendor["Id"], [
        PurchaseOrderLine("1", Decimal(3), Decimal("12.50"), "Copper elbow")])
    assert (order["TotalAmt"], order["VendorRef"]["value"]) == (37.5, vendor["Id"])
    assert client.create_purchase_order("po-1", vendor["Id"], [])["Id"] == order["Id"]  # requestid: first answer
    assert len(emulator.company().lists["PurchaseOrder"]) == 1


def test_long_request_ids_are_hashed_deterministically() -> None:
    long = "invoice:" + "k" * 80
    assert request_id(long) == request_id(long) and len(request_id(long)) == 50
    assert request_id("invoice:abc") == "invoice:abc"


# --- accounting ----------------------------------------------------------------------------------------------


def _draft(customer_id: str | None = "cust-9", *, tax: str = "8.25") -> InvoiceDraft:
    now = datetime(2026, 3, 2, 23, 30, tzinfo=UTC)
    lines = (InvoiceLineDraft("labour", "Labour 1.5 h", Decimal("1.5"), Decimal("95.00"), Decimal("142.50")),
             InvoiceLineDraft("part", "Valve", Decimal(3), Decimal("3.333"), Decimal("10.00")))
    return InvoiceDraft(job_id="job-1", customer_id=customer_id, currency="USD", lines=lines,
                        subtotal=Decimal("152.50"), tax=Decimal(tax), total=Decimal("152.50") + Decimal(tax),
                        issued_at=now, due_at=now + timedelta(days=30), notes="Thanks!")


def _party(customer_id: str | None) -> PartyUpsert | None:
    return PartyUpsert(customer_id, "Kim: Lee\tHVAC", "kim@example.com") if customer_id else None


def test_accounting_creates_the_customer_and_the_invoice_once(client: QuickBooksClient,
                                                             emulator: QuickBooksEmulator) -> None:
    accounting: Accounting = QuickBooksAccounting(client, _party)
    receipt = accounting.create_invoice("invoice:key-1", _draft())
    again = accounting.create_invoice("invoice:key-1", _draft())
    assert receipt == again and receipt.system == "quickbooks"
    [invoice] = emulator.invoices()
    assert (receipt.remote_id, receipt.doc_number) == (invoice["Id"], invoice["DocNumber"])
    assert invoice["TotalAmt"] == 160.75 and invoice["TxnDate"] == "2026-03-02"
    assert invoice["CustomerRef"]["name"] == "Kim Lee HVAC" and invoice["BillEmail"]["Address"] == "kim@example.com"
    assert [line["Description"] for line in invoice["Line"][:-1]] == ["Labour 1.5 h", "Valve", "Sales tax"]
    assert len(emulator.company().lists["Customer"]) == 1


def test_accounting_tax_as_txn_tax_detail(client: QuickBooksClient, emulator: QuickBooksEmulator) -> None:
    QuickBooksAccounting(client, _party, tax_mode="txn").create_invoice("invoice:key-2", _draft())
    [invoice] = emulator.invoices()
    assert invoice["TxnTaxDetail"]["TotalTax"] == 8.25 and invoice["TotalAmt"] == 160.75


def test_accounting_errors_become_action_errors(client: QuickBooksClient, emulator: QuickBooksEmulator) -> None:
    with pytest.raises(InputError) as missing:
        QuickBooksAccounting(client, _party).create_invoice("invoice:key-3", _draft(None))
    assert missing.value.field == "job_id"
    with pytest.raises(InputError) as invalid:
        QuickBooksAccounting(client, _party, service_item_id="404").create_invoice("invoice:key-4", _draft())
    assert "Invalid Reference Id" in invalid.value.message
    emulator.fail_next(f"/v3/company/{REALM}/invoice", 503, times=10, method="POST")
    with pytest.raises(UpstreamUnavailable) as down:
        QuickBooksAccounting(client, _party).create_invoice("invoice:key-5", _draft())
    assert down.value.retryable
    emulator.faults.clear()
    emulator.fail_next(f"/v3/company/{REALM}/query", 429, headers={"Retry-After": "600"})
    with pytest.raises(UpstreamUnavailable) as busy:
        QuickBooksAccounting(client, _party).create_invoice("invoice:key-6", _draft())
    assert busy.value.retry_after == 600
    assert emulator.invoices() == []
