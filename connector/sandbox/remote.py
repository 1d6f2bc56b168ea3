"""The sandbox's own storage: it plays a remote system, so it keeps its own tables.

For SQLite the sandbox lives in a sibling file (a remote system does not share Backbone's
locks); for PostgreSQL it shares the database but never Backbone's transactions.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from connector.db.base import NAMING_CONVENTION, ExactDecimal, UTCDateTime, new_id, utcnow
from connector.db.session import Database

if TYPE_CHECKING:
    from connector.config import Settings

#: Simulated accounting outages support staff can switch on to see a run fail and replay it.
OUTAGE_MODES = ("off", "unavailable", "timeout_after_create")


class SandboxBase(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: sa.JSON(), Decimal: ExactDecimal(12, 2)}


class SandboxAccount(SandboxBase):
    __tablename__ = "sandbox_accounts"

    account_id: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    accounting_outage: Mapped[str] = mapped_column(sa.String(30), default="off")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class SandboxInvoice(SandboxBase):
    """An invoice in the sandbox accounting system; `request_id` dedupes creates (QuickBooks)."""

    __tablename__ = "sandbox_invoices"
    __table_args__ = (
        sa.UniqueConstraint("account_id", "request_id"),
        sa.UniqueConstraint("account_id", "doc_number"),
    )

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column(sa.String(100), index=True)
    request_id: Mapped[str] = mapped_column(sa.String(200))
    doc_number: Mapped[str] = mapped_column(sa.String(40))
    total: Mapped[Decimal]
    document: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SandboxPurchaseOrder(SandboxBase):
    """A purchase order in the sandbox accounting system; `request_id` dedupes creates (QuickBooks)."""

    __tablename__ = "sandbox_purchase_orders"
    __table_args__ = (
        sa.UniqueConstraint("account_id", "request_id"),
        sa.UniqueConstraint("account_id", "doc_number"),
    )

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column(sa.String(100), index=True)
    request_id: Mapped[str] = mapped_column(sa.String(200))
    doc_number: Mapped[str] = mapped_column(sa.String(40))
    vendor: Mapped[str] = mapped_column(sa.String(200))
    sku: Mapped[str] = mapped_column(sa.String(60))
    quantity: Mapped[Decimal] = mapped_column(ExactDecimal(12, 3))
    document: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SandboxInvoiceSend(SandboxBase):
    """An invoice emailed by the sandbox accounting system; `request_id` dedupes sends, `token` names its pay page."""

    __tablename__ = "sandbox_invoice_sends"
    __table_args__ = (sa.UniqueConstraint("account_id", "request_id"), sa.UniqueConstraint("token"))

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column(sa.String(100), index=True)
    invoice_id: Mapped[str] = mapped_column(sa.String(32), index=True)
    request_id: Mapped[str] = mapped_column(sa.String(200))
    email: Mapped[str | None] = mapped_column(sa.String(320))
    token: Mapped[str] = mapped_column(sa.String(64), default=new_id)
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)


class SandboxNote(SandboxBase):
    """A note on a sandbox job, written back by Backbone (as Jobber's jobCreateNote would)."""

    __tablename__ = "sandbox_notes"

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column(sa.String(100), index=True)
    job_id: Mapped[str] = mapped_column(sa.String(100))
    text: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def sandbox_url(settings: Settings) -> str:
    url = settings.sqlalchemy_url
    if url.startswith("sqlite:///"):
        path = url.removeprefix("sqlite:///")
        stem = path[:-3] if path.endswith(".db") else path
        return f"sqlite:///{stem}-sandbox.db"
    return url


def sandbox_database(settings: Settings) -> Database:
    """The sandbox's Database, its tables created if missing (a simulator needs no migrations)."""
    db = Database(sandbox_url(settings))
    SandboxBase.metadata.create_all(db.engine)
    return db
