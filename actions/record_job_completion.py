"""Action (fast): records what the technician captured on site and completes the job.

The answers are checked against the job type's form (the tenant's, else the built-in one): a
missing mandatory answer or one of the wrong type is refused, naming it (`answers.<key>`).
Photos are checked against the job's site and the visit and flagged, never refused.

One capture per job and Idempotency-Key; the same content sent again under another key is not
stored twice either. A different capture for the same job is a correction: the latest capture
is current (it sets the job's notes and parts and fires Job Completed again, with the next
`capture_revision`), earlier ones are kept as history.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from actions.capture import CaptureDraft, JobCompletion, StoredCapture, check_answers, default_form
from actions.errors import Conflict, InputError, NotFound
from actions.site_checks import check_photo, visit_window
from actions.spec import ActionSpec, Weight
from triggers.canonical import CanonicalEvent, EventType, JobSnapshot, JobStatus, PartUsed, UtcDateTime
from triggers.job_completed import CapturePhoto, CaptureSignature, JobCapture

if TYPE_CHECKING:
    from actions.context import Context
    from actions.site_checks import VisitWindow

MAX_IMAGE_REFERENCE = 700_000  # a data: URI of a ~500 KB signature image
MAX_ON_SITE = timedelta(hours=24)
#: Phone clocks run ahead a little; times further in the future are refused.
FUTURE_SLACK = timedelta(minutes=10)
IMAGE_REFERENCE = re.compile(r"^(https?://\S+|data:image/[a-z0-9.+-]+;base64,[A-Za-z0-9+/=\s]+)$", re.IGNORECASE)
URL = re.compile(r"^https?://\S+$", re.IGNORECASE)
READING = re.compile(r"^\s*([^=:]+?)\s*[=:]\s*(\S+)\s*$")


def _readings(value: Any) -> Any:
    """Meter readings as a mapping; Zapier line items send them as "name=value; name=value" text."""
    if not isinstance(value, str):
        return value
    readings: dict[str, str] = {}
    for item in re.split(r"[;\n]", value):
        if not item.strip():
            continue
        match = READING.match(item)
        if match is None:
            raise ValueError(f"write readings as name=value; name=value (could not read {item.strip()[:40]!r})")
        readings[match.group(1)] = match.group(2)
    return readings


class SignatureInput(BaseModel):
    """The customer's signature."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    image_url: str = Field(min_length=1, max_length=MAX_IMAGE_REFERENCE, description="The signature image: an "
                           "https URL, or a data:image/png;base64,... URI.")
    signer_name: str = Field(min_length=1, max_length=200, description="Who signed (the customer or their agent).")
    signed_at: UtcDateTime = Field(description="When they signed (ISO 8601 with a time zone).")

    @field_validator("image_url")
    @classmethod
    def _image_reference(cls, value: str) -> str:
        if not IMAGE_REFERENCE.match(value):
            raise ValueError("must be an http(s) URL or a data:image/...;base64, URI")
        return value


class PhotoInput(BaseModel):
    """A photo or asset record taken on site."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    url: str = Field(min_length=1, max_length=2000, description="Where the photo is (http or https URL).")
    taken_at: UtcDateTime | None = Field(None, description="When it was taken (ISO 8601 with a time zone).")
    lat: float | None = Field(None, ge=-90, le=90, description="Latitude where it was taken (GPS).")
    lng: float | None = Field(None, ge=-180, le=180, description="Longitude where it was taken (GPS).")
    equipment_serial: str | None = Field(None, max_length=100, description="Serial number of the equipment shown.")
    meter_readings: Annotated[dict[str, Decimal], BeforeValidator(_readings)] = Field(
        default_factory=dict, description="Meter readings by name, e.g. {\"refrigerant_psi\": 118}; as text: "
        "refrigerant_psi=118; supply_temp_f=55.")
    caption: str | None = Field(None, max_length=500, description="What the photo shows.")

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not URL.match(value):
            raise ValueError("must be an http or https URL")
        return value

    @field_validator("meter_readings")
    @classmethod
    def _reading_names(cls, value: dict[str, Decimal]) -> dict[str, Decimal]:
        if len(value) > 30 or any(not 1 <= len(name) <= 60 for name in value):
            raise ValueError("at most 30 readings, each named in 1 to 60 characters")
        if any(not reading.is_finite() for reading in value.values()):
            raise ValueError("readings must be finite numbers")
        return value

    @model_validator(mode="after")
    def _both_or_neither(self) -> PhotoInput:
        if (self.lat is None) != (self.lng is None):
            raise ValueError("give both lat and lng, or neither")
        return self


class PartInput(BaseModel):
    """A part used on the job."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    sku: str = Field(min_length=1, max_length=60, description="Stock-keeping unit.")
    description: str | None = Field(None, max_length=200, description="What the part is (default: the SKU).")
    quantity: Decimal = Field(gt=0, le=100_000, decimal_places=3, description="Quantity used.")
    unit_cost: Decimal = Field(ge=0, le=1_000_000, decimal_places=2, description="Cost per unit.")


class RecordJobCompletionInput(BaseModel):
    """What the technician captured on site."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    job_id: str = Field(min_length=1, max_length=64, description="Backbone id of the job (from a trigger).")
    answers: dict[str, Any] = Field(default_factory=dict, description="Answers to the job type's form, by field "
                                    "key (repair: diagnosis, work_performed; maintenance: checklist_complete; "
                                    "install: serial_number; or your own form's fields).")
    completion_notes: str | None = Field(None, max_length=5000, description="The technician's completion notes.")
    signature: SignatureInput | None = Field(None, description="The customer's signature.")
    arrived_at: UtcDateTime | None = Field(None, description="Arrival on site (default: as the job has it).")
    departed_at: UtcDateTime | None = Field(None, description="Departure from site (default: arrival plus the "
                                            "minutes on site, else now).")
    minutes_on_site: int | None = Field(None, ge=0, le=24 * 60, description="Time on site in minutes, when the "
                                        "arrival and departure times are not given.")
    parts: list[PartInput] | None = Field(None, max_length=100, description="Parts used; they replace the job's "
                                          "parts (leave empty to keep them).")
    photos: list[PhotoInput] = Field(default_factory=list, max_length=50, description="Photos and asset records; "
                                     "ones taken far from the site or outside the visit are flagged, not refused.")


class RecordJobCompletionOutput(BaseModel):
    """The capture as stored, and the job after it."""

    job_id: str = Field(description="The job.")
    capture_id: str = Field(description="Backbone capture id.")
    revision: int = Field(description="1 for the job's first capture; a correction counts up.")
    replaces_capture_id: str | None = Field(description="The capture this one corrects, if any.")
    created: bool = Field(description="False when this capture was already recorded (nothing changed).")
    status: JobStatus = Field(description="The job's status (completed).")
    completed_at: datetime | None = Field(description="When the job was completed (UTC).")
    form_job_type: str = Field(description="The job type whose form the answers follow.")
    answers: dict[str, Any] = Field(description="The form's answers, typed.")
    signature: CaptureSignature | None = Field(description="The customer's signature.")
    completion_notes: str | None = Field(description="The job's completion notes.")
    parts: list[PartUsed] = Field(description="The job's parts used.")
    arrived_at: datetime | None = Field(description="Arrival on site (UTC).")
    departed_at: datetime | None = Field(description="Departure from site (UTC).")
    minutes_on_site: int | None = Field(description="Time on site in minutes.")
    visit_window_start: datetime | None = Field(description="Start of the window photos were checked against.")
    visit_window_end: datetime | None = Field(description="End of that window.")
    visit_window_basis: str | None = Field(description="on_site (arrival to departure) or scheduled (the booking).")
    photos: list[CapturePhoto] = Field(description="Photos with their distance to the site and flags.")
    photos_flagged: int = Field(description="How many photos carry a flag.")
    event_id: str = Field(description="The job.completed event this capture fired.")


def _parts(parts: list[PartInput] | None) -> list[dict[str, Any]] | None:
    if parts is None:
        return None
    seen: set[str] = set()
    for n, part in enumerate(parts):
        if part.sku.lower() in seen:
            raise InputError(f"parts.{n}.sku", f"SKU {part.sku} is listed twice: list it once with the total quantity.")
        seen.add(part.sku.lower())
    return [PartUsed(sku=p.sku, description=p.description or p.sku, quantity=p.quantity, unit_cost=p.unit_cost)
            .model_dump(mode="json") for p in parts]


def _check_given_times(data: RecordJobCompletionInput, now: datetime) -> None:
    for name in ("arrived_at", "departed_at"):
        value = getattr(data, name)
        if value is not None and value > now + FUTURE_SLACK:
            raise InputError(name, f"{name} is in the future ({value.isoformat()}); send UTC times with a zone.")


def _time_on_site(data: RecordJobCompletionInput, job: JobSnapshot,
                  now: datetime) -> tuple[datetime | None, datetime, int | None]:
    """Arrival, departure and minutes on site, from what was given, then the job, then the clock."""
    _check_given_times(data, now)
    arrived, minutes = data.arrived_at or job.arrived_at, data.minutes_on_site
    departed = data.departed_at
    if departed is None and arrived is not None and minutes is not None:
        departed = arrived + timedelta(minutes=minutes)
    if departed is None and job.completed_at is not None and (arrived is None or job.completed_at >= arrived):
        departed = job.completed_at
    departed = departed or now
    if arrived is None and minutes is not None:
        arrived = departed - timedelta(minutes=minutes)
    if arrived is None:
        return None, departed, minutes
    if departed < arrived:
        raise InputError("departed_at", f"The departure ({departed.isoformat()}) is before the arrival "
                                        f"({arrived.isoformat()}).")
    span = int((departed - arrived).total_seconds() // 60)
    if data.arrived_at and data.departed_at:
        if departed - arrived > MAX_ON_SITE:
            raise InputError("departed_at", "The departure is more than 24 hours after the arrival.")
        if minutes is not None and abs(span - minutes) > 1:
            raise InputError("minutes_on_site", f"{minutes} minutes does not match arrived_at to departed_at "
                                                f"({span} minutes): give one or the other.")
    if minutes is None and departed - arrived <= MAX_ON_SITE:
        minutes = span
    return arrived, departed, minutes


def _photo(photo: PhotoInput, site: tuple[float, float] | None, window: VisitWindow | None) -> dict[str, Any]:
    position = (photo.lat, photo.lng) if photo.lat is not None and photo.lng is not None else None
    found = check_photo(photo.taken_at, position, site, window)
    return CapturePhoto(**photo.model_dump(), distance_m=found.distance_m, flags=list(found.flags)).model_dump(
        mode="json")


def _digest(data: RecordJobCompletionInput, answers: dict[str, Any]) -> str:
    content = data.model_dump(mode="json", exclude={"job_id", "answers"}) | {"answers": answers}
    return hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()


def _draft(ctx: Context, job: JobSnapshot, data: RecordJobCompletionInput, now: datetime) -> CaptureDraft:
    form = ctx.store.get_job_form(job.job_type) or default_form(job.job_type)
    answers = check_answers(form, data.answers)
    if form.signature_required and data.signature is None:
        raise InputError("signature", f"The {form.job_type} form needs the customer's signature.")
    parts = _parts(data.parts)
    arrived, departed, minutes = _time_on_site(data, job, now)
    window = visit_window(arrived, departed, job.scheduled_start, job.scheduled_end)
    site = ctx.store.job_location(job.job_id)
    return CaptureDraft(
        job_id=job.job_id, job_type=form.job_type, idempotency_key=ctx.idempotency_key, run_id=ctx.run_id,
        content_hash=_digest(data, answers), answers=answers,
        signature=data.signature.model_dump(mode="json") if data.signature else None,
        notes=data.completion_notes, arrived_at=arrived, departed_at=departed, minutes_on_site=minutes,
        photos=[_photo(photo, site, window) for photo in data.photos], parts=parts,
        visit={"start": window.start.isoformat(), "end": window.end.isoformat(), "basis": window.basis}
        if window else None,
        recorded_at=now,
    )


def capture_item(capture: StoredCapture) -> JobCapture:
    """The capture as job.completed events carry it.

    Args:
        capture: A stored capture.

    Returns:
        The `capture` section of the event data.
    """
    draft = capture.draft
    photos = [CapturePhoto.model_validate(photo) for photo in draft.photos]
    return JobCapture(
        capture_id=capture.id, revision=capture.revision, replaces_capture_id=capture.replaces_id,
        recorded_at=draft.recorded_at, form_job_type=draft.job_type, answers=draft.answers,
        signature=CaptureSignature.model_validate(draft.signature) if draft.signature else None,
        arrived_at=draft.arrived_at, departed_at=draft.departed_at, minutes_on_site=draft.minutes_on_site,
        photos=photos, photos_flagged=sum(1 for photo in photos if photo.flags),
    )


def event_id(capture: StoredCapture) -> str:
    """The id of the job.completed event a capture fires (one per capture, whatever the retries).

    Args:
        capture: A stored capture.

    Returns:
        The event id.
    """
    return f"job.completed:capture:{capture.id}"


def _output(capture: StoredCapture, job: JobSnapshot, *, created: bool) -> RecordJobCompletionOutput:
    item = capture_item(capture)
    visit = capture.draft.visit or {}
    return RecordJobCompletionOutput(
        job_id=job.job_id, capture_id=capture.id, revision=capture.revision,
        replaces_capture_id=capture.replaces_id, created=created, status=job.status, completed_at=job.completed_at,
        form_job_type=item.form_job_type, answers=item.answers, signature=item.signature,
        completion_notes=job.completion_notes, parts=job.parts, arrived_at=item.arrived_at,
        departed_at=item.departed_at, minutes_on_site=item.minutes_on_site,
        visit_window_start=visit.get("start"), visit_window_end=visit.get("end"),
        visit_window_basis=visit.get("basis"), photos=item.photos, photos_flagged=item.photos_flagged,
        event_id=event_id(capture),
    )


def _already(ctx: Context, draft: CaptureDraft) -> StoredCapture | None:
    """The stored capture this call repeats: the run's own, or the current one when identical."""
    own = ctx.store.find_capture(draft.job_id, draft.idempotency_key)
    if own is not None:
        return own
    latest = ctx.store.latest_capture(draft.job_id)
    return latest if latest is not None and latest.draft.content_hash == draft.content_hash else None


def run(ctx: Context, data: RecordJobCompletionInput) -> RecordJobCompletionOutput:
    """Checks the capture, stores it, completes the job and fires Job Completed with it.

    Args:
        ctx: The call's context.
        data: The validated input.

    Returns:
        The capture and the job after it.

    Raises:
        NotFound: No such job in this account.
        Conflict: The job was cancelled.
        InputError: A form answer is missing or of the wrong type (`answers.<key>`), the form needs a
            signature, a SKU is listed twice, or the times on site do not add up.
    """
    job = ctx.store.get_job(data.job_id)
    if job is None:
        raise NotFound("job_id", f"No job with id {data.job_id!r} in this account.")
    if job.status == JobStatus.CANCELLED:
        raise Conflict(f"Job {data.job_id} was cancelled: there is no visit to record.", field="job_id")
    now = ctx.clock().astimezone(UTC)
    draft = _draft(ctx, job, data, now)
    repeated = _already(ctx, draft)
    if repeated is not None:
        return _output(repeated, ctx.store.get_job(job.job_id) or job, created=False)
    capture = ctx.store.save_capture(draft)
    parts = tuple(PartUsed.model_validate(p) for p in draft.parts) if draft.parts is not None else None
    after = ctx.store.complete_job(JobCompletion(job_id=job.job_id, completed_at=draft.departed_at or now,
                                                 arrived_at=draft.arrived_at, notes=draft.notes, parts=parts))
    completed_now = job.status != JobStatus.COMPLETED
    ctx.events.emit(CanonicalEvent(
        event_id=event_id(capture), type=EventType.JOB_COMPLETED,
        occurred_at=(after.completed_at or now) if completed_now else now, source="backbone",
        source_id=job.source_id, subject_id=job.job_id,
        data={"job": after.model_dump(mode="json"), "previous_status": job.status.value,
              "capture": capture_item(capture).model_dump(mode="json")},
    ))
    return _output(capture, after, created=True)


SAMPLE = RecordJobCompletionOutput(
    job_id="0d3c5e7f9a1b4c6d8e0f2a4b6c8d0e1f",
    capture_id="3e9f1a7c5b2d4e608f1a3c5e7b9d0f21",
    revision=1,
    replaces_capture_id=None,
    created=True,
    status=JobStatus.COMPLETED,
    completed_at=datetime(2026, 11, 24, 16, 42, tzinfo=UTC),
    form_job_type="repair",
    answers={"diagnosis": "Dirty flame sensor", "work_performed": "Replaced flame sensor", "follow_up_needed": False},
    signature=CaptureSignature(image_url="https://files.example.com/signatures/J-10482.png",
                               signer_name="Dana Whitfield", signed_at=datetime(2026, 11, 24, 16, 40, tzinfo=UTC)),
    completion_notes="Replaced flame sensor; system heating normally.",
    parts=[PartUsed(sku="FS-100", description="Flame sensor", quantity=Decimal("1"), unit_cost=Decimal("18.40"))],
    arrived_at=datetime(2026, 11, 24, 15, 12, tzinfo=UTC),
    departed_at=datetime(2026, 11, 24, 16, 42, tzinfo=UTC),
    minutes_on_site=90,
    visit_window_start=datetime(2026, 11, 24, 15, 2, tzinfo=UTC),
    visit_window_end=datetime(2026, 11, 24, 16, 52, tzinfo=UTC),
    visit_window_basis="on_site",
    photos=[
        CapturePhoto(url="https://files.example.com/photos/J-10482-furnace.jpg",
                     taken_at=datetime(2026, 11, 24, 15, 20, tzinfo=UTC), lat=30.3101, lng=-97.7201,
                     equipment_serial="CARR-58STA-0921", meter_readings={"gas_pressure_inwc": Decimal("3.5")},
                     caption="Furnace data plate", distance_m=14, flags=[]),
        CapturePhoto(url="https://files.example.com/photos/J-10482-receipt.jpg",
                     taken_at=datetime(2026, 11, 24, 18, 5, tzinfo=UTC), lat=30.2672, lng=-97.7431,
                     distance_m=5251, flags=["far_from_site", "outside_visit"]),
    ],
    photos_flagged=1,
    event_id="job.completed:capture:3e9f1a7c5b2d4e608f1a3c5e7b9d0f21",
)

ACTION = ActionSpec(
    key="record_job_completion",
    noun="Job Completion",
    label="Record Job Completion",
    help_text="Records the on-site capture (form answers, signature, notes, parts, time on site, photos), "
    "completes the job and fires Job Completed with it.",
    input=RecordJobCompletionInput,
    output=RecordJobCompletionOutput,
    sample=SAMPLE,
    weight=Weight.FAST,
    run=run,
)
