"""An adapter's API client for one stored connection: tokens, credentials and its rate budget."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from connector.connections.tokens import DbTokenSource, credentials_of
from connector.providers import PROVIDERS
from connector.providers.base import Connection
from connector.providers.http import RateBudget

if TYPE_CHECKING:
    from connector.db.models import Install
    from connector.runtime import Runtime

#: Per-connection request budgets (requests, window seconds), from the providers' published limits.
BUDGETS: dict[str, tuple[int, int]] = {
    "jobber": (2500, 300),  # about 2,500 requests per 5 minutes per app and account
    "quickbooks": (500, 60),  # 500 requests per minute per realm
    "servicetitan": (60, 1),  # 60 requests per second per app and tenant
    "housecallpro": (300, 60),
}


def connection_for(rt: Runtime, install: Install, *, in_transaction: bool = False) -> Connection:
    """The Connection an adapter's client is built on.

    Args:
        rt: The runtime.
        install: The connection's row.
        in_transaction: The client is used inside the caller's transaction (an action): it starts
            from the token as read there instead of opening a transaction of its own.
    """
    limits = BUDGETS.get(install.provider)
    budget = RateBudget(rt.queues.connection, limit=limits[0], window_seconds=limits[1]) if limits else None
    preloaded = None
    if in_transaction and install.access_token_encrypted:
        preloaded = (rt.secrets.decrypt(install.access_token_encrypted), install.access_expires_at)
    return Connection(
        install_id=install.id, account_id=install.account_id, app=rt.settings.provider_app(install.provider),
        tokens=DbTokenSource(rt, install.id, preloaded=preloaded), credentials=credentials_of(rt.secrets, install),
        budget=budget,
    )


def client_for(rt: Runtime, install: Install, *, in_transaction: bool = False) -> Any:
    """The provider's API client for this connection."""
    return PROVIDERS[install.provider].client(connection_for(rt, install, in_transaction=in_transaction))


class StaticTokens:
    """A token just obtained (during an install, before anything is stored)."""

    def __init__(self, token: str) -> None:
        self.token = token

    def access_token(self) -> str:
        return self.token

    def invalidate(self) -> None:
        return None


def close_client(client: Any) -> None:
    """Closes a client's HTTP session (the adapters' clients keep one open for their calls)."""
    close = getattr(client, "close", None)
    if callable(close):
        close()
