"""Housecall Pro: a company API key, fat signed webhooks, catch-up through the jobs list by ``updated_at``.

Connecting (credentials grant). A company on a plan with API access makes an API key in
Housecall Pro (*App Store > API*) and enters it here (``api_key``). Every call carries
``Authorization: Token <api_key>`` (Housecall Pro's v1 OpenAPI, security scheme "Company API
Key": ``Authorization`` header, value ``Token {api-key}``). There is no OAuth (`oauth` is None)
and nothing to refresh: a 401 means the key is wrong or revoked and raises `Unauthorized`.

API (``ProviderApp.api_url``, ``https://api.housecallpro.com``), from the same OpenAPI document:

* ``GET /company`` - ``{"id", "name", ...}``: the connection check (`account`).
* ``GET /jobs/{id}`` - a job: ``id``, ``description``, ``customer`` (embedded: names, email,
  phones), ``address``, ``notes`` ``[{id, content}]``, ``work_status`` ("needs scheduling",
  "scheduled", "in progress", "complete rated", "complete unrated", "user canceled",
  "pro canceled"), ``work_timestamps`` ``{on_my_way_at, started_at, completed_at}``,
  ``schedule`` ``{scheduled_start, scheduled_end, arrival_window}``, ``total_amount`` and
  ``outstanding_balance`` (cents), ``assigned_employees``, ``job_fields.job_type``,
  ``created_at``, ``updated_at``, ``canceled_at``, ``deleted_at``, ``company_id``.
* ``GET /jobs?page=&page_size=&sort_by=updated_at&sort_direction=desc`` -
  ``{"page", "page_size", "total_pages", "total_items", "jobs": [...]}``; the catch-up sync pages
  through it newest first and stops at the first job older than its cursor.
* ``GET /customers/{id}``, ``GET /jobs/{job_id}/invoices`` (``{"invoices": [...]}``, amounts in cents).
* ``POST /jobs/{job_id}/notes`` ``{"content"}`` -> 201 ``{"id", "content"}``: the write-back
  (`HousecallProClient.add_job_note`), never retried (no idempotency key).

Timestamps without an offset (the schema describes some as ``YYYY-MM-DDTHH:MM:SS``) are taken as UTC.

Webhooks. Housecall Pro POSTs each event with the item in the body (**fat**: `parse` sets
`Notification.event`, no API call). The envelope assumed (the issue's shape; ``company_id``
is also on every job and invoice)::

    {"id": "evt_...", "event": "job.completed", "created_at": "...Z", "company_id": "...",
     "data": {<the job or invoice as the API returns it>}}

(the item may also come under ``job`` / ``invoice`` instead of ``data``). The account is
``company_id``, from the envelope or else from the item. Job topics: job.created,
job.scheduled, job.appointment.scheduled / rescheduled, job.on_my_way, job.started,
job.completed, job.canceled, job.deleted, job.updated; invoice topics: invoice.created,
invoice.sent, invoice.paid; others are acknowledged and ignored.

Signature: HMAC-SHA256 under the webhook signing secret (``ProviderApp.webhook_secret``, taken as
app-wide), in ``ProviderApp.signature_header`` (default ``Api-Signature``), encoded per
``ProviderApp.signature_encoding`` (default ``hex``). The signed string defaults to
``"{timestamp}.{raw body}"`` with the timestamp from the ``Api-Timestamp`` header, the scheme
Housecall Pro's webhook guide is understood to give; no stored copy of that guide could be
checked (its OpenAPI document only has ``/webhooks/subscription``), so the timestamp header is a
setting of the adapter (``HousecallProAdapter(timestamp_header="")`` signs the raw body alone).
No timestamp-age check: a replayed delivery carries the same event id and is stored once. With
no secret configured every delivery is refused.

Canonical events come from the job's state, so a webhook and the catch-up sync that see the
same version of a job give the same event id: canceled -> job.cancelled; complete ->
job.completed; started (``started_at``, or "in progress") -> job.arrived; ``on_my_way_at`` ->
job.en_route; scheduled with a start -> job.scheduled; each versioned by ``updated_at``. A job
not yet under way also has job.created, versioned by ``created_at``. A job.created delivery
carries that event, any other job delivery the state's event. Invoices come only by webhook:
the topic is the event, versioned by ``updated_at`` (else the time the topic implies).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from connector.config import HousecallProApp
from connector.crypto import constant_time_equals
from connector.errors import validation_fields
from connector.providers.base import (
    AccountInfo,
    CredentialField,
    Grant,
    InvoiceUpdate,
    JobUpsert,
    NormalizedEvent,
    Notification,
    PartyUpsert,
    SyncPage,
    WebhookRejected,
    entity_event_id,
    hmac_sha256,
    read_body,
)
from connector.providers.http import ApiClient, ClientError, UpstreamError
from triggers.canonical import EventType

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from connector.config import ProviderApp
    from connector.providers.base import Connection, Headers, OAuthEndpoints

logger = logging.getLogger(__name__)

NAME = "housecallpro"
TIMESTAMP_HEADER = "Api-Timestamp"
#: Jobs asked for per list page.
PAGE_SIZE = 100
#: The jobs list is read at most this many pages per sync; past it the next sync goes on.
MAX_PAGES = 100
#: The first catch-up sync of a connection looks back this far.
FIRST_LOOK_BACK = timedelta(days=7)
JOB_TOPICS = frozenset({
    "job.created", "job.scheduled", "job.appointment.scheduled", "job.appointment.rescheduled", "job.on_my_way",
    "job.started", "job.completed", "job.canceled", "job.deleted", "job.updated",
})
INVOICE_TOPICS = {
    "invoice.created": EventType.INVOICE_CREATED,
    "invoice.sent": EventType.INVOICE_SENT,
    "invoice.paid": EventType.INVOICE_PAID,
}
_CANCELLED = frozenset({"user canceled", "pro canceled", "canceled", "cancelled"})
_COMPLETE = frozenset({"complete rated", "complete unrated", "complete", "completed"})
_NOT_STARTED = frozenset({"needs scheduling", "unscheduled", "scheduled", ""})
M = TypeVar("M", bound=BaseModel)


# -- models ---------------------------------------------------------------------------------
def _blank_none(value: Any) -> Any:
    return None if value == "" else value


def _assume_utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


Time = Annotated[datetime | None, BeforeValidator(_blank_none), AfterValidator(_assume_utc)]
Id = Annotated[str, Field(min_length=1, max_length=100)]
Short = Annotated[str | None, Field(max_length=320)]
Long = Annotated[str | None, Field(max_length=20000)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


class HcpPerson(_Model):
    """A customer or employee as a job embeds it."""

    id: Id
    first_name: Short = None
    last_name: Short = None
    company: Short = None
    email: Short = None
    mobile_number: Short = None
    home_number: Short = None
    work_number: Short = None


class HcpAddress(_Model):
    street: Short = None
    street_line_2: Short = None
    city: Short = None
    state: Short = None
    zip: Short = None


class HcpSchedule(_Model):
    scheduled_start: Time = None
    scheduled_end: Time = None


class HcpWorkTimestamps(_Model):
    on_my_way_at: Time = None
    started_at: Time = None
    completed_at: Time = None


class HcpNote(_Model):
    id: Short = None
    content: Long = None


class _JobType(_Model):
    name: Short = None


class _JobFields(_Model):
    job_type: _JobType | None = None


class HcpJob(_Model):
    id: Id
    invoice_number: Short = None
    description: Long = None
    customer: HcpPerson | None = None
    address: HcpAddress | None = None
    notes: list[HcpNote] = Field(default_factory=list, max_length=500)
    work_status: Short = None
    work_timestamps: HcpWorkTimestamps = Field(default_factory=HcpWorkTimestamps)
    schedule: HcpSchedule = Field(default_factory=HcpSchedule)
    total_amount: int | None = None
    outstanding_balance: int | None = None
    assigned_employees: list[HcpPerson] = Field(default_factory=list, max_length=200)
    job_fields: _JobFields | None = None
    created_at: Annotated[datetime, AfterValidator(_assume_utc)]
    updated_at: Annotated[datetime, AfterValidator(_assume_utc)]
    canceled_at: Time = None
    deleted_at: Time = None
    company_id: Short = None


class HcpInvoice(_Model):
    id: Id
    job_id: Short = None
    invoice_number: Short = None
    status: Short = None
    amount: int | None = None
    due_amount: int | None = None
    invoice_date: Time = None
    due_at: Time = None
    sent_at: Time = None
    paid_at: Time = None
    updated_at: Time = None
    company_id: Short = None


class _Envelope(_Model):
    id: Annotated[str | None, Field(min_length=1, max_length=100)] = None
    event: str = Field(min_length=3, max_length=100, pattern=r"^[A-Za-z_]+(\.[A-Za-z_]+)+$")
    created_at: Time = None
    company_id: Annotated[str | None, Field(min_length=1, max_length=100)] = None
    data: dict[str, Any] | None = None
    job: dict[str, Any] | None = None
    invoice: dict[str, Any] | None = None


# -- signatures -------------------------------------------------------------------------------
def signed_message(body: bytes, timestamp: str | None) -> bytes:
    """What Housecall Pro signs: ``"{timestamp}.{body}"``, or the body alone without a timestamp."""
    return body if timestamp is None else timestamp.encode() + b"." + body


def sign(secret: str, body: bytes, timestamp: str | None = None, encoding: str = "hex") -> str:
    """The signature of a delivery: HMAC-SHA256 under the signing secret, hex (or base64)."""
    return hmac_sha256(secret, signed_message(body, timestamp), encoding)


def version_of(moment: datetime) -> str:
    """The version string of an item last changed at `moment` (UTC, microseconds, fixed width)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# -- normalization ----------------------------------------------------------------------------
def _status(job: HcpJob) -> str:
    return (job.work_status or "").strip().lower().replace("_", " ")


def _under_way(job: HcpJob) -> bool:
    stamps = job.work_timestamps
    return (_status(job) not in _NOT_STARTED or job.canceled_at is not None or job.deleted_at is not None
            or any((stamps.on_my_way_at, stamps.started_at, stamps.completed_at)))


def _status_event(job: HcpJob) -> EventType | None:
    status, stamps = _status(job), job.work_timestamps
    if status in _CANCELLED or job.canceled_at is not None or job.deleted_at is not None:
        return EventType.JOB_CANCELLED
    if status in _COMPLETE or stamps.completed_at is not None:
        return EventType.JOB_COMPLETED
    if stamps.started_at is not None or (status == "in progress" and stamps.on_my_way_at is None):
        return EventType.JOB_ARRIVED
    if stamps.on_my_way_at is not None:
        return EventType.JOB_EN_ROUTE
    if status == "scheduled" and job.schedule.scheduled_start is not None:
        return EventType.JOB_SCHEDULED
    return None  # needs scheduling: nothing but job.created


def _name(person: HcpPerson) -> str | None:
    return " ".join(p for p in (person.first_name, person.last_name) if p) or person.company


def _party(person: HcpPerson | None, address: HcpAddress | None = None) -> PartyUpsert | None:
    if person is None:
        return None
    line = None
    if address is not None:
        street = ", ".join(p for p in (address.street, address.street_line_2) if p)
        region = " ".join(p for p in (address.state, address.zip) if p)
        line = ", ".join(p for p in (street, address.city, region) if p) or None
    phone = person.mobile_number or person.home_number or person.work_number
    return PartyUpsert(source_id=person.id, name=_name(person), email=person.email, phone=phone, address=line)


def _upsert(job: HcpJob, kind: EventType) -> JobUpsert:
    notes = "\n".join(n.content for n in job.notes if n.content) or None
    job_type = job.job_fields.job_type.name if job.job_fields and job.job_fields.job_type else None
    return JobUpsert(
        source_id=job.id,
        job_type=job_type,
        description=job.description or None,
        scheduled_start=job.schedule.scheduled_start,
        scheduled_end=job.schedule.scheduled_end,
        completion_notes=notes if kind is EventType.JOB_COMPLETED else None,
        customer=_party(job.customer, job.address),
        technician=_party(job.assigned_employees[0]) if job.assigned_employees else None,
    )


def _job_event(account: str, job: HcpJob, kind: EventType, moment: datetime) -> NormalizedEvent:
    return NormalizedEvent(
        event_id=entity_event_id(NAME, account, "job", job.id, version_of(moment), kind.value),
        type=kind, occurred_at=moment, source=NAME, job=_upsert(job, kind),
        raw_topic=f"job.{_status(job).replace(' ', '_') or 'unknown'}",
        extra={"invoice_number": job.invoice_number or "", "work_status": job.work_status or ""},
    )


def job_events(account: str, job: HcpJob) -> list[NormalizedEvent]:
    """The canonical events of one version of a job (job.created first when it applies)."""
    events = []
    if not _under_way(job):
        events.append(_job_event(account, job, EventType.JOB_CREATED, job.created_at))
    kind = _status_event(job)
    if kind is not None:
        events.append(_job_event(account, job, kind, job.updated_at))
    return events


def pick(topic: str, events: list[NormalizedEvent]) -> NormalizedEvent | None:
    """The event a job delivery stands for: job.created for job.created, else the state's."""
    if topic == "job.created":
        created = [e for e in events if e.type is EventType.JOB_CREATED]
        if created:
            return created[0]
    status = [e for e in events if e.type is not EventType.JOB_CREATED]
    return status[-1] if status else None


def _cents(value: int | None) -> Decimal | None:
    return None if value is None else Decimal(value) / 100


def invoice_event(account: str, topic: str, invoice: HcpInvoice, sent_at: datetime | None) -> NormalizedEvent | None:
    """The canonical event of an invoice delivery (None when it carries no time at all)."""
    kind = INVOICE_TOPICS[topic]
    implied = {EventType.INVOICE_PAID: invoice.paid_at, EventType.INVOICE_SENT: invoice.sent_at}.get(kind)
    moment = invoice.updated_at or implied or invoice.invoice_date or sent_at
    if moment is None:
        return None
    amount, due = _cents(invoice.amount), _cents(invoice.due_amount)
    update = InvoiceUpdate(
        source_id=invoice.id, number=invoice.invoice_number, total=amount, balance=due,
        amount_paid=max(amount - due, Decimal(0)) if amount is not None and due is not None else None,
        issued_at=invoice.invoice_date, due_at=invoice.due_at, job_source_id=invoice.job_id,
    )
    return NormalizedEvent(
        event_id=entity_event_id(NAME, account, "invoice", invoice.id, version_of(moment), kind.value),
        type=kind, occurred_at=moment, source=NAME, invoice=update, raw_topic=topic,
    )


# -- webhook body ----------------------------------------------------------------------------
def _reject(message: str, field: str, problem: str) -> WebhookRejected:
    return WebhookRejected(422, "invalid_payload", message, [{"field": field, "message": problem}])


def _item(model: type[M], raw: dict[str, Any], where: str) -> M:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        fields = [{"field": f"{where}.{f['field']}", "message": f["message"]} for f in validation_fields(exc)]
        raise WebhookRejected(422, "invalid_payload", f"The webhook's {where} is not a Housecall Pro item.",
                              fields) from exc


def parse_delivery(body: bytes) -> list[Notification]:
    """The notification in one verified Housecall Pro delivery ([] for a topic Backbone ignores)."""
    envelope = read_body(_Envelope, body, "a Housecall Pro event")
    topic = envelope.event.lower()
    if topic not in JOB_TOPICS and topic not in INVOICE_TOPICS:
        return []  # a topic Backbone does not use: acknowledged, not stored
    entity = topic.split(".", 1)[0]
    where = "data" if envelope.data is not None else entity
    raw = envelope.data if envelope.data is not None else getattr(envelope, entity)
    if raw is None:
        raise _reject(f"A {topic} event needs its {entity} in data.", "data", "This field is required.")
    item: HcpJob | HcpInvoice = _item(HcpJob, raw, where) if entity == "job" else _item(HcpInvoice, raw, where)
    account = envelope.company_id or item.company_id
    if not account:
        raise _reject("The event does not say which company it is for.", "company_id", "This field is required.")
    if envelope.company_id and item.company_id and envelope.company_id != item.company_id:
        raise _reject("company_id does not match the item's.", "company_id", f"Must equal {where}.company_id.")
    if isinstance(item, HcpJob):
        event = pick(topic, job_events(account, item))
    else:
        event = invoice_event(account, topic, item, envelope.created_at)
    if event is None:
        return []  # nothing canonical to say about this version
    key = envelope.id or f"{topic}:{item.id}:{version_of(event.occurred_at)}"
    return [Notification(account_id=account, topic=topic, item_id=item.id, occurred_at=event.occurred_at,
                         dedupe_key=f"{NAME}:{account}:{key}", event=event)]


# -- API client -----------------------------------------------------------------------------
def _model(model: type[M], raw: Any, what: str) -> M:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise UpstreamError(f"Housecall Pro answered a {what} Backbone cannot read: {exc.error_count()} problem(s)",
                            code="invalid_response", retryable=False) from exc


class HousecallProClient:
    """Housecall Pro's API for one company.

    Args:
        connection: The connection: its app (URL), credentials (``api_key``), account (the
            company id) and rate budget. Its token source is not used: the key is the credential.
        page_size: Jobs asked for per list page.
        **http: Passed to `ApiClient` (``timeout``, ``policy``, ``sleep``, ``rng``, ``session``).

    Raises:
        ClientError: The connection has no API key.
    """

    def __init__(self, connection: Connection, *, page_size: int = PAGE_SIZE, **http: Any) -> None:
        key = (connection.credentials.get("api_key") or "").strip()
        if not key:
            raise ClientError("A Housecall Pro connection needs its API key.", status=400, code="missing_api_key")
        self.account_id = connection.account_id
        self.page_size = page_size
        self.api = ApiClient(
            connection.app.api_url,
            auth=lambda: {"Authorization": f"Token {key}"},
            budget=connection.budget,
            budget_key=connection.install_id if connection.budget is not None else "",
            default_headers={"Accept": "application/json"},
            **http,
        )

    def close(self) -> None:
        self.api.close()

    def get_company(self) -> dict[str, Any]:
        answer = self.api.get_json("/company")
        return answer if isinstance(answer, dict) else {}

    def get_job(self, job_id: str) -> HcpJob:
        return _model(HcpJob, self.api.get_json(f"/jobs/{job_id}"), "job")

    def get_customer(self, customer_id: str) -> HcpPerson:
        return _model(HcpPerson, self.api.get_json(f"/customers/{customer_id}"), "customer")

    def job_invoices(self, job_id: str) -> list[HcpInvoice]:
        answer = self.api.get_json(f"/jobs/{job_id}/invoices") or {}
        return [_model(HcpInvoice, item, "invoice") for item in answer.get("invoices") or []]

    def jobs_updated_since(self, since: datetime) -> Iterator[HcpJob]:
        """Jobs updated at or after `since`, newest first: pages until one is older, or none are left."""
        for page in range(1, MAX_PAGES + 1):
            answer = self.api.get_json("/jobs", params={
                "page": page, "page_size": self.page_size, "sort_by": "updated_at", "sort_direction": "desc",
            }) or {}
            for raw in answer.get("jobs") or []:
                job = _model(HcpJob, raw, "job")
                if job.updated_at < since:
                    return
                yield job
            if page >= int(answer.get("total_pages") or 0):
                return
        logger.warning("housecallpro jobs list: stopped after %d pages; the next sync goes on", MAX_PAGES)

    def add_job_note(self, job_id: str, content: str) -> dict[str, Any]:
        """Adds a note to a job; answers the note (``id``, ``content``). Never retried."""
        answer = self.api.post_json(f"/jobs/{job_id}/notes", {"content": content})
        return answer if isinstance(answer, dict) else {}

    def account_for(self, job: HcpJob) -> str:
        return self.account_id or job.company_id or ""


# -- the adapter ----------------------------------------------------------------------------
class HousecallProAdapter:
    """Housecall Pro as a `ProviderAdapter` (see the module docstring for the wire format).

    Args:
        app: Where the signature header and encoding default from when `verify` is given no app.
        timestamp_header: The header whose value is signed before the body (``"{ts}.{body}"``);
            empty to sign the raw body alone.
    """

    name = NAME
    label = "Housecall Pro"
    kind = "fsm"
    grant = Grant.CREDENTIALS
    credential_fields = (
        CredentialField("api_key", "API key",
                        help="Make one in Housecall Pro under App Store > API (MAX plan and up)."),
    )

    def __init__(self, app: ProviderApp | None = None, *, timestamp_header: str = TIMESTAMP_HEADER) -> None:
        self.app = app if app is not None else HousecallProApp()
        self.timestamp_header = timestamp_header

    def oauth(self, app: ProviderApp) -> OAuthEndpoints | None:
        return None

    def webhook_secret(self, app: ProviderApp) -> str:
        """The webhook signing secret; empty when none is configured (then every delivery is refused)."""
        return app.webhook_secret

    def account_id(self, headers: Headers) -> str | None:
        """None: the secret is app-wide, and the company is only in the body (``company_id``)."""
        return None

    def verify(self, secret: str, headers: Headers, body: bytes, app: ProviderApp | None = None) -> bool:
        """HMAC-SHA256 of ``"{timestamp}.{body}"`` (or the body) in the configured header and encoding."""
        app = app if app is not None else self.app
        header = app.signature_header or HousecallProApp().signature_header
        given = (headers.get(header) or "").strip()
        timestamp = None
        if self.timestamp_header:
            timestamp = (headers.get(self.timestamp_header) or "").strip()
            if not timestamp:
                return False
        if not secret or not given:
            return False
        if app.signature_encoding == "hex":
            given = given.lower()
        return constant_time_equals(given, sign(secret, body, timestamp, app.signature_encoding))

    def parse(self, body: bytes) -> list[Notification]:
        return parse_delivery(body)

    def client(self, connection: Connection) -> HousecallProClient:
        return HousecallProClient(connection)

    def account(self, client: HousecallProClient, callback: Mapping[str, str]) -> AccountInfo:
        """The company the entered key belongs to (one call: ``GET /company``).

        Raises:
            Unauthorized: Housecall Pro refused the key.
        """
        company = client.get_company()
        company_id = str(company.get("id") or "").strip()
        if not company_id:
            raise UpstreamError("Housecall Pro answered no company id", code="invalid_response", retryable=False)
        name = str(company.get("name") or "").strip()[:200]
        return AccountInfo(account_id=company_id, name=name or f"Housecall Pro company {company_id}")

    def hydrate(self, client: HousecallProClient, notification: Notification) -> list[NormalizedEvent]:
        """Deliveries are fat: the event they carry; a job delivery without one is fetched again."""
        if notification.event is not None:
            return [notification.event]
        if not notification.topic.startswith("job."):
            return []
        try:
            job = client.get_job(notification.item_id)
        except ClientError as exc:
            if exc.status == 404:
                return []
            raise
        event = pick(notification.topic, job_events(client.account_for(job), job))
        return [event] if event is not None else []

    def changes_since(self, client: HousecallProClient, since: datetime | None, now: datetime) -> SyncPage:
        """Jobs updated since `since` (newest first, stopping at the first older one), normalized."""
        start = since if since is not None else now - FIRST_LOOK_BACK
        events: list[NormalizedEvent] = []
        for job in client.jobs_updated_since(start):
            # A job.created older than the window was seen before (or predates the connection).
            events += [e for e in job_events(client.account_for(job), job)
                       if e.type is not EventType.JOB_CREATED or e.occurred_at >= start]
        events.sort(key=lambda e: e.occurred_at)
        return SyncPage(events=events, cursor=now)
