"""Trigger (rule): an open job will miss (or missed) its response deadline by priority."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import Field

from triggers.canonical import CanonicalEvent, EventType, JobStatus
from triggers.job_item import JobEventItem, job_item_fields
from triggers.spec import TriggerSpec


class SlaAtRiskOutput(JobEventItem):
    """An open job close to, or past, its response deadline."""

    sla_hours: int = Field(description="The response time promised for the job's priority, in hours.")
    deadline: datetime = Field(description="When someone must be on site (UTC).")
    minutes_left: int = Field(description="Minutes until the deadline (negative once passed).")
    breached: bool = Field(description="True when the deadline has passed.")


def render(event: CanonicalEvent) -> SlaAtRiskOutput:
    """Turns a rule.sla_at_risk event (fired once per job by the rule job) into a trigger item."""
    _job, fields = job_item_fields(event)
    return SlaAtRiskOutput(**fields, **event.data["rule"])


SAMPLE = SlaAtRiskOutput(
    id="rule:sla_at_risk:0d3c5e7f9a1b4c6d8e0f2a4b6c8d0e1f",
    event_type="rule.sla_at_risk",
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
    status=JobStatus.SCHEDULED,
    sla_hours=24,
    deadline=datetime(2026, 11, 26, 18, 0, tzinfo=UTC),
    minutes_left=55,
    breached=False,
)

TRIGGER = TriggerSpec(
    key="sla_at_risk",
    noun="Job",
    label="SLA At Risk",
    help_text="Triggers once per job when an open job comes within the warning time of its response deadline "
    "(4, 24 or 72 hours by priority unless you set your own).",
    output=SlaAtRiskOutput,
    sample=SAMPLE,
    event_types=frozenset({EventType.RULE_SLA_AT_RISK}),
    render=render,
)
