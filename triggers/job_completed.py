"""Trigger: a job was completed in the field-service system."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field

from triggers.canonical import CanonicalEvent, EventType, JobStatus, PartUsed
from triggers.job_item import JobEventItem, job_item_fields
from triggers.spec import TriggerSpec


class CaptureSignature(BaseModel):
    """The customer's signature on an on-site capture."""

    image_url: str = Field(description="The signature image (an https URL or a data:image URI).")
    signer_name: str = Field(description="Who signed.")
    signed_at: datetime = Field(description="When they signed (UTC).")


class CapturePhoto(BaseModel):
    """A photo or asset record taken on site, with what the site and visit checks found."""

    url: str = Field(description="Where the photo is.")
    taken_at: datetime | None = Field(None, description="When it was taken (UTC), if the camera said.")
    lat: float | None = Field(None, description="Latitude where it was taken.")
    lng: float | None = Field(None, description="Longitude where it was taken.")
    equipment_serial: str | None = Field(None, description="Serial number of the equipment shown.")
    meter_readings: dict[str, Decimal] = Field(default_factory=dict, description="Meter readings by name.")
    caption: str | None = Field(None, description="What the photo shows.")
    distance_m: int | None = Field(None, description="Metres from the job's site (empty when either is unknown).")
    flags: list[str] = Field(default_factory=list, description="far_from_site and/or outside_visit: worth a look, "
                             "not refused.")


class JobCapture(BaseModel):
    """The on-site capture a job.completed event carries (`data["capture"]`) when it came from one."""

    capture_id: str = Field(description="Backbone capture id.")
    revision: int = Field(description="1 for the job's first capture; corrections count up.")
    replaces_capture_id: str | None = Field(None, description="The capture this one corrects, if any.")
    recorded_at: datetime = Field(description="When Backbone recorded it (UTC).")
    form_job_type: str = Field(description="The job type whose form the answers follow.")
    answers: dict[str, Any] = Field(default_factory=dict, description="The form's answers by field key.")
    signature: CaptureSignature | None = Field(None, description="The customer's signature.")
    arrived_at: datetime | None = Field(None, description="Arrival on site (UTC).")
    departed_at: datetime | None = Field(None, description="Departure from site (UTC).")
    minutes_on_site: int | None = Field(None, description="Time on site in minutes.")
    photos: list[CapturePhoto] = Field(default_factory=list, description="Photos and asset records.")
    photos_flagged: int = Field(0, description="How many photos carry a flag.")


class JobCompletedOutput(JobEventItem):
    """A completed job, with what was done on site."""

    arrived_at: datetime | None = Field(description="When the technician arrived (UTC).")
    completed_at: datetime = Field(description="When the job was completed (UTC).")
    time_on_site_minutes: int | None = Field(description="Minutes on site: the capture's time on site, else "
                                              "arrival to completion.")
    completion_notes: str | None = Field(description="The technician's completion notes.")
    parts: list[PartUsed] = Field(description="Parts used on the job.")
    parts_count: int = Field(description="How many distinct parts were used.")
    capture_id: str | None = Field(None, description="The on-site capture (Record Job Completion) this "
                                   "completion carries; empty when the field-service system reported it.")
    capture_revision: int | None = Field(None, description="1 for a job's first capture; a correction fires "
                                         "again with 2, 3, ...")
    answers: dict[str, Any] = Field(default_factory=dict, description="The job form's answers by field key.")
    signer_name: str | None = Field(None, description="Who signed for the customer.")
    signature_url: str | None = Field(None, description="The customer's signature image.")
    signed_at: datetime | None = Field(None, description="When the customer signed (UTC).")
    photos: list[CapturePhoto] = Field(default_factory=list, description="Photos and asset records from site.")
    photos_flagged: int = Field(0, description="How many photos were taken far from the site or outside the visit.")


def _capture_fields(capture: JobCapture | None) -> dict[str, Any]:
    if capture is None:
        return {}
    signature = capture.signature
    return {
        "capture_id": capture.capture_id, "capture_revision": capture.revision, "answers": capture.answers,
        "signer_name": signature.signer_name if signature else None,
        "signature_url": signature.image_url if signature else None,
        "signed_at": signature.signed_at if signature else None,
        "photos": capture.photos, "photos_flagged": capture.photos_flagged,
    }


def render(event: CanonicalEvent) -> JobCompletedOutput:
    """Turns a job.completed event into a trigger item.

    Args:
        event: The canonical job.completed event (with `data["capture"]` when it came from an on-site
            capture).

    Returns:
        The item delivered to hooks and listed by polling.
    """
    job, fields = job_item_fields(event)
    raw = event.data.get("capture")
    capture = JobCapture.model_validate(raw) if raw else None
    completed_at = job.completed_at or event.occurred_at
    on_site = None
    if capture is not None and capture.minutes_on_site is not None:
        on_site = capture.minutes_on_site
    elif job.arrived_at is not None:
        on_site = max(0, int((completed_at - job.arrived_at).total_seconds() // 60))
    return JobCompletedOutput(
        **fields,
        arrived_at=job.arrived_at,
        completed_at=completed_at,
        time_on_site_minutes=on_site,
        completion_notes=job.completion_notes,
        parts=job.parts,
        parts_count=len(job.parts),
        **_capture_fields(capture),
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
    capture_id="3e9f1a7c5b2d4e608f1a3c5e7b9d0f21",
    capture_revision=1,
    answers={"diagnosis": "Dirty flame sensor", "work_performed": "Replaced flame sensor", "follow_up_needed": False},
    signer_name="Dana Whitfield",
    signature_url="https://files.example.com/signatures/J-10482.png",
    signed_at=datetime(2026, 11, 24, 16, 40, tzinfo=UTC),
    photos=[
        CapturePhoto(
            url="https://files.example.com/photos/J-10482-furnace.jpg",
            taken_at=datetime(2026, 11, 24, 15, 20, tzinfo=UTC),
            lat=30.3101,
            lng=-97.7201,
            equipment_serial="CARR-58STA-0921",
            meter_readings={"gas_pressure_inwc": Decimal("3.5")},
            caption="Furnace data plate",
            distance_m=14,
            flags=[],
        )
    ],
    photos_flagged=0,
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
