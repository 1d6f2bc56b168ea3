"""ServiceTitan: per-tenant client credentials, V2 webhooks with an optional HMAC, catch-up by modification time.

Connecting (credentials grant). A ServiceTitan company connects Backbone's app to its tenant in
*Settings > Integrations > API Application Access* and enters three values here: its **tenant
id**, and the **client id** and **client secret** ServiceTitan generated for that connection.
Backbone's own **app key** (``ProviderApp.app_key``) goes with every call as ``ST-App-Key``.
Access tokens come from the OAuth 2 client-credentials grant at ``ProviderApp.token_url``
(``https://auth.servicetitan.io/connect/token``, client id and secret in the form body); they
live 15 minutes and carry no refresh token. The connector's token layer fetches and caches them
(`ServiceTitanAdapter.oauth`); this module only reads ``connection.tokens.access_token()``.

API (``ProviderApp.api_url``, ``https://api.servicetitan.io``; the tenant is in every path;
``Authorization: Bearer <token>`` and ``ST-App-Key``). Lists answer
``{"page", "pageSize", "hasMore", "totalCount", "data": [...]}`` and take ``page``/``pageSize``;
the catch-up sync reads every page of ``modifiedOnOrAfter`` lists:

* ``GET /jpm/v2/tenant/{t}/jobs/{id}`` and ``/jobs?modifiedOnOrAfter=`` - a job: ``id``,
  ``jobNumber``, ``customerId``, ``jobStatus`` (Scheduled, Dispatched, InProgress, Hold,
  Completed, Canceled), ``priority``, ``summary``, ``lastAppointmentId``, ``createdOn``,
  ``modifiedOn`` (UTC).
* ``GET /jpm/v2/tenant/{t}/appointments?jobId=`` / ``?modifiedOnOrAfter=`` - the job's visits:
  ``start``, ``end``, ``status`` (Scheduled, Dispatched, Working, Hold, Done, Canceled),
  ``modifiedOn``. A job's schedule is its last appointment's.
* ``GET /dispatch/v2/tenant/{t}/appointment-assignments?jobId=`` - who is on it:
  ``technicianId``, ``technicianName``, ``appointmentId``, ``assignedOn``, ``active``.
* ``GET /crm/v2/tenant/{t}/customers/{id}`` - ``name`` and ``address`` (with lat/long).
* ``GET /accounting/v2/tenant/{t}/invoices?ids=`` / ``?modifiedOnOrAfter=`` - ``referenceNumber``,
  ``invoiceDate``, ``dueDate``, ``total``/``balance`` (decimal strings), ``customer``, ``job``.
* ``GET /settings/v2/tenant/{t}/business-units?pageSize=1`` - the connection check (ServiceTitan
  has no "who am I"); the tenant's name is read from ``data[0].tenant.name`` when there, else
  the account is named after its tenant id.
* ``POST /jpm/v2/tenant/{t}/jobs/{id}/notes`` ``{"text", "pinToTop"}`` - the write-back
  (`ServiceTitanClient.add_job_note`). ServiceTitan takes no idempotency key, so it is never retried.

Paths and fields are ServiceTitan's published v2 OpenAPI (as the generated SDKs carry it).

Webhooks (V2). ServiceTitan POSTs each subscribed event as JSON. The **HMAC key is optional**
in ServiceTitan (set per app in the developer portal); Backbone requires it: configure the same
key as ``BACKBONE_SERVICETITAN__WEBHOOK_SECRET``. **Without it every delivery is refused**
(`verify` fails closed; `webhook_secret` then answers an empty string, never None, because the
key is app-wide, not per connection). ServiceTitan's public pages leave the signature's header
and encoding open, so both are settings: ``ProviderApp.signature_header`` (default
``X-ServiceTitan-Signature``) and ``ProviderApp.signature_encoding`` (``base64``, the default,
or ``hex``) of HMAC-SHA256(key, raw body). The body assumed (also left open by the public pages,
whose V2 payloads "align with the API models")::

    {"eventId": "...", "eventType": "job.completed", "tenantId": 1234567,
     "createdOn": "2026-11-25T14:05:00Z", "data": {<the job/appointment/invoice as the API returns it>}}

The tenant (`Notification.account_id`) comes from ``tenantId``. Event types are matched by their
first segment, case-insensitively: ``job.*`` and ``appointment.*`` (item: the job,
``data.jobId``) and ``invoice.*``; other entities are acknowledged and ignored. The job model
carries neither schedule nor technician, so deliveries are **thin**: `hydrate` fetches the job
with its appointments, assignments and customer.

Canonical events come from the item's state, never from the event type, so a webhook and the
catch-up sync that see the same version yield the same events and ids: Canceled ->
job.cancelled; Completed (or an appointment Done) -> job.completed; InProgress / Working ->
job.arrived; Dispatched -> job.en_route (ServiceTitan's "dispatched" is the technician driving
there); Scheduled with an appointment -> job.scheduled; Hold -> nothing. A job not yet under way
also yields job.created, versioned by its ``createdOn`` (that fact never changes). A job's
version is the latest of its ``modifiedOn``, its appointments' ``modifiedOn`` and its
assignments' ``assignedOn``. An invoice with a zero balance is invoice.paid, else invoice.created.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from connector.config import ServiceTitanApp
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
    OAuthEndpoints,
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
    from connector.providers.base import Connection, Headers

logger = logging.getLogger(__name__)

NAME = "servicetitan"
#: Items per list page (ServiceTitan allows up to 5000; smaller pages retry cheaper).
PAGE_SIZE = 200
#: A list is read at most this many pages per call; past it the sync logs and goes on next time.
MAX_PAGES = 100
#: The first catch-up sync of a connection looks back this far.
FIRST_LOOK_BACK = timedelta(days=7)
#: Job statuses after which no job.created is emitted (the job is under way or over).
_UNDER_WAY = frozenset({"dispatched", "inprogress", "working", "completed", "done", "canceled"})
_PRIORITY = {"urgent": "P1", "emergency": "P1", "high": "P2", "normal": "P3", "low": "P3"}


# -- parsing helpers ---------------------------------------------------------------------------
def _assume_utc(value: datetime) -> datetime:
    # ServiceTitan documents every timestamp as UTC; one sent without an offset is UTC too.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _id(value: Any) -> Any:
    # ServiceTitan ids are int64 in JSON; Backbone keeps them as strings.
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


Time = Annotated[datetime, AfterValidator(_assume_utc)]
Id = Annotated[str, BeforeValidator(_id), Field(min_length=1, max_length=40, pattern=r"^[0-9]+$")]
M = TypeVar("M", bound=BaseModel)


def version_of(moment: datetime) -> str:
    """The version string of an item last changed at `moment` (UTC, microseconds, fixed width)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def query_time(moment: datetime) -> str:
    """A ``modifiedOnOrAfter`` value: UTC, floored to the second (never skips an item)."""
    return moment.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def sign(secret: str, body: bytes, encoding: str = "base64") -> str:
    """The signature ServiceTitan sends for `body`: HMAC-SHA256 under the app's HMAC key."""
    return hmac_sha256(secret, body, encoding)


# -- webhook body ----------------------------------------------------------------------------
class _EventData(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: Id
    jobId: Id | None = None
    modifiedOn: Time | None = None


class _Delivery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    eventId: Annotated[str, BeforeValidator(_id), Field(min_length=1, max_length=100)]
    eventType: str = Field(min_length=3, max_length=100, pattern=r"^[A-Za-z][A-Za-z0-9_]*\.[A-Za-z0-9_.]+$")
    tenantId: Id
    createdOn: Time | None = None
    data: dict[str, Any]


def _reject(message: str, field: str, problem: str) -> WebhookRejected:
    return WebhookRejected(422, "invalid_payload", message, [{"field": field, "message": problem}])


def parse_delivery(body: bytes) -> list[Notification]:
    """The notification in one verified ServiceTitan delivery ([] for an entity Backbone ignores)."""
    delivery = read_body(_Delivery, body, "a ServiceTitan event")
    entity, _, action = delivery.eventType.lower().partition(".")
    entity = entity.removesuffix("s")
    if entity not in ("job", "appointment", "invoice"):
        return []  # an entity Backbone does not use: acknowledged, not stored
    try:
        data = _EventData.model_validate(delivery.data)
    except ValidationError as exc:
        fields = [{"field": f"data.{f['field']}", "message": f["message"]} for f in validation_fields(exc)]
        raise WebhookRejected(422, "invalid_payload", "The event's data is not a ServiceTitan item.", fields) from exc
    if entity == "appointment":
        if data.jobId is None:
            raise _reject("An appointment event needs data.jobId.", "data.jobId", "This field is required.")
        item_id = data.jobId
    else:
        item_id = data.id
    occurred = data.modifiedOn or delivery.createdOn
    if occurred is None:
        raise _reject("The event carries no time.", "createdOn", "This field is required.")
    return [Notification(
        account_id=delivery.tenantId,
        topic=f"{entity}.{action}",
        item_id=item_id,
        occurred_at=occurred,
        dedupe_key=f"{NAME}:{delivery.tenantId}:{delivery.eventId}",
    )]


# -- API models (lenient: extra fields ignored, only what Backbone reads) ----------------------
class _Api(BaseModel):
    model_config = ConfigDict(extra="ignore")


class StJob(_Api):
    id: Id
    jobNumber: str | None = None
    customerId: Id | None = None
    jobStatus: str = ""
    priority: str | None = None
    summary: str | None = None
    lastAppointmentId: Id | None = None
    createdOn: Time
    modifiedOn: Time


class StAppointment(_Api):
    id: Id
    jobId: Id
    start: Time | None = None
    end: Time | None = None
    status: str = ""
    modifiedOn: Time | None = None


class StAssignment(_Api):
    technicianId: Id
    technicianName: str | None = None
    appointmentId: Id | None = None
    assignedOn: Time | None = None
    active: bool = True


class _Address(_Api):
    street: str | None = None
    unit: str | None = None
    city: str | None = None
    state: str | None = None
    zip: str | None = None
    latitude: float | None = None
    longitude: float | None = None


class StCustomer(_Api):
    id: Id
    name: str | None = None
    address: _Address | None = None


class _Named(_Api):
    id: Id
    name: str | None = None


class StInvoice(_Api):
    id: Id
    referenceNumber: str | None = None
    invoiceDate: Time | None = None
    dueDate: Time | None = None
    total: Decimal | None = None
    balance: Decimal | None = None
    customer: _Named | None = None
    job: _Named | None = None
    modifiedOn: Time


def _model(model: type[M], raw: Any, what: str) -> M:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise UpstreamError(f"ServiceTitan answered a {what} Backbone cannot read: {exc.error_count()} problem(s)",
                            code="invalid_response", retryable=False) from exc


# -- API client -----------------------------------------------------------------------------
class ServiceTitanClient:
    """ServiceTitan's API for one connected tenant.

    Args:
        connection: The connection: its app (URL, app key), tokens, credentials (``tenant_id``)
            and rate budget.

    Raises:
        ClientError: The tenant id is not a number (the connect form shows it as a form error).
        page_size: Items asked for per list page.
        **http: Passed to `ApiClient` (``timeout``, ``policy``, ``sleep``, ``rng``, ``session``).
    """

    def __init__(self, connection: Connection, *, page_size: int = PAGE_SIZE, **http: Any) -> None:
        tenant = (connection.credentials.get("tenant_id") or connection.account_id or "").strip()
        if not tenant.isdigit() or len(tenant) > 20:
            raise ClientError("The ServiceTitan tenant ID is a number (Settings > Integrations).", status=400,
                              code="invalid_tenant")
        self.tenant = tenant
        self.page_size = page_size
        tokens = connection.tokens
        self.api = ApiClient(
            connection.app.api_url,
            auth=lambda: {"Authorization": f"Bearer {tokens.access_token()}"},
            on_unauthorized=tokens.invalidate,
            budget=connection.budget,
            budget_key=connection.install_id if connection.budget is not None else "",
            default_headers={"ST-App-Key": connection.app.app_key, "Accept": "application/json"},
            **http,
        )

    def close(self) -> None:
        self.api.close()

    def path(self, service: str, rest: str) -> str:
        """``/{service}/v2/tenant/{tenant}/{rest}``."""
        return f"/{service}/v2/tenant/{self.tenant}/{rest}"

    # -- reads --------------------------------------------------------------------------------
    def pages(self, path: str, params: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
        """Every item of a paged list, page after page while ``hasMore``."""
        for page in range(1, MAX_PAGES + 1):
            answer = self.api.get_json(path, params={**params, "page": page, "pageSize": self.page_size}) or {}
            yield from answer.get("data") or []
            if not answer.get("hasMore"):
                return
        logger.warning("servicetitan list %s: stopped after %d pages; the next sync goes on", path, MAX_PAGES)

    def get_job(self, job_id: str) -> StJob:
        return _model(StJob, self.api.get_json(self.path("jpm", f"jobs/{job_id}")), "job")

    def jobs_modified_since(self, since: datetime) -> list[StJob]:
        items = self.pages(self.path("jpm", "jobs"), {"modifiedOnOrAfter": query_time(since)})
        return [_model(StJob, item, "job") for item in items]

    def appointments_for_job(self, job_id: str) -> list[StAppointment]:
        items = self.pages(self.path("jpm", "appointments"), {"jobId": job_id})
        return [_model(StAppointment, item, "appointment") for item in items]

    def appointments_modified_since(self, since: datetime) -> list[StAppointment]:
        items = self.pages(self.path("jpm", "appointments"), {"modifiedOnOrAfter": query_time(since)})
        return [_model(StAppointment, item, "appointment") for item in items]

    def assignments_for_job(self, job_id: str) -> list[StAssignment]:
        items = self.pages(self.path("dispatch", "appointment-assignments"), {"jobId": job_id})
        return [_model(StAssignment, item, "appointment assignment") for item in items]

    def get_customer(self, customer_id: str) -> StCustomer:
        return _model(StCustomer, self.api.get_json(self.path("crm", f"customers/{customer_id}")), "customer")

    def get_invoice(self, invoice_id: str) -> StInvoice | None:
        """The invoice, or None when ServiceTitan has none with that id (the list has no single GET)."""
        answer = self.api.get_json(self.path("accounting", "invoices"), params={"ids": invoice_id}) or {}
        for item in answer.get("data") or []:
            invoice = _model(StInvoice, item, "invoice")
            if invoice.id == invoice_id:
                return invoice
        return None

    def invoices_modified_since(self, since: datetime) -> list[StInvoice]:
        items = self.pages(self.path("accounting", "invoices"), {"modifiedOnOrAfter": query_time(since)})
        return [_model(StInvoice, item, "invoice") for item in items]

    def tenant_name(self) -> str | None:
        """The tenant's name as its business units carry it (None when they do not say)."""
        answer = self.api.get_json(self.path("settings", "business-units"), params={"page": 1, "pageSize": 1}) or {}
        for unit in answer.get("data") or []:
            tenant = unit.get("tenant") if isinstance(unit, dict) else None
            name = tenant.get("name") if isinstance(tenant, dict) else None
            if isinstance(name, str) and name.strip():
                return name.strip()[:200]
        return None

    # -- writes -------------------------------------------------------------------------------
    def add_job_note(self, job_id: str, text: str, *, pin_to_top: bool = False) -> dict[str, Any]:
        """Adds a note to a job; ServiceTitan answers the note (``text``, ``createdOn``, ...).

        Not retried on a timeout or 5xx: ServiceTitan takes no idempotency key, and the note may
        have been written (the error says ``retryable=False``).
        """
        answer = self.api.post_json(self.path("jpm", f"jobs/{job_id}/notes"), {"text": text, "pinToTop": pin_to_top})
        return answer if isinstance(answer, dict) else {}

    # -- normalized --------------------------------------------------------------------------
    def job_events(self, job_id: str, *, job: StJob | None = None,
                   customers: dict[str, StCustomer] | None = None) -> list[NormalizedEvent]:
        """The canonical events the job's current state says (see the module docstring)."""
        job = job or self.get_job(job_id)
        appointments = self.appointments_for_job(job.id)
        assignments = self.assignments_for_job(job.id)
        customer = None
        if job.customerId is not None:
            cache = customers if customers is not None else {}
            if job.customerId not in cache:
                cache[job.customerId] = self.get_customer(job.customerId)
            customer = cache[job.customerId]
        return job_events(self.tenant, job, appointments, assignments, customer)


# -- normalization ----------------------------------------------------------------------------
def _current(job: StJob, appointments: list[StAppointment]) -> StAppointment | None:
    for appointment in appointments:
        if appointment.id == job.lastAppointmentId:
            return appointment
    dated = [a for a in appointments if a.start is not None]
    return max(dated, key=lambda a: a.start or datetime.min.replace(tzinfo=UTC)) if dated else None


def _customer_party(customer: StCustomer | None) -> PartyUpsert | None:
    if customer is None:
        return None
    address = customer.address
    line = None
    if address is not None:
        street = " ".join(p for p in (address.street, address.unit) if p)
        region = " ".join(p for p in (address.state, address.zip) if p)
        line = ", ".join(p for p in (street, address.city, region) if p) or None
    return PartyUpsert(
        source_id=customer.id, name=customer.name, address=line,
        lat=address.latitude if address else None, lng=address.longitude if address else None,
    )


def _technician(appointment: StAppointment | None, assignments: list[StAssignment]) -> PartyUpsert | None:
    active = [a for a in assignments if a.active]
    if appointment is not None:
        active = [a for a in active if a.appointmentId in (None, appointment.id)] or active
    if not active:
        return None
    first = active[0]
    return PartyUpsert(source_id=first.technicianId, name=first.technicianName)


def _status_event(job: StJob, appointment: StAppointment | None) -> EventType | None:
    status = job.jobStatus.replace(" ", "").lower()
    visit = appointment.status.replace(" ", "").lower() if appointment else ""
    if status == "canceled":
        return EventType.JOB_CANCELLED
    if status == "completed" or visit == "done":
        return EventType.JOB_COMPLETED
    if status == "inprogress" or visit == "working":
        return EventType.JOB_ARRIVED
    if status == "dispatched" or visit == "dispatched":
        return EventType.JOB_EN_ROUTE
    if status == "scheduled" and appointment is not None and appointment.start is not None:
        return EventType.JOB_SCHEDULED
    return None  # Hold, or not yet booked: nothing canonical


def _job_version(job: StJob, appointments: list[StAppointment], assignments: list[StAssignment]) -> datetime:
    moments = [job.modifiedOn]
    moments += [a.modifiedOn for a in appointments if a.modifiedOn is not None]
    moments += [a.assignedOn for a in assignments if a.assignedOn is not None]
    return max(moments)


def job_events(tenant: str, job: StJob, appointments: list[StAppointment], assignments: list[StAssignment],
               customer: StCustomer | None) -> list[NormalizedEvent]:
    """The canonical events of one version of a job (job.created first when it applies)."""
    appointment = _current(job, appointments)
    upsert = JobUpsert(
        source_id=job.id,
        priority=_PRIORITY.get((job.priority or "").lower()),
        description=job.summary[:5000] if job.summary else None,
        scheduled_start=appointment.start if appointment else None,
        scheduled_end=appointment.end if appointment else None,
        customer=_customer_party(customer),
        technician=_technician(appointment, assignments),
    )
    extra = {"job_number": job.jobNumber or "", "status": job.jobStatus}
    events = []
    status = job.jobStatus.replace(" ", "").lower()
    visit = appointment.status.replace(" ", "").lower() if appointment else ""
    if status not in _UNDER_WAY and visit not in _UNDER_WAY:
        events.append(_job_event(tenant, job.id, EventType.JOB_CREATED, job.createdOn, upsert, extra))
    kind = _status_event(job, appointment)
    if kind is not None:
        events.append(_job_event(tenant, job.id, kind, _job_version(job, appointments, assignments), upsert, extra))
    return events


def _job_event(tenant: str, job_id: str, kind: EventType, moment: datetime, upsert: JobUpsert,
               extra: dict[str, str]) -> NormalizedEvent:
    return NormalizedEvent(
        event_id=entity_event_id(NAME, tenant, "job", job_id, version_of(moment), kind.value),
        type=kind, occurred_at=moment, source=NAME, job=upsert, raw_topic=f"job.{extra['status'] or 'unknown'}",
        extra=dict(extra),
    )


def invoice_event(tenant: str, invoice: StInvoice) -> NormalizedEvent:
    """The canonical event of one version of an invoice: paid when nothing is left to pay."""
    total, balance = invoice.total, invoice.balance
    paid = total is not None and balance is not None and total > 0 and balance <= 0
    kind = EventType.INVOICE_PAID if paid else EventType.INVOICE_CREATED
    amount_paid = None
    if total is not None and balance is not None:
        try:
            amount_paid = max(total - balance, Decimal(0))
        except InvalidOperation:  # pragma: no cover - Decimal arithmetic on parsed values
            amount_paid = None
    update = InvoiceUpdate(
        source_id=invoice.id, amount_paid=amount_paid, number=invoice.referenceNumber, total=total, balance=balance,
        issued_at=invoice.invoiceDate, due_at=invoice.dueDate,
        customer=PartyUpsert(invoice.customer.id, invoice.customer.name) if invoice.customer else None,
        job_source_id=invoice.job.id if invoice.job else None,
    )
    return NormalizedEvent(
        event_id=entity_event_id(NAME, tenant, "invoice", invoice.id, version_of(invoice.modifiedOn), kind.value),
        type=kind, occurred_at=invoice.modifiedOn, source=NAME, invoice=update, raw_topic=f"invoice.{kind.value}",
    )


# -- the adapter ----------------------------------------------------------------------------
class ServiceTitanAdapter:
    """ServiceTitan as a `ProviderAdapter` (see the module docstring for the wire format).

    Args:
        app: Where the signature header and encoding default from when `verify` is given no
            app (ServiceTitan's documented defaults otherwise).
    """

    name = NAME
    label = "ServiceTitan"
    kind = "fsm"
    grant = Grant.CREDENTIALS
    credential_fields = (
        CredentialField("tenant_id", "Tenant ID", secret=False,
                        help="Your ServiceTitan tenant number (Settings > Integrations > API Application Access)."),
        CredentialField("client_id", "Client ID", secret=False,
                        help="The client ID ServiceTitan shows when you connect the Backbone app."),
        CredentialField("client_secret", "Client secret",
                        help="The client secret ServiceTitan generates for that connection."),
    )

    def __init__(self, app: ProviderApp | None = None) -> None:
        self.app = app if app is not None else ServiceTitanApp()

    def oauth(self, app: ProviderApp) -> OAuthEndpoints:
        """Client credentials at the app's token URL, client id and secret in the form body."""
        method = "client_secret_post"  # an auth method's name (client id and secret in the form)
        return OAuthEndpoints(token_url=app.token_url, token_endpoint_auth_method=method)

    def webhook_secret(self, app: ProviderApp) -> str:
        """The app's HMAC key; empty when none is configured (then every delivery is refused)."""
        return app.webhook_secret

    def account_id(self, headers: Headers) -> str | None:
        """None: the key is app-wide, and the tenant is only in the body (``tenantId``)."""
        return None

    def verify(self, secret: str, headers: Headers, body: bytes, app: ProviderApp | None = None) -> bool:
        """HMAC-SHA256 of the raw body under `secret`, in the configured header and encoding.

        Fails closed: no secret, no header or a different signature is False.
        """
        app = app if app is not None else self.app
        header = app.signature_header or ServiceTitanApp().signature_header
        given = (headers.get(header) or "").strip()
        if not secret or not given:
            return False
        expected = sign(secret, body, app.signature_encoding)
        if app.signature_encoding == "hex":
            given = given.lower()
        return constant_time_equals(given, expected)

    def parse(self, body: bytes) -> list[Notification]:
        return parse_delivery(body)

    def client(self, connection: Connection) -> ServiceTitanClient:
        return ServiceTitanClient(connection)

    def account(self, client: ServiceTitanClient, callback: Mapping[str, str]) -> AccountInfo:
        """Checks the entered credentials with one call; a wrong tenant or credential raises.

        Raises:
            ClientError: The tenant id entered is not the one the client is for, or ServiceTitan
                refused the tenant (403: the app is not connected to it).
            Unauthorized: ServiceTitan refused the token or the app key.
        """
        entered = (callback.get("tenant_id") or "").strip()
        if entered and entered != client.tenant:
            raise ClientError(f"tenant {entered} is not the connection's tenant", status=400, code="tenant_mismatch")
        name = client.tenant_name()
        return AccountInfo(account_id=client.tenant, name=name or f"ServiceTitan tenant {client.tenant}")

    def hydrate(self, client: ServiceTitanClient, notification: Notification) -> list[NormalizedEvent]:
        """Fetches the job (with its visits, technicians, customer) or invoice a delivery names."""
        try:
            if notification.topic.startswith("invoice."):
                invoice = client.get_invoice(notification.item_id)
                return [invoice_event(client.tenant, invoice)] if invoice is not None else []
            return client.job_events(notification.item_id)
        except ClientError as exc:
            if exc.status == 404:  # deleted since: nothing left to say
                return []
            raise

    def changes_since(self, client: ServiceTitanClient, since: datetime | None, now: datetime) -> SyncPage:
        """Jobs (or their appointments) and invoices modified since `since`, every page."""
        start = since if since is not None else now - FIRST_LOOK_BACK
        jobs: dict[str, StJob | None] = {job.id: job for job in client.jobs_modified_since(start)}
        for appointment in client.appointments_modified_since(start):
            jobs.setdefault(appointment.jobId, None)
        customers: dict[str, StCustomer] = {}
        events: list[NormalizedEvent] = []
        for job_id, job in jobs.items():
            try:
                found = client.job_events(job_id, job=job, customers=customers)
            except ClientError as exc:
                if exc.status != 404:
                    raise
                continue
            # A job.created older than the window was seen before (or predates the connection).
            events += [e for e in found if e.type is not EventType.JOB_CREATED or e.occurred_at >= start]
        events += [invoice_event(client.tenant, invoice) for invoice in client.invoices_modified_since(start)]
        events.sort(key=lambda e: e.occurred_at)
        return SyncPage(events=events, cursor=now)
