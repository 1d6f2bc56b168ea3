"""Connections of a tenant to an FSM or accounting provider, and the sandbox accounting ledger."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

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
    # Provider-specific switches (the sandbox's simulated outages live here).
    options: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SandboxAccountingInvoice(TenantScoped, Base):
    """The sandbox accounting system's own invoice store (the stand-in for QuickBooks).

    Like QuickBooks' `requestid`, `request_id` makes a retried create return the first invoice.
    """

    __tablename__ = "sandbox_accounting_invoices"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "request_id"),)

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=new_id)
    request_id: Mapped[str] = mapped_column(sa.String(200))
    doc_number: Mapped[str] = mapped_column(sa.String(40))
    total: Mapped[Decimal]
    document: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
