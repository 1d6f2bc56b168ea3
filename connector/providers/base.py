"""The shape every provider adapter has: identify, verify, normalize."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from datetime import datetime
    from decimal import Decimal

    from triggers.canonical import EventType


class WebhookRejected(Exception):
    """The delivery is not acceptable; `status` is the HTTP answer (401 signature, 422 shape)."""

    def __init__(self, status: int, code: str, message: str, fields: list[dict[str, str]] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields or []


@dataclass(frozen=True)
class PartyUpsert:
    """A customer or technician as the provider describes it."""

    source_id: str
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    address: str | None = None
    lat: float | None = None
    lng: float | None = None


@dataclass(frozen=True)
class PartUpsert:
    sku: str
    description: str
    quantity: Decimal
    unit_cost: Decimal


@dataclass(frozen=True)
class JobUpsert:
    """A job as the provider describes it in one event (None: not said, keep what we have)."""

    source_id: str
    job_type: str | None = None
    priority: str | None = None
    description: str | None = None
    scheduled_start: datetime | None = None
    scheduled_end: datetime | None = None
    completion_notes: str | None = None
    customer: PartyUpsert | None = None
    technician: PartyUpsert | None = None
    parts: tuple[PartUpsert, ...] | None = None


@dataclass(frozen=True)
class InvoiceUpdate:
    source_id: str
    amount_paid: Decimal | None = None


@dataclass(frozen=True)
class NormalizedEvent:
    """One provider event, normalized: the canonical type plus what it says about the subject."""

    event_id: str
    type: EventType
    occurred_at: datetime
    source: str
    job: JobUpsert | None = None
    invoice: InvoiceUpdate | None = None
    raw_topic: str = ""
    extra: dict[str, str] = field(default_factory=dict)


class Headers(Protocol):
    """Case-insensitive header lookup (werkzeug's Headers, or a plain dict in tests)."""

    def get(self, key: str, /) -> str | None: ...


class ProviderAdapter(Protocol):
    name: str

    def account_id(self, headers: Headers) -> str | None:
        """Which provider account sent the delivery, from its headers (before any parsing)."""

    def verify(self, secret: str, headers: Headers, body: bytes) -> bool:
        """Checks the signature over the raw body."""

    def normalize(self, account_id: str, body: bytes) -> list[NormalizedEvent]:
        """Parses a verified delivery into canonical events (raises WebhookRejected on bad shape)."""
