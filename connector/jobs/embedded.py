"""The in-process worker of the embedded default: RQ itself, on the in-process Redis.

It runs the same job functions through RQ's SimpleWorker, so retries (Retry), timeouts
(TimerDeathPenalty: works off the main thread), scheduled retries and rq's CronScheduler
all behave as they do on a real worker. It only swaps processes for a thread.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING

from rq import SimpleWorker
from rq.scheduler import RQScheduler
from rq.serializers import JSONSerializer
from rq.timeouts import TimerDeathPenalty

from connector.jobs import cron as cron_jobs
from connector.jobs.cron import JsonCronScheduler
from connector.jobs.queues import QUEUE_NAMES

if TYPE_CHECKING:
    from connector.runtime import Runtime

logger = logging.getLogger(__name__)


class ThreadWorker(SimpleWorker):
    """SimpleWorker that may live off the main thread (signals belong to the main thread)."""

    death_penalty_class = TimerDeathPenalty

    def _install_signal_handlers(self) -> None:
        return None


class EmbeddedWorker:
    def __init__(self, rt: Runtime, *, poll_seconds: float = 0.2, with_cron: bool = True) -> None:
        self.rt = rt
        self.poll_seconds = poll_seconds
        conn = rt.queues.connection
        self.worker = ThreadWorker(rt.queues.all(), connection=conn, serializer=JSONSerializer)
        self.scheduler = RQScheduler(list(QUEUE_NAMES), connection=conn, serializer=JSONSerializer)
        self.scheduler.prepare_registries(list(QUEUE_NAMES))
        self.cron: JsonCronScheduler | None = None
        if with_cron:
            self.cron = JsonCronScheduler(connection=conn, name="embedded-cron")
            cron_jobs.register(self.cron, rt.settings)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def run_once(self) -> None:
        """Moves due scheduled jobs to their queues, enqueues due periodic jobs, drains the queues."""
        with self._lock:
            self.scheduler.enqueue_scheduled_jobs()
            if self.cron is not None:
                self.cron.enqueue_jobs()
            self.worker.work(burst=True, with_scheduler=False, logging_level="WARNING")

    def drain(self, timeout: float = 30.0) -> None:
        """Runs until no job is queued or due (tests; scheduled jobs in the future are left)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.run_once()
            if all(q.count == 0 for q in self.rt.queues.all()):
                return
        raise TimeoutError("the in-process queue did not drain")

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:
                logger.exception("embedded.worker.error")
            self._stop.wait(self.poll_seconds)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="backbone-worker", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
