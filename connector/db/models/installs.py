"""Connections of a tenant to an FSM or accounting provider, and the webhook inbox."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from connector.db.base import Base, TenantScoped, new_id, utcnow


class InstallStatus(enum.StrEnum):
    ACTIVE = "active"
    RECONNECT_NEEDED = "reconnect_needed"  # tokens can no longer be refreshed: the user must reconnect
    UNINSTALLED = "uninstalled"  # the provider or the user disconnected: nothing is processed


class Install(TenantScoped, Base):
    """A tenant's connection to one provider account (tokens and secrets Fernet-encrypted)."""

    __tablename__ = "installs"
    __table_args__ = (sa.UniqueConstraint("provider", "account_id"),)

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=new_id)
    provider: Mapped[str] = mapped_column(sa.String(40))
    account_id: Mapped[str] = mapped_column(sa.String(100))
    account_name: Mapped[str | None] = mapped_column(sa.String(200))
    status: Mapped[str] = mapped_column(sa.String(30), default=InstallStatus.ACTIVE.value)
    status_reason: Mapped[str | None] = mapped_column(sa.String(300))
    # Per-connection webhook secret (sandbox); providers that sign with an app-wide secret have none.
    webhook_secret_encrypted: Mapped[str | None] = mapped_column(sa.Text)
    # OAuth tokens and entered credentials (JSON), encrypted with the app's secret key (connector.crypto).
    access_token_encrypted: Mapped[str | None] = mapped_column(sa.Text)
    refresh_token_encrypted: Mapped[str | None] = mapped_column(sa.Text)
    credentials_encrypted: Mapped[str | None] = mapped_column(sa.Text)
    access_expires_at: Mapped[datetime | None]
    refresh_expires_at: Mapped[datetime | None]
    token_refreshed_at: Mapped[datetime | None]
    # Bumped by every refresh: a refresher that locked the row sees whether another got there first.
    token_version: Mapped[int] = mapped_column(default=0)
    sync_cursor: Mapped[datetime | None]
    last_sync_at: Mapped[datetime | None]
    last_sync_error: Mapped[str | None] = mapped_column(sa.String(500))
    last_webhook_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    uninstalled_at: Mapped[datetime | None]

    @property
    def active(self) -> bool:
        return self.status == InstallStatus.ACTIVE


class InboxStatus(enum.StrEnum):
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"  # gave up after retries; the catch-up sync still finds the change


class WebhookInbox(TenantScoped, Base):
    """A thin webhook notification, stored before the 2xx and hydrated on the queue."""

    __tablename__ = "webhook_inbox"
    __table_args__ = (
        sa.UniqueConstraint("install_id", "dedupe_key"),
        sa.Index("ix_webhook_inbox_status", "status", "received_at"),
    )

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=new_id)
    install_id: Mapped[str] = mapped_column(sa.String(32), sa.ForeignKey("installs.id", ondelete="CASCADE"))
    provider: Mapped[str] = mapped_column(sa.String(40))
    dedupe_key: Mapped[str] = mapped_column(sa.String(200))
    topic: Mapped[str] = mapped_column(sa.String(80))
    item_id: Mapped[str] = mapped_column(sa.String(100))
    occurred_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(sa.String(20), default=InboxStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.String(500))
    events: Mapped[int] = mapped_column(default=0)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None]


class PendingInstall(Base):
    """A marketplace-started install waiting for its Backbone company (sign in and confirm, or sign up).

    The provider sent the user straight to the callback: the code was exchanged at once (codes live
    minutes), and the tokens wait here, encrypted, until a company owner claims them from the same
    browser session.
    """

    __tablename__ = "pending_installs"

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=new_id)
    provider: Mapped[str] = mapped_column(sa.String(40))
    account_id: Mapped[str] = mapped_column(sa.String(100))
    account_name: Mapped[str] = mapped_column(sa.String(200))
    token_encrypted: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
