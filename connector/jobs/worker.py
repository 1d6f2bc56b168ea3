"""`backbone worker`: an RQ worker on Redis serving the queues by purpose, plus rq's cron."""

from __future__ import annotations

import logging
import multiprocessing
from typing import TYPE_CHECKING

from redis import Redis
from rq import Worker
from rq.serializers import JSONSerializer

from connector.config import Settings
from connector.jobs import cron as cron_jobs
from connector.jobs.cron import JsonCronScheduler
from connector.logging import configure_logging
from connector.runtime import build_runtime, install

if TYPE_CHECKING:
    from collections.abc import Sequence

logger = logging.getLogger(__name__)


class NoRedis(RuntimeError):
    pass


def run_cron(settings: Settings) -> None:
    """rq's CronScheduler in the foreground (one per deployment)."""
    configure_logging(settings)
    cron = JsonCronScheduler(connection=Redis.from_url(settings.redis_url))
    jobs = cron_jobs.register(cron, settings)
    logger.info("cron.started jobs=%s", ",".join(f"{j.name}/{j.interval}s" for j in jobs))
    cron.start()


def main(queue_names: Sequence[str], *, with_cron: bool = True, burst: bool = False) -> bool:
    settings = Settings()
    if not settings.redis_url:
        raise NoRedis(
            "REDIS_URL is not set. Without Redis the in-process worker runs inside `backbone run`; "
            "set REDIS_URL to run separate workers."
        )
    configure_logging(settings)
    rt = build_runtime(settings)
    install(rt)
    cron_process = None
    if with_cron and not burst:
        cron_process = multiprocessing.get_context("spawn").Process(target=run_cron, args=(settings,),
                                                                   name="backbone-cron", daemon=True)
        cron_process.start()
    try:
        worker = Worker([rt.queues.get(n) for n in queue_names], connection=rt.queues.connection,
                        serializer=JSONSerializer)
        return bool(worker.work(with_scheduler=True, burst=burst, logging_level=settings.log_level.upper()))
    finally:
        if cron_process is not None:
            cron_process.terminate()
            cron_process.join(timeout=10)
