"""Pieces the routing actions share: inline technicians and jobs, and the plan's output rows."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from actions import planning
from actions.context import PlanningJob, PlanningTechnician, StoredPlan
from triggers.canonical import CanonicalEvent, EventType

if TYPE_CHECKING:
    from collections.abc import Sequence

    from actions.context import Context
    from solver.dispatch import Candidate
    from solver.models import RoutingResult
    from solver.replan import Change

SKU_QTY = "SKU or SKU:quantity, e.g. CAP-45:2"


def parse_parts(values: list[str]) -> tuple[tuple[str, int], ...]:
    """`["CAP-45:2", "FILTER"]` → `(("CAP-45", 2), ("FILTER", 1))`.

    Raises:
        ValueError: An entry is empty or its quantity is not a positive whole number.
    """
    parsed = []
    for value in values:
        sku, _, qty = value.strip().partition(":")
        if not sku.strip():
            raise ValueError(f"{value!r}: expected {SKU_QTY}")
        if qty and (not qty.strip().isdigit() or int(qty) < 1):
            raise ValueError(f"{value!r}: the quantity after ':' must be a whole number of at least 1")
        parsed.append((sku.strip(), int(qty) if qty else 1))
    return tuple(parsed)


class InlineTechnician(BaseModel):
    """A technician given in the call instead of read from the synced data."""

    model_config = ConfigDict(extra="forbid")

    technician_id: str = Field(min_length=1, max_length=64, description="Your id for the technician.")
    name: str | None = Field(None, max_length=200, description="Name shown in the plan.")
    home_lat: float = Field(ge=-90, le=90, description="Latitude where the day starts and ends.")
    home_lng: float = Field(ge=-180, le=180, description="Longitude where the day starts and ends.")
    skills: list[str] = Field(default_factory=list, max_length=50, description="Skills, e.g. hvac, gas.")
    truck_stock: list[str] = Field(default_factory=list, max_length=500,
                                   description=f"Parts on the truck, each as {SKU_QTY}.")

    @field_validator("truck_stock")
    @classmethod
    def _stock(cls, value: list[str]) -> list[str]:
        parse_parts(value)
        return value

    def planning(self) -> PlanningTechnician:
        """As the planner reads stored technicians."""
        return PlanningTechnician(id=self.technician_id, name=self.name or self.technician_id,
                                  skills=tuple(self.skills), home=(self.home_lat, self.home_lng),
                                  truck_stock=parse_parts(self.truck_stock))


class InlineJob(BaseModel):
    """A job given in the call instead of read from the synced data."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=64, description="Your id for the job.")
    customer_name: str | None = Field(None, max_length=200, description="Customer shown in the plan.")
    lat: float = Field(ge=-90, le=90, description="Latitude of the job.")
    lng: float = Field(ge=-180, le=180, description="Longitude of the job.")
    window_start: datetime | None = Field(None, description="Earliest arrival (with a time zone offset).")
    window_end: datetime | None = Field(None, description="Latest arrival (with a time zone offset).")
    duration_minutes: int = Field(60, ge=1, le=24 * 60, description="Time on site.")
    required_skills: list[str] = Field(default_factory=list, max_length=20, description="Skills the job needs.")
    priority: Literal["P1", "P2", "P3"] = Field("P3", description="P1 emergency, P2 urgent, P3 routine.")
    required_parts: list[str] = Field(default_factory=list, max_length=50,
                                      description=f"Parts needed, each as {SKU_QTY}.")

    @field_validator("required_parts")
    @classmethod
    def _parts(cls, value: list[str]) -> list[str]:
        parse_parts(value)
        return value

    @field_validator("window_start", "window_end")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("needs a time zone offset, e.g. 2026-12-01T09:00:00-06:00")
        return value

    @model_validator(mode="after")
    def _window(self) -> InlineJob:
        if (self.window_start is None) != (self.window_end is None):
            raise ValueError("window_start and window_end go together")
        if self.window_start and self.window_end and self.window_end < self.window_start:
            raise ValueError("window_end must not be before window_start")
        return self

    def planning(self) -> PlanningJob:
        """As the planner reads stored jobs."""
        return PlanningJob(id=self.id, source_id=None, customer_name=self.customer_name, location=(self.lat, self.lng),
                           window_start=self.window_start, window_end=self.window_end,
                           duration_minutes=self.duration_minutes, skills=tuple(self.required_skills),
                           priority=self.priority, status="scheduled", technician_id=None, started_at=None,
                           parts=parse_parts(self.required_parts))


class PlannedStop(BaseModel):
    """One stop of a technician's day."""

    technician_id: str = Field(description="The technician.")
    technician_name: str | None = Field(description="The technician's name.")
    sequence: int = Field(description="Position in the technician's day (1 = first).")
    kind: str = Field(description="job, pickup (parts at a depot) or break.")
    job_id: str | None = Field(description="The job (for a pickup: the job whose parts it collects).")
    job_source_id: str | None = Field(description="The job's id in the field-service system.")
    customer_name: str | None = Field(description="The customer (for job stops).")
    eta: datetime = Field(description="When the technician starts the stop (UTC).")
    eta_window_start: datetime = Field(description="Start of the arrival window to tell the customer (UTC).")
    eta_window_end: datetime = Field(description="End of the arrival window to tell the customer (UTC).")
    end: datetime = Field(description="When the stop ends (UTC).")
    travel_minutes: int = Field(description="Driving time from the previous stop.")


class UnassignedJob(BaseModel):
    """A job the plan leaves out."""

    job_id: str = Field(description="The job.")
    job_source_id: str | None = Field(description="The job's id in the field-service system.")
    reasons: str = Field(description="Why, comma-separated (e.g. missing_skill:gas, no_window_fits).")


class PlanChange(BaseModel):
    """A job the new plan treats differently from the previous one."""

    job_id: str = Field(description="The job.")
    customer_name: str | None = Field(description="The customer.")
    change: str = Field(description="reassigned, moved (order), time_shifted, added or unassigned.")
    old_technician_id: str | None = Field(description="Who had it.")
    new_technician_id: str | None = Field(description="Who has it now.")
    old_eta: datetime | None = Field(description="The previous ETA (UTC).")
    new_eta: datetime | None = Field(description="The new ETA (UTC).")


class PlanFigures(BaseModel):
    """A stored plan: its id, day, figures, stops and jobs left out."""

    plan_id: str = Field(description="The plan's id.")
    window_start: datetime = Field(description="Start of the planned day (UTC).")
    window_end: datetime = Field(description="End of the planned day (UTC).")
    feasible: bool = Field(description="Every planned stop keeps its window and shift.")
    technicians_used: int = Field(description="Technicians with at least one job.")
    jobs_planned: int = Field(description="Jobs given a technician and an ETA.")
    jobs_unassigned: int = Field(description="Jobs left out.")
    p1_unassigned: int = Field(description="Emergency (P1) jobs left out.")
    total_travel_minutes: int = Field(description="Driving time of all routes.")
    total_distance_km: float = Field(description="Driving distance of all routes.")
    overtime_minutes: int = Field(description="Overtime over all shifts.")
    previous_plan_id: str | None = Field(description="The plan this one revises.")
    changed_jobs: int = Field(description="Jobs the revision changed (0 without a previous plan).")
    stops: list[PlannedStop] = Field(description="Every stop of every route, by technician and sequence.")
    unassigned: list[UnassignedJob] = Field(description="Jobs left out, with reasons.")


class TechnicianCandidate(BaseModel):
    """One technician's best insertion of a job into their day, or why they cannot take it."""

    technician_id: str = Field(description="The technician.")
    technician_name: str | None = Field(description="The technician's name.")
    feasible: bool = Field(description="Whether the job fits their day (skills, parts, windows, shift).")
    eta: datetime | None = Field(description="When they would start the job (UTC).")
    extra_drive_minutes: int | None = Field(description="Driving the job adds to their day.")
    delay_minutes: int | None = Field(description="Most any later stop of theirs would be pushed back.")
    after_stop: int | None = Field(description="The job goes after this stop of their day (0 = first).")
    reasons: str = Field(description="Why not, comma-separated (missing_skill:gas, parts_unavailable:CAP-45, "
                         "no_window_fits, pinned_to_other_technician).")


def candidates(setup: planning.Setup, ranked: Sequence[Candidate], limit: int) -> list[TechnicianCandidate]:
    """The first `limit` candidates as output rows."""
    return [TechnicianCandidate(
        technician_id=c.technician_id, technician_name=setup.names.get(c.technician_id), feasible=c.feasible,
        eta=setup.at(c.eta) if c.feasible else None,
        extra_drive_minutes=round(c.extra_travel_time / 60) if c.feasible else None,
        delay_minutes=round(c.delay / 60) if c.feasible else None,
        after_stop=c.position if c.feasible else None, reasons=", ".join(c.reasons),
    ) for c in ranked[:limit]]


def plan_figures(setup: planning.Setup, result: RoutingResult, window: tuple[datetime, datetime], buffer: timedelta,
                 previous_plan_id: str | None, changed: int) -> dict[str, Any]:
    """The `PlanFigures` fields of a solved plan, under a new plan id."""
    left = planning.unassigned(setup, result)
    priorities = {j.id: j.priority.name for j in setup.problem.jobs}
    stops = planned_stops(setup, result, buffer)
    return {
        "plan_id": uuid.uuid4().hex, "window_start": window[0], "window_end": window[1], "feasible": result.feasible,
        "technicians_used": sum(1 for r in result.routes if r.job_ids()),
        "jobs_planned": sum(1 for s in stops if s.kind == "job"), "jobs_unassigned": len(left),
        "p1_unassigned": sum(1 for job_id in left if priorities.get(job_id) == "P1"),
        "total_travel_minutes": round(sum(r.travel_time for r in result.routes) / 60),
        "total_distance_km": round(sum(r.distance for r in result.routes) / 1000, 1),
        "overtime_minutes": round(sum(r.overtime for r in result.routes) / 60),
        "previous_plan_id": previous_plan_id, "changed_jobs": changed, "stops": stops,
        "unassigned": [UnassignedJob(job_id=j, job_source_id=setup.source_ids.get(j), reasons=", ".join(r))
                       for j, r in sorted(left.items())],
    }


def keep_plan(ctx: Context, output: PlanFigures) -> None:
    """Stores a plan and announces it as a route.optimized event."""
    summary = output.model_dump(mode="json", include=set(PlanFigures.model_fields) - {"stops", "unassigned"})
    dumped = output.model_dump(mode="json", include={"stops", "unassigned"})
    ctx.store.save_plan(StoredPlan(
        id=output.plan_id, created_at=ctx.clock(), window_start=output.window_start, window_end=output.window_end,
        routes=dumped["stops"], unassigned=dumped["unassigned"], kpis=summary,
    ), ctx.run_id)
    plan = {**summary, "run_id": ctx.run_id, "planned_at": ctx.clock().astimezone(UTC).isoformat(),
            "changes": output.changed_jobs}
    ctx.events.emit(CanonicalEvent(
        event_id=f"route.optimized:{output.plan_id}", type=EventType.ROUTE_OPTIMIZED, occurred_at=ctx.clock(),
        source="backbone", source_id=output.plan_id, subject_id=output.plan_id, data={"plan": plan},
    ))


def planned_stops(setup: planning.Setup, result: RoutingResult, buffer: timedelta) -> list[PlannedStop]:
    """Every stop of every route (not the start and end), with ETA windows of +/- `buffer`."""
    stops = []
    for route in result.routes:
        sequence = 0
        for stop in route.stops:
            if stop.kind in ("start", "end"):
                continue
            sequence += 1
            eta = setup.at(stop.start)
            is_job = stop.kind == "job"
            stops.append(PlannedStop(
                technician_id=route.technician_id, technician_name=setup.names.get(route.technician_id),
                sequence=sequence, kind=stop.kind, job_id=stop.id if is_job else stop.for_job,
                job_source_id=setup.source_ids.get(stop.id) if is_job else None,
                customer_name=setup.customers.get(stop.id) if is_job else None,
                eta=eta, eta_window_start=eta - buffer, eta_window_end=eta + buffer, end=setup.at(stop.end),
                travel_minutes=round(stop.travel_time / 60),
            ))
    return stops


def plan_changes(setup: planning.Setup, found: tuple[Change, ...]) -> list[PlanChange]:
    """The solver's changes as output rows."""
    return [PlanChange(job_id=c.job_id, customer_name=setup.customers.get(c.job_id), change=c.kind,
                       old_technician_id=c.old_technician, new_technician_id=c.new_technician,
                       old_eta=setup.at(c.old_start) if c.old_start is not None else None,
                       new_eta=setup.at(c.new_start) if c.new_start is not None else None) for c in found]
