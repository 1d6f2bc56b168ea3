"""The flat job item both job triggers emit (Zapier and Make map flat fields best)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from triggers.canonical import CanonicalEvent, JobSnapshot, JobStatus


class JobEventItem(BaseModel):
    """Fields every job trigger item carries."""

    id: str = Field(description="Unique id of this item (the event id), the same on every delivery of it.")
    event_type: str = Field(description="Canonical event type, e.g. job.completed.")
    occurred_at: datetime = Field(description="When it happened (UTC, ISO 8601).")
    job_id: str = Field(description="Backbone job id; pass it to Generate Invoice.")
    job_source: str = Field(description="The field-service system the job lives in.")
    job_source_id: str | None = Field(description="The job's id in that system.")
    status: JobStatus = Field(description="The job's status after this event.")
    job_type: str = Field(description="Kind of work (repair, maintenance, install, ...).")
    priority: str = Field(description="P1 (emergency) to P3 (routine).")
    description: str = Field(description="What the customer asked for.")
    customer_id: str | None = Field(description="Backbone customer id.")
    customer_name: str | None = Field(description="Customer name.")
    customer_email: str | None = Field(description="Customer email.")
    customer_phone: str | None = Field(description="Customer phone.")
    customer_address: str | None = Field(description="Service address, one line.")
    technician_id: str | None = Field(description="Assigned technician id.")
    technician_name: str | None = Field(description="Assigned technician name.")
    scheduled_start: datetime | None = Field(description="Appointment start (UTC).")
    scheduled_end: datetime | None = Field(description="Appointment end (UTC).")


def job_item_fields(event: CanonicalEvent) -> tuple[JobSnapshot, dict[str, Any]]:
    """The job snapshot of a job event and the common item fields drawn from it.

    Args:
        event: A canonical job event whose `data["job"]` holds a JobSnapshot.

    Returns:
        The parsed snapshot and the `JobEventItem` fields as a dict.
    """
    job = JobSnapshot.model_validate(event.data["job"])
    fields: dict[str, Any] = {
        "id": event.event_id,
        "event_type": event.type.value,
        "occurred_at": event.occurred_at,
        "job_id": job.job_id,
        "job_source": job.source,
        "job_source_id": job.source_id,
        "status": job.status,
        "job_type": job.job_type,
        "priority": job.priority,
        "description": job.description,
        "customer_id": job.customer.id,
        "customer_name": job.customer.name,
        "customer_email": job.customer.email,
        "customer_phone": job.customer.phone,
        "customer_address": job.customer.address,
        "technician_id": job.technician.id,
        "technician_name": job.technician.name,
        "scheduled_start": job.scheduled_start,
        "scheduled_end": job.scheduled_end,
    }
    return job, fields
