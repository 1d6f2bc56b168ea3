"""The flat job item both job triggers emit (Zapier and Make map flat fields best)."""

from __future__ import annotations

from datetime import UTC, datetime
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


def job_sample(item_id: str, event_type: str, status: JobStatus, occurred_at: datetime) -> dict[str, Any]:
    """The `JobEventItem` fields of a trigger's sample item: one realistic job, at this stage."""
    return {
        "id": item_id,
        "event_type": event_type,
        "occurred_at": occurred_at,
        "job_id": "0d3c5e7f9a1b4c6d8e0f2a4b6c8d0e1f",
        "job_source": "jobber",
        "job_source_id": "Z2lkOi8vSm9iYmVyL0pvYi8xMjM0NQ==",
        "status": status,
        "job_type": "repair",
        "priority": "P2",
        "description": "Furnace blowing cold air",
        "customer_id": "a1b2c3d4e5f60718293a4b5c6d7e8f90",
        "customer_name": "Dana Whitfield",
        "customer_email": "dana.whitfield@example.com",
        "customer_phone": "+15125550142",
        "customer_address": "4812 Avenue H, Austin, TX 78751",
        "technician_id": "f0e1d2c3b4a5968778695a4b3c2d1e0f",
        "technician_name": "Marcus Reyes",
        "scheduled_start": datetime(2026, 11, 24, 15, 0, tzinfo=UTC),
        "scheduled_end": datetime(2026, 11, 24, 17, 0, tzinfo=UTC),
    }
