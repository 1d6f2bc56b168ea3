"""Trigger: reconciliation found something that does not add up (one item per exception, once)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from pydantic import BaseModel, Field

from triggers.canonical import CanonicalEvent, EventType
from triggers.spec import TriggerSpec


class ReconciliationExceptionOutput(BaseModel):
    """One reconciliation exception."""

    id: str = Field(description="Unique id of this item: the same exception found again is the same item.")
    kind: str = Field(description="missing_invoice, duplicate_invoice, amount_mismatch, payment_mismatch, "
                      "overpaid or unpaid_past_terms.")
    job_id: str | None = Field(description="The job concerned, if any.")
    job_source_id: str | None = Field(description="The job's id in the field-service system.")
    invoice_id: str | None = Field(description="The invoice concerned, if any.")
    invoice_number: str | None = Field(description="Its number.")
    expected_amount: Decimal | None = Field(description="What the amount should be.")
    actual_amount: Decimal | None = Field(description="What it is.")
    detail: str = Field(description="Plain-language explanation.")
    run_id: str = Field(description="The reconcile run that found it.")
    found_at: datetime = Field(description="When it was found (UTC).")


def render(event: CanonicalEvent) -> ReconciliationExceptionOutput:
    """Turns a reconciliation.exception event into a trigger item."""
    return ReconciliationExceptionOutput(id=event.event_id, found_at=event.occurred_at, **{
        k: event.data.get(k) for k in ReconciliationExceptionOutput.model_fields if k not in ("id", "found_at")})


SAMPLE = ReconciliationExceptionOutput(
    id="reconcile:amount_mismatch:0a1b2c3d4e5f60718293a4b5c6d7e8f9:7c9e6679742540de944be07fc1f90ae7:395.00",
    kind="amount_mismatch",
    job_id="0a1b2c3d4e5f60718293a4b5c6d7e8f9",
    job_source_id="J-10482",
    invoice_id="7c9e6679742540de944be07fc1f90ae7",
    invoice_number="SBX-000212",
    expected_amount=Decimal("412.50"),
    actual_amount=Decimal("395.00"),
    detail="The lines add up to 412.50 but the invoice total is 395.00.",
    run_id="5e4d3c2b1a0918f7e6d5c4b3a2918070",
    found_at=datetime(2026, 11, 25, 6, 0, tzinfo=UTC),
)

TRIGGER = TriggerSpec(
    key="reconciliation_exception",
    noun="Reconciliation Exception",
    label="Reconciliation Exception",
    help_text="Triggers for each problem the Reconcile action finds: a completed job never invoiced, a duplicate "
    "invoice, amounts or payments that do not match, an invoice unpaid past its terms. Each fires once.",
    output=ReconciliationExceptionOutput,
    sample=SAMPLE,
    event_types=frozenset({EventType.RECONCILIATION_EXCEPTION}),
    render=render,
)
