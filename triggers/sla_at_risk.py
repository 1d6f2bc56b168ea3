"""Trigger (rule): an open job will miss (or missed) its response deadline by priority."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import Field

from triggers.canonical import CanonicalEvent, EventType, JobStatus
from triggers.job_item import JobEventItem, job_item_fields, job_sample
from triggers.spec import TriggerSpec


class SlaAtRiskOutput(JobEventItem):
    """An open job close to, or past, its response deadline."""

    sla_hours: int = Field(description="The response time promised for the job's priority, in hours.")
    deadline: datetime = Field(description="When someone must be on site (UTC).")
    minutes_left: int = Field(description="Minutes until the deadline (negative once passed).")
    breached: bool = Field(description="True when the deadline has passed.")


def render(event: CanonicalEvent) -> SlaAtRiskOutput:
    """Turns a rule.sla_at_risk event (fired once per job by the rule job) into a trigger item."""
    _job, fields = job_item_fields(event)
    return SlaAtRiskOutput(**fields, **event.data["rule"])


SAMPLE = SlaAtRiskOutput(
    **job_sample(
        "rule:sla_at_risk:0d3c5e7f9a1b4c6d8e0f2a4b6c8d0e1f",
        "rule.sla_at_risk", JobStatus.SCHEDULED, datetime(2026, 11, 26, 17, 5, tzinfo=UTC),
    ),
    sla_hours=24,
    deadline=datetime(2026, 11, 26, 18, 0, tzinfo=UTC),
    minutes_left=55,
    breached=False,
)

TRIGGER = TriggerSpec(
    key="sla_at_risk",
    noun="Job",
    label="SLA At Risk",
    help_text="Triggers once per job when an open job comes within the warning time of its response deadline "
    "(4, 24 or 72 hours by priority unless you set your own).",
    output=SlaAtRiskOutput,
    sample=SAMPLE,
    event_types=frozenset({EventType.RULE_SLA_AT_RISK}),
    render=render,
)
