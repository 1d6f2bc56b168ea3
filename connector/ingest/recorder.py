"""Records canonical events and writes their hook deliveries (the outbox) in the same transaction."""

from __future__ import annotations

import hashlib
import logging
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from connector.db.models import Delivery, Event, HookSubscription
from connector.hooks.schedule import deliver_after_commit
from triggers.catalog import triggers_for

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from connector.jobs.queues import Queues
    from triggers.canonical import CanonicalEvent

logger = logging.getLogger(__name__)

MAX_EVENT_ID = 64


def stable_event_id(raw: str) -> str:
    """The event id as stored: the source's own id, hashed when it is too long for the column."""
    if len(raw) <= MAX_EVENT_ID:
        return raw
    return "sha256:" + hashlib.sha256(raw.encode()).hexdigest()[: MAX_EVENT_ID - 7]


def claim_event(session: Session, tenant_id: str, event: CanonicalEvent) -> Event | None:
    """Inserts the event row first, so a concurrent duplicate waits on the unique key and skips.

    Returns None when this tenant already has the event.
    """
    row = Event(
        tenant_id=tenant_id, event_id=stable_event_id(event.event_id), type=event.type.value,
        source=event.source, source_id=event.source_id, subject_id=event.subject_id,
        occurred_at=event.occurred_at, applied=False, data=event.data,
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        logger.info("event.duplicate %s", event.event_id)
        return None
    return row


def complete_event(session: Session, queues: Queues, row: Event, event: CanonicalEvent, *, applied: bool) -> None:
    """Fills in what applying the event found, and fans it out when it was applied.

    Only applied events are delivered: an event older than the state it would change is kept
    for the record but never sent, so a Zap never hears "en route" after "completed".
    """
    row.subject_id = event.subject_id
    row.source_id = event.source_id
    row.data = event.data
    row.applied = applied
    session.flush()
    if applied:
        fan_out(session, queues, row, event)


def record_event(session: Session, queues: Queues, tenant_id: str, event: CanonicalEvent) -> Event | None:
    """Claims and completes an event that needs no projection (e.g. emitted by an action)."""
    row = claim_event(session, tenant_id, event)
    if row is not None:
        complete_event(session, queues, row, event, applied=True)
    return row


def fan_out(session: Session, queues: Queues, row: Event, event: CanonicalEvent) -> list[str]:
    ids: list[str] = []
    for trigger in triggers_for(event.type):
        subscriptions = session.scalars(
            sa.select(HookSubscription).where(
                HookSubscription.tenant_id == row.tenant_id,
                HookSubscription.trigger_key == trigger.key,
                HookSubscription.deleted_at.is_(None),
            )
        ).all()
        if not subscriptions:
            continue
        payload = trigger.render(event).model_dump(mode="json")
        for sub in subscriptions:
            delivery = Delivery(
                tenant_id=row.tenant_id, subscription_id=sub.id, event_seq=row.seq, event_id=row.event_id,
                trigger_key=trigger.key, payload=payload, next_attempt_at=row.received_at,
            )
            session.add(delivery)
            session.flush()
            ids.append(delivery.id)
    for delivery_id in ids:
        deliver_after_commit(session, queues, delivery_id)
    return ids


class SessionEventSink:
    """actions.context.EventSink: events an action emits join the action's transaction."""

    def __init__(self, session: Session, queues: Queues, tenant_id: str) -> None:
        self.session = session
        self.queues = queues
        self.tenant_id = tenant_id

    def emit(self, event: CanonicalEvent) -> None:
        record_event(self.session, self.queues, self.tenant_id, event)
