"""Recurring service contracts and the visits (jobs) generated from them.

A contract's window is a local time of day in the tenant's time zone; every instant is UTC.
"""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from actions.schedule_recurring import DEFAULT_NOTICE_DAYS
from connector.db.base import Base, TenantScoped, new_id, utcnow


class ServiceContract(TenantScoped, Base):
    """One per customer and service; the cadence is an RFC 5545 RRULE."""

    __tablename__ = "service_contracts"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "customer_id", "service"),)

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=new_id)
    customer_id: Mapped[str] = mapped_column(
        sa.String(32), sa.ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    service: Mapped[str] = mapped_column(sa.String(60))
    rrule: Mapped[str] = mapped_column(sa.String(300))
    window_start: Mapped[time] = mapped_column(sa.Time)
    window_end: Mapped[time] = mapped_column(sa.Time)
    duration_minutes: Mapped[int]
    skills: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    price: Mapped[Decimal]
    starts_on: Mapped[date] = mapped_column(sa.Date)
    notice_days: Mapped[int] = mapped_column(default=DEFAULT_NOTICE_DAYS)
    active: Mapped[bool] = mapped_column(default=True)
    # The newest completion among its visits, as of the last schedule_recurring call.
    last_completed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ContractVisit(TenantScoped, Base):
    """The job of one occurrence (a local day) of a contract, at the contract price."""

    __tablename__ = "contract_visits"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "contract_id", "occurs_on"),)

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=new_id)
    contract_id: Mapped[str] = mapped_column(
        sa.String(32), sa.ForeignKey("service_contracts.id", ondelete="CASCADE"), index=True
    )
    job_id: Mapped[str] = mapped_column(sa.String(32), sa.ForeignKey("jobs.id", ondelete="CASCADE"), unique=True)
    occurs_on: Mapped[date] = mapped_column(sa.Date)
    price: Mapped[Decimal]
    # Bumped by every booking change, so each change announces itself once (event ids carry it).
    revision: Mapped[int] = mapped_column(default=1)
    # Set when Backbone cancelled the visit because it left the series (it may be booked again).
    dropped_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
