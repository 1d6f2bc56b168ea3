"""OAuth clients (Zapier, Make): registration, lookup and the Authlib view of a client.

Client secrets are stored only as SHA-256 digests; the plaintext is shown once, at creation.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import sqlalchemy as sa
from authlib.oauth2.rfc6749 import ClientMixin

from connector.auth.scopes import SCOPES, normalize, scope_list, unknown_scopes
from connector.crypto import constant_time_equals, digest, new_token
from connector.db.models import OAuthClient, OAuthToken

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.orm import Session

    from connector.runtime import Runtime

logger = logging.getLogger(__name__)

#: How a client may authenticate at the token and revocation endpoints.
CLIENT_AUTH_METHODS = ("client_secret_basic", "client_secret_post")
GRANT_TYPES = ("authorization_code", "refresh_token")
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True)
class Client(ClientMixin):
    """A registered client as Authlib sees it (a detached snapshot of the row)."""

    client_id: str
    name: str
    secret_digest: str
    redirect_uris: tuple[str, ...]
    scope: str

    @classmethod
    def from_row(cls, row: OAuthClient) -> Client:
        return cls(row.client_id, row.name, row.client_secret_digest, tuple(row.redirect_uris), row.scope)

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        # RFC 6749 §3.1.2.3: with several registered URIs the request must name one.
        return self.redirect_uris[0] if len(self.redirect_uris) == 1 else None

    def get_allowed_scope(self, scope: str | None) -> str | None:
        """The scope to grant: the client's registered scope when none is asked for.

        None (→ invalid_scope) when a requested scope is not registered for this client.
        """
        if not scope:
            return self.scope
        requested = scope_list(scope)
        allowed = set(scope_list(self.scope))
        if not requested or not set(requested) <= allowed:
            return None
        return normalize(scope)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        # Exact string match only: no prefixes, no normalization (RFC 9700 §4.1.1).
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        return constant_time_equals(digest(client_secret), self.secret_digest)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in CLIENT_AUTH_METHODS

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in GRANT_TYPES


def find_client(rt: Runtime, client_id: str | None) -> Client | None:
    """The active (not revoked) client with this id."""
    if not client_id:
        return None
    with rt.db.session() as session:
        row = session.scalar(
            sa.select(OAuthClient).where(OAuthClient.client_id == client_id, OAuthClient.revoked_at.is_(None))
        )
        return Client.from_row(row) if row else None


def validate_redirect_uri(uri: str) -> str:
    """The URI if it may be registered: https, or http on a loopback host; no fragment.

    Raises:
        ValueError: with the reason, when the URI cannot be registered.
    """
    parts = urlsplit(uri)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValueError(f"{uri!r} is not an absolute https URL")
    if parts.scheme == "http" and parts.hostname not in LOOPBACK_HOSTS:
        raise ValueError(f"{uri!r} must use https (http is allowed only for 127.0.0.1 or localhost)")
    if parts.fragment or uri.endswith("#"):
        raise ValueError(f"{uri!r} must not contain a fragment")
    return uri


def validate_scope(scope: str | None) -> str:
    """A client's registered scope in canonical form (every scope when None).

    Raises:
        ValueError: naming the unknown scopes.
    """
    if scope is None or not scope.strip():
        return " ".join(SCOPES)
    unknown = unknown_scopes(scope.split())
    if unknown:
        raise ValueError(f"unknown scope(s): {', '.join(unknown)}; known: {', '.join(SCOPES)}")
    return normalize(scope)


def create_client(
    session: Session, *, name: str, redirect_uris: list[str], scope: str | None, now: datetime
) -> tuple[str, str]:
    """Registers a client; returns (client_id, client_secret). The secret is stored as a digest.

    Raises:
        ValueError: when the name, a redirect URI or the scope is invalid.
    """
    name = name.strip()
    if not name:
        raise ValueError("the client needs a name")
    if not redirect_uris:
        raise ValueError("register at least one redirect URI")
    uris = [validate_redirect_uri(uri) for uri in dict.fromkeys(redirect_uris)]
    client_id = "bb_" + new_token(18)
    secret = new_token(32)
    session.add(
        OAuthClient(
            client_id=client_id,
            client_secret_digest=digest(secret),
            name=name,
            redirect_uris=uris,
            scope=validate_scope(scope),
            created_at=now,
        )
    )
    session.flush()
    logger.info("oauth.client.created", extra={"client_id": client_id})
    return client_id, secret


def revoke_client(session: Session, client_id: str, now: datetime) -> int | None:
    """Revokes a client and every token issued to it; None when there is no such client."""
    row = session.scalar(sa.select(OAuthClient).where(OAuthClient.client_id == client_id))
    if row is None:
        return None
    if row.revoked_at is None:
        row.revoked_at = now
    result = session.execute(
        sa.update(OAuthToken)
        .where(OAuthToken.client_id == client_id, OAuthToken.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason="client_revoked")
    )
    logger.info("oauth.client.revoked", extra={"client_id": client_id})
    return int(result.rowcount)  # type: ignore[attr-defined]
