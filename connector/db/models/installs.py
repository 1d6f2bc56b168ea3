"""Connections of a tenant to an FSM or accounting provider."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from connector.db.base import Base, TenantScoped, new_id, utcnow


class Install(TenantScoped, Base):
    """A tenant's connection to one provider account."""

    __tablename__ = "installs"
    __table_args__ = (sa.UniqueConstraint("provider", "account_id"),)

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=new_id)
    provider: Mapped[str] = mapped_column(sa.String(40))
    account_id: Mapped[str] = mapped_column(sa.String(100))
    status: Mapped[str] = mapped_column(sa.String(30), default="active")
    # Fernet-encrypted with the app's secret key (see connector.crypto).
    webhook_secret_encrypted: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
