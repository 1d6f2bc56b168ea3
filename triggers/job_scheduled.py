"""Trigger: a job was booked for a time."""

from __future__ import annotations

from datetime import UTC, datetime

from triggers.canonical import CanonicalEvent, EventType, JobStatus
from triggers.job_item import JobEventItem, job_item_fields, job_sample
from triggers.spec import TriggerSpec


class JobScheduledOutput(JobEventItem):
    """A booked job."""


def render(event: CanonicalEvent) -> JobScheduledOutput:
    """Turns a job.scheduled event into a trigger item."""
    _job, fields = job_item_fields(event)
    return JobScheduledOutput(**fields)


SAMPLE = JobScheduledOutput(
    **job_sample(
        "jobber:acct-1:job:Z2lkOi8vSm9iYmVyL0pvYi8xMjM0NQ==:job.scheduled:2026-11-24T13:20:00Z",
        "job.scheduled", JobStatus.SCHEDULED, datetime(2026, 11, 24, 13, 20, tzinfo=UTC),
    ),
)

TRIGGER = TriggerSpec(
    key="job_scheduled",
    noun="Job",
    label="Job Scheduled",
    help_text="Triggers when a job is booked (or re-booked) for a date and time: send the confirmation.",
    output=JobScheduledOutput,
    sample=SAMPLE,
    event_types=frozenset({EventType.JOB_SCHEDULED}),
    render=render,
)
