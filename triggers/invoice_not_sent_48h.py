"""Trigger (rule): a completed job has had no invoice sent within the tenant's limit (48 hours by default)."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import Field

from triggers.canonical import CanonicalEvent, EventType, JobStatus
from triggers.job_item import JobEventItem, job_item_fields, job_sample
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
    **job_sample(
        "rule:invoice_not_sent_48h:0d3c5e7f9a1b4c6d8e0f2a4b6c8d0e1f",
        "rule.invoice_not_sent", JobStatus.COMPLETED, datetime(2026, 11, 26, 17, 5, tzinfo=UTC),
    ),
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
