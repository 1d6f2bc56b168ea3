"""Trigger: the technician arrived at the job."""

from __future__ import annotations

from datetime import UTC, datetime

from triggers.canonical import CanonicalEvent, EventType, JobStatus
from triggers.job_item import JobEventItem, job_item_fields, job_sample
from triggers.spec import TriggerSpec


class JobArrivedOutput(JobEventItem):
    """A job whose technician is on site."""


def render(event: CanonicalEvent) -> JobArrivedOutput:
    """Turns a job.arrived event into a trigger item."""
    _job, fields = job_item_fields(event)
    return JobArrivedOutput(**fields)


SAMPLE = JobArrivedOutput(
    **job_sample(
        "jobber:acct-1:job:Z2lkOi8vSm9iYmVyL0pvYi8xMjM0NQ==:job.arrived:2026-11-24T15:12:00Z",
        "job.arrived", JobStatus.ARRIVED, datetime(2026, 11, 24, 15, 12, tzinfo=UTC),
    ),
)

TRIGGER = TriggerSpec(
    key="job_arrived",
    noun="Job",
    label="Technician Arrived",
    help_text="Triggers when the technician arrives on site.",
    output=JobArrivedOutput,
    sample=SAMPLE,
    event_types=frozenset({EventType.JOB_ARRIVED}),
    render=render,
)
