"""The job_completed item: unchanged for the field-service system's completions, richer for captures."""

from __future__ import annotations

from datetime import UTC, datetime

from triggers.canonical import CanonicalEvent, EventType, JobSnapshot, JobStatus
from triggers.job_completed import SAMPLE, JobCapture, JobCompletedOutput, render

ARRIVED = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
DONE = datetime(2026, 11, 24, 16, 30, tzinfo=UTC)
JOB = JobSnapshot(job_id="j1", source="sandbox", source_id="J-1", status=JobStatus.COMPLETED, job_type="repair",
                  priority="P2", arrived_at=ARRIVED, completed_at=DONE)


def _event(**data: object) -> CanonicalEvent:
    return CanonicalEvent(event_id="e1", type=EventType.JOB_COMPLETED, occurred_at=DONE, source="sandbox",
                          subject_id="j1", data={"job": JOB.model_dump(mode="json")} | data)


def test_a_completion_without_capture_has_empty_capture_fields() -> None:
    item = render(_event())
    assert item.time_on_site_minutes == 90
    assert (item.capture_id, item.capture_revision, item.answers, item.photos, item.photos_flagged) == (
        None, None, {}, [], 0)
    assert item.signer_name is None and item.signature_url is None and item.signed_at is None


def test_a_capture_fills_the_item_and_its_time_on_site_wins() -> None:
    capture = JobCapture(capture_id="c1", revision=2, replaces_capture_id="c0", recorded_at=DONE,
                         form_job_type="repair", answers={"diagnosis": "x"}, minutes_on_site=75,
                         photos=SAMPLE.photos, photos_flagged=0,
                         signature={"image_url": "https://x/s.png", "signer_name": "Dana", "signed_at": DONE})
    item = render(_event(capture=capture.model_dump(mode="json")))
    assert (item.capture_id, item.capture_revision, item.answers) == ("c1", 2, {"diagnosis": "x"})
    assert (item.signer_name, item.signature_url, item.signed_at) == ("Dana", "https://x/s.png", DONE)
    assert item.time_on_site_minutes == 75 and item.photos == SAMPLE.photos


def test_items_made_before_captures_existed_still_validate() -> None:
    old = SAMPLE.model_dump(mode="json")
    for key in ("capture_id", "capture_revision", "answers", "signer_name", "signature_url", "signed_at", "photos",
                "photos_flagged"):
        old.pop(key)
    assert JobCompletedOutput.model_validate(old).capture_id is None
