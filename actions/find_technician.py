"""Search: technicians by id, part of the name, email or skill, active ones first."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, ClassVar

from pydantic import BaseModel, Field

from actions.context import TechnicianFilter
from actions.matching import DEFAULT_RESULTS, MAX_RESULTS, EmailKey, SearchCriteria
from actions.spec import SearchSpec

if TYPE_CHECKING:
    from actions.context import SearchContext, TechnicianRecord


class FindTechnicianInput(SearchCriteria):
    """What to look for; every criterion given must hold."""

    CRITERIA: ClassVar[tuple[str, ...]] = ("technician_id", "name", "email", "skill")

    technician_id: str | None = Field(None, max_length=64, description="Backbone id of the technician.")
    name: str | None = Field(None, max_length=200, description="Part of the technician's name (any case).")
    email: EmailKey | None = Field(None, max_length=320, description="The technician's email address (any case).")
    skill: str | None = Field(None, max_length=60, description="A skill the technician has, e.g. hvac or "
                              "electrical (any case).")
    limit: int = Field(DEFAULT_RESULTS, ge=1, le=MAX_RESULTS, description="At most this many technicians.")


class FindTechnicianOutput(BaseModel):
    """A technician."""

    id: str = Field(description="Backbone technician id (the same as Technician ID).")
    technician_id: str = Field(description="Backbone technician id; pass it to Dispatch Job.")
    source: str = Field(description="The system the technician came from (jobber, servicetitan, ...).")
    source_id: str | None = Field(description="The technician's id in that system.")
    name: str = Field(description="Name.")
    email: str | None = Field(description="Email address.")
    phone: str | None = Field(description="Phone number.")
    skills: list[str] = Field(description="Skills the dispatcher matches jobs against.")
    active: bool = Field(description="Whether the technician takes work (inactive ones are never dispatched).")
    home_address: str | None = Field(description="Where the technician's day starts.")
    created_at: datetime = Field(description="When Backbone first saw the technician (UTC).")


def item(tech: TechnicianRecord) -> FindTechnicianOutput:
    """The search result of one technician."""
    return FindTechnicianOutput(
        id=tech.id, technician_id=tech.id, source=tech.source, source_id=tech.source_id, name=tech.name,
        email=tech.email, phone=tech.phone, skills=list(tech.skills), active=tech.active,
        home_address=tech.home_address, created_at=tech.created_at,
    )


def run(ctx: SearchContext, data: FindTechnicianInput) -> list[FindTechnicianOutput]:
    """The matching technicians of this account, active first, then by name (none found: an empty list)."""
    where = TechnicianFilter(technician_id=data.technician_id, name=data.name, email=data.email, skill=data.skill)
    return [item(tech) for tech in ctx.store.find_technicians(where, data.limit)]


SAMPLE = FindTechnicianOutput(
    id="3e5a7c9b1d3f4e6a8c0b2d4f6a8c0e2d",
    technician_id="3e5a7c9b1d3f4e6a8c0b2d4f6a8c0e2d",
    source="jobber",
    source_id="Z2lkOi8vSm9iYmVyL1VzZXIvNDQ=",
    name="Marcus Reyes",
    email="marcus@acmeheating.example",
    phone="+15125550199",
    skills=["hvac", "gas"],
    active=True,
    home_address="1100 Congress Ave, Austin, TX 78701",
    created_at=datetime(2026, 1, 12, 14, 0, tzinfo=UTC),
)

SEARCH = SearchSpec(
    key="find_technician",
    noun="Technician",
    label="Find Technician",
    help_text="Finds technicians by Backbone id, part of the name, email or skill; active technicians first.",
    input=FindTechnicianInput,
    output=FindTechnicianOutput,
    sample=SAMPLE,
    run=run,
)
