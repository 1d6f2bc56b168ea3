"""Rows the tests need, made directly (no HTTP): OAuth clients and tokens, jobs, subscriptions."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import TYPE_CHECKING

from connector.crypto import digest, new_token
from connector.db.models import OAuthClient, OAuthToken

if TYPE_CHECKING:
    from connector.runtime import Runtime
    from tests.conftest import TenantInfo

ALL_SCOPES = "profile triggers hooks actions"


def issue_token(runtime: Runtime, tenant: TenantInfo, scope: str = ALL_SCOPES, *, ttl: int = 3600) -> str:
    """A fresh access token for the tenant's owner through a test client; returns the plaintext."""
    access, refresh = new_token(), new_token()
    now = runtime.clock()
    with runtime.db.session() as session:
        client_id = "test-" + secrets.token_hex(6)
        session.add(OAuthClient(client_id=client_id, client_secret_digest=digest(new_token()), name="Zapier",
                                redirect_uris=["https://zapier.com/dashboard/auth/oauth/return/App1CLIAPI/"],
                                scope=ALL_SCOPES))
        session.add(OAuthToken(tenant_id=tenant.tenant_id, family_id=secrets.token_hex(16), client_id=client_id,
                               user_id=tenant.owner_id, scope=scope, access_token_digest=digest(access),
                               refresh_token_digest=digest(refresh), issued_at=now,
                               access_expires_at=now + timedelta(seconds=ttl),
                               refresh_expires_at=now + timedelta(days=90)))
    return access


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
