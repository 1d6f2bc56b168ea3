"""Trigger: an invoice was paid in full (in QuickBooks, the FSM, or the sandbox)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from pydantic import Field

from triggers.canonical import CanonicalEvent, EventType
from triggers.invoice_item import InvoiceEventItem, invoice_item_fields
from triggers.spec import TriggerSpec


class InvoicePaidOutput(InvoiceEventItem):
    """A paid invoice."""

    paid_at: datetime = Field(description="When it was paid (UTC).")


def render(event: CanonicalEvent) -> InvoicePaidOutput:
    """Turns an invoice.paid event into a trigger item."""
    return InvoicePaidOutput(**invoice_item_fields(event), paid_at=event.occurred_at)


SAMPLE = InvoicePaidOutput(
    id="quickbooks:9130357992219146:invoice:145:invoice.paid:2026-11-24T16:02:11+00:00",
    invoice_id="7c9e6679742540de944be07fc1f90ae7",
    number="1042",
    source="quickbooks",
    source_id="145",
    job_id="0a1b2c3d4e5f60718293a4b5c6d7e8f9",
    total=Decimal("412.50"),
    amount_paid=Decimal("412.50"),
    status="paid",
    occurred_at=datetime(2026, 11, 24, 16, 2, 11, tzinfo=UTC),
    paid_at=datetime(2026, 11, 24, 16, 2, 11, tzinfo=UTC),
)

TRIGGER = TriggerSpec(
    key="invoice_paid",
    noun="Invoice",
    label="Invoice Paid",
    help_text="Triggers when an invoice is paid in full, in QuickBooks, your FSM or the sandbox.",
    output=InvoicePaidOutput,
    sample=SAMPLE,
    event_types=frozenset({EventType.INVOICE_PAID}),
    render=render,
)
