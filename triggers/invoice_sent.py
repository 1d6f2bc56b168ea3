"""Trigger: an invoice was sent to the customer."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from pydantic import Field

from triggers.canonical import CanonicalEvent, EventType
from triggers.invoice_item import InvoiceEventItem, invoice_item_fields
from triggers.spec import TriggerSpec


class InvoiceSentOutput(InvoiceEventItem):
    """An invoice sent to the customer."""

    sent_at: datetime = Field(description="When it was sent (UTC).")


def render(event: CanonicalEvent) -> InvoiceSentOutput:
    """Turns an invoice.sent event into a trigger item."""
    return InvoiceSentOutput(**invoice_item_fields(event), sent_at=event.occurred_at)


SAMPLE = InvoiceSentOutput(
    id="quickbooks:9130357992219146:invoice:145:invoice.sent:2026-11-24T15:10:00+00:00",
    invoice_id="7c9e6679742540de944be07fc1f90ae7",
    number="1042",
    source="quickbooks",
    source_id="145",
    job_id="0a1b2c3d4e5f60718293a4b5c6d7e8f9",
    status="sent",
    total=Decimal("412.50"),
    amount_paid=Decimal("0"),
    occurred_at=datetime(2026, 11, 24, 15, 10, tzinfo=UTC),
    sent_at=datetime(2026, 11, 24, 15, 10, tzinfo=UTC),
)

TRIGGER = TriggerSpec(
    key="invoice_sent",
    noun="Invoice",
    label="Invoice Sent",
    help_text="Triggers when an invoice is sent to the customer (emailed from QuickBooks or your FSM).",
    output=InvoiceSentOutput,
    sample=SAMPLE,
    event_types=frozenset({EventType.INVOICE_SENT}),
    render=render,
)
