from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from triggers.canonical import CanonicalEvent, EventType, JobSnapshot, JobStatus
from triggers.catalog import triggers_for
from triggers.job_completed import render as render_completed
from triggers.job_status_changed import render as render_status

T = datetime(2026, 11, 24, 16, 0, tzinfo=UTC)


def event(kind: EventType, **job: object) -> CanonicalEvent:
    snapshot = JobSnapshot(job_id="j1", source="sandbox", source_id="J-1", status=JobStatus.COMPLETED,
                           job_type="repair", priority="P2", **job)  # type: ignore[arg-type]
    return CanonicalEvent(event_id="e1", type=kind, occurred_at=T, source="sandbox",
                          data={"job": snapshot.model_dump(mode="json"), "previous_status": "arrived"})


def test_job_completed_item_has_time_on_site() -> None:
    item = render_completed(event(EventType.JOB_COMPLETED, arrived_at=T - timedelta(minutes=95), completed_at=T))
    assert item.id == "e1" and item.time_on_site_minutes == 95 and item.parts_count == 0
    assert item.model_dump(mode="json")["completed_at"] == "2026-11-24T16:00:00Z"


def test_status_item_carries_previous_status() -> None:
    item = render_status(event(EventType.JOB_COMPLETED))
    assert item.previous_status == JobStatus.ARRIVED and item.changed_at == T


def test_event_feeds_the_right_triggers() -> None:
    assert {t.key for t in triggers_for(EventType.JOB_COMPLETED)} == {"job_completed", "job_status_changed"}
    assert {t.key for t in triggers_for(EventType.JOB_EN_ROUTE)} == {"job_status_changed", "tech_en_route"}
    assert {t.key for t in triggers_for(EventType.INVOICE_PAID)} == {"invoice_paid"}
    assert triggers_for(EventType.STOCK_CHANGED) == []


def test_naive_timestamps_are_refused() -> None:
    with pytest.raises(ValidationError, match="time zone"):
        CanonicalEvent(event_id="e", type=EventType.JOB_CREATED, occurred_at=datetime(2026, 1, 1), source="x")
