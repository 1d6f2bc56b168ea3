"""A connection's states: connected, needing a reconnect, uninstalled (and what each one does)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import sqlalchemy as sa

from connector.db.models import InstallStatus, WebhookInbox
from connector.db.models.installs import InboxStatus
from connector.providers.http import Unauthorized
from triggers.canonical import CanonicalEvent, EventType

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.orm import Session

    from connector.db.models import Install
    from connector.jobs.queues import Queues
    from connector.providers.http import ApiError

logger = logging.getLogger(__name__)


def forget_secrets(install: Install) -> None:
    install.access_token_encrypted = None
    install.refresh_token_encrypted = None
    install.credentials_encrypted = None
    install.access_expires_at = None
    install.refresh_expires_at = None


def uninstall(session: Session, install: Install, now: datetime, *, reason: str) -> None:
    """Deletes the tokens and stops processing: webhooks for it are ignored, nothing is synced."""
    forget_secrets(install)
    install.status = InstallStatus.UNINSTALLED.value
    install.status_reason = reason[:300]
    install.uninstalled_at = now
    session.execute(
        sa.update(WebhookInbox)
        .where(WebhookInbox.install_id == install.id, WebhookInbox.status == InboxStatus.PENDING)
        .values(status=InboxStatus.FAILED, last_error="connection uninstalled", processed_at=now)
    )
    logger.info("connection.uninstalled install=%s provider=%s", install.id, install.provider)


def needs_reconnect(session: Session, queues: Queues, install: Install, now: datetime, *, reason: str) -> None:
    """Marks the connection as needing the user to reconnect, and fires `connection_needs_reconnect`."""
    from connector.ingest.recorder import record_event

    if install.status != InstallStatus.ACTIVE:
        return
    install.status = InstallStatus.RECONNECT_NEEDED.value
    install.status_reason = reason[:300]
    event = CanonicalEvent(
        event_id=f"backbone:connection:{install.id}:reconnect:{install.token_version}",
        type=EventType.CONNECTION_NEEDS_RECONNECT, occurred_at=now, source="backbone",
        source_id=install.account_id, subject_id=install.id,
        data={"connection_id": install.id, "provider": install.provider, "account_id": install.account_id,
              "account_name": install.account_name, "reason": install.status_reason},
    )
    record_event(session, queues, install.tenant_id, event)
    logger.warning("connection.needs_reconnect install=%s provider=%s reason=%s", install.id, install.provider,
                   reason)


def refused(session: Session, queues: Queues, install: Install, now: datetime, exc: ApiError) -> None:
    """The provider refused our credentials even after a refresh (401): the user must reconnect."""
    if isinstance(exc, Unauthorized):
        needs_reconnect(session, queues, install, now,
                        reason=f"{install.provider} refused Backbone's credentials (401): reconnect it in Backbone.")


def connected(install: Install, now: datetime) -> None:
    """A fresh install or a reconnect: processing resumes."""
    install.status = InstallStatus.ACTIVE.value
    install.status_reason = None
    install.uninstalled_at = None
    install.last_sync_error = None
    install.token_refreshed_at = now
