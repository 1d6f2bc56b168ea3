"""Jobber: marketplace OAuth install, HMAC-signed thin webhooks, GraphQL hydration and catch-up.

Wire format (Jobber Developer Center: "Setting up Webhooks", "API Rate Limits"; the GraphQL schema
as published at API version 2025-01-20 — `WebHookTopicEnum`, `JobStatusTypeEnum`,
`InvoiceStatusTypeEnum`, `JobFilterAttributes`, `JobSortKey`, `jobCreateNote`, `visitComplete`):

* OAuth 2 authorization code at api.getjobber.com/api/oauth/{authorize,token}; the client sends
  its id and secret in the form body. Access tokens live about 60 minutes. Every refresh returns a
  new refresh token and the old one stops working at once, so a refresh must be saved before
  anything else is tried. Scopes are set on the app in the Developer Center, not asked for here.
* Webhooks: `X-Jobber-Hmac-SHA256: base64(HMAC-SHA256(app client secret, raw body))`; the body is
  `{"data": {"webHookEvent": {"topic", "appId", "accountId", "itemId", "occurredAt"}}}`, ids only.
  Apps registered before 2023-12-08 get the old spelling `occuredAt` (still the schema's
  `WebHookPayload` field): both are read. Delivery is at least once; (topic, itemId, occurredAt)
  names one delivery.
* GraphQL: POST to the API URL with `Authorization: Bearer …` and `X-JOBBER-GRAPHQL-VERSION`
  (`GRAPHQL_VERSION`, configurable per adapter). Answers carry `extensions.cost` (requested/actual
  cost, throttleStatus maximumAvailable/currentlyAvailable/restoreRate). A throttled query answers
  `errors[].extensions.code == "THROTTLED"` and ran nothing, so it is retried — any query or
  mutation — after (requestedQueryCost - currentlyAvailable) / restoreRate seconds, within the
  connection's `RetryPolicy`; longer waits raise `RateLimited` with that `retry_after`. The DDoS
  guard (2,500 requests per 5 minutes per app and account) answers HTTP 429; `ApiClient` honours
  it, and the connection's `RateBudget` (key: install id) keeps us under it.
* Mutations report refusals in `userErrors` inside a 200; they become `ClientError(code="user_error")`.

Canonical mapping. Jobber has no job "status" that names a lifecycle step, and `jobStatus`
partly moves with the clock (upcoming → today → late, action_required → requires_invoicing) while
`updatedAt` stays put. The kind of event is therefore read from things that only change with an
edit — `visitsInfo` counts, the visits themselves, and whether the job is closed (`archived`) —
so a webhook hydration and a later catch-up of the same version agree:

    closed (archived), completed (job completedAt or a completed visit)  → job.completed
    closed (archived), never completed                                   → job.cancelled
    open, no incomplete visit left, at least one completed               → job.completed
    open, an incomplete visit with a start time                          → job.scheduled
    open, otherwise (no visits, or only unscheduled ones)                → job.created
    JOB_DESTROY                                                          → job.cancelled

Each state event's version is the job's `updatedAt`. Besides it, every job yields `job.created`
with version = its `createdAt`: the ingest stores that once per job, whichever path sees the job
first, so "job created" also fires for jobs scheduled the moment they were made. The API says
nothing of dispatch, travel or arrival: job.dispatched, job.en_route and job.arrived are never
emitted. The snapshot (JobUpsert): customer from the client (primary email and phone, the
property's address and coordinates, else the billing address), technician = first assigned user
of the next visit, scheduled start/end = the next incomplete scheduled visit (else the last
visit). Visits are read `VISITS_PER_JOB` at a time in Jobber's order (START_AT ascending): a job
with more visits than that before its next one says nothing of its schedule (kept as it was).
VISIT_* topics fetch the visit's job and normalize the job (a visit change bumps it).

Invoices (version = `updatedAt`; plus invoice.created at `createdAt`, as for jobs): draft →
invoice.created; awaiting_payment / sent_not_due / past_due → invoice.sent; paid → invoice.paid;
bad_debt → nothing (Backbone has no written-off event). PAYMENT_* fetch the payment's invoice and
normalize it: a payment that settles it gives invoice.paid; a partial one updates amount paid and
balance under the invoice's current status. CLIENT_* hydrate to nothing without a call: Backbone
has no canonical customer event (the client rides along with its jobs and invoices).
APP_DISCONNECT is an uninstall.

Catch-up (`changes_since`): `JobFilterAttributes` has no `updatedAt`, so jobs are read sorted by
UPDATED_AT descending until a page reaches `since`; invoices use their `updatedAt: {after:}`
filter, all pages. Payments move their invoice's `updatedAt`, and visit changes their job's. With
no `since` the look back is `LOOKBACK` (7 days). The cursor is the newest `updatedAt` seen —
Jobber's own clock, so no skew between our clock and theirs enters it; when nothing changed it
stays at `since` (our clock never moves it forward), and on a first sync that found nothing it is
`now - CLOCK_SKEW_MARGIN`. The connector's sync overlap then re-reads a little before the cursor.
"""

from __future__ import annotations

import base64
import binascii
import logging
import random
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

from pydantic import BaseModel, Field, ValidationError

from connector.crypto import constant_time_equals
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
from connector.providers.http import ApiClient, ClientError, RateLimited, RetryPolicy, UpstreamError
from triggers.canonical import EventType, UtcDateTime

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping

    import requests

    from connector.config import ProviderApp
    from connector.providers.base import Connection, Headers

logger = logging.getLogger(__name__)

NAME = "jobber"
#: The API version every request asks for (Jobber answers 400 without one).
GRAPHQL_VERSION = "2025-01-20"
VERSION_HEADER = "X-JOBBER-GRAPHQL-VERSION"
SIGNATURE_HEADER = "X-Jobber-Hmac-SHA256"
#: A first catch-up looks this far back.
LOOKBACK = timedelta(days=7)
#: A first catch-up that found nothing starts the next one this long before our `now`.
CLOCK_SKEW_MARGIN = timedelta(minutes=5)
#: Page sizes: Jobber prices a connection at `first` x its fields, and refuses a query costing
#: more than the bucket (10,000 points); a job with its visits costs a few hundred.
JOBS_PAGE_SIZE = 10
INVOICES_PAGE_SIZE = 25
VISITS_PER_JOB = 15
USERS_PER_VISIT = 2
DEFAULT_POLICY = RetryPolicy()

JOB_TOPICS = frozenset({"JOB_CREATE", "JOB_UPDATE", "JOB_CLOSED", "JOB_DESTROY"})
VISIT_TOPICS = frozenset({"VISIT_CREATE", "VISIT_UPDATE", "VISIT_COMPLETE"})
INVOICE_TOPICS = frozenset({"INVOICE_CREATE", "INVOICE_UPDATE"})
PAYMENT_TOPICS = frozenset({"PAYMENT_CREATE", "PAYMENT_UPDATE"})
CLIENT_TOPICS = frozenset({"CLIENT_CREATE", "CLIENT_UPDATE"})
UNINSTALL_TOPIC = "APP_DISCONNECT"
#: Topics stored and hydrated; any other is acknowledged and dropped.
TOPICS = JOB_TOPICS | VISIT_TOPICS | INVOICE_TOPICS | PAYMENT_TOPICS | CLIENT_TOPICS | {UNINSTALL_TOPIC}

INVOICE_KINDS = {
    "draft": EventType.INVOICE_CREATED,
    "awaiting_payment": EventType.INVOICE_SENT,
    "sent_not_due": EventType.INVOICE_SENT,
    "past_due": EventType.INVOICE_SENT,
    "paid": EventType.INVOICE_PAID,
}


def sign(secret: str, body: bytes) -> str:
    """The X-Jobber-Hmac-SHA256 value for a body."""
    return hmac_sha256(secret, body)


# -- webhook body ------------------------------------------------------------------------------
Id = Annotated[str, Field(min_length=1, max_length=100)]


class _WebHookEvent(BaseModel):
    topic: str = Field(min_length=1, max_length=80, pattern=r"^[A-Z][A-Z_]*$")
    appId: str | None = Field(None, max_length=200)
    accountId: Id
    itemId: Id
    occurredAt: UtcDateTime | None = None
    occuredAt: UtcDateTime | None = None  # apps registered before 2023-12-08


class _WebHookData(BaseModel):
    webHookEvent: _WebHookEvent


class _Delivery(BaseModel):
    data: _WebHookData


def _rejected(message: str, fields: list[dict[str, str]] | None = None) -> WebhookRejected:
    return WebhookRejected(422, "invalid_payload", message, fields)


# -- API answers (extra fields are ignored) ----------------------------------------------------
class _Email(BaseModel):
    address: str
    primary: bool = False


class _Phone(BaseModel):
    number: str
    primary: bool = False


class _Coordinates(BaseModel):
    latitude: float | None = None
    longitude: float | None = None


class _Address(BaseModel):
    street1: str | None = None
    street2: str | None = None
    city: str | None = None
    province: str | None = None
    postalCode: str | None = None
    country: str | None = None
    coordinates: _Coordinates | None = None

    def line(self) -> str | None:
        parts = [self.street1, self.street2, self.city, " ".join(p for p in (self.province, self.postalCode) if p),
                 self.country]
        text = ", ".join(p.strip() for p in parts if p and p.strip())
        return text or None


class _Client(BaseModel):
    id: str
    name: str | None = None
    emails: list[_Email] = Field(default_factory=list)
    phones: list[_Phone] = Field(default_factory=list)
    billingAddress: _Address | None = None


class _Name(BaseModel):
    full: str | None = None


class _UserEmail(BaseModel):
    raw: str | None = None


class _User(BaseModel):
    id: str
    name: _Name | None = None
    email: _UserEmail | None = None


class _Users(BaseModel):
    nodes: list[_User] = Field(default_factory=list)


class _Visit(BaseModel):
    id: str
    startAt: UtcDateTime | None = None
    endAt: UtcDateTime | None = None
    completedAt: UtcDateTime | None = None
    assignedUsers: _Users | None = None


class _Visits(BaseModel):
    nodes: list[_Visit] = Field(default_factory=list)


class _VisitsInfo(BaseModel):
    incompleteTotal: int = 0
    scheduledCount: int = 0


class _Property(BaseModel):
    id: str | None = None
    address: _Address | None = None


class _Job(BaseModel):
    id: str
    jobNumber: int | None = None
    title: str | None = None
    instructions: str | None = None
    jobStatus: str
    createdAt: UtcDateTime
    updatedAt: UtcDateTime
    completedAt: UtcDateTime | None = None
    client: _Client | None = None
    property: _Property | None = None
    visitsInfo: _VisitsInfo | None = None
    visits: _Visits = Field(default_factory=_Visits)


class _Amounts(BaseModel):
    total: Decimal
    invoiceBalance: Decimal
    paymentsTotal: Decimal


class _Ref(BaseModel):
    id: str


class _Refs(BaseModel):
    nodes: list[_Ref] = Field(default_factory=list)


class _Invoice(BaseModel):
    id: str
    invoiceNumber: str | None = None
    invoiceStatus: str
    issuedDate: UtcDateTime | None = None
    dueDate: UtcDateTime | None = None
    createdAt: UtcDateTime
    updatedAt: UtcDateTime
    amounts: _Amounts | None = None
    client: _Client | None = None
    jobs: _Refs = Field(default_factory=_Refs)


class _Payment(BaseModel):
    id: str
    invoice: _Invoice | None = None


_M = TypeVar("_M", bound=BaseModel)


def _model(model: type[_M], value: Any, what: str) -> _M:
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        raise UpstreamError(f"Jobber answered a {what} Backbone cannot read: {exc.error_count()} problem(s)",
                            code="invalid_response", retryable=False) from exc


# -- GraphQL documents ---------------------------------------------------------------------------
_ADDRESS = "street1 street2 city province postalCode country"
_CLIENT = (f"client {{ id name emails {{ address primary }} phones {{ number primary }} "
           f"billingAddress {{ {_ADDRESS} }} }}")
_JOB = f"""id jobNumber title instructions jobStatus createdAt updatedAt completedAt
  {_CLIENT}
  property {{ id address {{ {_ADDRESS} coordinates {{ latitude longitude }} }} }}
  visitsInfo {{ incompleteTotal scheduledCount }}
  visits(first: {VISITS_PER_JOB}) {{ nodes {{ id startAt endAt completedAt
    assignedUsers(first: {USERS_PER_VISIT}) {{ nodes {{ id name {{ full }} email {{ raw }} }} }} }} }}"""
_INVOICE = f"""id invoiceNumber invoiceStatus issuedDate dueDate createdAt updatedAt
  amounts {{ total invoiceBalance paymentsTotal }}
  {_CLIENT}
  jobs(first: 1) {{ nodes {{ id }} }}"""
_PAGE = "pageInfo { hasNextPage endCursor }"
_USER_ERRORS = "userErrors { message path }"

ACCOUNT_QUERY = "query BackboneAccount { account { id name } }"
JOB_QUERY = f"query BackboneJob($id: EncodedId!) {{ job(id: $id) {{ {_JOB} }} }}"
VISIT_QUERY = f"query BackboneVisit($id: EncodedId!) {{ visit(id: $id) {{ id completedAt job {{ {_JOB} }} }} }}"
VISIT_STATE_QUERY = "query BackboneVisitState($id: EncodedId!) { visit(id: $id) { id completedAt } }"
INVOICE_QUERY = f"query BackboneInvoice($id: EncodedId!) {{ invoice(id: $id) {{ {_INVOICE} }} }}"
PAYMENT_QUERY = f"query BackbonePayment($id: EncodedId!) {{ paymentRecord(id: $id) {{ id invoice {{ {_INVOICE} }} }} }}"
JOBS_QUERY = f"""query BackboneJobsChanged($first: Int!, $after: String, $sort: [JobsSortInput!]) {{
  jobs(first: $first, after: $after, sort: $sort) {{ nodes {{ {_JOB} }} {_PAGE} }} }}"""
INVOICES_QUERY = f"""query BackboneInvoicesChanged($first: Int!, $after: String, $filter: InvoiceFilterAttributes) {{
  invoices(first: $first, after: $after, filter: $filter) {{ nodes {{ {_INVOICE} }} {_PAGE} }} }}"""
ADD_NOTE_MUTATION = f"""mutation BackboneJobNote($jobId: EncodedId!, $input: JobCreateNoteInput!) {{
  jobCreateNote(jobId: $jobId, input: $input) {{ jobNote {{ id }} {_USER_ERRORS} }} }}"""
COMPLETE_VISIT_MUTATION = f"""mutation BackboneVisitComplete($visitId: EncodedId!, $input: VisitCompleteInput) {{
  visitComplete(visitId: $visitId, input: $input) {{ visit {{ id completedAt }} {_USER_ERRORS} }} }}"""
DISCONNECT_MUTATION = f"mutation BackboneDisconnect {{ appDisconnect {{ app {{ id }} {_USER_ERRORS} }} }}"


def _iso(at: datetime) -> str:
    """UTC ISO 8601 with a Z: the version string of event ids, and what Jobber is sent."""
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _throttle_wait(body: Mapping[str, Any]) -> float | None:
    """Seconds until the bucket holds the query's cost, from `extensions.cost`, or None."""
    try:
        cost = body["extensions"]["cost"]
        status = cost["throttleStatus"]
        missing = float(cost["requestedQueryCost"]) - float(status["currentlyAvailable"])
        rate = float(status["restoreRate"])
    except (KeyError, TypeError, ValueError):
        return None
    if rate <= 0:
        return None
    return max(missing / rate, 0.0)


class JobberClient:
    """Jobber's GraphQL API for one connection (one ApiClient: retries, 429, 401 refresh, budget)."""

    def __init__(
        self,
        connection: Connection,
        *,
        version: str = GRAPHQL_VERSION,
        jobs_page_size: int = JOBS_PAGE_SIZE,
        invoices_page_size: int = INVOICES_PAGE_SIZE,
        policy: RetryPolicy = DEFAULT_POLICY,
        timeout: float = 10.0,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.account_id = connection.account_id
        self.url = connection.app.api_url
        self.jobs_page_size = jobs_page_size
        self.invoices_page_size = invoices_page_size
        tokens = connection.tokens
        self.api = ApiClient(
            self.url,
            auth=lambda: {"Authorization": f"Bearer {tokens.access_token()}"},
            on_unauthorized=tokens.invalidate,
            budget=connection.budget,
            budget_key=connection.install_id,
            default_headers={VERSION_HEADER: version, "Accept": "application/json"},
            timeout=timeout, policy=policy, session=session, sleep=sleep, rng=rng,
        )
        #: `extensions.cost` of the last answer (for logs and tests).
        self.last_cost: dict[str, Any] | None = None

    def close(self) -> None:
        self.api.close()

    def __enter__(self) -> JobberClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transport -------------------------------------------------------------------------
    def graphql(self, query: str, variables: Mapping[str, Any] | None = None, *, idempotent: bool = True
                ) -> dict[str, Any]:
        """Runs one query or mutation and returns its `data`.

        Raises:
            RateLimited: Throttled longer than the policy waits (or 429 beyond it).
            ClientError: GraphQL errors (code "graphql_error") or a 4xx.
            UpstreamError: 5xx/timeouts not got past, or an answer that is not GraphQL.
            Unauthorized: 401 even after a token refresh.
        """
        policy = self.api.policy
        payload = {"query": query, "variables": dict(variables or {})}
        attempt = 0
        while True:
            attempt += 1
            body = self.api.post_json(self.url, payload, idempotent=idempotent)
            if not isinstance(body, dict):
                raise UpstreamError("Jobber answered something that is not a GraphQL response",
                                    code="invalid_response", retryable=False)
            extensions = body.get("extensions")
            cost = extensions.get("cost") if isinstance(extensions, dict) else None
            self.last_cost = cost if isinstance(cost, dict) else None
            errors = body.get("errors") or []
            if not errors:
                data = body.get("data")
                if not isinstance(data, dict):
                    raise UpstreamError("Jobber answered no data and no errors", code="invalid_response",
                                        retryable=False, body=body)
                return data
            if not _throttled(errors):
                raise ClientError(f"Jobber refused the query: {_messages(errors)}", status=200,
                                  code="graphql_error", body=body)
            wait = _throttle_wait(body)
            if wait is None:
                wait = policy.ceiling(attempt - 1)
            if attempt >= policy.max_attempts or wait > policy.max_retry_after:
                raise RateLimited(f"Jobber throttled the query (cost bucket needs {wait:.1f}s)", status=200,
                                  code="throttled", retry_after=wait, body=body)
            logger.info("jobber: query throttled (attempt %d); retrying in %.2fs", attempt, wait)
            self.api.sleep(wait)

    # -- reads -----------------------------------------------------------------------------
    def account(self) -> dict[str, Any]:
        account = self.graphql(ACCOUNT_QUERY).get("account")
        if not isinstance(account, dict):
            raise UpstreamError("Jobber answered no account", code="invalid_response", retryable=False)
        return account

    def fetch_job(self, job_id: str) -> dict[str, Any] | None:
        return self.graphql(JOB_QUERY, {"id": job_id}).get("job")

    def fetch_visit(self, visit_id: str) -> dict[str, Any] | None:
        return self.graphql(VISIT_QUERY, {"id": visit_id}).get("visit")

    def fetch_invoice(self, invoice_id: str) -> dict[str, Any] | None:
        return self.graphql(INVOICE_QUERY, {"id": invoice_id}).get("invoice")

    def fetch_payment(self, payment_id: str) -> dict[str, Any] | None:
        return self.graphql(PAYMENT_QUERY, {"id": payment_id}).get("paymentRecord")

    def jobs_changed_since(self, since: datetime) -> Iterator[dict[str, Any]]:
        """Jobs updated after `since`, newest first (the jobs filter has no updatedAt: sort, stop)."""
        variables: dict[str, Any] = {"first": self.jobs_page_size, "after": None,
                                     "sort": [{"key": "UPDATED_AT", "direction": "DESCENDING"}]}
        while True:
            page = _connection(self.graphql(JOBS_QUERY, variables).get("jobs"), "jobs")
            reached = False
            for node in page["nodes"]:
                updated = _model(_Job, node, "job").updatedAt
                if updated <= since:
                    reached = True
                    break
                yield node
            info = page["pageInfo"]
            if reached or not info.get("hasNextPage") or not info.get("endCursor"):
                return
            variables["after"] = info["endCursor"]

    def invoices_changed_since(self, since: datetime) -> Iterator[dict[str, Any]]:
        variables: dict[str, Any] = {"first": self.invoices_page_size, "after": None,
                                     "filter": {"updatedAt": {"after": _iso(since)}}}
        while True:
            page = _connection(self.graphql(INVOICES_QUERY, variables).get("invoices"), "invoices")
            yield from page["nodes"]
            info = page["pageInfo"]
            if not info.get("hasNextPage") or not info.get("endCursor"):
                return
            variables["after"] = info["endCursor"]

    # -- write-back ------------------------------------------------------------------------
    def add_job_note(self, job_id: str, message: str) -> str:
        """Adds a note to a job and returns the note's id.

        Not repeated after a timeout or 5xx (a second note would be a duplicate): the error then
        has retryable=False and the note may exist.
        """
        if not message.strip():
            raise ValueError("a job note needs a message")
        data = self.graphql(ADD_NOTE_MUTATION, {"jobId": job_id, "input": {"message": message}}, idempotent=False)
        payload = _payload(data, "jobCreateNote")
        _raise_user_errors("jobCreateNote", payload)
        note = payload.get("jobNote")
        if not isinstance(note, dict) or not isinstance(note.get("id"), str):
            raise UpstreamError("Jobber created no job note", code="invalid_response", retryable=False, body=data)
        return str(note["id"])

    def complete_visit(self, visit_id: str, completed_at: datetime | None = None) -> None:
        """Marks a visit complete; a visit that already is complete is left as it is."""
        variables: dict[str, Any] = {"visitId": visit_id}
        if completed_at is not None:
            variables["input"] = {"completedAt": _iso(completed_at)}
        payload = _payload(self.graphql(COMPLETE_VISIT_MUTATION, variables), "visitComplete")
        if payload.get("userErrors"):
            # Jobber refuses to complete a completed visit; that is the outcome asked for.
            visit = self.graphql(VISIT_STATE_QUERY, {"id": visit_id}).get("visit")
            if isinstance(visit, dict) and visit.get("completedAt"):
                return
            _raise_user_errors("visitComplete", payload)

    def disconnect(self) -> None:
        """Disconnects Backbone from the account (Jobber has no token revocation endpoint)."""
        payload = _payload(self.graphql(DISCONNECT_MUTATION, idempotent=True), "appDisconnect")
        _raise_user_errors("appDisconnect", payload)


def _throttled(errors: Any) -> bool:
    return isinstance(errors, list) and any(
        isinstance(e, dict) and isinstance(e.get("extensions"), dict) and e["extensions"].get("code") == "THROTTLED"
        for e in errors)


def _messages(errors: Any) -> str:
    if not isinstance(errors, list):
        return "unknown error"
    texts = [str(e.get("message", "?"))[:200] for e in errors[:3] if isinstance(e, dict)]
    return "; ".join(texts) or "unknown error"


def _connection(value: Any, what: str) -> dict[str, Any]:
    if (not isinstance(value, dict) or not isinstance(value.get("nodes"), list)
            or not isinstance(value.get("pageInfo"), dict)):
        raise UpstreamError(f"Jobber answered no {what} page", code="invalid_response", retryable=False)
    return value


def _payload(data: dict[str, Any], field: str) -> dict[str, Any]:
    payload = data.get(field)
    if not isinstance(payload, dict):
        raise UpstreamError(f"Jobber answered no {field} result", code="invalid_response", retryable=False,
                            body=data)
    return payload


def _raise_user_errors(field: str, payload: Mapping[str, Any]) -> None:
    errors = payload.get("userErrors") or []
    if errors:
        raise ClientError(f"Jobber refused {field}: {_messages(errors)}", status=200, code="user_error",
                          body=dict(payload))


# -- normalization -------------------------------------------------------------------------------
def _party(client: _Client | None, address: _Address | None = None) -> PartyUpsert | None:
    if client is None:
        return None
    email = next((e.address for e in sorted(client.emails, key=lambda e: not e.primary)), None)
    phone = next((p.number for p in sorted(client.phones, key=lambda p: not p.primary)), None)
    where = address if address is not None and address.line() else client.billingAddress
    coords = address.coordinates if address is not None else None
    return PartyUpsert(source_id=client.id, name=client.name, email=email, phone=phone,
                       address=where.line() if where is not None else None,
                       lat=coords.latitude if coords else None, lng=coords.longitude if coords else None)


def _next_visit(job: _Job) -> _Visit | None:
    """The earliest incomplete visit with a start time; else the latest visit that has one."""
    timed = [v for v in job.visits.nodes if v.startAt is not None]
    pending = sorted((v for v in timed if v.completedAt is None), key=lambda v: v.startAt or v.id)
    if pending:
        return pending[0]
    done = sorted(timed, key=lambda v: v.startAt or v.id)
    return done[-1] if done else None


def _technician(job: _Job, visit: _Visit | None) -> PartyUpsert | None:
    candidates = [visit] if visit is not None else []
    candidates += [v for v in job.visits.nodes if v is not visit]
    for v in candidates:
        users = v.assignedUsers.nodes if v.assignedUsers else []
        if users:
            user = users[0]
            return PartyUpsert(source_id=user.id, name=user.name.full if user.name else None,
                               email=user.email.raw if user.email else None)
    return None


def job_kind(job: _Job) -> EventType:
    """The canonical state of one version of a job (the table in the module docstring)."""
    info = job.visitsInfo or _VisitsInfo(
        incompleteTotal=sum(1 for v in job.visits.nodes if v.completedAt is None),
        scheduledCount=sum(1 for v in job.visits.nodes if v.completedAt is None and v.startAt is not None))
    completed = job.completedAt is not None or any(v.completedAt is not None for v in job.visits.nodes)
    if job.jobStatus.lower() == "archived":
        return EventType.JOB_COMPLETED if completed else EventType.JOB_CANCELLED
    if info.incompleteTotal == 0 and completed:
        return EventType.JOB_COMPLETED
    if info.scheduledCount > 0:
        return EventType.JOB_SCHEDULED
    return EventType.JOB_CREATED


def _job_upsert(job: _Job) -> JobUpsert:
    visit = _next_visit(job)
    address = job.property.address if job.property else None
    return JobUpsert(
        source_id=job.id,
        description=(job.title or job.instructions or None),
        scheduled_start=visit.startAt if visit else None,
        scheduled_end=visit.endAt if visit else None,
        customer=_party(job.client, address),
        technician=_technician(job, visit),
    )


def _event(account_id: str, entity: str, item_id: str, at: datetime, kind: EventType, topic: str,
           *, job: JobUpsert | None = None, invoice: InvoiceUpdate | None = None,
           extra: dict[str, str] | None = None) -> NormalizedEvent:
    return NormalizedEvent(
        event_id=entity_event_id(NAME, account_id, entity, item_id, _iso(at), kind.value),
        type=kind, occurred_at=at.astimezone(UTC), source=NAME, job=job, invoice=invoice,
        raw_topic=topic, extra=extra or {})


def job_events(account_id: str, node: Any, topic: str) -> list[NormalizedEvent]:
    """job.created at the job's creation, plus its current state at its `updatedAt`."""
    return _job_events(account_id, _model(_Job, node, "job"), topic)


def _job_events(account_id: str, job: _Job, topic: str) -> list[NormalizedEvent]:
    upsert = _job_upsert(job)
    extra = {"jobber_status": job.jobStatus[:40]}
    if job.jobNumber is not None:
        extra["job_number"] = str(job.jobNumber)
    events = [_event(account_id, "job", job.id, job.createdAt, EventType.JOB_CREATED, topic, job=upsert,
                     extra=extra)]
    kind = job_kind(job)
    if kind is not EventType.JOB_CREATED:
        events.append(_event(account_id, "job", job.id, job.updatedAt, kind, topic, job=upsert, extra=extra))
    return events


def invoice_events(account_id: str, node: Any, topic: str) -> list[NormalizedEvent]:
    """invoice.created at the invoice's creation, plus its current state at its `updatedAt`."""
    return _invoice_events(account_id, _model(_Invoice, node, "invoice"), topic)


def _invoice_events(account_id: str, inv: _Invoice, topic: str) -> list[NormalizedEvent]:
    kind = INVOICE_KINDS.get(inv.invoiceStatus.lower())
    if kind is None:
        return []  # bad_debt (written off), or a status Backbone has no event for
    amounts = inv.amounts
    update = InvoiceUpdate(
        source_id=inv.id,
        amount_paid=amounts.paymentsTotal if amounts else None,
        number=inv.invoiceNumber,
        total=amounts.total if amounts else None,
        balance=amounts.invoiceBalance if amounts else None,
        issued_at=inv.issuedDate,
        due_at=inv.dueDate,
        customer=_party(inv.client),
        job_source_id=inv.jobs.nodes[0].id if inv.jobs.nodes else None,
    )
    extra = {"jobber_status": inv.invoiceStatus[:40]}
    events = [_event(account_id, "invoice", inv.id, inv.createdAt, EventType.INVOICE_CREATED, topic,
                     invoice=update, extra=extra)]
    if kind is not EventType.INVOICE_CREATED:
        events.append(_event(account_id, "invoice", inv.id, inv.updatedAt, kind, topic, invoice=update, extra=extra))
    return events


class JobberAdapter:
    """Jobber (an FSM): marketplace install over OAuth, thin webhooks, GraphQL."""

    name = NAME
    label = "Jobber"
    kind = "fsm"
    grant = Grant.AUTHORIZATION_CODE
    credential_fields: tuple[CredentialField, ...] = ()

    def __init__(self, *, graphql_version: str = GRAPHQL_VERSION, lookback: timedelta = LOOKBACK,
                 skew_margin: timedelta = CLOCK_SKEW_MARGIN) -> None:
        self.graphql_version = graphql_version
        self.lookback = lookback
        self.skew_margin = skew_margin

    # -- install ---------------------------------------------------------------------------
    def oauth(self, app: ProviderApp) -> OAuthEndpoints:
        return OAuthEndpoints(token_url=app.token_url, authorize_url=app.authorize_url,
                              revoke_url=app.revoke_url or None,
                              token_endpoint_auth_method="client_secret_post")  # noqa: S106 - a method name

    def webhook_secret(self, app: ProviderApp) -> str | None:
        return app.client_secret or None  # Jobber signs with the app's OAuth client secret

    def account_id(self, headers: Headers) -> str | None:
        return None  # one app-wide secret: the account is read from the verified body

    def client(self, connection: Connection) -> JobberClient:
        return JobberClient(connection, version=self.graphql_version)

    def account(self, client: JobberClient, callback: Mapping[str, str]) -> AccountInfo:
        account = client.account()
        account_id, name = account.get("id"), account.get("name")
        if not isinstance(account_id, str) or not account_id:
            raise UpstreamError("Jobber answered an account without an id", code="invalid_response",
                                retryable=False)
        return AccountInfo(account_id=account_id, name=name if isinstance(name, str) and name else "Jobber")

    # -- webhooks --------------------------------------------------------------------------
    def verify(self, secret: str, headers: Headers, body: bytes, app: ProviderApp | None = None) -> bool:
        given = (headers.get(SIGNATURE_HEADER) or "").strip()
        if not given or not secret:
            return False
        try:
            base64.b64decode(given, validate=True)
        except (binascii.Error, ValueError):
            return False
        return constant_time_equals(given, sign(secret, body))

    def parse(self, body: bytes) -> list[Notification]:
        event = read_body(_Delivery, body, "a Jobber webhook event").data.webHookEvent
        occurred = event.occurredAt or event.occuredAt
        if occurred is None:
            raise _rejected("The webhook event has no occurredAt.",
                            [{"field": "data.webHookEvent.occurredAt", "message": "This field is required."}])
        if event.topic not in TOPICS:
            return []  # a topic Backbone does not use: acknowledged, not stored
        return [Notification(
            account_id=event.accountId, topic=event.topic, item_id=event.itemId, occurred_at=occurred,
            dedupe_key=f"{event.topic}:{event.itemId}:{_iso(occurred)}", uninstall=event.topic == UNINSTALL_TOPIC)]

    # -- hydration and catch-up ------------------------------------------------------------
    def hydrate(self, client: JobberClient, notification: Notification) -> list[NormalizedEvent]:
        topic, item_id, account_id = notification.topic, notification.item_id, client.account_id
        if topic == "JOB_DESTROY":  # gone: nothing to fetch, the delivery is the version
            return [_event(account_id, "job", item_id, notification.occurred_at, EventType.JOB_CANCELLED, topic,
                           job=JobUpsert(source_id=item_id))]
        if topic in JOB_TOPICS:
            job = client.fetch_job(item_id)
            return job_events(account_id, job, topic) if job is not None else []
        if topic in VISIT_TOPICS:
            visit = client.fetch_visit(item_id)
            job = visit.get("job") if isinstance(visit, dict) else None
            return job_events(account_id, job, topic) if job is not None else []
        if topic in INVOICE_TOPICS:
            invoice = client.fetch_invoice(item_id)
            return invoice_events(account_id, invoice, topic) if invoice is not None else []
        if topic in PAYMENT_TOPICS:
            node = client.fetch_payment(item_id)
            payment = _model(_Payment, node, "payment") if node is not None else None
            if payment is None or payment.invoice is None:
                return []  # gone, or a deposit on a quote: no invoice to update
            return _invoice_events(account_id, payment.invoice, topic)
        return []  # CLIENT_* (no canonical customer event), APP_DISCONNECT (handled as an uninstall)

    def changes_since(self, client: JobberClient, since: datetime | None, now: datetime) -> SyncPage:
        start = since if since is not None else now - self.lookback
        events: list[NormalizedEvent] = []
        newest: datetime | None = None
        for node in client.jobs_changed_since(start):
            job = _model(_Job, node, "job")
            events += _job_events(client.account_id, job, "catch_up")
            newest = _later(newest, job.updatedAt)
        for node in client.invoices_changed_since(start):
            invoice = _model(_Invoice, node, "invoice")
            events += _invoice_events(client.account_id, invoice, "catch_up")
            newest = _later(newest, invoice.updatedAt)
        # Jobber's clock when anything changed; never our own clock moving a known cursor forward.
        cursor = newest or since or now - self.skew_margin
        return SyncPage(events=events, cursor=cursor.astimezone(UTC))


def _later(a: datetime | None, b: datetime) -> datetime:
    return b if a is None or b > a else a
