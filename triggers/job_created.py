"""Trigger: a new job came in from the FSM."""

from __future__ import annotations

from datetime import UTC, datetime

from triggers.canonical import CanonicalEvent, EventType, JobStatus
from triggers.job_item import JobEventItem, job_item_fields
from triggers.spec import TriggerSpec


class JobCreatedOutput(JobEventItem):
    """A new job."""


def render(event: CanonicalEvent) -> JobCreatedOutput:
    """Turns a job.created event into a trigger item."""
    _job, fields = job_item_fields(event)
    return JobCreatedOutput(**fields)


SAMPLE = JobCreatedOutput(
    id="jobber:acct-1:job:Z2lkOi8vSm9iYmVyL0pvYi8xMjM0NQ==:job.created:2026-11-24T13:05:00Z",
    event_type="job.created",
    occurred_at=datetime(2026, 11, 24, 13, 5, tzinfo=UTC),
    job_id="0d3c5e7f9a1b4c6d8e0f2a4b6c8d0e1f",
    job_source="jobber",
    job_source_id="Z2lkOi8vSm9iYmVyL0pvYi8xMjM0NQ==",
    status=JobStatus.CREATED,
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
)

TRIGGER = TriggerSpec(
    key="job_created",
    noun="Job",
    label="New Job",
    help_text="Triggers when a new job is created in your field-service system.",
    output=JobCreatedOutput,
    sample=SAMPLE,
    event_types=frozenset({EventType.JOB_CREATED}),
    render=render,
)
