"""POSTing a heavy run's outcome to the caller's callback URL (Zapier's callback pattern)."""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from connector.db.models import ActionRun
from connector.jobs.queues import DELIVERY, enqueue_after_commit
from connector.outbound import backoff, post_json

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from connector.runtime import Runtime

logger = logging.getLogger(__name__)

SEND_CALLBACK = "connector.jobs.tasks.send_callback"
PENDING, SENT, FAILED = "pending", "sent", "failed"


def callback_job_id(run_id: str, attempt: int) -> str:
    return f"callback-{run_id}-{attempt}"


def enqueue_callback(rt: Runtime, run_id: str, attempt: int, delay: float | None = None) -> None:
    rt.queues.enqueue(DELIVERY, SEND_CALLBACK, run_id, job_id=callback_job_id(run_id, attempt), delay=delay)


def schedule_callback(session: Session, rt: Runtime, run: ActionRun) -> None:
    """Queues the callback once the run's final state commits (only the first time it ends)."""
    if not run.callback_url or run.callback_status is not None:
        return
    run.callback_status = PENDING
    run_id = run.id
    enqueue_after_commit(session, lambda: enqueue_callback(rt, run_id, 1))


def payload(run: ActionRun) -> dict[str, Any]:
    """What the callback URL receives: the result, or the error, of the finished run."""
    return {"run_id": run.id, "action": run.action_key, "status": run.status, "result": run.result,
            "error": run.error}


def send_callback(rt: Runtime, run_id: str) -> str:
    """One attempt at POSTing the outcome; retried with backoff like hook deliveries."""
    with rt.db.session() as session:
        run = session.get(ActionRun, run_id)
        if run is None or run.callback_status != PENDING or not run.callback_url:
            return "skipped"
        url, attempt = run.callback_url, run.callback_attempts + 1
        body = json.dumps(payload(run), sort_keys=True).encode()
    outcome = post_json(rt.settings, url, body, {"Backbone-Run-Id": run_id}, rt.clock())
    with rt.db.session() as session:
        run = session.scalar(sa.select(ActionRun).where(ActionRun.id == run_id).with_for_update())
        if run is None:
            return "vanished"
        run.callback_attempts = attempt
        run.callback_error = outcome.error
        if outcome.kind == "succeeded":
            run.callback_status = SENT
        elif outcome.kind == "retry" and attempt < rt.settings.hook_max_attempts:
            delay = backoff(rt.settings, attempt, outcome.retry_after)
            enqueue_after_commit(session, lambda: enqueue_callback(rt, run_id, attempt + 1, delay))
        else:
            run.callback_status = FAILED
        status = run.callback_status
    logger.info("action.callback.%s run=%s attempt=%d", outcome.kind, run_id, attempt)
    return str(status)
