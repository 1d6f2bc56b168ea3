"""Projections of the FSM and accounting state, built from canonical events.

They never move backwards: a job's status changes only for an event newer than the last one
applied (`status_changed_at`).
"""

from __future__ import annotations

from datetime import datetime, time
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from connector.db.base import Base, ExactDecimal, TenantScoped, new_id, utcnow


class SourceMixin:
    """Where a row came from: the provider and its id there."""

    source: Mapped[str] = mapped_column(sa.String(40), default="backbone")
    source_id: Mapped[str | None] = mapped_column(sa.String(100))


class Technician(SourceMixin, TenantScoped, Base):
    __tablename__ = "technicians"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "source", "source_id"),)

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(sa.String(200))
    email: Mapped[str | None] = mapped_column(sa.String(320))
    phone: Mapped[str | None] = mapped_column(sa.String(40))
    skills: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    home_address: Mapped[str | None] = mapped_column(sa.String(300))
    home_lat: Mapped[float | None]
    home_lng: Mapped[float | None]
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Customer(SourceMixin, TenantScoped, Base):
    __tablename__ = "customers"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "source", "source_id"),)

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(sa.String(200))
    email: Mapped[str | None] = mapped_column(sa.String(320))
    phone: Mapped[str | None] = mapped_column(sa.String(40))
    address: Mapped[str | None] = mapped_column(sa.String(300))
    city: Mapped[str | None] = mapped_column(sa.String(100))
    region: Mapped[str | None] = mapped_column(sa.String(50))
    postal_code: Mapped[str | None] = mapped_column(sa.String(20))
    lat: Mapped[float | None]
    lng: Mapped[float | None]
    # The FSM's own mail flags; None: it said nothing (the consent ledger's defaults apply).
    mail_consent_marketing: Mapped[bool | None]
    mail_consent_operational: Mapped[bool | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


JOB_STATUSES = ("created", "scheduled", "dispatched", "en_route", "arrived", "completed", "cancelled")


class Job(SourceMixin, TenantScoped, Base):
    __tablename__ = "jobs"
    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "source", "source_id"),
        sa.Index("ix_jobs_tenant_status", "tenant_id", "status"),
    )

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=new_id)
    customer_id: Mapped[str | None] = mapped_column(
        sa.String(32), sa.ForeignKey("customers.id", ondelete="SET NULL"), index=True
    )
    technician_id: Mapped[str | None] = mapped_column(
        sa.String(32), sa.ForeignKey("technicians.id", ondelete="SET NULL"), index=True
    )
    job_type: Mapped[str] = mapped_column(sa.String(60), default="service")
    skill: Mapped[str | None] = mapped_column(sa.String(60))
    priority: Mapped[str] = mapped_column(sa.String(2), default="P3")
    description: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[str] = mapped_column(sa.String(20), default="created")
    # occurred_at of the newest status event applied: older events never move the status.
    status_changed_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    scheduled_start: Mapped[datetime | None]
    scheduled_end: Mapped[datetime | None]
    scheduled_at: Mapped[datetime | None]
    dispatched_at: Mapped[datetime | None]
    en_route_at: Mapped[datetime | None]
    arrived_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    completion_notes: Mapped[str | None] = mapped_column(sa.Text)
    # Expected time on site, for route planning (None: a default by job type).
    estimated_minutes: Mapped[int | None]


class JobPart(TenantScoped, Base):
    """A part used on a job, at the cost the truck stock carries it."""

    __tablename__ = "job_parts"

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=new_id)
    job_id: Mapped[str] = mapped_column(
        sa.String(32), sa.ForeignKey("jobs.id", ondelete="CASCADE"), index=True
    )
    sku: Mapped[str] = mapped_column(sa.String(60))
    description: Mapped[str] = mapped_column(sa.String(200))
    quantity: Mapped[Decimal] = mapped_column(ExactDecimal(10, 3))
    unit_cost: Mapped[Decimal]


class RateCard(TenantScoped, Base):
    """How a tenant bills: the input of generate_invoice."""

    __tablename__ = "rate_cards"
    __table_args__ = (sa.UniqueConstraint("tenant_id"),)

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=new_id)
    currency: Mapped[str] = mapped_column(sa.String(3), default="USD")
    labour_rate_per_hour: Mapped[Decimal] = mapped_column(default=Decimal("95.00"))
    labour_increment_minutes: Mapped[int] = mapped_column(default=15)
    minimum_labour_minutes: Mapped[int] = mapped_column(default=60)
    trip_charge: Mapped[Decimal] = mapped_column(default=Decimal("49.00"))
    parts_markup_percent: Mapped[Decimal] = mapped_column(ExactDecimal(6, 2), default=Decimal("35"))
    tax_rate_percent: Mapped[Decimal] = mapped_column(ExactDecimal(6, 3), default=Decimal("8.25"))
    payment_terms_days: Mapped[int] = mapped_column(default=30)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Labour by skill ({"hvac": "125.00"}) and time band; business hours are in the tenant's time zone.
    skill_rates: Mapped[dict[str, Any]] = mapped_column(default=dict)
    after_hours_multiplier: Mapped[Decimal] = mapped_column(ExactDecimal(6, 3), default=Decimal("1"))
    emergency_multiplier: Mapped[Decimal] = mapped_column(ExactDecimal(6, 3), default=Decimal("1"))
    business_days: Mapped[list[int]] = mapped_column(sa.JSON, default=lambda: [1, 2, 3, 4, 5])
    business_start: Mapped[time] = mapped_column(default=time(8))
    business_end: Mapped[time] = mapped_column(default=time(17))
    # The price book: {"code": {"description": ..., "price": "89.00", "taxable": true}}.
    flat_rate_items: Mapped[dict[str, Any]] = mapped_column(default=dict)
    labour_taxable: Mapped[bool] = mapped_column(default=True)
    trip_taxable: Mapped[bool] = mapped_column(default=True)
    parts_taxable: Mapped[bool] = mapped_column(default=True)


class Invoice(SourceMixin, TenantScoped, Base):
    __tablename__ = "invoices"
    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "source", "number"),
        sa.Index("ix_invoices_tenant_job", "tenant_id", "job_id"),
    )

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=new_id)
    job_id: Mapped[str | None] = mapped_column(sa.String(32), sa.ForeignKey("jobs.id", ondelete="SET NULL"))
    customer_id: Mapped[str | None] = mapped_column(
        sa.String(32), sa.ForeignKey("customers.id", ondelete="SET NULL")
    )
    number: Mapped[str] = mapped_column(sa.String(40))
    status: Mapped[str] = mapped_column(sa.String(20), default="draft")
    currency: Mapped[str] = mapped_column(sa.String(3), default="USD")
    subtotal: Mapped[Decimal]
    tax: Mapped[Decimal]
    total: Mapped[Decimal]
    amount_paid: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    issued_at: Mapped[datetime]
    due_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    paid_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Which action run created it (empty for imported invoices).
    created_by_run_id: Mapped[str | None] = mapped_column(sa.String(32))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)


class InvoiceLine(TenantScoped, Base):
    __tablename__ = "invoice_lines"

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=new_id)
    invoice_id: Mapped[str] = mapped_column(
        sa.String(32), sa.ForeignKey("invoices.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    kind: Mapped[str] = mapped_column(sa.String(20))
    description: Mapped[str] = mapped_column(sa.String(300))
    quantity: Mapped[Decimal] = mapped_column(ExactDecimal(10, 3))
    unit_price: Mapped[Decimal] = mapped_column(ExactDecimal(12, 4))
    amount: Mapped[Decimal]
    taxable: Mapped[bool] = mapped_column(default=True)


class Payment(SourceMixin, TenantScoped, Base):
    __tablename__ = "payments"

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=new_id)
    invoice_id: Mapped[str] = mapped_column(
        sa.String(32), sa.ForeignKey("invoices.id", ondelete="CASCADE"), index=True
    )
    amount: Mapped[Decimal]
    method: Mapped[str] = mapped_column(sa.String(30), default="card")
    received_at: Mapped[datetime]
