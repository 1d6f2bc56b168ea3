"""Canonical events and the job snapshot every job event carries (UTC everywhere)."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field


def _require_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("timestamp must carry a time zone (UTC, e.g. 2026-11-25T14:05:00Z)")
    return value.astimezone(UTC)


#: A timezone-aware timestamp, normalized to UTC.
UtcDateTime = Annotated[datetime, AfterValidator(_require_utc)]


class EventType(enum.StrEnum):
    """The canonical event types."""

    JOB_CREATED = "job.created"
    JOB_SCHEDULED = "job.scheduled"
    JOB_DISPATCHED = "job.dispatched"
    JOB_EN_ROUTE = "job.en_route"
    JOB_ARRIVED = "job.arrived"
    JOB_COMPLETED = "job.completed"
    JOB_CANCELLED = "job.cancelled"
    INVOICE_CREATED = "invoice.created"
    INVOICE_SENT = "invoice.sent"
    INVOICE_PAID = "invoice.paid"
    STOCK_CHANGED = "stock.changed"
    STOCK_BELOW_THRESHOLD = "stock.below_threshold"
    ROUTE_OPTIMIZED = "route.optimized"
    CONNECTION_NEEDS_RECONNECT = "connection.needs_reconnect"
    ACTION_FAILED = "action.failed"
    RECONCILIATION_EXCEPTION = "reconciliation.exception"
    RULE_INVOICE_NOT_SENT = "rule.invoice_not_sent"
    RULE_ARRIVAL_LATE = "rule.arrival_late"
    RULE_SLA_AT_RISK = "rule.sla_at_risk"
    RULE_RECURRING_VISIT_DUE = "rule.recurring_visit_due"
    POSTCARD_BATCH_READY = "postcard.batch_ready"


class JobStatus(enum.StrEnum):
    """A job's lifecycle, in order; `cancelled` may end it at any point."""

    CREATED = "created"
    SCHEDULED = "scheduled"
    DISPATCHED = "dispatched"
    EN_ROUTE = "en_route"
    ARRIVED = "arrived"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


#: The status a job event moves a job to.
STATUS_OF_EVENT: dict[EventType, JobStatus] = {
    EventType.JOB_CREATED: JobStatus.CREATED,
    EventType.JOB_SCHEDULED: JobStatus.SCHEDULED,
    EventType.JOB_DISPATCHED: JobStatus.DISPATCHED,
    EventType.JOB_EN_ROUTE: JobStatus.EN_ROUTE,
    EventType.JOB_ARRIVED: JobStatus.ARRIVED,
    EventType.JOB_COMPLETED: JobStatus.COMPLETED,
    EventType.JOB_CANCELLED: JobStatus.CANCELLED,
}

JOB_EVENT_TYPES: frozenset[EventType] = frozenset(STATUS_OF_EVENT)


class CustomerRef(BaseModel):
    """The customer of a job, as the job event carries it."""

    id: str | None = Field(None, description="Backbone customer id.")
    name: str | None = Field(None, description="Customer name.")
    email: str | None = Field(None, description="Customer email.")
    phone: str | None = Field(None, description="Customer phone.")
    address: str | None = Field(None, description="Service address, one line.")


class TechnicianRef(BaseModel):
    """The technician assigned to a job."""

    id: str | None = Field(None, description="Backbone technician id.")
    name: str | None = Field(None, description="Technician name.")


class PartUsed(BaseModel):
    """A part used on a job."""

    sku: str = Field(description="Stock-keeping unit.")
    description: str = Field(description="Part description.")
    quantity: Decimal = Field(description="Quantity used.")
    unit_cost: Decimal = Field(description="Cost per unit, in the tenant's currency.")


class JobSnapshot(BaseModel):
    """A job as it stood when the event was applied."""

    model_config = ConfigDict(extra="forbid")

    job_id: str = Field(description="Backbone job id.")
    source: str = Field(description="System the job lives in (sandbox, jobber, ...).")
    source_id: str | None = Field(None, description="The job's id in that system.")
    status: JobStatus = Field(description="Status after this event.")
    job_type: str = Field(description="Kind of work (repair, maintenance, install, ...).")
    priority: str = Field(description="P1 (emergency) to P3 (routine).")
    description: str = Field("", description="What the customer asked for.")
    customer: CustomerRef = Field(default_factory=CustomerRef, description="The customer.")
    technician: TechnicianRef = Field(default_factory=TechnicianRef, description="Assigned tech.")
    created_at: UtcDateTime | None = Field(None, description="When the job was created (UTC).")
    scheduled_start: UtcDateTime | None = Field(None, description="Appointment start (UTC).")
    scheduled_end: UtcDateTime | None = Field(None, description="Appointment end (UTC).")
    dispatched_at: UtcDateTime | None = Field(None, description="When dispatched (UTC).")
    en_route_at: UtcDateTime | None = Field(None, description="When the tech left (UTC).")
    arrived_at: UtcDateTime | None = Field(None, description="When the tech arrived (UTC).")
    completed_at: UtcDateTime | None = Field(None, description="When completed (UTC).")
    cancelled_at: UtcDateTime | None = Field(None, description="When cancelled (UTC).")
    completion_notes: str | None = Field(None, description="The technician's notes.")
    parts: list[PartUsed] = Field(default_factory=list, description="Parts used.")
    skill: str | None = Field(None, description="The skill the job needs (hvac, electrical, ...), if known.")


class CanonicalEvent(BaseModel):
    """The envelope of every canonical event, whatever its source."""

    event_id: str = Field(description="Stable id: the same delivery always gives the same id.")
    type: EventType = Field(description="What happened.")
    occurred_at: UtcDateTime = Field(description="When it happened at the source (UTC).")
    source: str = Field(description="Where it came from (sandbox, jobber, backbone, ...).")
    source_id: str | None = Field(None, description="The subject's id at the source.")
    subject_id: str | None = Field(None, description="The Backbone id of the subject.")
    data: dict[str, Any] = Field(default_factory=dict, description="Type-specific payload.")
