"""Truck stock: what each technician's truck holds per SKU, and the orders that refill it."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from connector.db.base import Base, ExactDecimal, TenantScoped, new_id, utcnow

#: Quantities: parts are counted in units, wire and pipe in fractions (feet, metres).
Quantity = ExactDecimal(12, 3)

ORDER_KINDS = ("purchase_order", "warehouse_pull")
ORDER_STATUSES = ("open", "received", "cancelled")


class TruckStockLevel(TenantScoped, Base):
    """One SKU on one truck: the count and its reorder thresholds (min, max)."""

    __tablename__ = "truck_stock_levels"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "technician_id", "sku"),)

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=new_id)
    technician_id: Mapped[str] = mapped_column(
        sa.String(32), sa.ForeignKey("technicians.id", ondelete="CASCADE"), index=True
    )
    sku: Mapped[str] = mapped_column(sa.String(60))
    description: Mapped[str | None] = mapped_column(sa.String(200))
    on_hand: Mapped[Decimal] = mapped_column(Quantity, default=Decimal(0))
    min_quantity: Mapped[Decimal] = mapped_column(Quantity, default=Decimal(0))
    max_quantity: Mapped[Decimal] = mapped_column(Quantity, default=Decimal(0))
    # The last known cost per unit (from a job's parts or the call), priced onto purchase orders.
    unit_cost: Mapped[Decimal | None] = mapped_column(ExactDecimal(12, 4))
    # Grows with every change: stock events and the below-threshold crossing are named by it.
    version: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class StockOrder(TenantScoped, Base):
    """A purchase order or warehouse pull refilling one SKU on one truck.

    `open_key` is "<technician_id>:<sku>" while the order is open and NULL once it is received or
    cancelled: the unique constraint on it lets a truck+SKU have one open order at a time.
    """

    __tablename__ = "stock_orders"
    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "open_key"),
        sa.UniqueConstraint("tenant_id", "request_id"),
        sa.Index("ix_stock_orders_tenant_technician_sku", "tenant_id", "technician_id", "sku"),
    )

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=new_id)
    technician_id: Mapped[str] = mapped_column(
        sa.String(32), sa.ForeignKey("technicians.id", ondelete="CASCADE"), index=True
    )
    sku: Mapped[str] = mapped_column(sa.String(60))
    kind: Mapped[str] = mapped_column(sa.String(20))
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    status: Mapped[str] = mapped_column(sa.String(20), default="open")
    open_key: Mapped[str | None] = mapped_column(sa.String(100))
    # Derived from the run's idempotency key, truck and SKU: the accounting system dedupes on it.
    request_id: Mapped[str] = mapped_column(sa.String(64))
    system: Mapped[str | None] = mapped_column(sa.String(40))
    remote_id: Mapped[str | None] = mapped_column(sa.String(100))
    remote_number: Mapped[str | None] = mapped_column(sa.String(40))
    vendor: Mapped[str | None] = mapped_column(sa.String(200))
    run_id: Mapped[str | None] = mapped_column(sa.String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]
    received_quantity: Mapped[Decimal | None] = mapped_column(Quantity)


class StockJobUsage(TenantScoped, Base):
    """A job whose recorded parts were taken off a truck: a job's parts come off once."""

    __tablename__ = "stock_job_usages"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "job_id"),)

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=new_id)
    job_id: Mapped[str] = mapped_column(sa.String(32), sa.ForeignKey("jobs.id", ondelete="CASCADE"))
    technician_id: Mapped[str] = mapped_column(sa.String(32), sa.ForeignKey("technicians.id", ondelete="CASCADE"))
    run_id: Mapped[str | None] = mapped_column(sa.String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
