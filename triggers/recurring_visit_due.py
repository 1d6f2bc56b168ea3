"""Trigger (rule): a visit of a recurring service contract is within the contract's notice (7 days by default)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from pydantic import Field

from triggers.canonical import CanonicalEvent, EventType, JobStatus
from triggers.job_item import JobEventItem, job_item_fields
from triggers.spec import TriggerSpec


class RecurringVisitDueOutput(JobEventItem):
    """An upcoming contract visit, announced once."""

    contract_id: str = Field(description="The service contract the visit comes from.")
    occurs_on: date = Field(description="The visit's local day.")
    notice_days: int = Field(description="The contract's notice, in days before the visit.")
    hours_until: int = Field(description="Hours from now to the start of the visit's window.")
    price: Decimal = Field(description="The contract price of the visit.")


def render(event: CanonicalEvent) -> RecurringVisitDueOutput:
    """Turns a rule.recurring_visit_due event (fired once per visit by the rule job) into a trigger item."""
    _job, fields = job_item_fields(event)
    return RecurringVisitDueOutput(**fields, **event.data["rule"])


SAMPLE = RecurringVisitDueOutput(
    id="rule:recurring_visit_due:5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b",
    event_type="rule.recurring_visit_due",
    occurred_at=datetime(2026, 11, 24, 14, 0, tzinfo=UTC),
    job_id="5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b",
    job_source="backbone",
    job_source_id="contract:c0a1b2c3d4e5f60718293a4b5c6d7e8f:2026-12-01",
    status=JobStatus.SCHEDULED,
    job_type="maintenance",
    priority="P3",
    description="Recurring maintenance (FREQ=MONTHLY;INTERVAL=3)",
    customer_id="a1b2c3d4e5f60718293a4b5c6d7e8f90",
    customer_name="Dana Whitfield",
    customer_email="dana.whitfield@example.com",
    customer_phone="+15125550142",
    customer_address="4812 Avenue H, Austin, TX 78751",
    technician_id=None,
    technician_name=None,
    scheduled_start=datetime(2026, 12, 1, 14, 0, tzinfo=UTC),
    scheduled_end=datetime(2026, 12, 1, 18, 0, tzinfo=UTC),
    contract_id="c0a1b2c3d4e5f60718293a4b5c6d7e8f",
    occurs_on=date(2026, 12, 1),
    notice_days=7,
    hours_until=168,
    price=Decimal("129.00"),
)

TRIGGER = TriggerSpec(
    key="recurring_visit_due",
    noun="Visit",
    label="Recurring Visit Due",
    help_text="Triggers once per visit of a service contract when it is a week away (or the contract's notice): "
    "remind the customer.",
    output=RecurringVisitDueOutput,
    sample=SAMPLE,
    event_types=frozenset({EventType.RULE_RECURRING_VISIT_DUE}),
    render=render,
)
