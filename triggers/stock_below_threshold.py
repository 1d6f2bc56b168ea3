"""Trigger: a part on a technician's truck fell below its minimum (once each time it crosses)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from pydantic import BaseModel, Field

from triggers.canonical import CanonicalEvent, EventType
from triggers.spec import TriggerSpec


class StockBelowThresholdOutput(BaseModel):
    """A SKU that went below its minimum on one truck, and the order refilling it."""

    id: str = Field(description="Unique id of this crossing: the same crossing is never sent twice.")
    technician_id: str = Field(description="The technician whose truck it is.")
    technician_name: str = Field(description="Their name.")
    sku: str = Field(description="Stock-keeping unit.")
    description: str | None = Field(description="What the part is.")
    on_hand: Decimal = Field(description="Recorded count now.")
    min: Decimal = Field(description="Reorder threshold.")
    max: Decimal = Field(description="Refill level.")
    used: Decimal = Field(description="Taken off by the call that crossed.")
    went_negative: bool = Field(description="More were used than recorded (the count was set to zero).")
    shortfall: Decimal = Field(description="How many more were used than recorded.")
    reorder_status: str = Field(description="ordered (an order was placed) or already_ordered (one was open).")
    order_id: str | None = Field(description="Backbone id of the open order refilling it.")
    order_kind: str | None = Field(description="purchase_order or warehouse_pull.")
    order_quantity: Decimal | None = Field(description="How many were ordered.")
    order_number: str | None = Field(description="The purchase order's number in the accounting system.")
    accounting_system: str | None = Field(description="Where the purchase order was created.")
    vendor: str | None = Field(description="The vendor asked for.")
    job_id: str | None = Field(description="The job whose parts were used, if given.")
    run_id: str = Field(description="The Reorder Truck Stock run that crossed.")
    occurred_at: datetime = Field(description="When it went below (UTC).")


def render(event: CanonicalEvent) -> StockBelowThresholdOutput:
    """Turns a stock.below_threshold event into a trigger item."""
    fields = {k: event.data.get(k) for k in StockBelowThresholdOutput.model_fields if k not in ("id", "occurred_at")}
    return StockBelowThresholdOutput(id=event.event_id, occurred_at=event.occurred_at, **fields)


SAMPLE = StockBelowThresholdOutput(
    id="stock.below_threshold:3f2e1d0c9b8a79685746352413021f0e:FS-100:7",
    technician_id="3f2e1d0c9b8a79685746352413021f0e",
    technician_name="Marcus Reyes",
    sku="FS-100",
    description="Flame sensor",
    on_hand=Decimal(1),
    min=Decimal(2),
    max=Decimal(6),
    used=Decimal(2),
    went_negative=False,
    shortfall=Decimal(0),
    reorder_status="ordered",
    order_id="9a8b7c6d5e4f30211203f4e5d6c7b8a9",
    order_kind="purchase_order",
    order_quantity=Decimal(5),
    order_number="1187",
    accounting_system="quickbooks",
    vendor="Ferguson HVAC",
    job_id="0d3c5e7f9a1b4c6d8e0f2a4b6c8d0e1f",
    run_id="5e4d3c2b1a0918f7e6d5c4b3a2918070",
    occurred_at=datetime(2026, 11, 24, 16, 50, tzinfo=UTC),
)

TRIGGER = TriggerSpec(
    key="stock_below_threshold",
    noun="Truck Stock",
    label="Truck Stock Below Minimum",
    help_text="Triggers when a part on a technician's truck falls below its minimum, with the purchase order or "
    "warehouse pull that refills it. Fires once each time it drops below.",
    output=StockBelowThresholdOutput,
    sample=SAMPLE,
    event_types=frozenset({EventType.STOCK_BELOW_THRESHOLD}),
    render=render,
)
