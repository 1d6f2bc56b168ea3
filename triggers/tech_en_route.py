"""Trigger: the technician left for the job; carries the ETA and the window to tell the customer."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import Field

from triggers.canonical import CanonicalEvent, EventType, JobStatus
from triggers.job_item import JobEventItem, job_item_fields, job_sample
from triggers.spec import TriggerSpec


class TechEnRouteOutput(JobEventItem):
    """A technician on the way, with when they should arrive."""

    eta: datetime | None = Field(description="Expected arrival (UTC): the route plan's, else the booking's start.")
    eta_window_start: datetime | None = Field(description="Start of the arrival window to tell the customer (UTC).")
    eta_window_end: datetime | None = Field(description="End of the arrival window to tell the customer (UTC).")
    eta_source: str | None = Field(description="plan (Backbone's route plan) or booking (the appointment).")


def render(event: CanonicalEvent) -> TechEnRouteOutput:
    """Turns a job.en_route event into a trigger item."""
    _job, fields = job_item_fields(event)
    eta = event.data.get("eta") or {}
    return TechEnRouteOutput(**fields, eta=eta.get("eta"), eta_window_start=eta.get("window_start"),
                             eta_window_end=eta.get("window_end"), eta_source=eta.get("source"))


SAMPLE = TechEnRouteOutput(
    **job_sample(
        "servicetitan:1049381:job:48213:job.en_route:2026-11-24T14:48:00Z",
        "job.en_route", JobStatus.EN_ROUTE, datetime(2026, 11, 24, 14, 48, tzinfo=UTC),
    ),
    eta=datetime(2026, 11, 24, 15, 6, tzinfo=UTC),
    eta_window_start=datetime(2026, 11, 24, 14, 51, tzinfo=UTC),
    eta_window_end=datetime(2026, 11, 24, 15, 21, tzinfo=UTC),
    eta_source="plan",
)

TRIGGER = TriggerSpec(
    key="tech_en_route",
    noun="Job",
    label="Technician En Route",
    help_text="Triggers when the technician leaves for a job, with the ETA and the arrival window to text the "
    "customer.",
    output=TechEnRouteOutput,
    sample=SAMPLE,
    event_types=frozenset({EventType.JOB_EN_ROUTE}),
    render=render,
)
