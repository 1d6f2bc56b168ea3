"""Re-enqueues what the queue lost; fails runs whose process died. The DB is the truth."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa

from connector.db.models import ActionRun, Delivery, WebhookInbox
from connector.db.models.hooks import DeliveryStatus
from connector.db.models.installs import InboxStatus
from connector.db.models.runs import RunStatus
from connector.hooks.schedule import delivery_job_id, enqueue_delivery

if TYPE_CHECKING:
    from connector.runtime import Runtime

logger = logging.getLogger(__name__)

GRACE = timedelta(seconds=30)
BATCH = 500
INTERRUPTED = {"code": "interrupted", "message": "The run was interrupted (its process stopped); replay it.",
               "fields": [], "retryable": True}


def _release_stale_leases(rt: Runtime) -> int:
    with rt.db.session() as session:
        result = session.execute(
            sa.update(Delivery)
            .where(Delivery.status == DeliveryStatus.SENDING, Delivery.lease_until < rt.clock())
            .values(status=DeliveryStatus.PENDING, lease_until=None)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _requeue_deliveries(rt: Runtime) -> int:
    with rt.db.session() as session:
        due = session.execute(
            sa.select(Delivery.id, Delivery.attempts)
            .where(Delivery.status == DeliveryStatus.PENDING, Delivery.next_attempt_at <= rt.clock() - GRACE)
            .order_by(Delivery.next_attempt_at)
            .limit(BATCH)
        ).all()
    count = 0
    for delivery_id, attempts in due:
        if not rt.queues.is_live(delivery_job_id(delivery_id, attempts + 1)):
            enqueue_delivery(rt.queues, delivery_id, attempts + 1)
            count += 1
    return count


def _requeue_heavy_runs(rt: Runtime) -> int:
    from connector.api.runner import enqueue_heavy

    with rt.db.session() as session:
        queued = session.execute(
            sa.select(ActionRun.id, ActionRun.attempts)
            .where(ActionRun.status == RunStatus.QUEUED, ActionRun.weight == "heavy",
                   ActionRun.created_at <= rt.clock() - GRACE)
            .limit(BATCH)
        ).all()
    count = 0
    for run_id, attempts in queued:
        if not any(rt.queues.is_live(f"run-{run_id}-{n}") for n in range(1, attempts + 2)):
            enqueue_heavy(rt, run_id, attempts + 1)
            count += 1
    return count


def _requeue_callbacks(rt: Runtime) -> int:
    from connector.api.callbacks import PENDING, callback_job_id, enqueue_callback

    with rt.db.session() as session:
        pending = session.execute(
            sa.select(ActionRun.id, ActionRun.callback_attempts)
            .where(ActionRun.callback_status == PENDING, ActionRun.finished_at <= rt.clock() - GRACE)
            .limit(BATCH)
        ).all()
    count = 0
    for run_id, attempts in pending:
        if not rt.queues.is_live(callback_job_id(run_id, attempts + 1)):
            enqueue_callback(rt, run_id, attempts + 1)
            count += 1
    return count


def _requeue_hydrations(rt: Runtime) -> int:
    from connector.ingest.service import enqueue_hydration, hydrate_job_id

    with rt.db.session() as session:
        pending = session.scalars(
            sa.select(WebhookInbox.id)
            .where(WebhookInbox.status == InboxStatus.PENDING, WebhookInbox.received_at <= rt.clock() - GRACE)
            .order_by(WebhookInbox.received_at)
            .limit(BATCH)
        ).all()
    count = 0
    for inbox_id in pending:
        if not rt.queues.is_live(hydrate_job_id(inbox_id)):
            enqueue_hydration(rt.queues, inbox_id)
            count += 1
    return count


def _fail_interrupted_runs(rt: Runtime) -> int:
    now = rt.clock()
    fast_cutoff = now - timedelta(minutes=10)
    heavy_cutoff = now - timedelta(seconds=rt.settings.action_timeout_seconds + 300)
    with rt.db.session() as session:
        result = session.execute(
            sa.update(ActionRun)
            .where(sa.or_(
                sa.and_(ActionRun.weight == "fast", ActionRun.status.in_([RunStatus.QUEUED, RunStatus.RUNNING]),
                        ActionRun.created_at < fast_cutoff),
                sa.and_(ActionRun.weight == "heavy", ActionRun.status == RunStatus.RUNNING,
                        ActionRun.started_at < heavy_cutoff),
            ))
            .values(status=RunStatus.FAILED, error=INTERRUPTED, http_status=503, finished_at=now)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


def sweep(rt: Runtime) -> dict[str, int]:
    counts = {
        "leases_released": _release_stale_leases(rt),
        "deliveries_requeued": _requeue_deliveries(rt),
        "runs_requeued": _requeue_heavy_runs(rt),
        "callbacks_requeued": _requeue_callbacks(rt),
        "runs_interrupted": _fail_interrupted_runs(rt),
        "hydrations_requeued": _requeue_hydrations(rt),
    }
    if any(counts.values()):
        logger.info("sweep %s", counts)
    return counts
