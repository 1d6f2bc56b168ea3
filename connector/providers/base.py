"""The shape every provider adapter has: identify, verify, normalize."""

from __future__ import annotations

import base64
import enum
import hashlib
import hmac
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from pydantic import BaseModel, ValidationError

from connector.errors import validation_fields

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime
    from decimal import Decimal

    from connector.config import ProviderApp
    from connector.providers.http import RateBudget
    from triggers.canonical import EventType


class WebhookRejected(Exception):
    """The delivery is not acceptable; `status` is the HTTP answer (401 signature, 422 shape)."""

    def __init__(self, status: int, code: str, message: str, fields: list[dict[str, str]] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields or []


_M = TypeVar("_M", bound=BaseModel)


def hmac_sha256(secret: str, message: bytes, encoding: str = "base64") -> str:
    """HMAC-SHA256 of `message` under `secret`, base64 (Jobber, Intuit, ...) or hex."""
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return base64.b64encode(digest).decode() if encoding == "base64" else digest.hex()


def refuse_nul(body: bytes) -> None:
    """NUL can be neither stored by PostgreSQL nor meant by any provider: 422 at the edge."""
    if b"\x00" in body or b"\\u0000" in body:
        raise WebhookRejected(422, "invalid_payload", "NUL characters are not allowed in the body.")


def read_body(model: type[_M], body: bytes, what: str) -> _M:
    """A verified webhook body as `model`, or a 422 naming each bad field.

    Args:
        model: The pydantic model of the provider's envelope.
        body: The raw body (already verified).
        what: How the error names the expected body ("a Jobber webhook event").
    """
    refuse_nul(body)
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        raise WebhookRejected(422, "invalid_payload", f"The webhook body is not {what}.",
                              validation_fields(exc)) from exc


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
    """An invoice as the provider describes it (None: not said, keep what we have).

    An invoice Backbone made is matched by `source_id` (the remote id) or by its number; one
    made in the provider is imported when the event carries its number and total.
    """

    source_id: str
    amount_paid: Decimal | None = None
    number: str | None = None
    total: Decimal | None = None
    balance: Decimal | None = None
    currency: str | None = None
    issued_at: datetime | None = None
    due_at: datetime | None = None
    customer: PartyUpsert | None = None
    job_source_id: str | None = None


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


class Grant(enum.StrEnum):
    """How Backbone gets the right to call a provider for one connection."""

    AUTHORIZATION_CODE = "authorization_code"  # marketplace install over OAuth (Jobber, QuickBooks)
    CREDENTIALS = "credentials"  # the company enters API credentials (ServiceTitan, Housecall Pro)
    NONE = "none"  # the built-in sandbox


@dataclass(frozen=True)
class OAuthEndpoints:
    """Where a provider's OAuth 2 authorization server lives, and how a client authenticates."""

    token_url: str
    authorize_url: str = ""
    revoke_url: str | None = None
    scopes: tuple[str, ...] = ()
    #: Authlib's name: "client_secret_post" (Jobber) or "client_secret_basic" (QuickBooks).
    token_endpoint_auth_method: str = "client_secret_post"  # noqa: S105 - a method name
    #: A callback query parameter naming the connected account (QuickBooks: realmId).
    account_param: str | None = None
    #: How long an unused refresh token lives (QuickBooks: 100 days); None when it does not expire.
    refresh_token_ttl_days: int | None = None


@dataclass(frozen=True)
class CredentialField:
    """One value a company enters to connect a credentials-grant provider."""

    name: str
    label: str
    secret: bool = True
    help: str = ""


@dataclass(frozen=True)
class AccountInfo:
    """The provider account a connection is for."""

    account_id: str
    name: str


@dataclass(frozen=True)
class Notification:
    """One thing a webhook delivery says happened, before it is hydrated into canonical events.

    Thin webhooks (Jobber, QuickBooks) carry ids only: `event` is None and the connector fetches
    the item on the queue. Fat ones (sandbox, Housecall Pro) carry the item: `event` is set.
    """

    account_id: str
    topic: str
    item_id: str
    occurred_at: datetime
    #: Same delivery, same key: replays and retries of one delivery are stored once.
    dedupe_key: str
    event: NormalizedEvent | None = None
    #: The provider says the app was disconnected from this account.
    uninstall: bool = False


@dataclass(frozen=True)
class SyncPage:
    """What a catch-up sync found: canonical events, and the cursor to start from next time."""

    events: list[NormalizedEvent]
    cursor: datetime


class TokenSource(Protocol):
    """The current access token of one connection, refreshed by the connector when due."""

    def access_token(self) -> str:
        """A token valid for at least the next minute."""

    def invalidate(self) -> None:
        """The provider answered 401: refresh before the next call."""


@dataclass
class Connection:
    """What an adapter's API client may use for one connection."""

    install_id: str
    account_id: str
    app: ProviderApp
    tokens: TokenSource
    #: Per-connection secrets a company entered (credentials grant), decrypted.
    credentials: dict[str, str] = field(default_factory=dict)
    budget: RateBudget | None = None


def entity_event_id(provider: str, account_id: str, entity: str, item_id: str, version: str, kind: str) -> str:
    """The event id of one version of one item: a webhook and a catch-up sync that see the
    same change produce the same id, so the change is stored (and delivered) once."""
    return f"{provider}:{account_id}:{entity}:{item_id}:{kind}:{version}"


class Headers(Protocol):
    """Case-insensitive header lookup (werkzeug's Headers, or a plain dict in tests)."""

    def get(self, key: str, /) -> str | None: ...


class ProviderAdapter(Protocol):
    """One FSM or accounting system: install, webhooks, API, catch-up. One module per provider."""

    @property
    def name(self) -> str:
        """The provider's key: /webhooks/<name>, /install/<name>."""

    @property
    def label(self) -> str:
        """The provider's name as users know it."""

    @property
    def kind(self) -> str:
        """ "fsm" or "accounting"."""

    @property
    def grant(self) -> Grant:
        """How a connection gets the right to call the provider."""

    @property
    def credential_fields(self) -> tuple[CredentialField, ...]:
        """What a company enters to connect (credentials grant only)."""

    def oauth(self, app: ProviderApp) -> OAuthEndpoints | None:
        """The OAuth endpoints (authorization code, or client credentials for a credentials grant)."""

    def webhook_secret(self, app: ProviderApp) -> str | None:
        """The app-wide webhook signing secret; None when each connection has its own."""

    def account_id(self, headers: Headers) -> str | None:
        """For per-connection secrets: which account sent the delivery, from its headers."""

    def verify(self, secret: str, headers: Headers, body: bytes, app: ProviderApp | None = None) -> bool:
        """Checks the signature over the raw body, before anything parses it (`app`: configurable headers)."""

    def parse(self, body: bytes) -> list[Notification]:
        """Parses a verified delivery (raises WebhookRejected on a bad shape)."""

    def client(self, connection: Connection) -> Any:
        """The provider's API client for one connection."""

    def account(self, client: Any, callback: Mapping[str, str]) -> AccountInfo:
        """The account just connected (after the token exchange or with the entered credentials)."""

    def hydrate(self, client: Any, notification: Notification) -> list[NormalizedEvent]:
        """Fetches what a thin notification names and normalizes it."""

    def changes_since(self, client: Any, since: datetime | None, now: datetime) -> SyncPage:
        """Everything changed since `since` (None: a first, bounded look back), normalized."""
