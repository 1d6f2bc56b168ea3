"""REST-hook subscriptions and their deliveries (the outbox) with every attempt."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from connector.db.base import Base, BigId, TenantScoped, new_id, utcnow


class HookSubscription(TenantScoped, Base):
    __tablename__ = "hook_subscriptions"
    __table_args__ = (sa.Index("ix_hook_subscriptions_tenant_trigger", "tenant_id", "trigger_key"),)

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=new_id)
    trigger_key: Mapped[str] = mapped_column(sa.String(60))
    target_url: Mapped[str] = mapped_column(sa.Text)
    # Standard Webhooks signing secret, Fernet-encrypted.
    secret_encrypted: Mapped[str] = mapped_column(sa.Text)
    client_id: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    deleted_at: Mapped[datetime | None]
    deleted_reason: Mapped[str | None] = mapped_column(sa.String(100))


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # a permanent answer (4xx other than 408/409/425/429)
    GAVE_UP = "gave_up"  # retries exhausted
    CANCELLED = "cancelled"  # the subscription is gone (410 or unsubscribed)


class Delivery(TenantScoped, Base):
    """One event for one subscription. Written in the event's transaction: the outbox row."""

    __tablename__ = "deliveries"
    __table_args__ = (
        sa.UniqueConstraint("subscription_id", "event_seq"),
        sa.Index("ix_deliveries_status_next", "status", "next_attempt_at"),
    )

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=new_id)
    subscription_id: Mapped[str] = mapped_column(
        sa.String(32), sa.ForeignKey("hook_subscriptions.id", ondelete="CASCADE"), index=True
    )
    event_seq: Mapped[int] = mapped_column(BigId, sa.ForeignKey("events.seq", ondelete="CASCADE"))
    event_id: Mapped[str] = mapped_column(sa.String(64))
    trigger_key: Mapped[str] = mapped_column(sa.String(60))
    payload: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(sa.String(20), default=DeliveryStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    lease_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None]


class DeliveryAttempt(TenantScoped, Base):
    __tablename__ = "delivery_attempts"
    __table_args__ = (sa.UniqueConstraint("delivery_id", "number"),)

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=new_id)
    delivery_id: Mapped[str] = mapped_column(
        sa.String(32), sa.ForeignKey("deliveries.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int]
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    duration_ms: Mapped[int]
    status_code: Mapped[int | None]
    outcome: Mapped[str] = mapped_column(sa.String(20))  # succeeded | retry | failed | gone
    error: Mapped[str | None] = mapped_column(sa.Text)
    retry_in_seconds: Mapped[float | None]
