"""Delivering one hook payload: claim, POST signed, record the attempt, retry or give up."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa

from connector.db.models import Delivery, DeliveryAttempt, HookSubscription
from connector.db.models.hooks import DeliveryStatus
from connector.hooks import signing
from connector.hooks.schedule import enqueue_delivery
from connector.jobs.queues import enqueue_after_commit
from connector.outbound import Outcome, backoff, post_json

if TYPE_CHECKING:
    from datetime import datetime

    from connector.runtime import Runtime

logger = logging.getLogger(__name__)



@dataclass(frozen=True)
class Claim:
    delivery_id: str
    tenant_id: str
    number: int
    url: str
    secret: str
    body: bytes


def _claim(rt: Runtime, delivery_id: str) -> Claim | None:
    now = rt.clock()
    with rt.db.session() as session:
        delivery = session.scalar(sa.select(Delivery).where(Delivery.id == delivery_id).with_for_update())
        if delivery is None:
            return None
        leased = delivery.status == DeliveryStatus.SENDING and delivery.lease_until and delivery.lease_until > now
        if delivery.status not in (DeliveryStatus.PENDING, DeliveryStatus.SENDING) or leased:
            return None
        sub = session.get(HookSubscription, delivery.subscription_id)
        if sub is None or sub.deleted_at is not None:
            delivery.status = DeliveryStatus.CANCELLED
            delivery.last_error = "The subscription was removed."
            return None
        delivery.status = DeliveryStatus.SENDING
        delivery.attempts += 1
        delivery.lease_until = now + timedelta(seconds=rt.settings.hook_timeout_seconds + 60)
        body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()
        return Claim(delivery.id, delivery.tenant_id, delivery.attempts, sub.target_url,
                     rt.secrets.decrypt(sub.secret_encrypted), body)


def _send(rt: Runtime, claim: Claim) -> Outcome:
    headers = signing.headers(claim.secret, f"msg_{claim.delivery_id}", int(time.time()), claim.body)
    outcome = post_json(rt.settings, claim.url, claim.body, headers, rt.clock())
    if outcome.kind == "gone":
        return Outcome("gone", outcome.status_code, "The receiver answered 410 Gone: subscription removed.")
    return outcome


def _record(rt: Runtime, claim: Claim, outcome: Outcome, started: float) -> str:
    now = rt.clock()
    with rt.db.session() as session:
        delivery = session.scalar(sa.select(Delivery).where(Delivery.id == claim.delivery_id).with_for_update())
        if delivery is None:
            return "vanished"
        kind = outcome.kind
        delay = None
        if kind == "retry" and claim.number >= rt.settings.hook_max_attempts:
            kind = "gave_up"
        elif kind == "retry":
            delay = backoff(rt.settings, claim.number, outcome.retry_after)
        session.add(DeliveryAttempt(
            tenant_id=delivery.tenant_id, delivery_id=delivery.id, number=claim.number,
            duration_ms=int((time.monotonic() - started) * 1000), status_code=outcome.status_code,
            outcome=kind, error=outcome.error, retry_in_seconds=delay,
        ))
        delivery.lease_until = None
        delivery.last_error = outcome.error
        if kind == "succeeded":
            delivery.status, delivery.delivered_at = DeliveryStatus.SUCCEEDED, now
        elif kind == "retry" and delay is not None:
            delivery.status, delivery.next_attempt_at = DeliveryStatus.PENDING, now + timedelta(seconds=delay)
            number = claim.number + 1
            enqueue_after_commit(session, lambda: enqueue_delivery(rt.queues, claim.delivery_id, number, delay))
        elif kind == "gone":
            delivery.status = DeliveryStatus.CANCELLED
            unsubscribe(session, delivery.subscription_id, reason="410 Gone from receiver", now=now)
        else:
            delivery.status = DeliveryStatus.GAVE_UP if kind == "gave_up" else DeliveryStatus.FAILED
    log = logger.info if kind == "succeeded" else logger.warning
    log("hook.delivery.%s delivery=%s attempt=%d status=%s", kind, claim.delivery_id, claim.number,
        outcome.status_code)
    return kind


def unsubscribe(session: sa.orm.Session, subscription_id: str, *, reason: str, now: datetime) -> None:
    """Soft-deletes a subscription and cancels what it still had pending."""
    session.execute(
        sa.update(HookSubscription)
        .where(HookSubscription.id == subscription_id, HookSubscription.deleted_at.is_(None))
        .values(deleted_at=now, deleted_reason=reason)
    )
    session.execute(
        sa.update(Delivery)
        .where(Delivery.subscription_id == subscription_id, Delivery.status == DeliveryStatus.PENDING)
        .values(status=DeliveryStatus.CANCELLED, last_error=f"Subscription removed: {reason}.")
    )


def deliver(rt: Runtime, delivery_id: str) -> str:
    """Makes one attempt at a delivery. Idempotent: a delivery already done is left alone."""
    claim = _claim(rt, delivery_id)
    if claim is None:
        return "skipped"
    started = time.monotonic()
    outcome = _send(rt, claim)
    return _record(rt, claim, outcome, started)
