"""RQ queues by purpose, on Redis or on the in-process Redis of the embedded default."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import fakeredis
from redis import Redis
from rq import Queue, Retry
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from rq.serializers import JSONSerializer

if TYPE_CHECKING:
    from collections.abc import Callable

    from sqlalchemy.orm import Session

    from connector.config import Settings

logger = logging.getLogger(__name__)

DEFAULT, DELIVERY, SOLVER = "default", "delivery", "solver"
#: Queues by purpose, in the order a worker serves them.
QUEUE_NAMES = (DELIVERY, DEFAULT, SOLVER)

#: A job still waiting or running: do not enqueue it again.
LIVE_STATUSES = {
    JobStatus.QUEUED,
    JobStatus.STARTED,
    JobStatus.SCHEDULED,
    JobStatus.DEFERRED,
}


class Queues:
    """The RQ queues of one Redis (real, or in-process for the embedded default)."""

    def __init__(self, connection: Redis, *, embedded: bool) -> None:
        self.connection = connection
        self.embedded = embedded
        self._queues = {
            name: Queue(name, connection=connection, serializer=JSONSerializer) for name in QUEUE_NAMES
        }

    @classmethod
    def for_settings(cls, settings: Settings) -> Queues:
        if settings.redis_url:
            return cls(Redis.from_url(settings.redis_url), embedded=False)
        # A Redis that lives in this process: RQ's own code runs unchanged on top of it.
        return cls(fakeredis.FakeRedis(server=fakeredis.FakeServer()), embedded=True)

    def get(self, name: str) -> Queue:
        return self._queues[name]

    def all(self) -> list[Queue]:
        return [self._queues[name] for name in QUEUE_NAMES]

    def is_live(self, job_id: str) -> bool:
        """True when a job with this id is still waiting, scheduled or running."""
        try:
            job = Job.fetch(job_id, connection=self.connection, serializer=JSONSerializer)
        except NoSuchJobError:
            return False
        return job.get_status(refresh=False) in LIVE_STATUSES

    def enqueue(
        self,
        queue: str,
        func: str,
        *args: Any,
        job_id: str,
        delay: float | None = None,
        timeout: int | None = None,
        retry: Retry | None = None,
    ) -> Job | None:
        """Enqueues `func(*args)` (a dotted path) unless a live job already has this id."""
        if self.is_live(job_id):
            return None
        q = self._queues[queue]
        options: dict[str, Any] = {"job_id": job_id, "retry": retry, "failure_ttl": 7 * 24 * 3600}
        if timeout is not None:
            options["job_timeout"] = timeout
        if delay and delay > 0:
            return q.enqueue_in(timedelta(seconds=delay), func, *args, **options)
        return q.enqueue(func, *args, **options)

    def close(self) -> None:
        self.connection.close()


def enqueue_after_commit(session: Session, enqueue: Callable[[], object]) -> None:
    """Runs `enqueue` once the session's transaction commits (never if it rolls back)."""
    session.info.setdefault("after_commit", []).append(enqueue)


def run_after_commit(session: Session) -> None:
    for enqueue in session.info.pop("after_commit", []):
        try:
            enqueue()
        except Exception:
            # The rows are committed; the sweeper re-enqueues what could not be enqueued now.
            logger.exception("queue.enqueue.failed")


def discard_after_commit(session: Session, *_args: object) -> None:
    session.info.pop("after_commit", None)
