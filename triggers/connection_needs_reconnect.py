"""Trigger: a connection to an FSM or accounting system needs the user to reconnect it."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, Field

from triggers.canonical import CanonicalEvent, EventType
from triggers.spec import TriggerSpec


class ConnectionNeedsReconnectOutput(BaseModel):
    """A connection that stopped working until someone reconnects it."""

    id: str = Field(description="Unique id of this item (the event id), the same on every delivery of it.")
    connection_id: str = Field(description="Backbone's id of the connection.")
    provider: str = Field(description="The system (jobber, quickbooks, servicetitan, housecallpro).")
    account_id: str = Field(description="The account's id in that system.")
    account_name: str | None = Field(None, description="The account's name in that system.")
    reason: str = Field(description="Why it stopped (e.g. the refresh token was revoked).")
    detected_at: datetime = Field(description="When Backbone found out (UTC).")


def render(event: CanonicalEvent) -> ConnectionNeedsReconnectOutput:
    """Turns a connection.needs_reconnect event into a trigger item."""
    data = event.data
    return ConnectionNeedsReconnectOutput(
        id=event.event_id, connection_id=data["connection_id"], provider=data["provider"],
        account_id=data["account_id"], account_name=data.get("account_name"), reason=data.get("reason") or "",
        detected_at=event.occurred_at,
    )


SAMPLE = ConnectionNeedsReconnectOutput(
    id="backbone:connection:5d41402abc4b2a76b9719d911017c592:reconnect:7",
    connection_id="5d41402abc4b2a76b9719d911017c592",
    provider="quickbooks",
    account_id="9130357992219146",
    account_name="Acme Heating & Air",
    reason="QuickBooks refused the refresh token (invalid_grant): reconnect QuickBooks in Backbone.",
    detected_at=datetime(2026, 11, 24, 12, 5, tzinfo=UTC),
)

TRIGGER = TriggerSpec(
    key="connection_needs_reconnect",
    noun="Connection",
    label="Connection Needs Reconnect",
    help_text="Triggers when Backbone can no longer reach one of your systems (Jobber, QuickBooks, ...) "
    "and someone must reconnect it.",
    output=ConnectionNeedsReconnectOutput,
    sample=SAMPLE,
    event_types=frozenset({EventType.CONNECTION_NEEDS_RECONNECT}),
    render=render,
)
