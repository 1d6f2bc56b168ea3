"""Hydration: turns a stored thin notification into canonical events through the provider's API."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from connector.connections.clients import client_for, close_client
from connector.connections.lifecycle import refused
from connector.db.models import Install, InstallStatus, WebhookInbox
from connector.db.models.installs import InboxStatus
from connector.ingest.service import ingest
from connector.providers import PROVIDERS
from connector.providers.base import Notification
from connector.providers.http import ApiError

if TYPE_CHECKING:
    from connector.runtime import Runtime

logger = logging.getLogger(__name__)


class HydrationRetry(Exception):
    """A passing failure (the provider is down or throttling): the queue tries again later."""


def hydrate(rt: Runtime, inbox_id: str, *, final: bool = False) -> str:
    """Fetches what the notification names, ingests it, and marks the row done.

    Args:
        rt: The runtime.
        inbox_id: The stored notification.
        final: This is the last attempt the queue will make: a passing failure marks the row failed
            (the catch-up sync still finds the change).

    Raises:
        HydrationRetry: A passing failure with attempts left.
    """
    with rt.db.session() as session:
        row = session.get(WebhookInbox, inbox_id)
        if row is None or row.status != InboxStatus.PENDING:
            return "skipped"
        install = session.get(Install, row.install_id)
        if install is None or install.status != InstallStatus.ACTIVE:
            row.status, row.last_error, row.processed_at = InboxStatus.FAILED, "connection not active", rt.clock()
            return "inactive"
        adapter = PROVIDERS[row.provider]
        notification = Notification(account_id=install.account_id, topic=row.topic, item_id=row.item_id,
                                    occurred_at=row.occurred_at, dedupe_key=row.dedupe_key)
        tenant_id = install.tenant_id
        client = client_for(rt, install)
    try:
        events = adapter.hydrate(client, notification)
    except ApiError as exc:
        close_client(client)
        retryable = exc.retryable
        with rt.db.session() as session:
            row = session.get(WebhookInbox, inbox_id)
            install_row = session.get(Install, row.install_id) if row is not None else None
            if install_row is not None:
                refused(session, rt.queues, install_row, rt.clock(), exc)
            if row is not None:
                row.attempts += 1
                row.last_error = exc.message[:500]
                if final or not retryable:
                    row.status, row.processed_at = InboxStatus.FAILED, rt.clock()
        logger.warning("hydrate.failed inbox=%s retryable=%s %s", inbox_id, retryable, exc.message)
        if retryable and not final:
            raise HydrationRetry(exc.message) from exc
        return "failed"
    close_client(client)
    with rt.db.session() as session:
        stored = sum(ingest(session, rt.queues, tenant_id, event) for event in events)
        row = session.get(WebhookInbox, inbox_id)
        if row is not None:
            row.attempts += 1
            row.status, row.events, row.processed_at = InboxStatus.DONE, stored, rt.clock()
    return "done"
