"""Search: jobs by id, the field-service system's id, customer, status or appointment day, newest first."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, ClassVar

from pydantic import BaseModel, Field

from actions.context import JobFilter
from actions.matching import DEFAULT_RESULTS, MAX_RESULTS, EmailKey, PhoneKey, SearchCriteria
from actions.planning import day_window
from actions.spec import SearchSpec
from triggers.canonical import JobStatus

if TYPE_CHECKING:
    from actions.context import SearchContext
    from triggers.canonical import JobSnapshot


class FindJobInput(SearchCriteria):
    """What to look for; every criterion given must hold."""

    CRITERIA: ClassVar[tuple[str, ...]] = ("job_id", "source_id", "customer_name", "customer_email",
                                           "customer_phone", "status", "scheduled_day")

    job_id: str | None = Field(None, max_length=64, description="Backbone id of the job.")
    source_id: str | None = Field(None, max_length=100, description="The job's id in the field-service system "
                                  "(Jobber, ServiceTitan, Housecall Pro, ...).")
    customer_name: str | None = Field(None, max_length=200, description="Part of the customer's name (any case).")
    customer_email: EmailKey | None = Field(None, max_length=320, description="The customer's email address.")
    customer_phone: PhoneKey | None = Field(None, max_length=40, description="The customer's phone, in any format "
                                       "(only the digits count).")
    status: JobStatus | None = Field(None, description="Only jobs in this status.")
    scheduled_day: date | None = Field(None, description="Only jobs booked to start on this day (your company's "
                                       "time zone).")
    limit: int = Field(DEFAULT_RESULTS, ge=1, le=MAX_RESULTS, description="At most this many jobs, newest first.")


class FindJobOutput(BaseModel):
    """A job, as the job triggers describe it."""

    id: str = Field(description="Backbone job id (the same as Job ID).")
    job_id: str = Field(description="Backbone job id; pass it to Generate Invoice or Add Job Note.")
    job_source: str = Field(description="The field-service system the job lives in.")
    job_source_id: str | None = Field(description="The job's id in that system.")
    status: JobStatus = Field(description="The job's status now.")
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
    created_at: datetime | None = Field(description="When the job was created (UTC).")
    scheduled_start: datetime | None = Field(description="Appointment start (UTC).")
    scheduled_end: datetime | None = Field(description="Appointment end (UTC).")
    arrived_at: datetime | None = Field(description="When the technician arrived (UTC).")
    completed_at: datetime | None = Field(description="When the job was completed (UTC).")
    completion_notes: str | None = Field(description="The technician's notes.")
    parts_count: int = Field(description="How many kinds of parts were used.")


def item(job: JobSnapshot) -> FindJobOutput:
    """The search result of one job."""
    return FindJobOutput(
        id=job.job_id, job_id=job.job_id, job_source=job.source, job_source_id=job.source_id, status=job.status,
        job_type=job.job_type, priority=job.priority, description=job.description, customer_id=job.customer.id,
        customer_name=job.customer.name, customer_email=job.customer.email, customer_phone=job.customer.phone,
        customer_address=job.customer.address, technician_id=job.technician.id,
        technician_name=job.technician.name, created_at=job.created_at, scheduled_start=job.scheduled_start,
        scheduled_end=job.scheduled_end, arrived_at=job.arrived_at, completed_at=job.completed_at,
        completion_notes=job.completion_notes, parts_count=len(job.parts),
    )


def run(ctx: SearchContext, data: FindJobInput) -> list[FindJobOutput]:
    """The matching jobs of this account, newest first (none found: an empty list, not an error)."""
    start, end = day_window(data.scheduled_day, ctx.timezone) if data.scheduled_day else (None, None)
    where = JobFilter(
        job_id=data.job_id, source_id=data.source_id, customer_name=data.customer_name,
        customer_email=data.customer_email, customer_phone=data.customer_phone,
        status=data.status.value if data.status else None, scheduled_from=start, scheduled_to=end,
    )
    return [item(job) for job in ctx.store.find_jobs(where, data.limit)]


SAMPLE = FindJobOutput(
    id="0d3c5e7f9a1b4c6d8e0f2a4b6c8d0e1f",
    job_id="0d3c5e7f9a1b4c6d8e0f2a4b6c8d0e1f",
    job_source="jobber",
    job_source_id="Z2lkOi8vSm9iYmVyL0pvYi8xMjM0NQ==",
    status=JobStatus.SCHEDULED,
    job_type="repair",
    priority="P2",
    description="Furnace blowing cold air",
    customer_id="7a1c9e3b5d7f4a2c8e0b6d4f2a8c0e1b",
    customer_name="Dana Whitfield",
    customer_email="dana@example.com",
    customer_phone="+15125550142",
    customer_address="4812 Avenue H, Austin, TX 78751",
    technician_id="3e5a7c9b1d3f4e6a8c0b2d4f6a8c0e2d",
    technician_name="Marcus Reyes",
    created_at=datetime(2026, 11, 23, 16, 2, tzinfo=UTC),
    scheduled_start=datetime(2026, 11, 24, 15, 0, tzinfo=UTC),
    scheduled_end=datetime(2026, 11, 24, 17, 0, tzinfo=UTC),
    arrived_at=None,
    completed_at=None,
    completion_notes=None,
    parts_count=0,
)

SEARCH = SearchSpec(
    key="find_job",
    noun="Job",
    label="Find Job",
    help_text="Finds jobs by Backbone or field-service id, customer name, email or phone, status or appointment "
    "day, newest first.",
    input=FindJobInput,
    output=FindJobOutput,
    sample=SAMPLE,
    run=run,
)
