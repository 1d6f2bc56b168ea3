"""Trigger: a job moved to a new status (scheduled, dispatched, en route, arrived, ...)."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import Field

from triggers.canonical import JOB_EVENT_TYPES, CanonicalEvent, JobStatus
from triggers.job_item import JobEventItem, job_item_fields
from triggers.spec import TriggerSpec


class JobStatusChangedOutput(JobEventItem):
    """A job's status change."""

    previous_status: JobStatus | None = Field(
        description="The status before this change (empty for a new job)."
    )
    changed_at: datetime = Field(description="When the status changed (UTC).")


def render(event: CanonicalEvent) -> JobStatusChangedOutput:
    """Turns a job status event into a trigger item.

    Args:
        event: Any canonical job.* event.

    Returns:
        The item delivered to hooks and listed by polling.
    """
    _job, fields = job_item_fields(event)
    previous = event.data.get("previous_status")
    return JobStatusChangedOutput(
        **fields,
        previous_status=JobStatus(previous) if previous else None,
        changed_at=event.occurred_at,
    )


SAMPLE = JobStatusChangedOutput(
    id="8e7d6c5b4a3928170f1e2d3c4b5a6978",
    event_type="job.en_route",
    occurred_at=datetime(2026, 11, 24, 14, 48, tzinfo=UTC),
    job_id="0d3c5e7f9a1b4c6d8e0f2a4b6c8d0e1f",
    job_source="sandbox",
    job_source_id="J-10482",
    status=JobStatus.EN_ROUTE,
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
    previous_status=JobStatus.DISPATCHED,
    changed_at=datetime(2026, 11, 24, 14, 48, tzinfo=UTC),
)

TRIGGER = TriggerSpec(
    key="job_status_changed",
    noun="Job",
    label="Job Status Changed",
    help_text=(
        "Triggers when a job is created, scheduled, dispatched, en route, arrived, "
        "completed or cancelled."
    ),
    output=JobStatusChangedOutput,
    sample=SAMPLE,
    event_types=JOB_EVENT_TYPES,
    render=render,
)
