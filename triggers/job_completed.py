"""Trigger: a job was completed in the field-service system."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from pydantic import Field

from triggers.canonical import CanonicalEvent, EventType, JobStatus, PartUsed
from triggers.job_item import JobEventItem, job_item_fields
from triggers.spec import TriggerSpec


class JobCompletedOutput(JobEventItem):
    """A completed job, with what was done on site."""

    arrived_at: datetime | None = Field(description="When the technician arrived (UTC).")
    completed_at: datetime = Field(description="When the job was completed (UTC).")
    time_on_site_minutes: int | None = Field(description="Minutes between arrival and completion.")
    completion_notes: str | None = Field(description="The technician's completion notes.")
    parts: list[PartUsed] = Field(description="Parts used on the job.")
    parts_count: int = Field(description="How many distinct parts were used.")


def render(event: CanonicalEvent) -> JobCompletedOutput:
    """Turns a job.completed event into a trigger item.

    Args:
        event: The canonical job.completed event.

    Returns:
        The item delivered to hooks and listed by polling.
    """
    job, fields = job_item_fields(event)
    completed_at = job.completed_at or event.occurred_at
    on_site = None
    if job.arrived_at is not None:
        on_site = max(0, int((completed_at - job.arrived_at).total_seconds() // 60))
    return JobCompletedOutput(
        **fields,
        arrived_at=job.arrived_at,
        completed_at=completed_at,
        time_on_site_minutes=on_site,
        completion_notes=job.completion_notes,
        parts=job.parts,
        parts_count=len(job.parts),
    )


SAMPLE = JobCompletedOutput(
    id="6f1c2a0e9b8d4c3f8a7e6d5c4b3a2910",
    event_type="job.completed",
    occurred_at=datetime(2026, 11, 24, 16, 42, tzinfo=UTC),
    job_id="0d3c5e7f9a1b4c6d8e0f2a4b6c8d0e1f",
    job_source="sandbox",
    job_source_id="J-10482",
    status=JobStatus.COMPLETED,
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
    arrived_at=datetime(2026, 11, 24, 15, 12, tzinfo=UTC),
    completed_at=datetime(2026, 11, 24, 16, 42, tzinfo=UTC),
    time_on_site_minutes=90,
    completion_notes="Replaced flame sensor; system heating normally.",
    parts=[
        PartUsed(
            sku="FS-100",
            description="Flame sensor",
            quantity=Decimal("1"),
            unit_cost=Decimal("18.40"),
        )
    ],
    parts_count=1,
)

TRIGGER = TriggerSpec(
    key="job_completed",
    noun="Job",
    label="Job Completed",
    help_text="Triggers when a technician completes a job in your field-service system.",
    output=JobCompletedOutput,
    sample=SAMPLE,
    event_types=frozenset({EventType.JOB_COMPLETED}),
    render=render,
)
