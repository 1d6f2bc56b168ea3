"""Jobber, emulated: OAuth with at-once refresh rotation, signed thin webhooks, and a GraphQL endpoint.

Wire format as Jobber documents it (Developer Center "Setting up Webhooks", "API Rate Limits", the
GraphQL schema at 2025-01-20):

* OAuth authorization code at /api/oauth/authorize and /api/oauth/token (client id and secret in
  the form body); refresh rotates the refresh token and the old one is dead at once (no grace).
* Webhooks: POST `{"data": {"webHookEvent": {"topic", "appId", "accountId", "itemId",
  "occurredAt"}}}`, `X-Jobber-Hmac-SHA256: base64(HMAC-SHA256(client secret, body))`.
* POST /api/graphql with `Authorization: Bearer` (401 otherwise) and `X-JOBBER-GRAPHQL-VERSION`
  (400 without one). Answers are `{"data", "errors", "extensions": {"cost": ...}}`; a throttled
  query (on demand: `throttle_next`) answers `errors[0].extensions.code == "THROTTLED"`.

The GraphQL endpoint is not a GraphQL server: it finds the operation's root field with a regex and
reads the root's arguments from `variables` only (nested `visits(first: N)`, `assignedUsers(first:
N)` and `jobs(first: N)` limits are read from the query text). For each root it answers the whole
object — a superset of any selection. Roots: account, job, visit, invoice, client, paymentRecord,
jobs, invoices; mutations jobCreateNote, visitComplete, appDisconnect. Filters and sort keys are
checked against the schema's input types, so what Jobber refuses (`jobs(filter: {updatedAt: …})`:
`JobFilterAttributes` has no such field) is refused here too.

Timestamps are rendered at the account's offset (`utc_offset`, default -06:00, as in Jobber's
examples) with whole seconds; every change moves an item's `updatedAt` forward by at least a second.
Changes record the webhooks Jobber would send in `outbox`: `deliver(url)` sends them, and a test
that clears `outbox` has "lost" them (the catch-up sync must find the change).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import itertools
import json
import re
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

import requests
from flask import Response, jsonify, request

from connector.config import JobberApp
from tests.emulators.oauth import OAuthServer
from tests.emulators.server import Emulator

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

DEFAULT_ACCOUNT = "acct-1"
VERSION_HEADER = "X-JOBBER-GRAPHQL-VERSION"
SIGNATURE_HEADER = "X-Jobber-Hmac-SHA256"
MAXIMUM_AVAILABLE = 10_000.0
RESTORE_RATE = 500.0
_T = TypeVar("_T")

JOB_FILTER_FIELDS = frozenset({"jobType", "createdAt", "startAt", "visitsScheduledBetween", "visitsAssignedToUserId",
                               "endAt", "completedAt", "includeUnscheduled", "onlyInvoiceable", "ids", "status"})
INVOICE_FILTER_FIELDS = frozenset({"clientId", "invoiceNumber", "total", "issuedDate", "dueDate", "updatedAt",
                                   "createdAt", "status", "excludeOrigin"})
JOB_SORT_KEYS = frozenset({"CLIENT_FIRST_NAME", "CLIENT_PRIMARY_NAME", "JOB_NUMBER", "JOB_STATUS", "SCHEDULE",
                           "TOTAL_COST", "UPDATED_AT", "VISIT_START_DATE"})
INVOICE_SORT_KEYS = frozenset({"CREATED_AT", "DUE_DATE", "INVOICE_NUMBER", "ISSUED_DATE", "UPDATED_AT",
                               "INVOICE_TOTAL", "INVOICE_STATUS"})


class GraphQLError(Exception):
    """Answered as `{"errors": [...]}` with HTTP 200, as graphql-ruby does."""

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass
class User:
    id: str
    account_id: str
    name: str
    email: str


@dataclass
class Client:
    id: str
    account_id: str
    name: str
    emails: list[str]
    phones: list[str]
    billing: dict[str, str]
    created_at: datetime
    updated_at: datetime


@dataclass
class Visit:
    id: str
    job_id: str
    start_at: datetime | None
    end_at: datetime | None
    user_ids: list[str]
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None = None


@dataclass
class Job:
    id: str
    account_id: str
    number: int
    client_id: str
    title: str
    instructions: str
    address: dict[str, str]
    lat: float | None
    lng: float | None
    created_at: datetime
    updated_at: datetime
    visit_ids: list[str] = field(default_factory=list)
    notes: list[dict[str, Any]] = field(default_factory=list)
    closed: bool = False
    completed_at: datetime | None = None
    status_override: str | None = None


@dataclass
class Invoice:
    id: str
    account_id: str
    number: str
    client_id: str
    job_ids: list[str]
    total: Decimal
    due_at: datetime | None
    created_at: datetime
    updated_at: datetime
    issued_at: datetime | None = None
    payment_ids: list[str] = field(default_factory=list)
    status_override: str | None = None


@dataclass
class Payment:
    id: str
    account_id: str
    invoice_id: str
    amount: Decimal
    entry_date: datetime


@dataclass(frozen=True)
class WebhookEvent:
    """A webhook Jobber would send for a change."""

    topic: str
    item_id: str
    account_id: str
    occurred_at: datetime


@dataclass(frozen=True)
class _Limits:
    visits: int | None
    users: int | None
    invoice_jobs: int | None


def sign(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def _cursor(index: int) -> str:
    return base64.b64encode(str(index).encode()).decode()


def _uncursor(value: str) -> int:
    try:
        return int(base64.b64decode(value, validate=True).decode())
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise GraphQLError(f"Invalid cursor: {value!r}") from exc


def _root_field(query: str) -> tuple[bool, str]:
    text = re.sub(r"#[^\n]*", "", query)
    match = re.match(r"\s*(query|mutation)?\b[^{]*\{\s*(\w+)", text)
    if match is None:
        raise GraphQLError("Syntax error: no selection found", "parseError")
    return match.group(1) == "mutation", match.group(2)


def _limit(query: str, name: str) -> int | None:
    match = re.search(rf"\b{name}\(\s*first:\s*(\d+)", query)
    return int(match.group(1)) if match else None


def _when(value: Any, what: str) -> datetime:
    try:
        when = datetime.fromisoformat(str(value))
    except ValueError as exc:
        raise GraphQLError(f"{what}: {value!r} is not an ISO8601DateTime") from exc
    if when.tzinfo is None:
        raise GraphQLError(f"{what}: {value!r} has no time zone")
    return when


def _in_range(value: datetime | None, bounds: Any, what: str) -> bool:
    if not isinstance(bounds, dict):
        raise GraphQLError(f"{what} must be an Iso8601DateTimeRangeInput")
    if value is None:
        return False
    if bounds.get("after") is not None and not value > _when(bounds["after"], what):
        return False
    if bounds.get("before") is not None and not value < _when(bounds["before"], what):
        return False
    return bounds.get("eq") is None or value == _when(bounds["eq"], what)


class JobberEmulator(Emulator):
    AUTHORIZE_PATH = "/api/oauth/authorize"
    TOKEN_PATH = "/api/oauth/token"
    API_PATH = "/api/graphql"

    def __init__(self, *, client_id: str = "jobber-client-id",
                 client_secret: str = "jobber-client-secret",  # noqa: S107 - the emulator's test secret
                 app_id: str = "3ef22a50-072d-430c-a78f-b7646657560b", access_ttl: int = 3600,
                 versions: Iterable[str] | None = None, clock: Callable[[], datetime] | None = None,
                 utc_offset: timedelta = timedelta(hours=-6)) -> None:
        super().__init__("jobber")
        self.client_id, self.client_secret, self.app_id = client_id, client_secret, app_id
        self.oauth = OAuthServer(client_id=client_id, client_secret=client_secret, client_auth="client_secret_post",
                                 access_ttl=access_ttl, rotate_refresh=True, old_refresh_grace=0)
        self.oauth.install(self.app, authorize_path=self.AUTHORIZE_PATH, token_path=self.TOKEN_PATH)
        self.app.add_url_rule(self.API_PATH, "graphql", self._graphql, methods=["POST"])
        #: Accepted API versions; None accepts any YYYY-MM-DD.
        self.versions = frozenset(versions) if versions is not None else None
        self.clock = clock or (lambda: datetime.now(UTC))
        self.tz = timezone(utc_offset)
        self.accounts: dict[str, str] = {DEFAULT_ACCOUNT: "Acme Plumbing & Heating"}
        self.users: dict[str, User] = {}
        self.clients: dict[str, Client] = {}
        self.jobs: dict[str, Job] = {}
        self.visits: dict[str, Visit] = {}
        self.invoices: dict[str, Invoice] = {}
        self.payments: dict[str, Payment] = {}
        self.outbox: list[WebhookEvent] = []
        self.throttles: deque[dict[str, float]] = deque()
        self._ids = itertools.count(1)
        self._numbers = itertools.count(1)

    # -- set-up helpers --------------------------------------------------------------------
    def reset(self, clock: Callable[[], datetime] | None = None) -> None:
        """Forgets every item, token, fault, request and webhook (one server, many tests)."""
        with self.lock:
            if clock is not None:
                self.clock = clock
            self.accounts = {DEFAULT_ACCOUNT: "Acme Plumbing & Heating"}
            for store in (self.users, self.clients, self.jobs, self.visits, self.invoices, self.payments):
                store.clear()
            self.outbox.clear()
            self.throttles.clear()
            self.faults.clear()
            self.seen.clear()
            self.oauth.tokens.clear()
            self.oauth.codes.clear()

    def provider_app(self) -> JobberApp:
        """Backbone's registration pointed at this emulator."""
        return JobberApp(client_id=self.client_id, client_secret=self.client_secret, api_url=self.url + self.API_PATH,
                         authorize_url=self.url + self.AUTHORIZE_PATH, token_url=self.url + self.TOKEN_PATH)

    def issue_token(self, account_id: str = DEFAULT_ACCOUNT) -> str:
        """A valid access token for an account, as if it had just installed the app."""
        return self.oauth._issue(account_id).access_token

    def add_account(self, account_id: str, name: str) -> None:
        with self.lock:
            self.accounts[account_id] = name

    def throttle_next(self, times: int = 1, *, requested: float = 1500, available: float = 500,
                      restore_rate: float = RESTORE_RATE) -> None:
        """The next `times` GraphQL calls are refused as THROTTLED with these bucket numbers."""
        with self.lock:
            self.throttles.extend({"requested": requested, "available": available, "restore": restore_rate}
                                  for _ in range(times))

    def _gid(self, kind: str) -> str:
        return base64.b64encode(f"gid://Jobber/{kind}/{next(self._ids)}".encode()).decode()

    def _stamp(self, previous: datetime | None = None, at: datetime | None = None) -> datetime:
        when = (at or self.clock()).astimezone(UTC).replace(microsecond=0)
        if previous is not None and when <= previous:
            when = previous + timedelta(seconds=1)
        return when

    def _notify(self, topic: str, item_id: str, account_id: str, at: datetime) -> None:
        self.outbox.append(WebhookEvent(topic, item_id, account_id, at))

    def add_user(self, name: str, email: str | None = None, *, account_id: str = DEFAULT_ACCOUNT) -> User:
        with self.lock:
            user = User(self._gid("User"), account_id, name, email or f"{name.split()[0].lower()}@example.com")
            self.users[user.id] = user
            return user

    def add_client(self, name: str, *, email: str | None = None, phone: str | None = None,
                   billing: dict[str, str] | None = None, account_id: str = DEFAULT_ACCOUNT,
                   at: datetime | None = None) -> Client:
        with self.lock:
            now = self._stamp(at=at)
            client = Client(self._gid("Client"), account_id, name, [email] if email else [], [phone] if phone else [],
                            billing or {}, now, now)
            self.clients[client.id] = client
            self._notify("CLIENT_CREATE", client.id, account_id, now)
            return client

    def create_job(self, client: Client, title: str, *, visits: Iterable[tuple[datetime | None, datetime | None,
                   list[User]]] = (), address: dict[str, str] | None = None, lat: float | None = None,
                   lng: float | None = None, instructions: str = "", at: datetime | None = None) -> Job:
        """A job for a client, with visits given as (start, end, assigned users)."""
        with self.lock:
            now = self._stamp(at=at)
            job = Job(self._gid("Job"), client.account_id, next(self._numbers), client.id, title, instructions,
                      address or {}, lat, lng, now, now)
            self.jobs[job.id] = job
            for start, end, users in visits:
                visit = Visit(self._gid("Visit"), job.id, start, end, [u.id for u in users], now, now)
                self.visits[visit.id] = visit
                job.visit_ids.append(visit.id)
            self._notify("JOB_CREATE", job.id, job.account_id, now)
            return job

    def _touch_job(self, job: Job, topic: str | None, at: datetime | None = None) -> None:
        job.updated_at = self._stamp(job.updated_at, at)
        if topic:
            self._notify(topic, job.id, job.account_id, job.updated_at)

    def update_job(self, job_id: str, *, title: str | None = None, status: str | None = None,
                   at: datetime | None = None, notify: bool = True) -> Job:
        """Edits a job (`status` forces a jobStatus, e.g. to fake a time-driven change)."""
        with self.lock:
            job = self.jobs[job_id]
            if title is not None:
                job.title = title
            if status is not None:
                job.status_override = status
            self._touch_job(job, "JOB_UPDATE" if notify else None, at)
            return job

    def schedule_visit(self, job_id: str, start: datetime | None, end: datetime | None,
                       users: Iterable[User] = (), *, at: datetime | None = None) -> Visit:
        with self.lock:
            job = self.jobs[job_id]
            now = self._stamp(at=at)
            visit = Visit(self._gid("Visit"), job.id, start, end, [u.id for u in users], now, now)
            self.visits[visit.id] = visit
            job.visit_ids.append(visit.id)
            self._notify("VISIT_CREATE", visit.id, job.account_id, now)
            self._touch_job(job, None, at)
            return visit

    def reschedule_visit(self, visit_id: str, start: datetime | None, end: datetime | None, *,
                         at: datetime | None = None) -> Visit:
        with self.lock:
            visit = self.visits[visit_id]
            visit.start_at, visit.end_at = start, end
            visit.updated_at = self._stamp(visit.updated_at, at)
            job = self.jobs[visit.job_id]
            self._notify("VISIT_UPDATE", visit.id, job.account_id, visit.updated_at)
            self._touch_job(job, None, at)
            return visit

    def complete_visit(self, visit_id: str, *, at: datetime | None = None) -> Visit:
        """Marks a visit complete (the last one completes the job), as a technician would."""
        with self.lock:
            visit = self.visits[visit_id]
            self._complete(visit, at)
            return visit

    def _complete(self, visit: Visit, at: datetime | None) -> None:
        job = self.jobs[visit.job_id]
        visit.updated_at = self._stamp(visit.updated_at, at)
        visit.completed_at = visit.updated_at
        if all(self.visits[v].completed_at for v in job.visit_ids):
            job.completed_at = visit.completed_at
        self._notify("VISIT_COMPLETE", visit.id, job.account_id, visit.updated_at)
        self._touch_job(job, "JOB_UPDATE", at)

    def close_job(self, job_id: str, *, at: datetime | None = None) -> Job:
        """Closes (archives) a job; incomplete visits are removed, as Jobber offers to."""
        with self.lock:
            job = self.jobs[job_id]
            job.closed = True
            job.visit_ids = [v for v in job.visit_ids if self.visits[v].completed_at]
            self._touch_job(job, "JOB_CLOSED", at)
            return job

    def delete_job(self, job_id: str, *, at: datetime | None = None) -> None:
        with self.lock:
            job = self.jobs.pop(job_id)
            self._notify("JOB_DESTROY", job.id, job.account_id, self._stamp(job.updated_at, at))

    def create_invoice(self, job: Job, total: Decimal | str, *, sent: bool = True, due_in: timedelta = timedelta(
                       days=30), at: datetime | None = None) -> Invoice:
        with self.lock:
            now = self._stamp(at=at)
            invoice = Invoice(self._gid("Invoice"), job.account_id, str(1000 + next(self._numbers)), job.client_id,
                              [job.id], Decimal(total), now + due_in, now, now, issued_at=now if sent else None)
            self.invoices[invoice.id] = invoice
            self._notify("INVOICE_CREATE", invoice.id, invoice.account_id, now)
            return invoice

    def _touch_invoice(self, invoice: Invoice, topic: str | None, at: datetime | None = None) -> None:
        invoice.updated_at = self._stamp(invoice.updated_at, at)
        if topic:
            self._notify(topic, invoice.id, invoice.account_id, invoice.updated_at)

    def send_invoice(self, invoice_id: str, *, at: datetime | None = None) -> Invoice:
        with self.lock:
            invoice = self.invoices[invoice_id]
            self._touch_invoice(invoice, "INVOICE_UPDATE", at)
            invoice.issued_at = invoice.updated_at
            return invoice

    def mark_bad_debt(self, invoice_id: str) -> Invoice:
        with self.lock:
            invoice = self.invoices[invoice_id]
            invoice.status_override = "bad_debt"
            self._touch_invoice(invoice, "INVOICE_UPDATE")
            return invoice

    def add_payment(self, invoice_id: str, amount: Decimal | str, *, at: datetime | None = None) -> Payment:
        """Records a payment on an invoice (moving the invoice's updatedAt, as Jobber does)."""
        with self.lock:
            invoice = self.invoices[invoice_id]
            self._touch_invoice(invoice, "INVOICE_UPDATE", at)
            payment = Payment(self._gid("PaymentRecord"), invoice.account_id, invoice.id, Decimal(amount),
                              invoice.updated_at)
            self.payments[payment.id] = payment
            invoice.payment_ids.append(payment.id)
            self._notify("PAYMENT_CREATE", payment.id, payment.account_id, payment.entry_date)
            return payment

    # -- webhooks --------------------------------------------------------------------------
    def webhook(self, topic: str, item_id: str, *, account_id: str = DEFAULT_ACCOUNT,
                occurred_at: datetime | None = None, secret: str | None = None,
                legacy_spelling: bool = False) -> tuple[dict[str, str], bytes]:
        """The headers and body Jobber sends for one event, signed like Jobber signs them."""
        when = (occurred_at or self.clock()).astimezone(self.tz).isoformat(timespec="seconds")
        event = {"topic": topic, "appId": self.app_id, "accountId": account_id, "itemId": item_id,
                 ("occuredAt" if legacy_spelling else "occurredAt"): when}
        body = json.dumps({"data": {"webHookEvent": event}}).encode()
        headers = {"Content-Type": "application/json",
                   SIGNATURE_HEADER: sign(self.client_secret if secret is None else secret, body)}
        return headers, body

    def send_webhook(self, url: str, topic: str, item_id: str, **kw: Any) -> requests.Response:
        headers, body = self.webhook(topic, item_id, **kw)
        return requests.post(url, data=body, headers=headers, timeout=10)

    def deliver(self, url: str) -> list[requests.Response]:
        """Sends every recorded webhook to `url`, oldest first, and empties the outbox."""
        with self.lock:
            pending, self.outbox = self.outbox, []
        return [self.send_webhook(url, e.topic, e.item_id, account_id=e.account_id, occurred_at=e.occurred_at)
                for e in pending]

    # -- derived state ---------------------------------------------------------------------
    def _ts(self, at: datetime | None) -> str | None:
        return at.astimezone(self.tz).isoformat(timespec="seconds") if at is not None else None

    def _job_visits(self, job: Job) -> list[Visit]:
        visits = [self.visits[v] for v in job.visit_ids]
        far = datetime.max.replace(tzinfo=UTC)
        return sorted(visits, key=lambda v: (v.start_at or far, v.id))

    def job_status(self, job: Job) -> str:
        """Jobber's jobStatus: archived when closed, else what the visits and the clock say."""
        if job.closed:
            return "archived"
        if job.status_override:
            return job.status_override
        visits = self._job_visits(job)
        pending = [v for v in visits if v.completed_at is None]
        now = self.clock()
        if visits and not pending:
            return "requires_invoicing"
        timed = [v for v in pending if v.start_at is not None]
        if any(v.end_at is not None and v.end_at < now for v in timed):
            return "late"
        if any(v.start_at is not None and v.start_at.date() == now.date() for v in timed):
            return "today"
        if timed:
            return "upcoming"
        return "unscheduled" if pending else "action_required"

    def _visit_status(self, visit: Visit) -> str:
        now = self.clock()
        if visit.completed_at is not None:
            return "COMPLETED"
        if visit.start_at is None:
            return "UNSCHEDULED"
        if visit.end_at is not None and visit.end_at < now:
            return "LATE"
        return "TODAY" if visit.start_at.date() == now.date() else "UPCOMING"

    def invoice_amounts(self, invoice: Invoice) -> tuple[Decimal, Decimal]:
        paid = sum((self.payments[p].amount for p in invoice.payment_ids), Decimal(0))
        return paid, invoice.total - paid

    def invoice_status(self, invoice: Invoice) -> str:
        if invoice.status_override:
            return invoice.status_override
        if invoice.issued_at is None:
            return "draft"
        _, balance = self.invoice_amounts(invoice)
        if balance <= 0:
            return "paid"
        if invoice.due_at is not None and invoice.due_at < self.clock():
            return "past_due"
        return "awaiting_payment"

    # -- JSON as Jobber answers it ---------------------------------------------------------
    @staticmethod
    def _connection(nodes: list[Any]) -> dict[str, Any]:
        return {"nodes": nodes, "totalCount": len(nodes),
                "pageInfo": {"hasNextPage": False, "hasPreviousPage": False, "startCursor": None, "endCursor": None}}

    def _client_json(self, client: Client) -> dict[str, Any]:
        first, _, last = client.name.partition(" ")
        return {
            "id": client.id, "name": client.name, "firstName": first, "lastName": last, "companyName": None,
            "isCompany": False, "createdAt": self._ts(client.created_at), "updatedAt": self._ts(client.updated_at),
            "emails": [{"id": f"{client.id}-e{i}", "address": e, "primary": i == 0, "description": "MAIN"}
                       for i, e in enumerate(client.emails)],
            "phones": [{"id": f"{client.id}-p{i}", "number": p, "primary": i == 0, "description": "Main"}
                       for i, p in enumerate(client.phones)],
            "billingAddress": {k: client.billing.get(k, "") for k in
                               ("street1", "street2", "city", "province", "postalCode", "country")},
            "jobberWebUri": f"https://secure.getjobber.com/clients/{client.id}",
        }

    def _user_json(self, user: User) -> dict[str, Any]:
        first, _, last = user.name.partition(" ")
        return {"id": user.id, "name": {"full": user.name, "first": first, "last": last},
                "email": {"raw": user.email, "isValid": True}}

    def _visit_json(self, visit: Visit, limits: _Limits, *, with_job: bool = False) -> dict[str, Any]:
        users = [self._user_json(self.users[u]) for u in visit.user_ids][: limits.users]
        body: dict[str, Any] = {
            "id": visit.id, "title": self.jobs[visit.job_id].title, "startAt": self._ts(visit.start_at),
            "endAt": self._ts(visit.end_at), "completedAt": self._ts(visit.completed_at),
            "isComplete": visit.completed_at is not None, "visitStatus": self._visit_status(visit),
            "createdAt": self._ts(visit.created_at), "allDay": False, "assignedUsers": self._connection(users),
        }
        if with_job:
            body["job"] = self._job_json(self.jobs[visit.job_id], limits)
        return body

    def _job_json(self, job: Job, limits: _Limits) -> dict[str, Any]:
        visits = self._job_visits(job)
        pending = [v for v in visits if v.completed_at is None]
        coordinates = ({"latitude": job.lat, "longitude": job.lng} if job.lat is not None and job.lng is not None
                       else None)
        return {
            "id": job.id, "jobNumber": job.number, "title": job.title, "instructions": job.instructions,
            "jobStatus": self.job_status(job), "jobType": "ONE_OFF", "createdAt": self._ts(job.created_at),
            "updatedAt": self._ts(job.updated_at), "completedAt": self._ts(job.completed_at),
            "startAt": self._ts(visits[0].start_at) if visits else None, "total": 0.0,
            "client": self._client_json(self.clients[job.client_id]),
            "property": {"id": f"{job.id}-property", "address": {
                **{k: job.address.get(k) for k in ("street1", "street2", "city", "province", "postalCode", "country")},
                "street": job.address.get("street1", ""), "coordinates": coordinates}},
            "visitsInfo": {"incompleteTotal": len(pending),
                           "scheduledCount": sum(1 for v in pending if v.start_at is not None),
                           "unscheduledCount": sum(1 for v in pending if v.start_at is None),
                           "futureCount": len(pending), "pastCount": 0, "mostRecentVisitStartAt": None},
            "visits": self._connection([self._visit_json(v, limits) for v in visits][: limits.visits]),
            "notes": self._connection(job.notes),
            "jobberWebUri": f"https://secure.getjobber.com/work_orders/{job.id}",
        }

    def _invoice_json(self, invoice: Invoice, limits: _Limits) -> dict[str, Any]:
        paid, balance = self.invoice_amounts(invoice)
        return {
            "id": invoice.id, "invoiceNumber": invoice.number, "invoiceStatus": self.invoice_status(invoice),
            "subject": "For services rendered", "issuedDate": self._ts(invoice.issued_at),
            "dueDate": self._ts(invoice.due_at), "createdAt": self._ts(invoice.created_at),
            "updatedAt": self._ts(invoice.updated_at),
            "amounts": {"total": float(invoice.total), "subtotal": float(invoice.total),
                        "invoiceBalance": float(balance), "paymentsTotal": float(paid), "taxAmount": 0.0,
                        "discountAmount": 0.0, "depositAmount": 0.0, "tipsTotal": 0.0, "nonTaxAmount": 0.0},
            "client": self._client_json(self.clients[invoice.client_id]),
            "jobs": self._connection([{"id": j, "jobNumber": self.jobs[j].number} for j in invoice.job_ids
                                      if j in self.jobs][: limits.invoice_jobs]),
            "jobberWebUri": f"https://secure.getjobber.com/invoices/{invoice.id}",
        }

    def _payment_json(self, payment: Payment, limits: _Limits) -> dict[str, Any]:
        return {"__typename": "CashPaymentRecord", "id": payment.id, "amount": float(payment.amount),
                "entryDate": self._ts(payment.entry_date), "paymentType": "CASH",
                "invoice": self._invoice_json(self.invoices[payment.invoice_id], limits)}

    # -- the GraphQL endpoint --------------------------------------------------------------
    def _graphql(self) -> Response | tuple[Response, int]:
        header = request.headers.get("Authorization", "")
        account = self.oauth.valid_access(header[7:]) if header.startswith("Bearer ") else None
        if account is None:
            return jsonify(message="Unauthorized"), 401
        version = request.headers.get(VERSION_HEADER, "")
        known = re.fullmatch(r"\d{4}-\d{2}-\d{2}", version) if self.versions is None else version in self.versions
        if not known:
            return jsonify(errors=[{"message": f"{VERSION_HEADER} must name a supported API version"}]), 400
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or not isinstance(body.get("query"), str):
            return jsonify(errors=[{"message": "No query string was present"}]), 400
        query, variables = body["query"], body.get("variables") or {}
        with self.lock:
            if self.throttles:
                return jsonify(self._throttled(self.throttles.popleft()))
            try:
                mutation, root = _root_field(query)
                if not isinstance(variables, dict):
                    raise GraphQLError("variables must be an object")
                limits = _Limits(_limit(query, "visits"), _limit(query, "assignedUsers"), _limit(query, "jobs"))
                value = self._resolve(account, mutation, root, variables, limits)
            except GraphQLError as exc:
                return jsonify({"errors": [{"message": exc.message, "locations": [],
                                            "extensions": {"code": exc.code} if exc.code else {}}]})
        cost = 30.0 * int(variables.get("first") or 1)
        return jsonify({"data": {root: value}, "extensions": {"cost": {
            "requestedQueryCost": cost, "actualQueryCost": cost, "throttleStatus": {
                "maximumAvailable": MAXIMUM_AVAILABLE, "currentlyAvailable": MAXIMUM_AVAILABLE - cost,
                "restoreRate": RESTORE_RATE}}}})

    @staticmethod
    def _throttled(bucket: dict[str, float]) -> dict[str, Any]:
        return {"errors": [{"message": "Throttled", "extensions": {
                    "code": "THROTTLED", "documentation":
                    "https://developer.getjobber.com/docs/using_jobbers_api/api_rate_limits"}}],
                "extensions": {"cost": {"requestedQueryCost": bucket["requested"], "actualQueryCost": None,
                                        "throttleStatus": {"maximumAvailable": MAXIMUM_AVAILABLE,
                                                           "currentlyAvailable": bucket["available"],
                                                           "restoreRate": bucket["restore"]}}}}

    def _resolve(self, account: str, mutation: bool, root: str, variables: dict[str, Any], limits: _Limits) -> Any:
        kind = "Mutation" if mutation else "Query"
        handler = getattr(self, f"_{kind.lower()}_{root}", None)
        if handler is None:
            raise GraphQLError(f"Field '{root}' doesn't exist on type '{kind}'", "undefinedField")
        return handler(account, variables, limits)

    def _own(self, items: dict[str, _T], account: str, item_id: Any) -> _T | None:
        item = items.get(item_id) if isinstance(item_id, str) else None
        return item if item is not None and getattr(item, "account_id", None) == account else None

    def _query_account(self, account: str, variables: dict[str, Any], limits: _Limits) -> Any:
        return {"id": account, "name": self.accounts.get(account, "Jobber account"), "createdAt": None}

    def _query_job(self, account: str, variables: dict[str, Any], limits: _Limits) -> Any:
        job = self._own(self.jobs, account, variables.get("id"))
        return self._job_json(job, limits) if job else None

    def _query_visit(self, account: str, variables: dict[str, Any], limits: _Limits) -> Any:
        visit = self.visits.get(variables.get("id") or "")
        job = self._own(self.jobs, account, visit.job_id) if visit else None
        return self._visit_json(visit, limits, with_job=True) if visit and job else None

    def _query_invoice(self, account: str, variables: dict[str, Any], limits: _Limits) -> Any:
        invoice = self._own(self.invoices, account, variables.get("id"))
        return self._invoice_json(invoice, limits) if invoice else None

    def _query_client(self, account: str, variables: dict[str, Any], limits: _Limits) -> Any:
        client = self._own(self.clients, account, variables.get("id"))
        return self._client_json(client) if client else None

    def _query_paymentRecord(self, account: str, variables: dict[str, Any], limits: _Limits) -> Any:
        payment = self._own(self.payments, account, variables.get("id"))
        return self._payment_json(payment, limits) if payment else None

    def _query_jobs(self, account: str, variables: dict[str, Any], limits: _Limits) -> Any:
        jobs = [j for j in self.jobs.values() if j.account_id == account]
        filters = variables.get("filter") or {}
        self._check_input(filters, JOB_FILTER_FIELDS, "JobFilterAttributes", "filter")
        for name, value in filters.items():
            if name == "ids":
                jobs = [j for j in jobs if j.id in value]
            elif name == "status":
                jobs = [j for j in jobs if value == self.job_status(j)
                        or (value == "active" and self.job_status(j) != "archived")]
            elif name == "createdAt":
                jobs = [j for j in jobs if _in_range(j.created_at, value, "createdAt")]
            else:
                raise GraphQLError(f"the Jobber emulator does not implement jobs(filter: {{{name}}})")
        keys = {"UPDATED_AT": lambda j: j.updated_at, "JOB_NUMBER": lambda j: j.number}
        jobs = self._sorted(jobs, variables.get("sort"), keys, JOB_SORT_KEYS)
        return self._page(jobs, variables, lambda j: self._job_json(j, limits))

    def _query_invoices(self, account: str, variables: dict[str, Any], limits: _Limits) -> Any:
        invoices = [i for i in self.invoices.values() if i.account_id == account]
        filters = variables.get("filter") or {}
        self._check_input(filters, INVOICE_FILTER_FIELDS, "InvoiceFilterAttributes", "filter")
        for name, value in filters.items():
            if name in ("updatedAt", "createdAt"):
                attr = "updated_at" if name == "updatedAt" else "created_at"
                invoices = [i for i in invoices if _in_range(getattr(i, attr), value, name)]
            elif name == "status":
                invoices = [i for i in invoices if self.invoice_status(i) == value]
            elif name == "clientId":
                invoices = [i for i in invoices if i.client_id == value]
            else:
                raise GraphQLError(f"the Jobber emulator does not implement invoices(filter: {{{name}}})")
        keys = {"UPDATED_AT": lambda i: i.updated_at, "CREATED_AT": lambda i: i.created_at}
        invoices = self._sorted(invoices, variables.get("sort"), keys, INVOICE_SORT_KEYS)
        return self._page(invoices, variables, lambda i: self._invoice_json(i, limits))

    @staticmethod
    def _check_input(value: Any, allowed: frozenset[str], type_name: str, variable: str) -> None:
        if not isinstance(value, dict):
            raise GraphQLError(f"Variable ${variable} of type {type_name} was provided invalid value")
        for name in value:
            if name not in allowed:
                raise GraphQLError(f"Variable ${variable} of type {type_name} was provided invalid value for {name} "
                                   f"(Field is not defined on {type_name})", "variableMismatch")

    @staticmethod
    def _sorted(items: list[Any], sort: Any, keys: dict[str, Callable[[Any], Any]],
                allowed: frozenset[str]) -> list[Any]:
        orders = sort if sort is not None else [{"key": "UPDATED_AT", "direction": "DESCENDING"}]
        for order in reversed(orders if isinstance(orders, list) else [orders]):
            key, direction = order.get("key"), order.get("direction")
            if key not in allowed or direction not in ("ASCENDING", "DESCENDING"):
                raise GraphQLError(f"Variable $sort was provided invalid value ({key} {direction})", "variableMismatch")
            if key not in keys:
                raise GraphQLError(f"the Jobber emulator does not implement sorting on {key}")
            items = sorted(items, key=keys[key], reverse=direction == "DESCENDING")
        return items

    @staticmethod
    def _page(items: list[Any], variables: dict[str, Any], render: Callable[[Any], Any]) -> dict[str, Any]:
        first = variables.get("first")
        size = 100 if first is None else int(first)
        start = _uncursor(variables["after"]) + 1 if variables.get("after") else 0
        chosen = items[start:start + size]
        end = start + len(chosen) - 1
        return {"nodes": [render(i) for i in chosen], "totalCount": len(items), "pageInfo": {
            "hasNextPage": start + size < len(items), "hasPreviousPage": start > 0,
            "startCursor": _cursor(start) if chosen else None, "endCursor": _cursor(end) if chosen else None}}

    def _mutation_jobCreateNote(self, account: str, variables: dict[str, Any], limits: _Limits) -> Any:
        job = self._own(self.jobs, account, variables.get("jobId"))
        message = (variables.get("input") or {}).get("message") or ""
        if job is None:
            return {"jobNote": None, "job": None, "userErrors": [{"message": "Job not found", "path": ["jobId"]}]}
        if not message.strip():
            return {"jobNote": None, "job": None,
                    "userErrors": [{"message": "Message can't be blank", "path": ["input", "message"]}]}
        note = {"id": self._gid("JobNote"), "message": message, "createdAt": self._ts(self._stamp()), "pinned": False}
        job.notes.append(note)
        return {"jobNote": note, "job": {"id": job.id}, "userErrors": []}

    def _mutation_visitComplete(self, account: str, variables: dict[str, Any], limits: _Limits) -> Any:
        visit = self.visits.get(variables.get("visitId") or "")
        if visit is None or self._own(self.jobs, account, visit.job_id) is None:
            return {"visit": None, "userErrors": [{"message": "Visit not found", "path": ["visitId"]}]}
        if visit.completed_at is not None:
            return {"visit": self._visit_json(visit, limits),
                    "userErrors": [{"message": "Visit has already been completed", "path": ["visitId"]}]}
        given = (variables.get("input") or {}).get("completedAt")
        self._complete(visit, _when(given, "completedAt") if given else None)
        return {"visit": self._visit_json(visit, limits), "userErrors": []}

    def _mutation_appDisconnect(self, account: str, variables: dict[str, Any], limits: _Limits) -> Any:
        self.oauth.revoke_all(account)
        self._notify("APP_DISCONNECT", account, account, self._stamp())
        return {"app": {"id": self.app_id, "name": "Backbone"}, "userErrors": []}
