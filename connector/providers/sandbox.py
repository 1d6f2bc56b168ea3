"""The built-in sandbox FSM: a signed webhook format modelled on the real FSMs.

Wire format (documented in the README):
    POST /webhooks/sandbox
    X-Sandbox-Account: <account id>
    X-Sandbox-Signature: sha256=<hex HMAC-SHA256(account webhook secret, raw body)>
    {"id": "evt_...", "account_id": "...", "topic": "job.completed", "occurred_at": "...Z",
     "data": {"job": {...}} | {"invoice": {...}}}
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from connector.crypto import constant_time_equals
from connector.providers.base import (
    Grant,
    InvoiceUpdate,
    JobUpsert,
    NormalizedEvent,
    Notification,
    PartUpsert,
    PartyUpsert,
    SyncPage,
    WebhookRejected,
    hmac_sha256,
    read_body,
)
from triggers.canonical import EventType, UtcDateTime

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime

    from connector.config import ProviderApp
    from connector.providers.base import AccountInfo, Connection, CredentialField, Headers, OAuthEndpoints

ACCOUNT_HEADER = "X-Sandbox-Account"
SIGNATURE_HEADER = "X-Sandbox-Signature"

JOB_TOPICS = {t.value: t for t in EventType if t.value.startswith("job.")}
INVOICE_TOPICS = {"invoice.sent": EventType.INVOICE_SENT, "invoice.paid": EventType.INVOICE_PAID}

Id = Annotated[str, Field(min_length=1, max_length=100)]


def sign(secret: str, body: bytes) -> str:
    """The X-Sandbox-Signature value for a body."""
    return "sha256=" + hmac_sha256(secret, body, "hex")


class _Party(BaseModel):
    id: Id
    name: str | None = Field(None, max_length=200)
    email: str | None = Field(None, max_length=320)
    phone: str | None = Field(None, max_length=40)
    address: str | None = Field(None, max_length=300)
    lat: float | None = Field(None, ge=-90, le=90)
    lng: float | None = Field(None, ge=-180, le=180)


class _Part(BaseModel):
    sku: Id
    description: str = Field(max_length=200)
    quantity: Decimal = Field(gt=0, le=10000)
    unit_cost: Decimal = Field(ge=0, le=1_000_000)


class _Job(BaseModel):
    id: Id
    job_type: str | None = Field(None, max_length=60)
    priority: Literal["P1", "P2", "P3"] | None = None
    description: str | None = Field(None, max_length=5000)
    scheduled_start: UtcDateTime | None = None
    scheduled_end: UtcDateTime | None = None
    completion_notes: str | None = Field(None, max_length=5000)
    customer: _Party | None = None
    technician: _Party | None = None
    parts: list[_Part] | None = Field(None, max_length=200)


class _Invoice(BaseModel):
    id: Id
    amount_paid: Decimal | None = Field(None, ge=0)


class _Data(BaseModel):
    job: _Job | None = None
    invoice: _Invoice | None = None


class SandboxDelivery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: Id
    account_id: Id
    topic: str = Field(max_length=60)
    occurred_at: UtcDateTime
    data: _Data


def _party(p: _Party | None) -> PartyUpsert | None:
    if p is None:
        return None
    return PartyUpsert(p.id, p.name, p.email, p.phone, p.address, p.lat, p.lng)


def _job(job: _Job) -> JobUpsert:
    return JobUpsert(
        source_id=job.id,
        job_type=job.job_type,
        priority=job.priority,
        description=job.description,
        scheduled_start=job.scheduled_start,
        scheduled_end=job.scheduled_end,
        completion_notes=job.completion_notes,
        customer=_party(job.customer),
        technician=_party(job.technician),
        parts=None if job.parts is None else tuple(
            PartUpsert(p.sku, p.description, p.quantity, p.unit_cost) for p in job.parts
        ),
    )


class SandboxAdapter:
    """The built-in sandbox FSM: fat, per-connection signed webhooks and no API to call back."""

    name = "sandbox"
    label = "Sandbox FSM"
    kind = "fsm"
    grant = Grant.NONE
    credential_fields: tuple[CredentialField, ...] = ()

    def oauth(self, app: ProviderApp) -> OAuthEndpoints | None:
        return None

    def webhook_secret(self, app: ProviderApp) -> str | None:
        return None  # each connection has its own

    def account_id(self, headers: Headers) -> str | None:
        value = (headers.get(ACCOUNT_HEADER) or "").strip()
        return value or None

    def verify(self, secret: str, headers: Headers, body: bytes, app: ProviderApp | None = None) -> bool:
        given = headers.get(SIGNATURE_HEADER) or ""
        return bool(given) and constant_time_equals(given.strip(), sign(secret, body))

    def parse(self, body: bytes) -> list[Notification]:
        delivery = read_body(SandboxDelivery, body, "a sandbox event")
        event = self._event(delivery)
        if event is None:
            return []  # a topic Backbone does not use: acknowledged, not stored
        subject = event.job.source_id if event.job else event.invoice.source_id if event.invoice else ""
        return [Notification(account_id=delivery.account_id, topic=delivery.topic, item_id=subject,
                             occurred_at=delivery.occurred_at, dedupe_key=delivery.id, event=event)]

    def client(self, connection: Connection) -> None:
        return None

    def account(self, client: object, callback: Mapping[str, str]) -> AccountInfo:
        raise NotImplementedError("the sandbox is connected when the tenant signs up")

    def hydrate(self, client: object, notification: Notification) -> list[NormalizedEvent]:
        return [notification.event] if notification.event else []

    def changes_since(self, client: object, since: datetime | None, now: datetime) -> SyncPage:
        return SyncPage(events=[], cursor=now)  # its webhooks carry everything; nothing to catch up

    def _event(self, d: SandboxDelivery) -> NormalizedEvent | None:
        occurred: datetime = d.occurred_at
        if d.topic in JOB_TOPICS:
            if d.data.job is None:
                raise WebhookRejected(422, "invalid_payload", f"A {d.topic} event needs data.job.",
                                      [{"field": "data.job", "message": "This field is required."}])
            return NormalizedEvent(event_id=f"sandbox:{d.account_id}:{d.id}", type=JOB_TOPICS[d.topic],
                                   occurred_at=occurred, source=self.name, job=_job(d.data.job), raw_topic=d.topic)
        if d.topic in INVOICE_TOPICS:
            if d.data.invoice is None:
                raise WebhookRejected(422, "invalid_payload", f"A {d.topic} event needs data.invoice.",
                                      [{"field": "data.invoice", "message": "This field is required."}])
            inv = d.data.invoice
            return NormalizedEvent(event_id=f"sandbox:{d.account_id}:{d.id}", type=INVOICE_TOPICS[d.topic],
                                   occurred_at=occurred, source=self.name,
                                   invoice=InvoiceUpdate(inv.id, inv.amount_paid), raw_topic=d.topic)
        return None
