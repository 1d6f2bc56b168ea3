"""Putting deliveries on the delivery queue: ids only, deterministic job ids."""

from __future__ import annotations

from typing import TYPE_CHECKING

from connector.jobs.queues import DELIVERY, enqueue_after_commit

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from connector.jobs.queues import Queues

DELIVER_HOOK = "connector.jobs.tasks.deliver_hook"


def delivery_job_id(delivery_id: str, attempt: int) -> str:
    return f"delivery-{delivery_id}-{attempt}"


def enqueue_delivery(queues: Queues, delivery_id: str, attempt: int, delay: float | None = None) -> None:
    queues.enqueue(DELIVERY, DELIVER_HOOK, delivery_id, job_id=delivery_job_id(delivery_id, attempt), delay=delay)


def deliver_after_commit(session: Session, queues: Queues, delivery_id: str) -> None:
    enqueue_after_commit(session, lambda: enqueue_delivery(queues, delivery_id, 1))
