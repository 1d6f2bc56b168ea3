"""How a connection is doing, as the home page and `GET /api/v1/connections` show it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from connector.db.models import InstallStatus
from connector.providers import PROVIDERS

if TYPE_CHECKING:
    from datetime import datetime

    from connector.config import Settings
    from connector.db.models import Install


def describe(install: Install, now: datetime, settings: Settings) -> dict[str, Any]:
    """Status, last successful sync and lag; `stale` when the data may be behind the provider.

    Backbone always answers from its projections (the last known state); `stale` says that state
    could not be refreshed from the provider lately, so a reader knows not to trust it as live.
    """
    adapter = PROVIDERS.get(install.provider)
    syncs = adapter is not None and adapter.grant != "none"
    since = install.last_sync_at or install.created_at
    lag = int((now - since).total_seconds()) if syncs else 0
    stale = install.status != InstallStatus.ACTIVE or (syncs and (
        lag > settings.sync_stale_seconds or bool(install.last_sync_error)))
    return {
        "id": install.id,
        "provider": install.provider,
        "label": adapter.label if adapter else install.provider,
        "account_id": install.account_id,
        "account_name": install.account_name,
        "status": install.status,
        "status_reason": install.status_reason,
        "last_sync_at": install.last_sync_at.isoformat() if install.last_sync_at else None,
        "last_sync_error": install.last_sync_error,
        "last_webhook_at": install.last_webhook_at.isoformat() if install.last_webhook_at else None,
        "lag_seconds": lag,
        "stale": stale,
        "connected_at": install.created_at.isoformat(),
    }
