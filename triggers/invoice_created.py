"""Trigger: an invoice was created (by Backbone, in QuickBooks or in the FSM)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from pydantic import Field

from triggers.canonical import CanonicalEvent, EventType
from triggers.invoice_item import InvoiceEventItem, invoice_item_fields
from triggers.spec import TriggerSpec


class InvoiceCreatedOutput(InvoiceEventItem):
    """A new invoice."""

    created_at: datetime = Field(description="When it was created (UTC).")


def render(event: CanonicalEvent) -> InvoiceCreatedOutput:
    """Turns an invoice.created event into a trigger item."""
    return InvoiceCreatedOutput(**invoice_item_fields(event), created_at=event.occurred_at)


SAMPLE = InvoiceCreatedOutput(
    id="quickbooks:9130357992219146:invoice:145:invoice.created:2026-11-24T15:10:00+00:00",
    invoice_id="7c9e6679742540de944be07fc1f90ae7",
    number="1042",
    source="quickbooks",
    source_id="145",
    job_id="0a1b2c3d4e5f60718293a4b5c6d7e8f9",
    status="open",
    total=Decimal("412.50"),
    amount_paid=Decimal("0"),
    occurred_at=datetime(2026, 11, 24, 15, 10, tzinfo=UTC),
    created_at=datetime(2026, 11, 24, 15, 10, tzinfo=UTC),
)

TRIGGER = TriggerSpec(
    key="invoice_created",
    noun="Invoice",
    label="Invoice Created",
    help_text="Triggers when an invoice is created: by Generate Invoice, in QuickBooks or in your FSM.",
    output=InvoiceCreatedOutput,
    sample=SAMPLE,
    event_types=frozenset({EventType.INVOICE_CREATED}),
    render=render,
)
