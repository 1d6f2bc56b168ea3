"""SqlTruckStock: truck stock levels and stock orders of one tenant (implements actions.context.TruckStock)."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from actions.context import StockLevel
from actions.context import StockOrder as StockOrderRecord
from connector.db.models import Install, StockJobUsage, StockOrder, Technician, TruckStockLevel

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from sqlalchemy.orm import Session

#: Installs that give a tenant an accounting system (purchase orders go there).
ACCOUNTING_PROVIDERS = ("quickbooks", "sandbox")


def open_key(technician_id: str, sku: str) -> str:
    """The value that makes a second open order for the same truck+SKU collide."""
    return f"{technician_id}:{sku}"


def level_record(row: TruckStockLevel) -> StockLevel:
    return StockLevel(
        technician_id=row.technician_id, sku=row.sku, on_hand=Decimal(row.on_hand),
        min_quantity=Decimal(row.min_quantity), max_quantity=Decimal(row.max_quantity), description=row.description,
        unit_cost=None if row.unit_cost is None else Decimal(row.unit_cost), version=row.version,
        updated_at=row.updated_at,
    )


def order_record(row: StockOrder) -> StockOrderRecord:
    return StockOrderRecord(
        id=row.id, technician_id=row.technician_id, sku=row.sku, kind=row.kind, quantity=Decimal(row.quantity),
        status=row.status, request_id=row.request_id, created_at=row.created_at, system=row.system,
        remote_id=row.remote_id, remote_number=row.remote_number, vendor=row.vendor,
    )


class SqlTruckStock:
    """Every method reads or writes only rows of `tenant_id`, in the caller's transaction."""

    def __init__(self, session: Session, tenant_id: str, clock: Callable[[], datetime]) -> None:
        self.session = session
        self.tenant_id = tenant_id
        self.clock = clock

    def lock_truck(self, technician_id: str) -> str | None:
        # The technician row is the truck's lock: runs for one truck take turns (PostgreSQL; SQLite
        # serializes writers anyway), so two runs never both see "no open order" and both order.
        return self.session.scalar(
            sa.select(Technician.name)
            .where(Technician.tenant_id == self.tenant_id, Technician.id == technician_id)
            .with_for_update()
        )

    def default_order_kind(self) -> str:
        connected = self.session.scalar(
            sa.select(sa.func.count()).select_from(Install).where(
                Install.tenant_id == self.tenant_id, Install.provider.in_(ACCOUNTING_PROVIDERS),
                Install.status == "active")
        )
        return "purchase_order" if connected else "warehouse_pull"

    def claim_job(self, job_id: str, technician_id: str, run_id: str) -> str | None:
        earlier = self.session.scalar(
            sa.select(StockJobUsage.technician_id)
            .where(StockJobUsage.tenant_id == self.tenant_id, StockJobUsage.job_id == job_id)
        )
        if earlier is not None:
            return earlier
        try:
            with self.session.begin_nested():
                self.session.add(StockJobUsage(tenant_id=self.tenant_id, job_id=job_id, technician_id=technician_id,
                                               run_id=run_id, created_at=self.clock()))
                self.session.flush()
        except IntegrityError:  # a concurrent run took the job's parts off first
            return self.claim_job(job_id, technician_id, run_id)
        return None

    def levels(self, technician_id: str) -> dict[str, StockLevel]:
        rows = self.session.scalars(
            sa.select(TruckStockLevel)
            .where(TruckStockLevel.tenant_id == self.tenant_id, TruckStockLevel.technician_id == technician_id)
        )
        return {row.sku: level_record(row) for row in rows}

    def _level_row(self, technician_id: str, sku: str) -> TruckStockLevel | None:
        return self.session.scalar(
            sa.select(TruckStockLevel).where(
                TruckStockLevel.tenant_id == self.tenant_id, TruckStockLevel.technician_id == technician_id,
                TruckStockLevel.sku == sku)
        )

    def save_level(self, level: StockLevel) -> StockLevel:
        row = self._level_row(level.technician_id, level.sku)
        if row is None:
            row = TruckStockLevel(tenant_id=self.tenant_id, technician_id=level.technician_id, sku=level.sku)
            self.session.add(row)
        row.on_hand, row.min_quantity, row.max_quantity = level.on_hand, level.min_quantity, level.max_quantity
        row.description, row.unit_cost = level.description, level.unit_cost
        row.version = level.version + 1
        row.updated_at = self.clock()
        self.session.flush()
        return level_record(row)

    def open_orders(self, technician_id: str) -> dict[str, StockOrderRecord]:
        rows = self.session.scalars(
            sa.select(StockOrder).where(StockOrder.tenant_id == self.tenant_id,
                                        StockOrder.technician_id == technician_id, StockOrder.status == "open")
        )
        return {row.sku: order_record(row) for row in rows}

    def add_order(self, order: StockOrderRecord, run_id: str | None) -> StockOrderRecord | None:
        row = StockOrder(
            id=order.id, tenant_id=self.tenant_id, technician_id=order.technician_id, sku=order.sku, kind=order.kind,
            quantity=order.quantity, status="open", open_key=open_key(order.technician_id, order.sku),
            request_id=order.request_id, system=order.system, remote_id=order.remote_id,
            remote_number=order.remote_number, vendor=order.vendor, run_id=run_id, created_at=order.created_at,
        )
        try:
            with self.session.begin_nested():
                self.session.add(row)
                self.session.flush()
        except IntegrityError:
            return None
        return order_record(row)
