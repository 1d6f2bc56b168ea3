"""Action (fast): adds a note to a job in the field-service system it came from."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from actions.errors import NotFound
from actions.spec import ActionSpec, Weight

if TYPE_CHECKING:
    from actions.context import Context


class AddJobNoteInput(BaseModel):
    """The job and the note."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    job_id: str = Field(min_length=1, max_length=64, description="Backbone id of the job (from a trigger).")
    note: str = Field(min_length=1, max_length=5000, description="The note, as the office and the technician will "
                      "read it in the field-service system.")


class AddJobNoteOutput(BaseModel):
    """Where the note went."""

    job_id: str = Field(description="The job.")
    source: str = Field(description="The system the note was added in (jobber, servicetitan, ...).")
    source_job_id: str = Field(description="The job's id in that system.")
    note_id: str = Field(description="The note's id in that system (empty when it gives none).")
    added_at: datetime = Field(description="When Backbone added it (UTC).")


def run(ctx: Context, data: AddJobNoteInput) -> AddJobNoteOutput:
    """Writes the note through the job's own system (the Zap's Idempotency-Key keeps retries single).

    Raises:
        NotFound: No such job in this account.
        Conflict: The job's system is not connected (or keeps no notes).
        UpstreamUnavailable: The system is down or throttling; the run can be replayed.
    """
    job = ctx.store.get_job(data.job_id)
    if job is None:
        raise NotFound("job_id", f"No job {data.job_id} in this account.")
    if not job.source_id:
        raise NotFound("job_id", "The job was made in Backbone, not in a field-service system: nowhere to add notes.")
    note_id = ctx.fsm.add_job_note(job.source, job.source_id, data.note)
    return AddJobNoteOutput(job_id=job.job_id, source=job.source, source_job_id=job.source_id, note_id=note_id,
                            added_at=ctx.clock())


SAMPLE = AddJobNoteOutput(
    job_id="0d3c5e7f9a1b4c6d8e0f2a4b6c8d0e1f",
    source="jobber",
    source_job_id="Z2lkOi8vSm9iYmVyL0pvYi8xMjM0NQ==",
    note_id="Z2lkOi8vSm9iYmVyL0pvYk5vdGUvOTg3",
    added_at=datetime(2026, 11, 24, 16, 5, tzinfo=UTC),
)

ACTION = ActionSpec(
    key="add_job_note",
    noun="Job Note",
    label="Add Job Note",
    help_text="Adds a note to a job in Jobber, ServiceTitan, Housecall Pro or the sandbox, where the office and "
    "the technician see it.",
    input=AddJobNoteInput,
    output=AddJobNoteOutput,
    sample=SAMPLE,
    weight=Weight.FAST,
    run=run,
)
