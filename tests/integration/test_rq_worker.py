"""A real `rq worker` and a real `backbone worker` process against a real redis-server."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from connector.db.models import Delivery
from tests.factories import bearer
from tests.helpers import T0, post_sandbox
from tests.integration.conftest import BIN, wait_until, worker_env

pytestmark = pytest.mark.integration


def _subscribe(client, token, url) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/api/v1/hooks", json={"trigger": "job_completed", "target_url": url},
                           headers=bearer(token))
    assert response.status_code == 201


def _status(runtime) -> list[str]:  # type: ignore[no-untyped-def]
    with runtime.db.session() as session:
        return list(session.scalars(sa.select(Delivery.status)))


def test_rq_worker_process_delivers_hooks_from_redis(client, runtime, tenant, token, listener, settings,
                                                     start_process) -> None:
    assert not runtime.queues.embedded
    _subscribe(client, token, listener.url)
    assert post_sandbox(client, tenant, "job.completed", T0).status_code == 200
    assert runtime.queues.get("delivery").count == 1  # on the real Redis, waiting for a worker
    worker = start_process(
        [str(BIN / "rq"), "worker", "--url", settings.redis_url, "--serializer", "rq.serializers.JSONSerializer",
         "delivery", "default", "solver"],
        worker_env(settings), "rq-worker")
    wait_until(lambda: _status(runtime) == ["succeeded"], what="delivery by rq worker", process=worker)
    assert len(listener.received) == 1
    assert listener.received[0]["json"]["job_source_id"] == "J-1"


def test_backbone_worker_runs_the_periodic_sweeper(client, runtime, tenant, token, listener, settings,
                                                   start_process) -> None:
    _subscribe(client, token, listener.url)
    post_sandbox(client, tenant, "job.completed", T0)
    runtime.queues.connection.flushdb()  # Redis lost the job: only the database remembers
    with runtime.db.session() as session:  # make the delivery overdue for the sweeper
        session.execute(sa.update(Delivery).values(next_attempt_at=runtime.clock() - timedelta(minutes=5)))
    worker = start_process([str(BIN / "backbone"), "worker"],
                           worker_env(settings, BACKBONE_SWEEP_SECONDS="5"), "backbone-worker")
    wait_until(lambda: _status(runtime) == ["succeeded"], timeout=60, what="sweeper re-enqueue", process=worker)
    assert len(listener.received) == 1


def test_backbone_worker_refuses_to_start_without_redis(settings, start_process) -> None:
    env = worker_env(settings)
    env.pop("REDIS_URL")
    import subprocess

    result = subprocess.run([str(BIN / "backbone"), "worker"], env=env, capture_output=True, text=True, timeout=60,
                            check=False)
    assert result.returncode != 0
    assert "REDIS_URL is not set" in result.stderr
