"""Canonical events, as received and normalized; unique per tenant by `event_id`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from connector.db.base import Base, BigId, TenantScoped, utcnow


class Event(TenantScoped, Base):
    __tablename__ = "events"
    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "event_id"),
        sa.Index("ix_events_tenant_type_seq", "tenant_id", "type", "seq"),
    )

    # A sequence gives "newest first" a total order even when clocks tie.
    seq: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(sa.String(64))
    type: Mapped[str] = mapped_column(sa.String(60))
    source: Mapped[str] = mapped_column(sa.String(40))
    source_id: Mapped[str | None] = mapped_column(sa.String(100))
    subject_id: Mapped[str | None] = mapped_column(sa.String(32), index=True)
    occurred_at: Mapped[datetime]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    # False when the event arrived after a newer one for the same subject: kept, not applied.
    applied: Mapped[bool] = mapped_column(default=True)
    data: Mapped[dict[str, Any]]
