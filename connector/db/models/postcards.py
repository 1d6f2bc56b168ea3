"""Postcard batches made by queue_postcard, and one row per recipient with its own status."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from connector.db.base import Base, TenantScoped, new_id, utcnow


class PostcardBatch(TenantScoped, Base):
    """A batch: sent through Lob (status scheduled -> sending -> sent) or exported as CSV (exported)."""

    __tablename__ = "postcard_batches"
    __table_args__ = (sa.Index("ix_postcard_batches_status_due", "status", "due_at"),)

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=new_id)
    run_id: Mapped[str | None] = mapped_column(sa.String(32))
    purpose: Mapped[str] = mapped_column(sa.String(20))  # marketing | operational
    delivery: Mapped[str] = mapped_column(sa.String(10))  # lob | export
    status: Mapped[str] = mapped_column(sa.String(20))  # scheduled | sending | sent | exported
    campaign: Mapped[str] = mapped_column(sa.String(200))
    send_window: Mapped[str] = mapped_column(sa.String(10))  # the send date (UTC, YYYY-MM-DD)
    send_date: Mapped[datetime | None]
    # When the batch may go to Lob (the send date, or the queueing time).
    due_at: Mapped[datetime]
    size: Mapped[str] = mapped_column(sa.String(10))
    mail_type: Mapped[str] = mapped_column(sa.String(30))
    front: Mapped[str | None] = mapped_column(sa.Text)
    back: Mapped[str | None] = mapped_column(sa.Text)
    from_address: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    merge_variables: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    description: Mapped[str | None] = mapped_column(sa.String(255))
    csv: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    ready_at: Mapped[datetime | None]


class PostcardRecipient(TenantScoped, Base):
    """One recipient of a batch: queued, then sent / suppressed / address_undeliverable / failed."""

    __tablename__ = "postcard_recipients"
    __table_args__ = (
        # One mail piece per (tenant, campaign, customer, send window), whatever batch holds it.
        sa.UniqueConstraint("tenant_id", "mail_key"),
    )

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=new_id)
    batch_id: Mapped[str] = mapped_column(
        sa.String(32), sa.ForeignKey("postcard_batches.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    customer_id: Mapped[str] = mapped_column(sa.String(32))
    status: Mapped[str] = mapped_column(sa.String(30))
    reason: Mapped[str | None] = mapped_column(sa.String(60))
    # The Idempotency-Key sent to Lob; None for recipients never meant to be mailed.
    mail_key: Mapped[str | None] = mapped_column(sa.String(64))
    name: Mapped[str] = mapped_column(sa.String(200))
    address: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    opt_out_url: Mapped[str | None] = mapped_column(sa.Text)
    last_service_at: Mapped[datetime | None]
    duplicate_of: Mapped[str | None] = mapped_column(sa.String(32))
    lob_id: Mapped[str | None] = mapped_column(sa.String(64))
    detail: Mapped[str | None] = mapped_column(sa.Text)
    sent_at: Mapped[datetime | None]
