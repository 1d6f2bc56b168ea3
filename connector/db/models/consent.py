"""The consent ledger: who may be contacted on which channel for which purpose (append-only)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from connector.db.base import Base, BigId, TenantScoped, utcnow


class ConsentEntry(TenantScoped, Base):
    """One grant or opt-out; never updated or deleted. The newest per (customer, channel, purpose) decides."""

    __tablename__ = "consent_entries"
    __table_args__ = (
        sa.Index("ix_consent_entries_lookup", "tenant_id", "customer_id", "channel", "purpose", "seq"),
    )

    # A sequence orders entries recorded within the same clock tick.
    seq: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    customer_id: Mapped[str] = mapped_column(sa.String(32))
    channel: Mapped[str] = mapped_column(sa.String(10))  # mail | sms | email
    purpose: Mapped[str] = mapped_column(sa.String(20))  # marketing | operational
    granted: Mapped[bool]
    source: Mapped[str] = mapped_column(sa.String(20))  # fsm | form | opt_out_url | support | import
    evidence: Mapped[str] = mapped_column(sa.Text, default="")
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
