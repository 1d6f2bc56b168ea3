"""Bearer-token protection for API views: `require_token(*scopes)` and the Principal it sets.

Errors are JSON in the house shape. A bad token is a 401 with `WWW-Authenticate` (Zapier and Make
refresh on a 401); a good token without the scope is a 403.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar, cast

import sqlalchemy as sa
from flask import current_app, g, request

from connector import logging as backbone_logging
from connector.auth.scopes import scope_list
from connector.crypto import digest
from connector.db.models import OAuthClient, OAuthToken
from connector.errors import ApiError

if TYPE_CHECKING:
    from connector.runtime import Runtime

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Principal:
    """Who is calling: the user of one tenant, through one OAuth client, with these scopes."""

    tenant_id: str
    user_id: str
    client_id: str
    client_name: str
    scopes: tuple[str, ...]
    token_id: str


class InvalidToken(ApiError):
    status, code = 401, "invalid_token"

    def __init__(self, message: str) -> None:
        super().__init__(message, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})


class InsufficientScope(ApiError):
    status, code = 403, "insufficient_scope"

    def __init__(self, missing: list[str]) -> None:
        needed = " ".join(missing)
        super().__init__(
            f"This needs the {needed} permission: reconnect Backbone and allow it.",
            headers={"WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{needed}"'},
        )


def bearer_token() -> str | None:
    """The token of an `Authorization: Bearer <token>` header, if there is one."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    value = value.strip()
    if scheme.lower() != "bearer" or not value:
        return None
    return value


def authenticate(rt: Runtime, token: str | None, scopes: tuple[str, ...]) -> Principal:
    """The principal of a valid access token holding every one of `scopes`.

    Raises:
        InvalidToken: missing, unknown, expired or revoked token, or revoked client.
        InsufficientScope: the token lacks one of the scopes.
    """
    if token is None:
        raise InvalidToken("Send an access token: Authorization: Bearer <token>.")
    with rt.db.session() as session:
        row = session.execute(
            sa.select(OAuthToken, OAuthClient.name, OAuthClient.revoked_at)
            .join(OAuthClient, OAuthClient.client_id == OAuthToken.client_id)
            .where(OAuthToken.access_token_digest == digest(token))
        ).first()
    if row is None:
        raise InvalidToken("The access token is not valid.")
    pair, client_name, client_revoked_at = row
    if pair.revoked_at is not None or client_revoked_at is not None:
        raise InvalidToken("The access token has been revoked: connect the account again.")
    if pair.access_expires_at <= rt.clock():
        raise InvalidToken("The access token has expired: refresh it.")
    granted = scope_list(pair.scope)
    missing = [scope for scope in scopes if scope not in granted]
    if missing:
        raise InsufficientScope(missing)
    return Principal(pair.tenant_id, pair.user_id, pair.client_id, client_name, tuple(granted), pair.id)


def require_token(*scopes: str) -> Callable[[F], F]:
    """The view needs a valid bearer token holding all of `scopes`; sets `g.principal`."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            rt = cast("Runtime", current_app.extensions["backbone"])
            principal = authenticate(rt, bearer_token(), scopes)
            g.principal = principal
            backbone_logging.bind(tenant_id=principal.tenant_id)
            return view(*args, **kwargs)

        return cast("F", wrapper)

    return decorator


def current_principal() -> Principal:
    """The principal `require_token` authenticated for this request."""
    principal = g.get("principal")
    if not isinstance(principal, Principal):
        raise RuntimeError("current_principal() outside a view protected by require_token")
    return principal
