"""Trigger (rule): the technician has not arrived by the promised time plus the tenant's grace."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import Field

from triggers.canonical import CanonicalEvent, EventType, JobStatus
from triggers.job_item import JobEventItem, job_item_fields, job_sample
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
    **job_sample(
        "rule:arrival_late:0d3c5e7f9a1b4c6d8e0f2a4b6c8d0e1f",
        "rule.arrival_late", JobStatus.EN_ROUTE, datetime(2026, 11, 26, 17, 5, tzinfo=UTC),
    ),
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
