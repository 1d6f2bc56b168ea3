"""The truck-stock API: read a truck's stock, receive or cancel a stock order.

`reorder_stock` places orders; these close them. Receiving adds what arrived to the truck's count
and frees the truck+SKU for its next order; cancelling only frees it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from actions.reorder_stock import quantity
from connector.db.models import StockOrder, Technician, TruckStockLevel
from connector.errors import ConflictError, NotFoundError, Unprocessable, validation_fields
from connector.ingest.recorder import record_event
from triggers.canonical import CanonicalEvent, EventType

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.orm import Session

    from connector.runtime import Runtime


class ReceiveInput(BaseModel):
    """What arrived (default: the quantity ordered)."""

    model_config = ConfigDict(extra="forbid")

    quantity: Decimal | None = Field(None, ge=0, le=1_000_000, max_digits=12, decimal_places=3)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def order_json(row: StockOrder) -> dict[str, Any]:
    return {
        "order_id": row.id, "technician_id": row.technician_id, "sku": row.sku, "kind": row.kind,
        "quantity": str(quantity(Decimal(row.quantity))), "status": row.status,
        "accounting_system": row.system, "accounting_id": row.remote_id, "number": row.remote_number,
        "vendor": row.vendor, "created_at": _iso(row.created_at), "closed_at": _iso(row.closed_at),
        "received_quantity": None if row.received_quantity is None else str(quantity(Decimal(row.received_quantity))),
    }


def level_json(row: TruckStockLevel) -> dict[str, Any]:
    return {
        "sku": row.sku, "description": row.description, "on_hand": str(quantity(Decimal(row.on_hand))),
        "min": str(quantity(Decimal(row.min_quantity))), "max": str(quantity(Decimal(row.max_quantity))),
        "below_min": Decimal(row.on_hand) < Decimal(row.min_quantity),
        "unit_cost": None if row.unit_cost is None else str(row.unit_cost), "updated_at": _iso(row.updated_at),
    }


def _technician(session: Session, tenant_id: str, technician_id: str) -> Technician:
    tech = session.scalar(sa.select(Technician).where(Technician.tenant_id == tenant_id,
                                                      Technician.id == technician_id))
    if tech is None:
        raise NotFoundError(f"No technician with id {technician_id!r} in this account.", field="technician_id")
    return tech


def truck(rt: Runtime, tenant_id: str, technician_id: str) -> dict[str, Any]:
    """A truck's stock levels (by SKU) and its open orders."""
    if not technician_id:
        raise Unprocessable("Give the technician: ?technician_id=...", field="technician_id")
    with rt.db.session() as session:
        tech = _technician(session, tenant_id, technician_id)
        levels = session.scalars(sa.select(TruckStockLevel).where(
            TruckStockLevel.tenant_id == tenant_id, TruckStockLevel.technician_id == tech.id)
            .order_by(TruckStockLevel.sku)).all()
        orders = session.scalars(sa.select(StockOrder).where(
            StockOrder.tenant_id == tenant_id, StockOrder.technician_id == tech.id, StockOrder.status == "open")
            .order_by(StockOrder.sku)).all()
        return {"technician_id": tech.id, "technician_name": tech.name, "levels": [level_json(r) for r in levels],
                "open_orders": [order_json(r) for r in orders]}


def _received(body: Any) -> Decimal | None:
    try:
        return ReceiveInput.model_validate(body if body is not None else {}).quantity
    except ValidationError as exc:
        fields = validation_fields(exc)
        raise Unprocessable(fields[0]["message"], field=fields[0]["field"]) from exc


def close_order(rt: Runtime, tenant_id: str, order_id: str, verb: str, body: Any) -> dict[str, Any]:
    """Receives (stock goes onto the truck) or cancels an open order; either frees the truck+SKU.

    Raises:
        NotFoundError: No such order for this tenant.
        ConflictError: The order is no longer open.
        Unprocessable: The received quantity is not a number from 0.
    """
    arrived = _received(body) if verb == "receive" else None
    with rt.db.session() as session:
        query = sa.select(StockOrder).where(StockOrder.tenant_id == tenant_id, StockOrder.id == order_id)
        order = session.scalar(query)
        if order is None:
            raise NotFoundError(f"No stock order with id {order_id!r} in this account.", field="order_id")
        # The truck's lock first, as reorder_stock takes it (same order of locks: no deadlock, no stale count).
        name = session.scalar(sa.select(Technician.name).where(Technician.id == order.technician_id)
                              .with_for_update())
        session.refresh(order, with_for_update=True)
        if order.status != "open":
            raise ConflictError(f"The order is already {order.status}.", field="order_id")
        now = rt.clock()
        order.status, order.open_key, order.closed_at = ("received" if verb == "receive" else "cancelled"), None, now
        answer: dict[str, Any] = {"order": None, "level": None}
        if verb == "receive":
            order.received_quantity = order.quantity if arrived is None else arrived
            answer["level"] = level_json(_put_on_truck(rt, session, tenant_id, order, name, now))
        session.flush()
        answer["order"] = order_json(order)
        return answer


def _put_on_truck(rt: Runtime, session: Session, tenant_id: str, order: StockOrder, name: str | None,
                  now: datetime) -> TruckStockLevel:
    level = session.scalar(sa.select(TruckStockLevel).where(
        TruckStockLevel.tenant_id == tenant_id, TruckStockLevel.technician_id == order.technician_id,
        TruckStockLevel.sku == order.sku).with_for_update())
    if level is None:
        level = TruckStockLevel(tenant_id=tenant_id, technician_id=order.technician_id, sku=order.sku,
                                on_hand=Decimal(0), min_quantity=Decimal(0), max_quantity=Decimal(0), version=0)
        session.add(level)
    before = Decimal(level.on_hand)
    level.on_hand = before + Decimal(order.received_quantity or 0)
    level.version += 1
    level.updated_at = now
    session.flush()
    data = {"technician_id": order.technician_id, "technician_name": name, "sku": level.sku,
            "description": level.description, "used": "0", "on_hand_before": str(quantity(before)),
            "on_hand": str(quantity(Decimal(level.on_hand))), "min": str(quantity(Decimal(level.min_quantity))),
            "max": str(quantity(Decimal(level.max_quantity))), "went_negative": False, "shortfall": "0",
            "job_id": None, "run_id": None, "version": level.version, "order_id": order.id}
    record_event(session, rt.queues, tenant_id, CanonicalEvent(
        event_id=f"stock.changed:{order.technician_id}:{level.sku}:{level.version}", type=EventType.STOCK_CHANGED,
        occurred_at=now, source="backbone", source_id=level.sku, subject_id=order.technician_id, data=data))
    return level
