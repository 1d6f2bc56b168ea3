"""Authorization codes and token pairs, stored only as SHA-256 digests.

A token family starts at one authorization code (its `family_id` is the code's row id) and grows
by one pair per refresh. Refresh tokens rotate on every use. The pair a refresh answers with is
derived from the presented refresh token with an HMAC under the app's secret key, so a retried
or concurrent refresh within the grace window recomputes the same strings without the plaintext
ever being stored.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from authlib.oauth2.rfc6749 import AuthorizationCodeMixin, InvalidGrantError, TokenMixin

from connector.auth.scopes import normalize
from connector.crypto import digest, new_token
from connector.db.models import AuthorizationCode, OAuthToken, User

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.orm import Session

    from connector.runtime import Runtime

logger = logging.getLogger(__name__)

TOKEN_TYPE = "Bearer"  # noqa: S105 - the RFC 6750 token type name, not a secret
REUSED = "refresh_token_reused"
CODE_REUSED = "authorization_code_reused"


@dataclass(frozen=True)
class GrantUser:
    """The resource owner as Authlib sees it: a user of one tenant."""

    id: str
    tenant_id: str


@dataclass(frozen=True)
class IssuedCode(AuthorizationCodeMixin):
    """An authorization code row as Authlib sees it (detached snapshot)."""

    id: str
    client_id: str
    user_id: str
    tenant_id: str
    redirect_uri: str
    scope: str
    code_challenge: str
    code_challenge_method: str

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope


@dataclass(frozen=True)
class StoredToken(TokenMixin):
    """A token pair found by one of its tokens; `kind` says which one was presented."""

    id: str
    family_id: str
    client_id: str
    scope: str
    kind: str  # "access_token" or "refresh_token"

    def check_client(self, client: Any) -> bool:
        return bool(client.client_id == self.client_id)

    def get_scope(self) -> str:
        return self.scope


# --- authorization codes ----------------------------------------------------------------------


def save_code(
    rt: Runtime,
    code: str,
    *,
    client_id: str,
    user: GrantUser,
    redirect_uri: str,
    scope: str,
    challenge: str,
    method: str,
) -> None:
    now = rt.clock()
    with rt.db.session() as session:
        session.add(
            AuthorizationCode(
                code_digest=digest(code),
                client_id=client_id,
                user_id=user.id,
                tenant_id=user.tenant_id,
                redirect_uri=redirect_uri,
                scope=scope,
                code_challenge=challenge,
                code_challenge_method=method,
                created_at=now,
                expires_at=now + timedelta(seconds=rt.settings.auth_code_ttl),
            )
        )


def find_code(rt: Runtime, code: str, client_id: str) -> IssuedCode | None:
    """The unused, unexpired code issued to this client.

    A code presented a second time revokes every token issued from it (RFC 6749 §4.1.2).
    """
    now = rt.clock()
    with rt.db.session() as session:
        row = session.scalar(sa.select(AuthorizationCode).where(AuthorizationCode.code_digest == digest(code)))
        if row is None or row.client_id != client_id:
            return None
        if row.used_at is not None:
            revoked = revoke_family(session, row.id, now, CODE_REUSED)
            logger.warning("oauth.code.reused", extra={"family_id": row.id, "revoked": revoked})
            return None
        if row.expires_at <= now:
            return None
        return IssuedCode(
            row.id,
            row.client_id,
            row.user_id,
            row.tenant_id,
            row.redirect_uri,
            row.scope,
            row.code_challenge,
            row.code_challenge_method,
        )


def code_owner(rt: Runtime, code: IssuedCode) -> GrantUser | None:
    """The user the code was issued to, if they still belong to the code's tenant."""
    with rt.db.session() as session:
        user = session.get(User, code.user_id)
        if user is None or user.tenant_id != code.tenant_id:
            return None
        return GrantUser(user.id, code.tenant_id)


def issue_from_code(rt: Runtime, token: dict[str, Any], code: IssuedCode) -> None:
    """Stores the first pair of a new family and uses up the code, in one transaction.

    Raises:
        InvalidGrantError: when a concurrent exchange used the code first.
    """
    now = rt.clock()
    with rt.db.session() as session:
        claimed = session.execute(
            sa.update(AuthorizationCode)
            .where(AuthorizationCode.id == code.id, AuthorizationCode.used_at.is_(None))
            .values(used_at=now)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            raise InvalidGrantError("Invalid 'code' in request.")
        session.add(
            _pair_row(
                rt,
                now,
                family_id=code.id,
                client_id=code.client_id,
                user_id=code.user_id,
                tenant_id=code.tenant_id,
                scope=code.scope,
                access=token["access_token"],
                refresh=token["refresh_token"],
            )
        )


# --- token pairs ------------------------------------------------------------------------------


def bearer(access: str, refresh: str, expires_in: int, scope: str) -> dict[str, Any]:
    return {
        "token_type": TOKEN_TYPE,
        "access_token": access,
        "refresh_token": refresh,
        "expires_in": expires_in,
        "scope": scope,
    }


def generate_pair(rt: Runtime, scope: str) -> dict[str, Any]:
    """A new random pair, for the authorization-code grant."""
    return bearer(new_token(), new_token(), rt.settings.access_token_ttl, scope)


def derive_pair(secret_key: str, presented_refresh: str) -> tuple[str, str]:
    """The (access, refresh) pair a refresh token rotates into; the same every time."""

    def derive(label: str) -> str:
        mac = hmac.new(secret_key.encode(), f"{label}:{presented_refresh}".encode(), hashlib.sha256)
        return base64.urlsafe_b64encode(mac.digest()).rstrip(b"=").decode()

    return derive("access"), derive("refresh")


def _pair_row(
    rt: Runtime,
    now: datetime,
    *,
    family_id: str,
    client_id: str,
    user_id: str,
    tenant_id: str,
    scope: str,
    access: str,
    refresh: str,
) -> OAuthToken:
    return OAuthToken(
        family_id=family_id,
        client_id=client_id,
        user_id=user_id,
        tenant_id=tenant_id,
        scope=scope,
        access_token_digest=digest(access),
        refresh_token_digest=digest(refresh),
        issued_at=now,
        access_expires_at=now + timedelta(seconds=rt.settings.access_token_ttl),
        refresh_expires_at=now + timedelta(seconds=rt.settings.refresh_token_ttl),
    )


def find_refresh_token(rt: Runtime, refresh: str) -> StoredToken | None:
    """The pair of a refresh token that is neither revoked nor expired (it may be rotated)."""
    with rt.db.session() as session:
        row = session.scalar(sa.select(OAuthToken).where(OAuthToken.refresh_token_digest == digest(refresh)))
        if row is None or row.revoked_at is not None or row.refresh_expires_at <= rt.clock():
            return None
        return StoredToken(row.id, row.family_id, row.client_id, row.scope, "refresh_token")


def rotate(rt: Runtime, secret_key: str, presented: str, client_id: str, scope: str | None) -> dict[str, Any]:
    """Exchanges a refresh token for the next pair.

    First use: stores the derived pair and marks the presented one rotated. Again within the
    grace window: answers with the same derived pair. Again after it: revokes the family.

    Raises:
        InvalidGrantError: for unknown, expired, revoked or reused refresh tokens.
    """
    now = rt.clock()
    access, refresh = derive_pair(secret_key, presented)
    with rt.db.session() as session:
        # The row lock makes concurrent refreshes of one token take turns: the second one
        # finds the token rotated and answers from the grace window.
        row = session.scalar(
            sa.select(OAuthToken).where(OAuthToken.refresh_token_digest == digest(presented)).with_for_update()
        )
        outcome = _rotate_row(rt, session, row, now, client_id, scope, access, refresh)
    if isinstance(outcome, str):
        raise InvalidGrantError(outcome)
    return outcome


def _rotate_row(
    rt: Runtime,
    session: Session,
    row: OAuthToken | None,
    now: datetime,
    client_id: str,
    scope: str | None,
    access: str,
    refresh: str,
) -> dict[str, Any] | str:
    if row is None or row.client_id != client_id:
        return "Invalid 'refresh_token' in request."
    if row.revoked_at is not None or row.refresh_expires_at <= now:
        return "The refresh token is no longer valid: connect the account again."
    if row.rotated_at is None:
        nxt = _pair_row(
            rt,
            now,
            family_id=row.family_id,
            client_id=row.client_id,
            user_id=row.user_id,
            tenant_id=row.tenant_id,
            scope=normalize(scope) if scope else row.scope,
            access=access,
            refresh=refresh,
        )
        session.add(nxt)
        session.flush()
        row.rotated_at, row.replaced_by_id = now, nxt.id
        return bearer(access, refresh, rt.settings.access_token_ttl, nxt.scope)
    if now - row.rotated_at <= timedelta(seconds=rt.settings.refresh_grace_seconds):
        issued = session.get(OAuthToken, row.replaced_by_id) if row.replaced_by_id else None
        if issued is None or issued.revoked_at is not None or issued.access_token_digest != digest(access):
            return "The refresh token is no longer valid: connect the account again."
        expires_in = max(0, int((issued.access_expires_at - now).total_seconds()))
        return bearer(access, refresh, expires_in, issued.scope)
    revoked = revoke_family(session, row.family_id, now, REUSED)
    logger.warning("oauth.refresh.reused", extra={"family_id": row.family_id, "revoked": revoked})
    return "The refresh token was already used: connect the account again."


def revoke_family(session: Session, family_id: str, now: datetime, reason: str) -> int:
    """Revokes every pair of a family; returns how many were still live."""
    # Lock first, update after: a refresh that is rotating inside this family commits its new
    # pair before the UPDATE below takes its snapshot, so the new pair is revoked too.
    session.execute(sa.select(OAuthToken.id).where(OAuthToken.family_id == family_id).with_for_update())
    result = session.execute(
        sa.update(OAuthToken)
        .where(OAuthToken.family_id == family_id, OAuthToken.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason=reason)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


# --- revocation (RFC 7009) --------------------------------------------------------------------


def find_token(rt: Runtime, token: str, hint: str | None) -> StoredToken | None:
    """The pair holding this access or refresh token; the hint only orders the lookups."""
    kinds = ["access_token", "refresh_token"]
    if hint == "refresh_token":
        kinds.reverse()
    columns = {
        "access_token": OAuthToken.access_token_digest,
        "refresh_token": OAuthToken.refresh_token_digest,
    }
    with rt.db.session() as session:
        for kind in kinds:
            row = session.scalar(sa.select(OAuthToken).where(columns[kind] == digest(token)))
            if row is not None:
                return StoredToken(row.id, row.family_id, row.client_id, row.scope, kind)
    return None


def revoke(rt: Runtime, token: StoredToken) -> None:
    """A refresh token takes its whole family with it; an access token just stops working."""
    now = rt.clock()
    with rt.db.session() as session:
        if token.kind == "refresh_token":
            revoke_family(session, token.family_id, now, "revoked_by_client")
            return
        row = session.get(OAuthToken, token.id, with_for_update=True)
        if row is not None and row.access_expires_at > now:
            row.access_expires_at = now
