"""RQ entry points: module-level, ids only, each loading its state from the database."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from rq import get_current_job

from connector import logging as backbone_logging
from connector.runtime import current

if TYPE_CHECKING:
    from connector.runtime import Runtime

logger = logging.getLogger(__name__)


class RetryLater(Exception):
    """Raised so RQ applies the job's Retry policy (the run stays queued meanwhile)."""


def _bind() -> None:
    job = get_current_job()
    backbone_logging.bind(job_id=job.id if job else None)


def deliver_hook(delivery_id: str) -> str:
    from connector.hooks.delivery import deliver

    _bind()
    return deliver(current(), delivery_id)


def run_heavy_action(run_id: str) -> str:
    from actions.catalog import get
    from connector.api.runner import execute, load_run
    from connector.db.models.runs import RunStatus

    _bind()
    rt = current()
    run = load_run(rt, run_id)
    spec = get(run.action_key)
    if spec is None:
        logger.error("action.run.unknown_action run=%s action=%s", run_id, run.action_key)
        return "unknown_action"
    job = get_current_job()
    final = job is None or not job.retries_left
    result = execute(rt, spec, run_id, reason=_reason(rt, run_id), final=final)
    if result.status == RunStatus.QUEUED:
        raise RetryLater(f"run {run_id} failed with a retryable error; RQ retries it")
    return str(result.status)


def _reason(rt: Runtime, run_id: str) -> str:
    """Why this attempt runs: the first call, an RQ retry, or a replay after a final failure."""
    import sqlalchemy as sa

    from connector.db.models import ActionAttempt
    from connector.db.models.runs import RunStatus

    with rt.db.session() as session:
        last = session.scalar(sa.select(ActionAttempt.status).where(ActionAttempt.run_id == run_id)
                              .order_by(ActionAttempt.number.desc()).limit(1))
    if last is None:
        return "call"
    return "replay" if last == RunStatus.FAILED else "retry"


def send_callback(run_id: str) -> str:
    from connector.api.callbacks import send_callback as send

    _bind()
    return send(current(), run_id)


def sweep() -> dict[str, int]:
    from connector.jobs.sweeper import sweep as do_sweep

    _bind()
    return do_sweep(current())


def sandbox_tick() -> int:
    from connector.sandbox.emitter import tick

    _bind()
    return tick(current())


def hydrate_notification(inbox_id: str) -> str:
    from connector.ingest.hydrate import hydrate

    _bind()
    job = get_current_job()
    return hydrate(current(), inbox_id, final=job is not None and not job.retries_left)


def sync_connection(install_id: str) -> dict[str, int | str]:
    from connector.connections.sync import sync_connection as do_sync

    _bind()
    return do_sync(current(), install_id)


def sync_connections() -> int:
    from connector.connections.sync import enqueue_syncs

    _bind()
    return enqueue_syncs(current())


def refresh_tokens() -> dict[str, int]:
    from connector.connections.tokens import refresh_due

    _bind()
    return refresh_due(current())


def evaluate_rules() -> dict[str, int]:
    from connector.rules.evaluate import evaluate

    _bind()
    return evaluate(current())


def send_postcard_batch(batch_id: str) -> str:
    from connector.mail.send import send_batch

    _bind()
    return send_batch(current(), batch_id)


def send_postcards() -> int:
    from connector.mail.send import send_due

    _bind()
    return send_due(current())
