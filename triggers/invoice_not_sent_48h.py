"""Trigger (rule): a completed job has had no invoice sent within the tenant's limit (48 hours by default)."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import Field

from triggers.canonical import CanonicalEvent, EventType, JobStatus
from triggers.job_item import JobEventItem, job_item_fields
from triggers.spec import TriggerSpec


class InvoiceNotSent48HOutput(JobEventItem):
    """A completed job still waiting for its invoice to be sent."""

    threshold_hours: int = Field(description="The tenant's limit, in hours after completion.")
    deadline: datetime = Field(description="When the invoice should have been sent by (UTC).")
    overdue_minutes: int = Field(description="How long past that it is.")


def render(event: CanonicalEvent) -> InvoiceNotSent48HOutput:
    """Turns a rule.invoice_not_sent event (fired once per job by the rule job) into a trigger item."""
    _job, fields = job_item_fields(event)
    return InvoiceNotSent48HOutput(**fields, **event.data["rule"])


SAMPLE = InvoiceNotSent48HOutput(
    id="rule:invoice_not_sent_48h:0d3c5e7f9a1b4c6d8e0f2a4b6c8d0e1f",
    event_type="rule.invoice_not_sent",
    occurred_at=datetime(2026, 11, 26, 17, 5, tzinfo=UTC),
    job_id="0d3c5e7f9a1b4c6d8e0f2a4b6c8d0e1f",
    job_source="jobber",
    job_source_id="Z2lkOi8vSm9iYmVyL0pvYi8xMjM0NQ==",
    job_type="repair",
    priority="P2",
    description="Furnace blowing cold air",
    customer_id="a1b2c3d4e5f60718293a4b5c6d7e8f90",
    customer_name="Dana Whitfield",
    customer_email="dana.whitfield@example.com",
    customer_phone="+15125550142",
    customer_address="4812 Avenue H, Austin, TX 78751",
    technician_id="f0e1d2c3b4a5968778695a4b3c2d1e0f",
    technician_name="Marcus Reyes",
    scheduled_start=datetime(2026, 11, 24, 15, 0, tzinfo=UTC),
    scheduled_end=datetime(2026, 11, 24, 17, 0, tzinfo=UTC),
    status=JobStatus.COMPLETED,
    threshold_hours=48,
    deadline=datetime(2026, 11, 26, 17, 0, tzinfo=UTC),
    overdue_minutes=5,
)

TRIGGER = TriggerSpec(
    key="invoice_not_sent_48h",
    noun="Job",
    label="Invoice Not Sent Within 48 Hours",
    help_text="Triggers once per job when a completed job has had no invoice sent within 48 hours (or your own limit).",
    output=InvoiceNotSent48HOutput,
    sample=SAMPLE,
    event_types=frozenset({EventType.RULE_INVOICE_NOT_SENT}),
    render=render,
)
