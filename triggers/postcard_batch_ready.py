"""Trigger: a postcard batch is ready — every card sent to Lob (or settled), or the CSV exported; once per batch."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, Field

from triggers.canonical import CanonicalEvent, EventType
from triggers.spec import TriggerSpec


class PostcardBatchRecipient(BaseModel):
    """One recipient's final status."""

    customer_id: str = Field(description="Backbone customer id.")
    status: str = Field(description="sent, exported, suppressed, address_undeliverable, duplicate or failed.")
    reason: str | None = Field(None, description="Why it was not mailed (opted_out, do_not_mail, ...).")
    lob_id: str | None = Field(None, description="Lob's postcard id (psc_...), when sent through Lob.")


class PostcardBatchReadyOutput(BaseModel):
    """A postcard batch that is out of Backbone's hands."""

    id: str = Field(description="Unique id of this item (one per batch).")
    batch_id: str = Field(description="Backbone id of the batch.")
    purpose: str = Field(description="marketing or operational.")
    delivery: str = Field(description="lob or export.")
    status: str = Field(description="sent (Lob) or exported (CSV).")
    campaign: str = Field(description="The campaign the cards count against.")
    send_date: datetime | None = Field(None, description="When Lob mails it (UTC); empty: as soon as printed.")
    counts: dict[str, int] = Field(description="Recipients per status, and the total.")
    recipients: list[PostcardBatchRecipient] = Field(description="Recipients (the first 100; all on batch_url).")
    recipients_truncated: bool = Field(description="True when the batch has more than 100 recipients.")
    batch_url: str = Field(description="API URL of the batch with every recipient.")
    csv_url: str | None = Field(None, description="API URL of the PostcardMania CSV (export only).")
    ready_at: datetime = Field(description="When the batch became ready (UTC).")


def render(event: CanonicalEvent) -> PostcardBatchReadyOutput:
    """Turns a postcard.batch_ready event into a trigger item."""
    data = event.data
    return PostcardBatchReadyOutput(
        id=event.event_id, ready_at=event.occurred_at, send_date=data.get("send_date"),
        recipients=[PostcardBatchRecipient.model_validate(r) for r in data.get("recipients", [])],
        **{k: data.get(k) for k in ("batch_id", "purpose", "delivery", "status", "campaign", "counts",
                                    "recipients_truncated", "batch_url", "csv_url")},
    )


SAMPLE = PostcardBatchReadyOutput(
    id="postcard.batch_ready:3f2a9c1d5e7b4a6c8d0e2f4a6b8c0d1e",
    batch_id="3f2a9c1d5e7b4a6c8d0e2f4a6b8c0d1e",
    purpose="marketing",
    delivery="lob",
    status="sent",
    campaign="spring-tune-up-2027",
    send_date=None,
    counts={"total": 2, "sent": 1, "suppressed": 1},
    recipients=[
        PostcardBatchRecipient(customer_id="8b1e2d3c4f5a69788796a5b4c3d2e1f0", status="sent",
                               lob_id="psc_5c002b86ce47537a"),
        PostcardBatchRecipient(customer_id="0f1e2d3c4b5a69788796a5b4c3d2e1f0", status="suppressed",
                               reason="opted_out"),
    ],
    recipients_truncated=False,
    batch_url="https://backbone.example.com/api/v1/postcards/batches/3f2a9c1d5e7b4a6c8d0e2f4a6b8c0d1e",
    csv_url=None,
    ready_at=datetime(2026, 11, 24, 17, 4, tzinfo=UTC),
)

TRIGGER = TriggerSpec(
    key="postcard_batch_ready",
    noun="Postcard Batch",
    label="Postcard Batch Ready",
    help_text="Triggers once per postcard batch, when every card has gone to Lob or the PostcardMania CSV is "
    "ready, with each recipient's status.",
    output=PostcardBatchReadyOutput,
    sample=SAMPLE,
    event_types=frozenset({EventType.POSTCARD_BATCH_READY}),
    render=render,
)
