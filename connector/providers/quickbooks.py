"""QuickBooks Online: OAuth install, signed webhooks, REST reads and writes, CDC catch-up.

Wire format (Intuit developer documentation; the page each fact comes from is named):

* OAuth 2 authorization code (``com.intuit.quickbooks.accounting``). The token endpoint takes the
  client credentials as HTTP Basic; the callback carries ``realmId``, the company (= account id).
  Refresh tokens roll over 100 days after their last use and may be replaced on any refresh
  (``x_refresh_token_expires_in`` in the answer); "OAuth token management done the right way",
  blogs.intuit.com 2024-06-03.
* Webhooks: ``intuit-signature`` = base64(HMAC-SHA256(verifier token, raw body)) (developer.intuit.com
  .../develop/webhooks). Two body shapes, both parsed: the legacy
  ``{"eventNotifications": [{"realmId", "dataChangeEvent": {"entities": [{"name", "id",
  "operation", "lastUpdated"}]}}]}`` and the CloudEvents array ``[{"specversion": "1.0", "id",
  "type": "qbo.invoice.updated.v1", "time", "intuitentityid", "intuitaccountid", "data"}]``
  ("Upcoming change to webhooks payload structure", blogs.intuit.com 2025-11-12). Webhooks are
  thin: each entity is fetched through the API.
* REST: ``{api_url}/v3/company/{realm}/{entity}/{id}?minorversion=N`` answers ``{"Invoice": {...},
  "time"}``; errors are ``{"Fault": {"Error": [{"Message", "Detail", "code", "element"}], "type"}}``
  (".../troubleshooting/error-codes"), sometimes with a 200 status, and 401s come with a lowercase
  ``fault``. Creates carry ``?requestid=`` (at most 50 characters, unique per company): the same
  requestid answers with the first response and never acts twice ("Request ID update",
  blogs.intuit.com 2015-04-06), so creates are sent with ``idempotent=True``. Queries are
  ``GET /query?query=select ...`` with quotes in literals escaped by a backslash.
* Catch-up: ``GET /cdc?entities=Invoice,Payment&changedSince=<ISO>`` answers
  ``{"CDCResponse": [{"QueryResponse": [{"Invoice": [...]}, ...]}], "time"}``; it looks back at
  most 30 days and returns at most 1,000 objects per entity; deleted objects carry
  ``"status": "Deleted"`` (".../change-data-capture").
* Throttling: 500 requests per minute per realm (429), "QuickBooks Online API throttling
  changes", blogs.intuit.com 2016-08-08: give each connection ``RateBudget(limit=RATE_LIMIT_PER_MINUTE,
  window_seconds=60)``.

Choices the public docs leave open (configurable where it matters):

* ``minor_version`` (default 75: Intuit retired 1-74 in 2025).
* Event ids are `entity_event_id` with, per kind, the most specific stable version the invoice
  carries, so a webhook and a catch-up that read the same invoice agree and a later unrelated
  edit does not fire the trigger again: invoice.created uses ``MetaData.CreateTime`` (emitted for
  every read; the ingest dedupes, which makes it "first seen"), invoice.sent uses
  ``DeliveryInfo.DeliveryTime`` (``MetaData.LastUpdatedTime`` when absent), invoice.paid (Balance
  0, total > 0) uses ``MetaData.LastUpdatedTime``. Intuit's offsets (``-0700``) become UTC;
  ``TxnDate``/``DueDate`` (dates) become midnight UTC.
* Customer and PurchaseOrder notifications hydrate to no events (Backbone projects neither yet);
  other entities are dropped at parse. A Payment becomes invoice.paid on the invoices it pays.
* CDC: a first sync looks back 7 days; an older ``since`` is clamped to 30 days (minus a margin)
  and logged, since Intuit refuses more. The cursor is the answer's ``time``, Intuit's own clock
  that ``LastUpdatedTime`` is stamped with, so our clock's skew cannot skip changes. When an
  entity list is full (1,000) the answer was cut: the cursor stops at that list's newest
  ``LastUpdatedTime`` (assuming Intuit returns the oldest first) and the next sync continues.
* `QuickBooksAccounting`: lines are ``SalesItemLineDetail`` lines on ``service_item_id`` (default
  "1", the "Services" item of a new company; QBO needs an ItemRef). Tax (``tax_mode``): "line"
  (default) adds a line "Sales tax" on ``tax_item_id`` so QuickBooks' total equals Backbone's
  whatever the company's tax setup; "txn" sends ``TxnTaxDetail.TotalTax`` instead (companies on
  automated sales tax may recompute it). QuickBooks numbers the invoice (``DocNumber``; the
  remote id when the company numbers by hand and none came back).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Annotated, Any

import requests
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from actions.context import AccountingReceipt, SentInvoice
from actions.errors import InputError, UpstreamUnavailable
from connector.crypto import constant_time_equals
from connector.errors import validation_fields
from connector.providers.base import (
    AccountInfo,
    Grant,
    InvoiceUpdate,
    NormalizedEvent,
    Notification,
    OAuthEndpoints,
    PartyUpsert,
    SyncPage,
    WebhookRejected,
    entity_event_id,
    hmac_sha256,
    refuse_nul,
)
from connector.providers.http import ApiClient, ApiError, ClientError, RetryPolicy, Unauthorized, UpstreamError
from triggers.canonical import EventType

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping, Sequence

    from actions.context import InvoiceDraft, PurchaseOrderDraft
    from connector.config import ProviderApp
    from connector.providers.base import Connection, CredentialField, Headers

logger = logging.getLogger(__name__)

NAME = "quickbooks"
SIGNATURE_HEADER = "intuit-signature"
SCOPES = ("com.intuit.quickbooks.accounting",)
DEFAULT_MINOR_VERSION = 75
RATE_LIMIT_PER_MINUTE = 500
REFRESH_TOKEN_TTL_DAYS = 100
#: Entities whose notifications are kept; the rest are acknowledged and dropped.
USED_ENTITIES = {"invoice": "Invoice", "payment": "Payment", "customer": "Customer", "purchaseorder": "PurchaseOrder"}
#: CloudEvents verbs (``qbo.invoice.<verb>.v1``) as the legacy operations name them.
CLOUD_VERBS = {"created": "Create", "updated": "Update", "deleted": "Delete", "merged": "Merge",
               "voided": "Void", "emailed": "Emailed"}
CDC_ENTITIES = ("Invoice", "Payment")
CDC_MAX_LOOK_BACK = timedelta(days=30)
CDC_MARGIN = timedelta(minutes=10)  # keeps a clamped changedSince inside Intuit's 30 days
CDC_PAGE_LIMIT = 1000
FIRST_LOOK_BACK = timedelta(days=7)
MAX_REQUEST_ID = 50
CENT = Decimal("0.01")
NOT_FOUND_CODES = {"610"}  # Object Not Found (deleted, or never existed)
DUPLICATE_NAME_CODE = "6240"

ID_RE = re.compile(r"[0-9A-Za-z_-]{1,64}")  # realm and entity ids: they go into URL paths
Id = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z_-]+$")]


# --- time and signatures -------------------------------------------------------------------------------------


def utc(value: datetime) -> datetime:
    """An aware datetime in UTC."""
    return value.astimezone(UTC)


def version(value: datetime) -> str:
    """The event-id version string of a timestamp: UTC ISO 8601, whatever offset Intuit wrote."""
    return utc(value).isoformat()


def _midnight(value: date | None) -> datetime | None:
    return None if value is None else datetime(value.year, value.month, value.day, tzinfo=UTC)


def sign(secret: str, body: bytes) -> str:
    """The ``intuit-signature`` value of a body: base64(HMAC-SHA256(verifier token, body))."""
    return hmac_sha256(secret, body)


def query_literal(value: str) -> str:
    """A string literal of Intuit's query language: quoted, backslash and quote escaped."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def request_id(value: str) -> str:
    """A ``requestid`` Intuit accepts (<= 50 characters); a longer key is hashed, deterministically."""
    if len(value) <= MAX_REQUEST_ID and re.fullmatch(r"[0-9A-Za-z_.:-]+", value):
        return value
    return "h-" + hashlib.sha256(value.encode()).hexdigest()[: MAX_REQUEST_ID - 2]


# --- webhook bodies ------------------------------------------------------------------------------------------


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


class _Entity(_Model):
    name: str = Field(min_length=1, max_length=60)
    id: Id
    operation: str = Field(min_length=1, max_length=30)
    lastUpdated: AwareDatetime


class _DataChangeEvent(_Model):
    entities: list[_Entity] = Field(max_length=1000)


class _EventNotification(_Model):
    realmId: Id
    dataChangeEvent: _DataChangeEvent


class LegacyDelivery(_Model):
    """The ``eventNotifications`` body."""

    eventNotifications: list[_EventNotification] = Field(max_length=1000)


class CloudEvent(_Model):
    """One event of the CloudEvents array body."""

    specversion: str = Field(min_length=1, max_length=10)
    id: str = Field(min_length=1, max_length=200)
    type: str = Field(min_length=5, max_length=200, pattern=r"^qbo\.[a-z0-9]+\.[a-z0-9_]+(\.[a-z0-9]+)*$")
    time: AwareDatetime
    intuitentityid: Id
    intuitaccountid: Id
    source: str | None = Field(None, max_length=500)


class _CloudDelivery(BaseModel):
    events: list[CloudEvent] = Field(max_length=1000)


def _rejected(exc: ValidationError, prefix: str = "") -> WebhookRejected:
    fields = validation_fields(exc)
    if prefix:
        fields = [{**f, "field": f["field"].removeprefix(prefix)} for f in fields]
    return WebhookRejected(422, "invalid_payload", "The webhook body is not a QuickBooks notification.", fields)


def parse_delivery(body: bytes) -> list[Notification]:
    """The notifications of a verified delivery, in either shape (raises WebhookRejected 422)."""
    refuse_nul(body)
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise WebhookRejected(422, "invalid_payload", "The webhook body is not JSON.",
                              [{"field": "body", "message": "Invalid JSON."}]) from exc
    if isinstance(data, list):
        try:
            events = _CloudDelivery.model_validate({"events": data}).events
        except ValidationError as exc:
            raise _rejected(exc, "events.") from exc
        notes = [n for e in events if (n := _cloud_notification(e)) is not None]
    elif isinstance(data, dict):
        try:
            legacy = LegacyDelivery.model_validate(data)
        except ValidationError as exc:
            raise _rejected(exc) from exc
        notes = [n for en in legacy.eventNotifications for e in en.dataChangeEvent.entities
                 if (n := _legacy_notification(en.realmId, e)) is not None]
    else:
        raise WebhookRejected(422, "invalid_payload", "The webhook body must be an object or an array.",
                              [{"field": "body", "message": "Expected eventNotifications or CloudEvents."}])
    unique: dict[str, Notification] = {}
    for n in notes:
        unique.setdefault(n.dedupe_key, n)
    return list(unique.values())


def _legacy_notification(realm: str, e: _Entity) -> Notification | None:
    entity = USED_ENTITIES.get(e.name.lower())
    if entity is None:
        return None
    when = utc(e.lastUpdated)
    return Notification(account_id=realm, topic=f"{entity}.{e.operation}", item_id=e.id, occurred_at=when,
                        dedupe_key=f"{NAME}:{realm}:{entity}:{e.id}:{e.operation}:{version(when)}")


def _cloud_notification(e: CloudEvent) -> Notification | None:
    _, noun, verb, *_ = e.type.split(".")
    entity = USED_ENTITIES.get(noun)
    if entity is None:
        return None
    operation = CLOUD_VERBS.get(verb, verb.capitalize())
    return Notification(account_id=e.intuitaccountid, topic=f"{entity}.{operation}", item_id=e.intuitentityid,
                        occurred_at=utc(e.time), dedupe_key=f"{NAME}:{e.intuitaccountid}:ce:{e.id}")


# --- faults --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fault:
    """The first error of an Intuit ``Fault`` body."""

    type: str
    code: str
    message: str
    detail: str
    element: str


def fault_of(body: Any) -> Fault | None:
    """The fault in an answer body (``Fault``/``Error`` or the 401's lowercase ``fault``/``error``)."""
    if not isinstance(body, dict):
        return None
    fault = body.get("Fault", body.get("fault"))
    if not isinstance(fault, dict):
        return None
    errors = fault.get("Error", fault.get("error"))
    first = errors[0] if isinstance(errors, list) and errors and isinstance(errors[0], dict) else {}

    def text(key: str) -> str:
        value = first.get(key, first.get(key.lower()))
        return "" if value is None else str(value)[:500]

    return Fault(type=str(fault.get("type") or ""), code=text("code"), message=text("Message"),
                 detail=text("Detail"), element=text("element"))


def _explained(exc: ApiError) -> ApiError:
    """The same error, its message saying what Intuit's fault said (no token fragments)."""
    fault = fault_of(exc.body)
    if fault is None:
        return exc
    said = f"{fault.type or 'Fault'} {fault.code}: {fault.message}".strip()
    if fault.detail and exc.status != 401:  # a 401 detail may quote part of the token
        said += f" ({fault.detail})"
    if fault.element:
        said += f" [element {fault.element}]"
    return type(exc)(f"{exc.message}: QuickBooks {said}", status=exc.status, code=exc.code,
                     retryable=exc.retryable, retry_after=exc.retry_after, body=exc.body)


def is_not_found(exc: ApiError) -> bool:
    """True when Intuit says the object does not exist (deleted, or a wrong id)."""
    fault = fault_of(exc.body)
    return exc.status == 404 or (isinstance(exc, ClientError) and fault is not None and fault.code in NOT_FOUND_CODES)


# --- API client ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PurchaseOrderLine:
    """One line Backbone orders from a vendor."""

    item_id: str
    quantity: Decimal
    unit_price: Decimal
    description: str | None = None


@dataclass
class CdcPage:
    """One CDC answer: changed objects by entity, Intuit's clock, and which lists were cut at 1,000."""

    entities: dict[str, list[dict[str, Any]]]
    time: datetime | None
    full: list[str] = field(default_factory=list)


class QuickBooksClient:
    """The QuickBooks Online Accounting API of one company (realm), over one `ApiClient`."""

    #: Intuit's most objects per entity in one CDC answer; a list this long was cut.
    cdc_page_limit = CDC_PAGE_LIMIT

    def __init__(self, api: ApiClient, realm_id: str, *, minor_version: int = DEFAULT_MINOR_VERSION) -> None:
        self.api = api
        self.realm_id = realm_id
        self.minor_version = minor_version

    def close(self) -> None:
        self.api.close()

    # -- plumbing -----------------------------------------------------------------------------------------
    def _path(self, path: str, realm_id: str | None = None) -> str:
        return f"/v3/company/{_safe_id(realm_id or self.realm_id)}/{path}"

    def _call(self, method: str, path: str, *, params: Mapping[str, str] | None = None, json: Any = None,
              headers: Mapping[str, str] | None = None, idempotent: bool | None = None,
              realm_id: str | None = None) -> dict[str, Any]:
        query = {**(params or {}), "minorversion": str(self.minor_version)}
        try:
            response = self.api.request(method, self._path(path, realm_id), params=query, json=json,
                                        headers=headers, idempotent=idempotent)
        except ApiError as exc:
            explained = _explained(exc)
            if explained is exc:
                raise
            raise explained from exc
        where = f"{method} /v3/company/.../{path.split('/')[0]}"
        try:
            body = response.json()
        except ValueError as exc:
            raise UpstreamError(f"{where}: answer is not JSON", status=response.status_code, code="invalid_json",
                                retryable=False) from exc
        if not isinstance(body, dict):
            raise UpstreamError(f"{where}: answer is not an object", code="invalid_response", retryable=False)
        if fault_of(body) is not None:  # Intuit may answer 200 with a Fault
            raise _explained(ClientError(f"{where} -> {response.status_code}", status=response.status_code,
                                         code="fault", body=body))
        return body

    @staticmethod
    def _entity(body: dict[str, Any], name: str) -> dict[str, Any]:
        value = body.get(name)
        if not isinstance(value, dict) or not value.get("Id"):
            raise UpstreamError(f"QuickBooks answer has no {name}", code="invalid_response", retryable=False,
                                body=body)
        return value

    def _get(self, entity: str, item_id: str, params: Mapping[str, str] | None = None) -> dict[str, Any] | None:
        try:
            body = self._call("GET", f"{entity.lower()}/{_safe_id(item_id)}", params=params)
        except ApiError as exc:
            if is_not_found(exc):
                return None
            raise
        return self._entity(body, entity)

    def _create(self, entity: str, rid: str, payload: Mapping[str, Any]) -> dict[str, Any]:
        body = self._call("POST", entity.lower(), params={"requestid": request_id(rid)}, json=dict(payload),
                          idempotent=True)
        return self._entity(body, entity)

    # -- reads --------------------------------------------------------------------------------------------
    def company_info(self, realm_id: str | None = None) -> dict[str, Any]:
        realm = realm_id or self.realm_id
        return self._entity(self._call("GET", f"companyinfo/{_safe_id(realm)}", realm_id=realm), "CompanyInfo")

    def get_invoice(self, invoice_id: str, *, include_link: bool = False) -> dict[str, Any] | None:
        """The invoice, or None when it does not exist (any more)."""
        return self._get("Invoice", invoice_id, {"include": "invoiceLink"} if include_link else None)

    def invoice_link(self, invoice_id: str) -> str | None:
        """The customer's payment link (``InvoiceLink``; needs online payments and a BillEmail)."""
        invoice = self.get_invoice(invoice_id, include_link=True)
        link = (invoice or {}).get("InvoiceLink")
        return link if isinstance(link, str) and link else None

    def get_payment(self, payment_id: str) -> dict[str, Any] | None:
        return self._get("Payment", payment_id)

    def query(self, statement: str) -> dict[str, Any]:
        """The ``QueryResponse`` of a query (``{}`` when nothing matched)."""
        response = self._call("GET", "query", params={"query": statement}).get("QueryResponse")
        return response if isinstance(response, dict) else {}

    def find_customer(self, display_name: str) -> dict[str, Any] | None:
        literal = query_literal(display_name)
        found = self.query(f"select * from Customer where DisplayName = {literal}")  # noqa: S608 - escaped literal
        customers = found.get("Customer")
        return customers[0] if isinstance(customers, list) and customers else None

    def cdc(self, entities: Iterable[str], changed_since: datetime) -> CdcPage:
        """Objects of these entities changed since ``changed_since`` (at most 30 days back)."""
        names = list(entities)
        body = self._call("GET", "cdc", params={"entities": ",".join(names),
                                                 "changedSince": utc(changed_since).isoformat(timespec="seconds")})
        found: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
        for response in body.get("CDCResponse") or []:
            for query in (response or {}).get("QueryResponse") or []:
                for name in names:
                    items = (query or {}).get(name)
                    if isinstance(items, list):
                        found[name].extend(i for i in items if isinstance(i, dict))
        stamp = body.get("time")
        when = _parse_time(stamp) if isinstance(stamp, str) else None
        return CdcPage(found, when, [n for n, items in found.items() if len(items) >= self.cdc_page_limit])

    # -- writes (each create carries a requestid: a retry answers with the first result) -------------------
    def create_invoice(self, rid: str, invoice: Mapping[str, Any]) -> dict[str, Any]:
        return self._create("Invoice", rid, invoice)

    def send_invoice(self, invoice_id: str, email: str | None = None, *, rid: str | None = None) -> dict[str, Any]:
        """Emails the invoice (to ``email``, else its BillEmail); EmailStatus becomes EmailSent.

        Without ``rid`` the send is not retried after a timeout (it could email twice).
        """
        params = {"sendTo": email} if email else {}
        if rid:
            params["requestid"] = request_id(rid)
        body = self._call("POST", f"invoice/{_safe_id(invoice_id)}/send", params=params, idempotent=bool(rid),
                          headers={"Content-Type": "application/octet-stream"})
        return self._entity(body, "Invoice")

    def create_customer(self, rid: str, display_name: str, email: str | None) -> dict[str, Any]:
        payload: dict[str, Any] = {"DisplayName": display_name}
        if email:
            payload["PrimaryEmailAddr"] = {"Address": email}
        return self._create("Customer", rid, payload)

    def find_or_create_customer(self, rid: str, display_name: str, email: str | None) -> dict[str, Any]:
        """The active customer with this DisplayName, created (with ``rid``) when there is none."""
        found = self.find_customer(display_name)
        if found is not None:
            return found
        try:
            return self.create_customer(rid, display_name, email)
        except ClientError as exc:
            fault = fault_of(exc.body)
            if fault is not None and fault.code == DUPLICATE_NAME_CODE:  # created meanwhile
                found = self.find_customer(display_name)
                if found is not None:
                    return found
            raise

    def create_purchase_order(self, rid: str, vendor_ref: str, lines: Sequence[PurchaseOrderLine]) -> dict[str, Any]:
        items = [{
            "DetailType": "ItemBasedExpenseLineDetail",
            "Amount": float(_money(line.quantity * line.unit_price)),
            **({"Description": line.description} if line.description else {}),
            "ItemBasedExpenseLineDetail": {"ItemRef": {"value": line.item_id}, "Qty": float(line.quantity),
                                           "UnitPrice": float(line.unit_price)},
        } for line in lines]
        return self._create("PurchaseOrder", rid, {"VendorRef": {"value": vendor_ref}, "Line": items})


def _safe_id(value: str) -> str:
    """An id fit for a URL path (Intuit ids are short alphanumerics); anything else is a bug upstream."""
    if not ID_RE.fullmatch(value):
        raise ValueError(f"not a QuickBooks id: {value[:70]!r}")
    return value


def _parse_time(value: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return utc(parsed) if parsed.tzinfo is not None else None


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


# --- normalization -------------------------------------------------------------------------------------------


class _Ref(_Model):
    value: str = Field(min_length=1, max_length=100)
    name: str | None = Field(None, max_length=500)


class _Meta(_Model):
    CreateTime: AwareDatetime
    LastUpdatedTime: AwareDatetime


class _Email(_Model):
    Address: str | None = Field(None, max_length=1000)


class _Delivery(_Model):
    DeliveryTime: AwareDatetime | None = None


class _Invoice(_Model):
    Id: Id
    DocNumber: str | None = Field(None, max_length=50)
    TxnDate: date | None = None
    DueDate: date | None = None
    TotalAmt: Decimal = Decimal(0)
    Balance: Decimal = Decimal(0)
    CustomerRef: _Ref | None = None
    BillEmail: _Email | None = None
    CurrencyRef: _Ref | None = None
    EmailStatus: str | None = None
    DeliveryInfo: _Delivery | None = None
    MetaData: _Meta


def invoice_events(realm: str, raw: Mapping[str, Any]) -> list[NormalizedEvent]:
    """The canonical events one read of an invoice says (see the module docstring for versions)."""
    try:
        inv = _Invoice.model_validate(raw)
    except ValidationError as exc:
        raise UpstreamError(f"QuickBooks invoice is not as documented: {validation_fields(exc)[:3]}",
                            code="invalid_response", retryable=False) from exc
    total, balance = _money(inv.TotalAmt), _money(inv.Balance)
    customer = None
    if inv.CustomerRef is not None:
        customer = PartyUpsert(inv.CustomerRef.value, inv.CustomerRef.name,
                               inv.BillEmail.Address if inv.BillEmail else None)
    update = InvoiceUpdate(source_id=inv.Id, amount_paid=total - balance, number=inv.DocNumber, total=total,
                           balance=balance, currency=inv.CurrencyRef.value if inv.CurrencyRef else None,
                           issued_at=_midnight(inv.TxnDate), due_at=_midnight(inv.DueDate), customer=customer)
    updated = utc(inv.MetaData.LastUpdatedTime)
    kinds = [(EventType.INVOICE_CREATED, utc(inv.MetaData.CreateTime))]
    if inv.EmailStatus == "EmailSent":
        sent = inv.DeliveryInfo.DeliveryTime if inv.DeliveryInfo and inv.DeliveryInfo.DeliveryTime else updated
        kinds.append((EventType.INVOICE_SENT, utc(sent)))
    if balance == 0 and total > 0:
        kinds.append((EventType.INVOICE_PAID, updated))
    return [NormalizedEvent(event_id=entity_event_id(NAME, realm, "invoice", inv.Id, version(when), kind.value),
                            type=kind, occurred_at=when, source=NAME, invoice=update, raw_topic="Invoice",
                            extra={"realm_id": realm})
            for kind, when in kinds]


def paid_invoice_ids(payment: Mapping[str, Any]) -> list[str]:
    """The invoices a payment applies to (``Line[].LinkedTxn[]`` of type Invoice), in order."""
    ids: list[str] = []
    for line in payment.get("Line") or []:
        for linked in (line or {}).get("LinkedTxn") or []:
            txn = str((linked or {}).get("TxnId") or "")
            if (linked or {}).get("TxnType") == "Invoice" and ID_RE.fullmatch(txn) and txn not in ids:
                ids.append(txn)
    return ids


def _paid_events(client: QuickBooksClient, realm: str, invoice_ids: Iterable[str]) -> list[NormalizedEvent]:
    events: list[NormalizedEvent] = []
    for invoice_id in invoice_ids:
        invoice = client.get_invoice(invoice_id)
        if invoice is not None:
            events += [e for e in invoice_events(realm, invoice) if e.type is EventType.INVOICE_PAID]
    return events


# --- the adapter ---------------------------------------------------------------------------------------------


class QuickBooksAdapter:
    """QuickBooks Online as a `ProviderAdapter` (accounting, authorization-code install)."""

    name = NAME
    label = "QuickBooks Online"
    kind = "accounting"
    grant = Grant.AUTHORIZATION_CODE
    credential_fields: tuple[CredentialField, ...] = ()

    def __init__(self, *, minor_version: int = DEFAULT_MINOR_VERSION, timeout: float = 20.0,
                 policy: RetryPolicy | None = None, sleep: Callable[[float], None] = time.sleep) -> None:
        self.minor_version = minor_version
        self.timeout = timeout
        self.policy = policy or RetryPolicy()
        self.sleep = sleep

    def oauth(self, app: ProviderApp) -> OAuthEndpoints:
        return OAuthEndpoints(token_url=app.token_url, authorize_url=app.authorize_url,
                              revoke_url=app.revoke_url or None, scopes=SCOPES,
                              token_endpoint_auth_method="client_secret_basic",  # noqa: S106 - a method name
                              account_param="realmId",
                              refresh_token_ttl_days=REFRESH_TOKEN_TTL_DAYS)

    def webhook_secret(self, app: ProviderApp) -> str | None:
        return app.webhook_secret or None

    def account_id(self, headers: Headers) -> str | None:
        return None  # one verifier token for the whole app; the realm is in the body

    def verify(self, secret: str, headers: Headers, body: bytes, app: ProviderApp | None = None) -> bool:
        given = (headers.get(SIGNATURE_HEADER) or headers.get("Intuit-Signature") or "").strip()
        return bool(secret) and bool(given) and constant_time_equals(given, sign(secret, body))

    def parse(self, body: bytes) -> list[Notification]:
        return parse_delivery(body)

    def client(self, connection: Connection) -> QuickBooksClient:
        tokens = connection.tokens
        api = ApiClient(connection.app.api_url, auth=lambda: {"Authorization": f"Bearer {tokens.access_token()}"},
                        on_unauthorized=tokens.invalidate, budget=connection.budget,
                        budget_key=f"{NAME}:{connection.account_id}", default_headers={"Accept": "application/json"},
                        timeout=self.timeout, policy=self.policy, sleep=self.sleep)
        return QuickBooksClient(api, connection.account_id, minor_version=self.minor_version)

    def account(self, client: QuickBooksClient, callback: Mapping[str, str]) -> AccountInfo:
        realm = callback.get("realmId") or client.realm_id
        info = client.company_info(realm)
        return AccountInfo(account_id=realm, name=str(info.get("CompanyName") or info.get("LegalName") or realm))

    def hydrate(self, client: QuickBooksClient, notification: Notification) -> list[NormalizedEvent]:
        entity, _, operation = notification.topic.partition(".")
        if notification.account_id != client.realm_id:
            raise ValueError(f"notification for realm {notification.account_id} given the client of another realm")
        if operation == "Delete":
            return []
        realm = notification.account_id
        if entity == "Invoice":
            invoice = client.get_invoice(notification.item_id)
            return [] if invoice is None else invoice_events(realm, invoice)
        if entity == "Payment":
            payment = client.get_payment(notification.item_id)
            return [] if payment is None else _paid_events(client, realm, paid_invoice_ids(payment))
        return []  # Customer, PurchaseOrder: nothing Backbone projects yet

    def changes_since(self, client: QuickBooksClient, since: datetime | None, now: datetime) -> SyncPage:
        start = now - FIRST_LOOK_BACK if since is None else since
        floor = now - CDC_MAX_LOOK_BACK + CDC_MARGIN
        if start < floor:
            logger.warning("quickbooks.sync.clamped: CDC looks back 30 days at most; changes of realm %s before "
                           "%s are not caught up", client.realm_id, floor.isoformat())
            start = floor
        page = client.cdc(CDC_ENTITIES, start)
        realm = client.realm_id
        events: list[NormalizedEvent] = []
        seen: set[str] = set()
        for invoice in page.entities.get("Invoice", []):
            if invoice.get("status") != "Deleted":
                events += invoice_events(realm, invoice)
                seen.add(str(invoice.get("Id")))
        paid = [i for p in page.entities.get("Payment", []) if p.get("status") != "Deleted"
                for i in paid_invoice_ids(p) if i not in seen]
        events += _paid_events(client, realm, dict.fromkeys(paid))
        cursor = page.time or now
        for name in page.full:
            logger.warning("quickbooks.sync.truncated: CDC returned %d %s objects for realm %s; continuing next time",
                           len(page.entities[name]), name, realm)
            stamps = [t for item in page.entities[name]
                      if (t := _parse_time(str((item.get("MetaData") or {}).get("LastUpdatedTime", "")))) is not None]
            if stamps:
                cursor = min(cursor, max(stamps))
        events.sort(key=lambda e: e.occurred_at)
        return SyncPage(events=events, cursor=cursor)


# --- accounting (what actions write) -------------------------------------------------------------------------

#: Which action input a QuickBooks fault element is about.
FIELD_OF_ELEMENT = {"CustomerRef": "job_id", "DisplayName": "job_id", "PrimaryEmailAddr": "job_id",
                    "BillEmail": "job_id", "CustomerMemo": "notes", "DueDate": "due_in_days"}


class QuickBooksAccounting:
    """`actions.context.Accounting` on QuickBooks Online: find-or-create the customer, create the invoice.

    Args:
        client: The company's API client.
        customer_of: The Backbone customer (name, email) of a draft's ``customer_id``; None if unknown.
        service_item_id: The Item every line is booked on (QuickBooks requires an ItemRef).
        tax_mode: "line" (a "Sales tax" line on ``tax_item_id``) or "txn" (``TxnTaxDetail.TotalTax``).
        tax_item_id: The Item of the tax line (default: ``service_item_id``).
    """

    def __init__(self, client: QuickBooksClient, customer_of: Callable[[str | None], PartyUpsert | None], *,
                 service_item_id: str = "1", tax_mode: str = "line", tax_item_id: str | None = None) -> None:
        if tax_mode not in ("line", "txn"):
            raise ValueError(f"tax_mode must be 'line' or 'txn', not {tax_mode!r}")
        self.client = client
        self.customer_of = customer_of
        self.service_item_id = service_item_id
        self.tax_mode = tax_mode
        self.tax_item_id = tax_item_id or service_item_id

    def create_invoice(self, request_id: str, draft: InvoiceDraft) -> AccountingReceipt:
        party = self.customer_of(draft.customer_id)
        if party is None:
            raise InputError("job_id", "The job has no customer: QuickBooks needs one to invoice.")
        name = _display_name(party.name or f"Customer {party.source_id}")
        try:
            customer = self.client.find_or_create_customer(f"{request_id}:customer", name, party.email)
            created = self.client.create_invoice(request_id, self.invoice_payload(draft, customer, party.email))
        except ApiError as exc:
            raise _action_error(exc) from exc
        except requests.RequestException as exc:  # anything ApiClient did not already turn into an ApiError
            raise UpstreamUnavailable("QuickBooks could not be reached; try again shortly.") from exc
        remote_id = str(created["Id"])
        doc_number = str(created.get("DocNumber") or remote_id)
        return AccountingReceipt(remote_id=remote_id, doc_number=doc_number, system=NAME)

    def send_invoice(self, remote_id: str, email: str | None, request_id: str) -> SentInvoice:
        """Emails the invoice (``sendTo``, with a requestid) and reads its payment link (``InvoiceLink``).

        The answer's event id is the one `invoice_events` gives the same send (``DeliveryInfo.DeliveryTime``),
        so the webhook QuickBooks posts about it later is a duplicate, not a second invoice.sent.
        """
        try:
            sent = self.client.send_invoice(remote_id, email, rid=request_id)
            link = self.client.invoice_link(remote_id)
        except ApiError as exc:
            raise _send_error(exc) from exc
        except requests.RequestException as exc:  # anything ApiClient did not already turn into an ApiError
            raise UpstreamUnavailable("QuickBooks could not be reached; try again shortly.") from exc
        try:
            invoice = _Invoice.model_validate(sent)
        except ValidationError as exc:
            raise UpstreamUnavailable("QuickBooks answered the send with an invoice not as documented.") from exc
        when = utc(invoice.DeliveryInfo.DeliveryTime if invoice.DeliveryInfo and invoice.DeliveryInfo.DeliveryTime
                   else invoice.MetaData.LastUpdatedTime)
        event_id = entity_event_id(NAME, self.client.realm_id, "invoice", invoice.Id, version(when),
                                   EventType.INVOICE_SENT.value)
        return SentInvoice(payment_link=link, sent_at=when, event_id=event_id)

    def invoice_payload(self, draft: InvoiceDraft, customer: Mapping[str, Any], email: str | None) -> dict[str, Any]:
        """The Invoice create body for a draft."""
        lines = [self._line(d.description, d.quantity, d.unit_price, d.amount, self.service_item_id)
                 for d in draft.lines]
        payload: dict[str, Any] = {
            "CustomerRef": {"value": str(customer["Id"])},
            "TxnDate": utc(draft.issued_at).date().isoformat(),
            "DueDate": utc(draft.due_at).date().isoformat(),
            "CurrencyRef": {"value": draft.currency},
            "PrivateNote": f"Backbone job {draft.job_id}",
        }
        if draft.tax > 0 and self.tax_mode == "line":
            lines.append(self._line("Sales tax", Decimal(1), draft.tax, draft.tax, self.tax_item_id))
        elif draft.tax > 0:
            payload["TxnTaxDetail"] = {"TotalTax": float(_money(draft.tax))}
        payload["Line"] = lines
        if email:
            payload["BillEmail"] = {"Address": email}
        if draft.notes:
            payload["CustomerMemo"] = {"value": draft.notes[:1000]}
        return payload

    @staticmethod
    def _line(description: str, quantity: Decimal, unit_price: Decimal, amount: Decimal, item: str) -> dict[str, Any]:
        amount = _money(amount)
        if quantity and _money(quantity * unit_price) != amount:  # Intuit requires Amount == Qty * UnitPrice
            unit_price = (amount / quantity).quantize(Decimal("0.0000001"), rounding=ROUND_HALF_UP)
        return {"DetailType": "SalesItemLineDetail", "Amount": float(amount), "Description": description[:4000],
                "SalesItemLineDetail": {"ItemRef": {"value": item}, "Qty": float(quantity),
                                        "UnitPrice": float(unit_price)}}

    # -- purchase orders (reorder_stock) -------------------------------------------------------------
    def create_purchase_order(self, request_id: str, order: PurchaseOrderDraft) -> AccountingReceipt:
        """A PurchaseOrder of one SKU: the Item by Sku (else Name), the vendor by name or id (else preferred)."""
        try:
            item = self._item_for(order.sku)
            price = order.unit_cost if order.unit_cost is not None else Decimal(str(item.get("PurchaseCost") or 0))
            line = PurchaseOrderLine(item_id=str(item["Id"]), quantity=order.quantity, unit_price=price,
                                     description=f"{order.description or order.sku}: {order.technician_name}'s truck")
            created = self.client.create_purchase_order(request_id, self._vendor_for(order.vendor, item), [line])
        except ApiError as exc:
            raise _order_error(exc) from exc
        except requests.RequestException as exc:  # anything ApiClient did not already turn into an ApiError
            raise UpstreamUnavailable("QuickBooks could not be reached; try again shortly.") from exc
        remote_id = str(created["Id"])
        return AccountingReceipt(remote_id=remote_id, doc_number=str(created.get("DocNumber") or remote_id),
                                 system=NAME)

    def _first(self, entity: str, column: str, value: str) -> dict[str, Any] | None:
        statement = f"select * from {entity} where {column} = {query_literal(value)}"  # noqa: S608 - escaped literal
        found = self.client.query(statement).get(entity)
        return found[0] if isinstance(found, list) and found and isinstance(found[0], dict) else None

    def _item_for(self, sku: str) -> dict[str, Any]:
        item = self._first("Item", "Sku", sku) or self._first("Item", "Name", sku)
        if item is None:
            raise InputError("parts", f"QuickBooks has no item with SKU or name {sku!r}: add it to Products and "
                             "Services, then replay.")
        return item

    def _vendor_for(self, vendor: str | None, item: Mapping[str, Any]) -> str:
        if vendor:
            found = self._first("Vendor", "DisplayName", vendor)
            if found is None and ID_RE.fullmatch(vendor):
                found = self._first("Vendor", "Id", vendor)
            if found is None:
                raise InputError("vendor", f"QuickBooks has no vendor named {vendor!r}.")
            return str(found["Id"])
        preferred = (item.get("PrefVendorRef") or {}).get("value")
        if not preferred:
            raise InputError("vendor", f"Name the vendor: QuickBooks needs one for a purchase order, and item "
                             f"{item.get('Name')!r} has no preferred vendor.")
        return str(preferred)


def _order_error(exc: ApiError) -> Exception:
    """A purchase-order create QuickBooks refused, as the action's error."""
    if isinstance(exc, Unauthorized) or exc.retryable:
        return _action_error(exc)
    fault = fault_of(exc.body)
    element = fault.element.split(".")[0] if fault else ""
    said = " ".join(p for p in (fault.message, f"({fault.detail})" if fault.detail else "") if p) if fault else ""
    return InputError("vendor" if element == "VendorRef" else "parts",
                      f"QuickBooks rejected the purchase order: {said or exc.status or exc.code}")


def _display_name(name: str) -> str:
    """A DisplayName QuickBooks accepts: no colon, tab or newline; at most 500 characters."""
    cleaned = " ".join(re.sub(r"[:\t\r\n]", " ", name).split())[:500]
    if not cleaned:
        raise InputError("job_id", "The job's customer has no name: QuickBooks needs one.")
    return cleaned


def _action_error(exc: ApiError) -> Exception:
    if isinstance(exc, Unauthorized):
        return UpstreamUnavailable("QuickBooks refused Backbone's access: reconnect QuickBooks, then replay.")
    if exc.retryable:
        return UpstreamUnavailable("QuickBooks is unavailable or busy; try again shortly.",
                                   retry_after=exc.retry_after)
    fault = fault_of(exc.body)
    if fault is None:
        return InputError("job_id", f"QuickBooks refused the invoice ({exc.status or exc.code}).")
    element = fault.element.split(".")[0]
    said = " ".join(p for p in (fault.message, f"({fault.detail})" if fault.detail else "") if p)
    return InputError(FIELD_OF_ELEMENT.get(element, "job_id"), f"QuickBooks rejected the invoice: {said}")


def _send_error(exc: ApiError) -> Exception:
    """An invoice send QuickBooks refused, as the action's error (a bad address names `email`)."""
    if isinstance(exc, Unauthorized) or exc.retryable:
        return _action_error(exc)
    fault = fault_of(exc.body)
    said = " ".join(p for p in (fault.message, f"({fault.detail})" if fault.detail else "") if p) if fault else ""
    element = fault.element.split(".")[0] if fault else ""
    field = "email" if element in ("BillEmail", "sendTo") or "mail" in said.lower() else "job_id"
    return InputError(field, f"QuickBooks could not send the invoice: {said or exc.status or exc.code}")
