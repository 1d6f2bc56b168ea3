"""Periodic jobs, declared as data and registered on rq's CronScheduler."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from connector.jobs import tasks
from connector.jobs.queues import DEFAULT

if TYPE_CHECKING:
    from collections.abc import Callable

    from rq.cron import CronScheduler

    from connector.config import Settings


@dataclass(frozen=True)
class Periodic:
    name: str
    func: Callable[..., object]
    queue: str
    interval: int


def periodic_jobs(settings: Settings) -> list[Periodic]:
    jobs = [Periodic("sweep", tasks.sweep, DEFAULT, settings.sweep_seconds)]
    if settings.sandbox_tick_seconds > 0:
        jobs.append(Periodic("sandbox_tick", tasks.sandbox_tick, DEFAULT, settings.sandbox_tick_seconds))
    return jobs


def register(cron: CronScheduler, settings: Settings) -> list[Periodic]:
    jobs = periodic_jobs(settings)
    for job in jobs:
        cron.register(job.func, queue_name=job.queue, interval=job.interval, name=job.name,
                      job_timeout=max(60, job.interval * 2), result_ttl=3600)
    return jobs
