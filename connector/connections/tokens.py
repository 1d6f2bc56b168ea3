"""Provider tokens: encrypted at rest, refreshed before they expire, one refresh at a time.

Jobber invalidates a refresh token the moment it is used; QuickBooks may rotate it on any
refresh and expires it after 100 idle days. So a refresh happens only with the connection's row
locked (`SELECT ... FOR UPDATE` on PostgreSQL; SQLite's `BEGIN IMMEDIATE` serializes writers),
re-reads the row first (another process may have just refreshed), and always keeps the newest
refresh token. A provider that refuses the refresh token (`invalid_grant`) marks the connection
"reconnect needed"; a network failure leaves the tokens as they were, to try again.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import requests
import sqlalchemy as sa
from authlib.integrations.requests_client import OAuth2Session, OAuthError

from connector.connections.lifecycle import needs_reconnect
from connector.db.models import Install, InstallStatus
from connector.providers import PROVIDERS
from connector.providers.base import Grant
from connector.providers.http import ApiError

if TYPE_CHECKING:
    from connector.config import ProviderApp
    from connector.crypto import SecretBox
    from connector.providers.base import OAuthEndpoints, ProviderAdapter
    from connector.runtime import Runtime

logger = logging.getLogger(__name__)

TOKEN_TIMEOUT = 15.0
#: A token with less life than this left is not handed out.
MIN_LIFE = timedelta(seconds=60)
#: What the provider's token endpoint said that means the user must connect again.
REFUSALS = {"invalid_grant", "invalid_client", "unauthorized_client"}


class ConnectionUnavailable(ApiError):
    """The connection cannot be used now (an ApiError, so adapters and callers handle it as one).

    `retryable` is True for a passing failure (network, 5xx), False when the user must act.
    """

    default_code = "connection_unavailable"

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message, retryable=retryable)


def oauth_session(app: ProviderApp, endpoints: OAuthEndpoints, *, redirect_uri: str | None = None,
                  client_id: str | None = None, client_secret: str | None = None, state: str | None = None
                  ) -> OAuth2Session:
    """Authlib's OAuth 2 client for one provider registration."""
    return OAuth2Session(
        client_id=client_id or app.client_id, client_secret=client_secret or app.client_secret,
        token_endpoint_auth_method=endpoints.token_endpoint_auth_method, redirect_uri=redirect_uri,
        scope=" ".join(endpoints.scopes) or None, state=state, default_timeout=TOKEN_TIMEOUT,
    )


def credentials_of(box: SecretBox, install: Install) -> dict[str, str]:
    if not install.credentials_encrypted:
        return {}
    return dict(json.loads(box.decrypt(install.credentials_encrypted)))


def store_credentials(box: SecretBox, install: Install, values: dict[str, str]) -> None:
    install.credentials_encrypted = box.encrypt(json.dumps(values, sort_keys=True))


def store_token(box: SecretBox, install: Install, token: dict[str, Any], now: datetime,
                endpoints: OAuthEndpoints | None) -> None:
    """Keeps a token answer: the new access token, and the newest refresh token (the old one if none came)."""
    install.access_token_encrypted = box.encrypt(str(token["access_token"]))
    expires_in = token.get("expires_in")
    install.access_expires_at = now + timedelta(seconds=int(expires_in)) if expires_in else None
    if token.get("refresh_token"):
        install.refresh_token_encrypted = box.encrypt(str(token["refresh_token"]))
        refresh_in = token.get("x_refresh_token_expires_in") or token.get("refresh_token_expires_in")
        if refresh_in:
            install.refresh_expires_at = now + timedelta(seconds=int(refresh_in))
        elif endpoints and endpoints.refresh_token_ttl_days:
            install.refresh_expires_at = now + timedelta(days=endpoints.refresh_token_ttl_days)
    install.token_refreshed_at = now
    install.token_version = (install.token_version or 0) + 1


def _fresh(install: Install, now: datetime, min_life: timedelta) -> bool:
    return bool(install.access_token_encrypted) and (
        install.access_expires_at is None or install.access_expires_at > now + min_life)


def _fetch(adapter: ProviderAdapter, app: ProviderApp, endpoints: OAuthEndpoints, box: SecretBox,
           install: Install) -> dict[str, Any]:
    """One call to the token endpoint: a refresh, or a new client-credentials token."""
    if adapter.grant == Grant.CREDENTIALS:
        creds = credentials_of(box, install)
        client = oauth_session(app, endpoints, client_id=creds.get("client_id"),
                               client_secret=creds.get("client_secret"))
        return dict(client.fetch_token(endpoints.token_url, grant_type="client_credentials"))
    if not install.refresh_token_encrypted:
        raise OAuthError(error="invalid_grant", description="no refresh token is stored")
    client = oauth_session(app, endpoints)
    return dict(client.refresh_token(endpoints.token_url, refresh_token=box.decrypt(install.refresh_token_encrypted)))


def refresh(rt: Runtime, install_id: str, *, failed_token: str | None = None,
            min_life: timedelta = MIN_LIFE) -> str:
    """A valid access token for the connection, refreshing it if it has less than `min_life` left.

    See `valid_token`, which also says until when the token is valid.
    """
    return valid_token(rt, install_id, failed_token=failed_token, min_life=min_life)[0]


def valid_token(rt: Runtime, install_id: str, *, failed_token: str | None = None,
                min_life: timedelta = MIN_LIFE) -> tuple[str, datetime | None]:
    """A valid access token for the connection and when it expires (None: unknown or never).

    Args:
        rt: The runtime.
        install_id: The connection.
        failed_token: A token the provider just refused (401): refresh unless it was already replaced.
        min_life: Refresh when the token expires sooner than this.

    Raises:
        ConnectionUnavailable: Not connected, the provider refused the refresh (the connection is
            then marked "reconnect needed"), or the token endpoint could not be reached.
    """
    now = rt.clock()
    with rt.db.session() as session:
        install = session.scalar(sa.select(Install).where(Install.id == install_id).with_for_update())
        if install is None or install.status != InstallStatus.ACTIVE:
            raise ConnectionUnavailable("The connection is not active: reconnect it in Backbone.", retryable=False)
        adapter = PROVIDERS[install.provider]
        app = rt.settings.provider_app(install.provider)
        endpoints = adapter.oauth(app)
        current = rt.secrets.decrypt(install.access_token_encrypted) if install.access_token_encrypted else None
        if endpoints is None:
            return current or "", None  # credentials-only providers (an API key) have no token to refresh
        if current and current != failed_token and _fresh(install, now, min_life):
            # Valid, or another process refreshed it while we waited for the lock.
            return current, install.access_expires_at
        failure: ConnectionUnavailable | None = None
        try:
            token = _fetch(adapter, app, endpoints, rt.secrets, install)
        except OAuthError as exc:
            if exc.error in REFUSALS:
                needs_reconnect(session, rt.queues, install, now,
                                reason=f"{adapter.label} refused the stored credentials ({exc.error}): "
                                       f"reconnect {adapter.label} in Backbone.")
                failure = ConnectionUnavailable(f"{adapter.label} needs to be reconnected.", retryable=False)
            else:
                failure = ConnectionUnavailable(f"{adapter.label} token refresh failed ({exc.error}).", retryable=True)
        except (requests.RequestException, ValueError) as exc:
            logger.warning("connection.refresh.unreachable install=%s error=%s", install_id, type(exc).__name__)
            failure = ConnectionUnavailable(f"{adapter.label} could not be reached to refresh the token.",
                                            retryable=True)
        if failure is None:
            store_token(rt.secrets, install, token, now, endpoints)
            expires_at = install.access_expires_at
            logger.info("connection.refreshed install=%s provider=%s version=%d", install_id, install.provider,
                        install.token_version)
    # Raised after the commit, so "reconnect needed" (and its trigger) is kept.
    if failure is not None:
        raise failure
    return str(token["access_token"]), expires_at


class DbTokenSource:
    """providers.base.TokenSource over the stored, encrypted tokens of one connection.

    The token is read once and held while it has life left, so a client's many calls (a sync's
    pages) do not each lock the connection's row; a refused token is refreshed on the next call.

    `preloaded` is the token as read in the caller's transaction: an action runs inside one
    transaction, and on SQLite a second, writing one (a refresh) would wait for it forever. The
    runner refreshes what is due before the action begins (`prepare`), so the preloaded token
    serves the whole action unless the provider refuses it.
    """

    def __init__(self, rt: Runtime, install_id: str, *, preloaded: tuple[str, datetime | None] | None = None) -> None:
        self.rt = rt
        self.install_id = install_id
        self._in_transaction = preloaded is not None
        self._held = preloaded
        self._refused: str | None = None

    def access_token(self) -> str:
        if self._held is not None and self._refused is None:
            token, expires_at = self._held
            if expires_at is None or expires_at > self.rt.clock() + MIN_LIFE:
                return token
        if self._in_transaction and self.rt.db.url.startswith("sqlite"):
            # SQLite has one writer: a refresh would wait for the action's own transaction.
            raise ConnectionUnavailable("The provider's token must be refreshed first; try again in a moment.",
                                        retryable=True)
        self._held = valid_token(self.rt, self.install_id, failed_token=self._refused)
        self._refused = None
        return self._held[0]

    def invalidate(self) -> None:
        self._refused = self._held[0] if self._held is not None else None


def prepare(rt: Runtime, tenant_id: str, *, min_life: timedelta = timedelta(minutes=10)) -> None:
    """Refreshes the tenant's tokens that expire within `min_life`, before an action's transaction.

    A failure here is only logged: the action then meets it as an upstream error of its own.
    """
    with rt.db.session() as session:
        due = session.scalars(sa.select(Install.id).where(
            Install.tenant_id == tenant_id, Install.status == InstallStatus.ACTIVE,
            Install.access_token_encrypted.is_not(None), Install.access_expires_at < rt.clock() + min_life)).all()
    for install_id in due:
        try:
            refresh(rt, install_id, min_life=min_life)
        except ConnectionUnavailable as exc:
            logger.warning("connection.prepare.failed install=%s %s", install_id, exc.message)


def due_for_refresh(rt: Runtime) -> list[str]:
    """Connections whose access token expires within the margin, or whose refresh token has idled too long."""
    now = rt.clock()
    settings = rt.settings
    soon = now + timedelta(seconds=settings.token_refresh_margin_seconds)
    idle = now - timedelta(days=settings.refresh_idle_days)
    with rt.db.session() as session:
        rows = session.execute(
            sa.select(Install.id).where(
                Install.status == InstallStatus.ACTIVE, Install.access_token_encrypted.is_not(None),
                sa.or_(Install.access_expires_at < soon,
                       sa.and_(Install.refresh_token_encrypted.is_not(None), Install.token_refreshed_at < idle)),
            )
        ).scalars().all()
    return list(rows)


def refresh_due(rt: Runtime) -> dict[str, int]:
    """The periodic job: refreshes every connection due, before its token expires."""
    counts = {"refreshed": 0, "failed": 0}
    margin = timedelta(seconds=rt.settings.token_refresh_margin_seconds)
    idle = timedelta(days=rt.settings.refresh_idle_days)
    for install_id in due_for_refresh(rt):
        try:
            # An idle refresh token is renewed even when the access token still has life left.
            with rt.db.session() as session:
                install = session.get(Install, install_id)
                stale = bool(install and install.token_refreshed_at and install.token_refreshed_at < rt.clock() - idle)
            refresh(rt, install_id, min_life=timedelta(days=36500) if stale else margin)
            counts["refreshed"] += 1
        except ConnectionUnavailable as exc:
            counts["failed"] += 1
            logger.warning("connection.refresh.failed install=%s %s", install_id, exc.message)
    return counts
