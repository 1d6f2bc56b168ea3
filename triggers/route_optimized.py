"""Trigger: Backbone finished optimizing a day's routes."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, Field

from triggers.canonical import CanonicalEvent, EventType
from triggers.spec import TriggerSpec


class RouteOptimizedOutput(BaseModel):
    """A route plan, summarized."""

    id: str = Field(description="Unique id of this item (the event id), the same on every delivery of it.")
    plan_id: str = Field(description="The plan's id (pass it as previous_plan_id to re-plan close to it).")
    run_id: str | None = Field(description="The optimize run that made it.")
    planned_at: datetime = Field(description="When the plan was made (UTC).")
    window_start: datetime = Field(description="Start of the planned period (UTC).")
    window_end: datetime = Field(description="End of the planned period (UTC).")
    feasible: bool = Field(description="True when every planned stop keeps its time window and shift.")
    technicians_used: int = Field(description="Technicians with at least one job.")
    jobs_planned: int = Field(description="Jobs given a technician and an ETA.")
    jobs_unassigned: int = Field(description="Jobs left out (each with reasons in the plan).")
    p1_unassigned: int = Field(description="Emergency (P1) jobs left out.")
    total_travel_minutes: int = Field(description="Driving time of all routes.")
    total_distance_km: float = Field(description="Driving distance of all routes.")
    overtime_minutes: int = Field(description="Overtime over all shifts.")
    changes: int = Field(description="Jobs moved, reassigned or re-timed against the previous plan.")


def render(event: CanonicalEvent) -> RouteOptimizedOutput:
    """Turns a route.optimized event into a trigger item.

    Args:
        event: The canonical route.optimized event; `data["plan"]` holds the summary.

    Returns:
        The item delivered to hooks and listed by polling.
    """
    plan = event.data["plan"]
    return RouteOptimizedOutput(id=event.event_id, **{k: plan[k] for k in RouteOptimizedOutput.model_fields
                                                      if k != "id"})


SAMPLE = RouteOptimizedOutput(
    id="route.optimized:9f8e7d6c5b4a39281706f5e4d3c2b1a0",
    plan_id="9f8e7d6c5b4a39281706f5e4d3c2b1a0",
    run_id="1a2b3c4d5e6f708192a3b4c5d6e7f809",
    planned_at=datetime(2026, 11, 24, 12, 0, 31, tzinfo=UTC),
    window_start=datetime(2026, 11, 24, 14, 0, tzinfo=UTC),
    window_end=datetime(2026, 11, 25, 0, 0, tzinfo=UTC),
    feasible=True,
    technicians_used=22,
    jobs_planned=87,
    jobs_unassigned=1,
    p1_unassigned=0,
    total_travel_minutes=1934,
    total_distance_km=1412.6,
    overtime_minutes=0,
    changes=3,
)

TRIGGER = TriggerSpec(
    key="route_optimized",
    noun="Route Plan",
    label="Routes Optimized",
    help_text="Triggers when Backbone finishes optimizing your technicians' routes for a day.",
    output=RouteOptimizedOutput,
    sample=SAMPLE,
    event_types=frozenset({EventType.ROUTE_OPTIMIZED}),
    render=render,
)
