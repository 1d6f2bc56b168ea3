"""record_job_completion against the fakes: forms enforced, photos flagged, one capture per key."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from actions.capture import FieldType, FormField, JobForm
from actions.errors import Conflict, InputError, NotFound
from actions.record_job_completion import RecordJobCompletionInput, run
from tests.fakes import NOW, FakeStore, make_context
from triggers.canonical import EventType, JobSnapshot, JobStatus, PartUsed
from triggers.job_completed import render

ARRIVED = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
SITE = (30.31, -97.72)
REPAIR = {"diagnosis": "Dirty flame sensor", "work_performed": "Cleaned and replaced the sensor"}
NEAR = {"url": "https://files.example.com/p1.jpg", "taken_at": "2026-11-24T15:30:00Z", "lat": 30.3101,
        "lng": -97.7201, "equipment_serial": "CARR-0921", "meter_readings": {"gas_pressure_inwc": "3.5"}}
FAR = {"url": "https://files.example.com/p2.jpg", "taken_at": "2026-11-24T15:40:00Z", "lat": 30.2672,
       "lng": -97.7431}


def _job(**changes: Any) -> JobSnapshot:
    job = JobSnapshot(job_id="j1", source="sandbox", source_id="J-1", status=JobStatus.ARRIVED, job_type="repair",
                      priority="P2", arrived_at=ARRIVED, scheduled_start=ARRIVED,
                      scheduled_end=ARRIVED + timedelta(hours=2),
                      parts=[PartUsed(sku="OLD-1", description="Old", quantity=Decimal(1), unit_cost=Decimal(5))])
    return job.model_copy(update=changes)


def _store(**job_changes: Any) -> FakeStore:
    return FakeStore(jobs={"j1": _job(**job_changes)}, locations={"j1": SITE})


def _input(**fields: Any) -> RecordJobCompletionInput:
    return RecordJobCompletionInput.model_validate({"job_id": "j1", "answers": REPAIR} | fields)


def test_a_capture_completes_the_job_and_fires_job_completed_with_it() -> None:
    ctx, store, _acc, events = make_context(_store())
    signature = {"image_url": "data:image/png;base64,iVBORw0KGgo=", "signer_name": "Dana Whitfield",
                 "signed_at": "2026-11-24T16:40:00Z"}
    out = run(ctx, _input(completion_notes="Heating normally.", signature=signature, photos=[NEAR, FAR],
                          parts=[{"sku": "FS-100", "description": "Flame sensor", "quantity": "1",
                                  "unit_cost": "18.40"}]))
    assert (out.created, out.revision, out.status, out.completed_at) == (True, 1, JobStatus.COMPLETED, NOW)
    assert (out.arrived_at, out.departed_at, out.minutes_on_site) == (ARRIVED, NOW, 120)
    assert [p.flags for p in out.photos] == [[], ["far_from_site"]] and out.photos_flagged == 1
    assert out.photos[0].distance_m == 15 and out.photos[0].meter_readings == {"gas_pressure_inwc": Decimal("3.5")}
    job = store.jobs["j1"]
    assert job.status == JobStatus.COMPLETED and job.completion_notes == "Heating normally."
    assert [(p.sku, p.quantity, p.unit_cost) for p in job.parts] == [("FS-100", Decimal(1), Decimal("18.40"))]
    [event] = events.emitted
    assert event.type == EventType.JOB_COMPLETED and event.event_id == out.event_id == "job.completed:capture:cap1"
    assert event.data["previous_status"] == "arrived" and event.data["capture"]["capture_id"] == "cap1"
    item = render(event)
    assert item.capture_id == "cap1" and item.capture_revision == 1 and item.answers == REPAIR
    assert item.signer_name == "Dana Whitfield" and item.photos_flagged == 1 and item.time_on_site_minutes == 120
    assert item.parts_count == 1 and item.completion_notes == "Heating normally."


def test_a_missing_mandatory_answer_is_refused_naming_it() -> None:
    ctx, store, _acc, events = make_context(_store(job_type="Install"))
    with pytest.raises(InputError) as caught:
        run(ctx, _input(answers={"model_number": "58STA"}))
    assert caught.value.field == "answers.serial_number"
    assert store.jobs["j1"].status == JobStatus.ARRIVED and not events.emitted and not store.captures


def test_the_tenants_form_replaces_the_built_in_one() -> None:
    form = JobForm("repair", (FormField("amps", "Amps drawn", FieldType.NUMBER, required=True),),
                   signature_required=True, source="tenant")
    ctx, store, _acc, _events = make_context(_store())
    store.job_forms["repair"] = form
    with pytest.raises(InputError) as caught:
        run(ctx, _input(answers={"amps": "lots"}))
    assert caught.value.field == "answers.amps" and "must be a number" in caught.value.message
    with pytest.raises(InputError) as caught:
        run(ctx, _input(answers={"amps": "7.5"}))
    assert caught.value.field == "signature"
    with pytest.raises(InputError) as caught:  # the built-in repair questions are not this form's
        run(ctx, _input())
    assert caught.value.field == "answers.amps"


def test_photos_outside_the_visit_are_flagged_against_the_booking_without_an_arrival() -> None:
    ctx, *_ = make_context(_store(arrived_at=None))
    early = NEAR | {"taken_at": "2026-11-24T13:30:00Z"}  # booking 15:00-17:00, an hour of slack either side
    out = run(ctx, _input(photos=[NEAR, early, {"url": "https://files.example.com/p3.jpg"}]))
    assert out.visit_window_basis == "scheduled"
    assert [p.flags for p in out.photos] == [[], ["outside_visit"], []]
    assert out.photos[2].distance_m is None


def test_without_a_site_location_nothing_is_flagged_far() -> None:
    ctx, store, _acc, _events = make_context(_store())
    store.locations.clear()
    out = run(ctx, _input(photos=[FAR]))
    assert out.photos[0].flags == [] and out.photos[0].distance_m is None


def test_the_same_run_again_stores_and_fires_nothing_new() -> None:
    ctx, store, _acc, events = make_context(_store(), key="zap-1")
    first = run(ctx, _input(photos=[FAR]))
    again = run(ctx, _input(photos=[FAR]))
    assert again.created is False and again.capture_id == first.capture_id and again.event_id == first.event_id
    assert len(store.captures) == 1 and len(events.emitted) == 1
    other_key, _s, _a, other_events = make_context(store, key="zap-2")
    same_content = run(other_key, _input(photos=[FAR]))
    assert same_content.created is False and same_content.capture_id == first.capture_id
    assert not other_events.emitted


def test_a_different_capture_corrects_the_first_and_fires_again() -> None:
    ctx, store, _acc, events = make_context(_store(), key="first")
    first = run(ctx, _input(completion_notes="First pass."))
    fix, _s, _a, fix_events = make_context(store, key="second")
    second = run(fix, _input(completion_notes="Corrected.", parts=[]))
    assert (second.revision, second.replaces_capture_id, second.created) == (2, first.capture_id, True)
    assert second.completed_at == first.completed_at  # already completed: the time stays
    assert store.jobs["j1"].completion_notes == "Corrected." and store.jobs["j1"].parts == []
    [event] = fix_events.emitted
    assert event.event_id != events.emitted[0].event_id and render(event).capture_revision == 2


def test_parts_are_kept_when_none_are_given() -> None:
    ctx, store, _acc, _events = make_context(_store())
    run(ctx, _input())
    assert [p.sku for p in store.jobs["j1"].parts] == ["OLD-1"]


@pytest.mark.parametrize(("fields", "field"), [
    ({"parts": [{"sku": "A", "quantity": 1, "unit_cost": 1}, {"sku": "a", "quantity": 2, "unit_cost": 1}]},
     "parts.1.sku"),
    ({"arrived_at": "2026-11-24T16:00:00Z", "departed_at": "2026-11-24T15:00:00Z"}, "departed_at"),
    ({"departed_at": "2026-11-24T14:00:00Z"}, "departed_at"),  # before the job's own arrival
    ({"arrived_at": "2026-11-24T15:00:00Z", "departed_at": "2026-11-24T16:00:00Z", "minutes_on_site": 20},
     "minutes_on_site"),
    ({"arrived_at": "2026-11-22T15:00:00Z", "departed_at": "2026-11-24T16:00:00Z"}, "departed_at"),
    ({"departed_at": "2026-11-25T16:00:00Z"}, "departed_at"),  # in the future
])
def test_inconsistent_input_is_refused_naming_the_field(fields: dict[str, Any], field: str) -> None:
    ctx, *_ = make_context(_store())
    with pytest.raises(InputError) as caught:
        run(ctx, _input(**fields))
    assert caught.value.field == field


def test_time_on_site_from_minutes_alone() -> None:
    ctx, *_ = make_context(_store(arrived_at=None))
    out = run(ctx, _input(minutes_on_site=45))
    assert out.minutes_on_site == 45 and out.departed_at == NOW and out.arrived_at == NOW - timedelta(minutes=45)
    assert out.visit_window_basis == "on_site"


@pytest.mark.parametrize("body", [
    {"photos": [{"url": "ftp://x/1.jpg"}]},
    {"photos": [{"url": "https://x/1.jpg", "lat": 30.3}]},
    {"photos": [{"url": "https://x/1.jpg", "lat": 91, "lng": 0}]},
    {"photos": [{"url": "https://x/1.jpg", "meter_readings": "psi is high"}]},
    {"photos": [{"url": "https://x/1.jpg", "taken_at": "2026-11-24T15:00:00"}]},  # no time zone
    {"signature": {"image_url": "a scribble", "signer_name": "Dana", "signed_at": "2026-11-24T16:40:00Z"}},
    {"signature": {"image_url": "https://x/s.png", "signed_at": "2026-11-24T16:40:00Z"}},
    {"parts": [{"sku": "A", "quantity": 0, "unit_cost": 1}]},
    {"minutes_on_site": -1},
])
def test_malformed_input_is_refused_by_the_model(body: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        RecordJobCompletionInput.model_validate({"job_id": "j1"} | body)


def test_meter_readings_come_as_a_mapping_or_as_text() -> None:
    photo = RecordJobCompletionInput.model_validate({"job_id": "j1", "photos": [
        {"url": "https://x/1.jpg", "meter_readings": "refrigerant_psi=118; supply_temp_f: 55\n"}]}).photos[0]
    assert photo.meter_readings == {"refrigerant_psi": Decimal(118), "supply_temp_f": Decimal(55)}


def test_unknown_and_cancelled_jobs_are_refused() -> None:
    ctx, *_ = make_context(_store(status=JobStatus.CANCELLED))
    with pytest.raises(Conflict):
        run(ctx, _input())
    with pytest.raises(NotFound) as caught:
        run(ctx, _input(job_id="nope"))
    assert caught.value.field == "job_id"
