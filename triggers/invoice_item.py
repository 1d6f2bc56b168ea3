"""The flat invoice item the invoice triggers emit, from either shape of invoice event.

Backbone's own `generate_invoice` puts its output under `data["invoice"]`; events from the
accounting system or the FSM carry the projection's fields flat (`invoice_id`, `number`, ...).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

if TYPE_CHECKING:
    from triggers.canonical import CanonicalEvent


class InvoiceEventItem(BaseModel):
    """Fields every invoice trigger item carries."""

    id: str = Field(description="Unique id of this item (the event id), the same on every delivery of it.")
    invoice_id: str = Field(description="Backbone invoice id.")
    number: str = Field(description="Invoice number, as the accounting system numbered it.")
    source: str = Field(description="Where it happened (backbone, quickbooks, jobber, ...).")
    source_id: str | None = Field(None, description="The invoice's id there.")
    job_id: str | None = Field(None, description="Backbone job id, when the invoice is for a job.")
    status: str = Field(description="The invoice's status after this event.")
    total: Decimal = Field(description="Invoice total.")
    amount_paid: Decimal = Field(description="Amount paid so far.")
    occurred_at: datetime = Field(description="When it happened (UTC).")


def invoice_item_fields(event: CanonicalEvent) -> dict[str, Any]:
    """The `InvoiceEventItem` fields of an invoice event, whichever shape it has."""
    data = event.data
    made = data.get("invoice")
    if isinstance(made, dict):
        return {"id": event.event_id, "invoice_id": made["invoice_id"], "number": made["invoice_number"],
                "source": event.source, "source_id": made.get("accounting_id"), "job_id": made.get("job_id"),
                "status": made.get("status", "draft"), "total": Decimal(str(made["total"])),
                "amount_paid": Decimal("0"), "occurred_at": event.occurred_at}
    return {"id": event.event_id, "invoice_id": data["invoice_id"], "number": data["number"],
            "source": event.source, "source_id": event.source_id, "job_id": data.get("job_id"),
            "status": data.get("status", ""), "total": Decimal(str(data["total"])),
            "amount_paid": Decimal(str(data.get("amount_paid") or "0")), "occurred_at": event.occurred_at}
