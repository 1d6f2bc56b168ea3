"""Trigger: a new job came in from the FSM."""

from __future__ import annotations

from datetime import UTC, datetime

from triggers.canonical import CanonicalEvent, EventType, JobStatus
from triggers.job_item import JobEventItem, job_item_fields, job_sample
from triggers.spec import TriggerSpec


class JobCreatedOutput(JobEventItem):
    """A new job."""


def render(event: CanonicalEvent) -> JobCreatedOutput:
    """Turns a job.created event into a trigger item."""
    _job, fields = job_item_fields(event)
    return JobCreatedOutput(**fields)


SAMPLE = JobCreatedOutput(
    **job_sample(
        "jobber:acct-1:job:Z2lkOi8vSm9iYmVyL0pvYi8xMjM0NQ==:job.created:2026-11-24T13:05:00Z",
        "job.created", JobStatus.CREATED, datetime(2026, 11, 24, 13, 5, tzinfo=UTC),
    ),
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
