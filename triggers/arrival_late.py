"""Trigger (rule): the technician has not arrived by the promised time plus the tenant's grace."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import Field

from triggers.canonical import CanonicalEvent, EventType, JobStatus
from triggers.job_item import JobEventItem, job_item_fields
from triggers.spec import TriggerSpec


class ArrivalLateOutput(JobEventItem):
    """A booked job whose technician is late."""

    promised_by: datetime = Field(
        description="The promised arrival (UTC): the route plan's ETA window end, else the booked start.")
    promise_source: str = Field(description="plan or booking.")
    grace_minutes: int = Field(description="The tenant's grace after the promised time.")
    late_minutes: int = Field(description="How late the arrival is now.")


def render(event: CanonicalEvent) -> ArrivalLateOutput:
    """Turns a rule.arrival_late event (fired once per job by the rule job) into a trigger item."""
    _job, fields = job_item_fields(event)
    return ArrivalLateOutput(**fields, **event.data["rule"])


SAMPLE = ArrivalLateOutput(
    id="rule:arrival_late:0d3c5e7f9a1b4c6d8e0f2a4b6c8d0e1f",
    event_type="rule.arrival_late",
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
    status=JobStatus.EN_ROUTE,
    promised_by=datetime(2026, 11, 24, 15, 21, tzinfo=UTC),
    promise_source="plan",
    grace_minutes=30,
    late_minutes=34,
)

TRIGGER = TriggerSpec(
    key="arrival_late",
    noun="Job",
    label="Arrival Late",
    help_text="Triggers once per job when the technician has not arrived by the promised time (plus your "
    "grace): tell the customer before they call.",
    output=ArrivalLateOutput,
    sample=SAMPLE,
    event_types=frozenset({EventType.RULE_ARRIVAL_LATE}),
    render=render,
)
