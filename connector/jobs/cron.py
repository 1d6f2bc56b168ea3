"""Periodic jobs, declared as data and run by rq's CronScheduler (with our JSON serializer)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rq import Queue
from rq import cron_job_registry as rq_cron_registry
from rq.cron import CronJob, CronScheduler
from rq.defaults import DEFAULT_CRON_JOB_HISTORY_LIMIT, DEFAULT_CRON_JOB_HISTORY_TTL, DEFAULT_RESULT_TTL
from rq.serializers import JSONSerializer

from connector.jobs import tasks
from connector.jobs.queues import DEFAULT

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from redis import Redis
    from rq.job import Job
    from rq.webhook import Webhook

    from connector.config import Settings

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Periodic:
    name: str
    func: Callable[..., object]
    queue: str
    interval: int


def periodic_jobs(settings: Settings) -> list[Periodic]:
    jobs = [
        Periodic("sweep", tasks.sweep, DEFAULT, settings.sweep_seconds),
        Periodic("refresh_tokens", tasks.refresh_tokens, DEFAULT, settings.token_refresh_seconds),
        Periodic("sync_connections", tasks.sync_connections, DEFAULT, settings.sync_seconds),
        Periodic("evaluate_rules", tasks.evaluate_rules, DEFAULT, settings.rules_seconds),
        Periodic("send_postcards", tasks.send_postcards, DEFAULT, settings.postcard_send_seconds),
    ]
    if settings.sandbox_tick_seconds > 0:
        jobs.append(Periodic("sandbox_tick", tasks.sandbox_tick, DEFAULT, settings.sandbox_tick_seconds))
    return jobs


class JsonCronJob(CronJob):
    """rq 2.12's CronJob enqueues with the default (pickle) serializer; our queues speak JSON.

    Same steps as CronJob.enqueue (enqueue, then record the run in rq's cron history), with
    the queue's serializer set.
    """

    def enqueue(self, connection: Redis) -> Job:
        if self.func is None:
            raise ValueError(f"cron job {self.name} has no function")
        queue = Queue(self.queue_name, connection=connection, serializer=JSONSerializer)
        with connection.pipeline() as pipeline:
            job = queue.enqueue(self.func, *self.args, **self.kwargs, **self.job_options, pipeline=pipeline)
            stamp = job.enqueued_at.timestamp() if job.enqueued_at else 0.0
            pipeline.zadd(self.job_history_key, {job.id: stamp})
            pipeline.zremrangebyrank(self.job_history_key, 0, -(DEFAULT_CRON_JOB_HISTORY_LIMIT + 1))
            pipeline.expire(self.job_history_key, DEFAULT_CRON_JOB_HISTORY_TTL)
            rq_cron_registry.add(self.name, pipeline, enqueue_timestamp=stamp)
            pipeline.execute()
        logger.info("cron.enqueued %s on %s", self.name, self.queue_name)
        return job


class JsonCronScheduler(CronScheduler):
    def register(
        self,
        func: Callable[..., Any],
        queue_name: str,
        args: tuple[Any, ...] | None = None,
        kwargs: dict[Any, Any] | None = None,
        interval: int | None = None,
        cron: str | None = None,
        job_timeout: int | None = None,
        result_ttl: int = DEFAULT_RESULT_TTL,
        ttl: int | None = None,
        failure_ttl: int | None = None,
        meta: dict[Any, Any] | None = None,
        webhooks: Sequence[Webhook] | None = None,
        name: str = "",
    ) -> CronJob:
        job = JsonCronJob(queue_name=queue_name, func=func, args=args, kwargs=kwargs, interval=interval, cron=cron,
                          job_timeout=job_timeout, result_ttl=result_ttl, ttl=ttl, failure_ttl=failure_ttl,
                          meta=meta, webhooks=webhooks, name=name)
        self._cron_jobs.append(job)
        return job


def register(cron: CronScheduler, settings: Settings) -> list[Periodic]:
    jobs = periodic_jobs(settings)
    for job in jobs:
        cron.register(job.func, queue_name=job.queue, interval=job.interval, name=job.name,
                      job_timeout=max(60, job.interval * 2), result_ttl=3600)
    return jobs
