"""Sending postcard batches through Lob, one card at a time, consent re-checked right before each.

A Lob batch is kept by queue_postcard (status `sending`, or `scheduled` with a future send date)
and sent here: by a job enqueued when the call commits, and by the periodic `send_postcards` job,
which sends scheduled batches once their date comes and resumes any send that stopped (a worker
that died, Lob down or throttling). Each card is its own transaction:

1. the recipient row is locked and skipped unless still `queued` (a card is never sent twice);
2. the consent ledger is asked again: an opt-out recorded since queueing suppresses the card;
3. the card goes to Lob with its idempotency key (tenant, campaign, customer, send window);
4. the answer is recorded: `sent` (with Lob's id), `address_undeliverable` (Lob's 422), `failed`
   (any other 4xx). Lob down, throttling or refusing the key leaves the card `queued` and stops
   this pass; the next one resumes, and the key makes the resend safe.

When no card is left queued the batch is `sent` and `postcard.batch_ready` is recorded, once.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from actions.queue_postcard import ready_event
from connector.consent import SqlConsentLedger
from connector.db.models import PostcardBatch, PostcardRecipient
from connector.ingest.recorder import record_event
from connector.mail.lob import LobClient, lob_error
from connector.mail.mailroom import batch_url, enqueue_send
from connector.providers.http import ApiError, ClientError

if TYPE_CHECKING:
    from datetime import datetime

    from connector.runtime import Runtime

logger = logging.getLogger(__name__)

PENDING = ("scheduled", "sending")
DUE_BATCHES = 200


def lob_payload(batch: PostcardBatch, recipient: PostcardRecipient, now: datetime) -> dict[str, Any]:
    """The body of `POST /v1/postcards` for one recipient."""
    payload: dict[str, Any] = {
        "to": recipient.address,
        "front": batch.front,
        "back": batch.back,
        "size": batch.size,
        "mail_type": batch.mail_type,
        "use_type": batch.purpose,
        "description": (batch.description or f"Backbone postcard batch {batch.id}")[:255],
        # Lob: at most 20 string values of 500 characters.
        "metadata": {"tenant_id": batch.tenant_id, "batch_id": batch.id, "recipient_id": recipient.id,
                     "customer_id": recipient.customer_id, "campaign": batch.campaign[:500]},
        "merge_variables": {**batch.merge_variables, "name": recipient.name, "opt_out_url": recipient.opt_out_url},
    }
    if batch.from_address:
        payload["from"] = batch.from_address
    if batch.send_date is not None and batch.send_date > now:
        payload["send_date"] = batch.send_date.isoformat()
    return payload


def _queued_ids(rt: Runtime, batch_id: str) -> list[str]:
    with rt.db.session() as session:
        return list(session.scalars(sa.select(PostcardRecipient.id).where(
            PostcardRecipient.batch_id == batch_id, PostcardRecipient.status == "queued")
            .order_by(PostcardRecipient.position)))


def _send_one(rt: Runtime, lob: LobClient, batch_id: str, recipient_id: str) -> bool:
    """Sends one card; False when the batch must stop here (Lob unavailable: resumed later)."""
    with rt.db.session() as session:
        row = session.scalar(sa.select(PostcardRecipient).where(PostcardRecipient.id == recipient_id)
                             .with_for_update())
        batch = session.get(PostcardBatch, batch_id)
        if row is None or batch is None or row.status != "queued":
            return True
        now = rt.clock()
        decision = SqlConsentLedger(session, batch.tenant_id, rt.clock).decision(row.customer_id, "mail",
                                                                                 batch.purpose)
        if not decision.allowed:
            row.status, row.reason, row.detail = "suppressed", decision.reason, "Suppressed when sending."
            return True
        try:
            answer = lob.create_postcard(lob_payload(batch, row, now), row.mail_key or row.id)
        except ClientError as exc:
            code, message = lob_error(exc.body)
            row.status = "address_undeliverable" if exc.status == 422 else "failed"
            row.reason, row.detail = code if exc.status == 422 else f"http_{exc.status}", message
            logger.info("postcard.rejected batch=%s recipient=%s status=%s code=%s", batch_id, row.id, exc.status,
                        code)
            return True
        except ApiError as exc:
            logger.warning("postcard.send.paused batch=%s recipient=%s code=%s retry_after=%s", batch_id, row.id,
                           exc.code, exc.retry_after)
            return False
        row.status, row.reason, row.sent_at = "sent", None, now
        row.lob_id = str(answer.get("id") or "")[:64] or None
        return True


def _finish(rt: Runtime, batch_id: str) -> bool:
    """Marks the batch sent and records its ready event, once; False while cards are still queued."""
    with rt.db.session() as session:
        batch = session.scalar(sa.select(PostcardBatch).where(PostcardBatch.id == batch_id).with_for_update())
        if batch is None or batch.status not in PENDING:
            return batch is not None
        rows = session.scalars(sa.select(PostcardRecipient).where(PostcardRecipient.batch_id == batch_id)
                               .order_by(PostcardRecipient.position)).all()
        if any(r.status == "queued" for r in rows):
            return False
        now = rt.clock()
        batch.status, batch.ready_at = "sent", now
        record_event(session, rt.queues, batch.tenant_id, ready_event(
            batch_id=batch.id, purpose=batch.purpose, delivery=batch.delivery, status="sent",
            campaign=batch.campaign, send_date=batch.send_date, occurred_at=now,
            batch_url=batch_url(rt, batch.id), csv_url=None,
            recipients=[{"customer_id": r.customer_id, "status": r.status, "reason": r.reason, "lob_id": r.lob_id}
                        for r in rows]))
        return True


def send_batch(rt: Runtime, batch_id: str) -> str:
    """Sends what is queued in a due batch: "sent", "paused" (resumed later) or why nothing was done."""
    with rt.db.session() as session:
        batch = session.get(PostcardBatch, batch_id)
        if batch is None:
            return "missing"
        if batch.delivery != "lob" or batch.status not in PENDING:
            return batch.status
        if batch.due_at > rt.clock():
            return "not_due"
        batch.status = "sending"
    if not rt.settings.lob.configured:
        logger.warning("postcard.send.unconfigured batch=%s: Lob has no API key; the batch waits", batch_id)
        return "paused"
    lob = LobClient(rt.settings.lob)
    try:
        for recipient_id in _queued_ids(rt, batch_id):
            if not _send_one(rt, lob, batch_id, recipient_id):
                return "paused"
    finally:
        lob.close()
    return "sent" if _finish(rt, batch_id) else "paused"


def send_due(rt: Runtime) -> int:
    """Enqueues the sending of every batch that is due (scheduled ones whose date came, stopped ones)."""
    with rt.db.session() as session:
        due = list(session.scalars(sa.select(PostcardBatch.id).where(
            PostcardBatch.status.in_(PENDING), PostcardBatch.delivery == "lob", PostcardBatch.due_at <= rt.clock())
            .order_by(PostcardBatch.due_at).limit(DUE_BATCHES)))
    for batch_id in due:
        enqueue_send(rt, batch_id)
    return len(due)
