"""Trigger: an action run failed for good (its retries are used up, or it cannot succeed as sent)."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, Field

from triggers.canonical import CanonicalEvent, EventType
from triggers.spec import TriggerSpec


class ActionFailedOutput(BaseModel):
    """A failed run, with what support needs to act on it."""

    id: str = Field(description="Unique id of this item (the event id), the same on every delivery of it.")
    run_id: str = Field(description="The run (replay it from the admin page).")
    action: str = Field(description="The action's key, e.g. generate_invoice.")
    error_code: str = Field(description="Stable error code (invalid_input, upstream_unavailable, ...).")
    error_message: str = Field(description="What went wrong, in plain words.")
    error_fields: list[str] = Field(description="The input fields at fault, if any.")
    retryable: bool = Field(description="True when replaying the same input later may succeed.")
    attempts: int = Field(description="Attempts made so far.")
    http_status: int | None = Field(description="The HTTP status the run answered with.")
    admin_url: str = Field(description="The run's page on the admin site (support staff).")
    failed_at: datetime = Field(description="When it failed (UTC).")


def render(event: CanonicalEvent) -> ActionFailedOutput:
    """Turns an action.failed event into a trigger item."""
    data = event.data
    return ActionFailedOutput(
        id=event.event_id, run_id=data["run_id"], action=data["action"], error_code=data["error_code"],
        error_message=data["error_message"], error_fields=[f for f in data.get("fields", []) if f],
        retryable=bool(data["retryable"]), attempts=int(data["attempts"]), http_status=data.get("http_status"),
        admin_url=data["admin_url"], failed_at=event.occurred_at,
    )


SAMPLE = ActionFailedOutput(
    id="action.failed:3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c:4",
    run_id="3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c",
    action="generate_invoice",
    error_code="upstream_unavailable",
    error_message="QuickBooks Online did not answer in time; replay the run once it is back.",
    error_fields=[],
    retryable=True,
    attempts=4,
    http_status=503,
    admin_url="https://backbone.example.com/admin/runs/3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c",
    failed_at=datetime(2026, 11, 24, 18, 30, tzinfo=UTC),
)

TRIGGER = TriggerSpec(
    key="action_failed",
    noun="Failed Run",
    label="Action Failed",
    help_text="Triggers when a Backbone action fails for good (for example QuickBooks stayed down through every "
    "retry), with the reason and a link to replay it.",
    output=ActionFailedOutput,
    sample=SAMPLE,
    event_types=frozenset({EventType.ACTION_FAILED}),
    render=render,
)
