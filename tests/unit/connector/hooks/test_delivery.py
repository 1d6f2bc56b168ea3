from __future__ import annotations

import random
import time
from datetime import timedelta

import sqlalchemy as sa

from connector.db.models import Delivery, DeliveryAttempt, HookSubscription
from connector.hooks import signing
from connector.outbound import backoff, parse_retry_after
from tests.factories import bearer
from tests.helpers import T0, post_sandbox


def _subscribe(client, token, url, trigger="job_completed") -> dict:
    response = client.post("/api/v1/hooks", json={"trigger": trigger, "target_url": url}, headers=bearer(token))
    assert response.status_code == 201
    return response.json


def _deliveries(runtime) -> list[Delivery]:
    with runtime.db.session() as session:
        return list(session.scalars(sa.select(Delivery).order_by(Delivery.created_at)))


def _drain_until(worker, done, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    """Runs the in-process worker until `done()`; scheduled retries become due within a second."""
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, "timed out waiting for the deliveries"
        worker.drain()
        time.sleep(0.05)


def _attempts(runtime, delivery_id) -> list[DeliveryAttempt]:
    with runtime.db.session() as session:
        return list(session.scalars(sa.select(DeliveryAttempt).where(DeliveryAttempt.delivery_id == delivery_id)
                                    .order_by(DeliveryAttempt.number)))


def test_event_reaches_subscribed_hook_signed_with_standard_webhooks(client, runtime, tenant, token, worker,
                                                                    listener) -> None:
    sub = _subscribe(client, token, listener.url)
    assert post_sandbox(client, tenant, "job.completed", T0).status_code == 200
    [delivery] = _deliveries(runtime)
    assert delivery.status == "pending"  # written with the event, before any queue work
    worker.drain()
    [received] = listener.received
    assert received["json"]["job_source_id"] == "J-1"
    assert received["json"]["status"] == "completed"
    assert received["json"]["id"] == delivery.event_id
    headers = received["headers"]
    assert headers["webhook-id"] == f"msg_{delivery.id}"
    assert signing.verify(sub["secret"], headers["webhook-id"], headers["webhook-timestamp"], received["body"],
                          headers["webhook-signature"])
    assert not signing.verify("whsec_" + "A" * 32, headers["webhook-id"], headers["webhook-timestamp"],
                              received["body"], headers["webhook-signature"])
    [done] = _deliveries(runtime)
    assert done.status == "succeeded" and done.attempts == 1
    assert [a.outcome for a in _attempts(runtime, done.id)] == ["succeeded"]


def test_status_trigger_gets_every_status_and_completed_only_completion(client, runtime, tenant, token, worker,
                                                                        listener) -> None:
    _subscribe(client, token, listener.url, "job_status_changed")
    for n, topic in enumerate(["job.created", "job.dispatched", "job.en_route", "job.arrived", "job.completed"]):
        post_sandbox(client, tenant, topic, T0 + timedelta(minutes=n))
    worker.drain()
    assert [r["json"]["status"] for r in listener.received] == ["created", "dispatched", "en_route", "arrived",
                                                                "completed"]
    assert listener.received[1]["json"]["previous_status"] == "created"


def test_out_of_order_event_is_not_delivered(client, runtime, tenant, token, worker, listener) -> None:
    _subscribe(client, token, listener.url, "job_status_changed")
    post_sandbox(client, tenant, "job.completed", T0 + timedelta(hours=1))
    post_sandbox(client, tenant, "job.en_route", T0)
    worker.drain()
    assert [r["json"]["status"] for r in listener.received] == ["completed"]


def test_5xx_is_retried_with_backoff_and_recorded(client, runtime, tenant, token, worker, listener) -> None:
    _subscribe(client, token, listener.url)
    listener.answers = [(503, {"Retry-After": "0"}), (500, {})]
    runtime.settings.__dict__["hook_backoff_base_seconds"] = 0.01
    post_sandbox(client, tenant, "job.completed", T0)
    _drain_until(worker, lambda: _deliveries(runtime)[0].status == "succeeded")
    [delivery] = _deliveries(runtime)
    assert delivery.status == "succeeded" and delivery.attempts == 3
    attempts = _attempts(runtime, delivery.id)
    assert [(a.status_code, a.outcome) for a in attempts] == [(503, "retry"), (500, "retry"), (200, "succeeded")]
    assert len(listener.received) == 3
    assert len({r["headers"]["webhook-id"] for r in listener.received}) == 1  # same message id on retries


def test_410_deletes_the_subscription(client, runtime, tenant, token, worker, listener) -> None:
    sub = _subscribe(client, token, listener.url)
    listener.answers = [(410, {})]
    post_sandbox(client, tenant, "job.completed", T0)
    worker.drain()
    with runtime.db.session() as session:
        row = session.get(HookSubscription, sub["id"])
        assert row.deleted_at is not None and "410" in row.deleted_reason
    [delivery] = _deliveries(runtime)
    assert delivery.status == "cancelled"
    post_sandbox(client, tenant, "job.completed", T0 + timedelta(hours=1), event_id="evt_next")
    assert len(_deliveries(runtime)) == 1  # nothing more is written for a deleted subscription


def test_permanent_4xx_fails_without_retry(client, runtime, tenant, token, worker, listener) -> None:
    _subscribe(client, token, listener.url)
    listener.answers = [(400, {})]
    post_sandbox(client, tenant, "job.completed", T0)
    worker.drain()
    [delivery] = _deliveries(runtime)
    assert delivery.status == "failed" and delivery.attempts == 1


def test_gives_up_after_max_attempts(client, runtime, tenant, token, worker, listener) -> None:
    _subscribe(client, token, listener.url)
    runtime.settings.__dict__["hook_max_attempts"] = 2
    runtime.settings.__dict__["hook_backoff_base_seconds"] = 0.01
    listener.answers = [(502, {}), (502, {}), (502, {})]
    post_sandbox(client, tenant, "job.completed", T0)
    _drain_until(worker, lambda: _deliveries(runtime)[0].status == "gave_up")
    [delivery] = _deliveries(runtime)
    assert delivery.status == "gave_up" and delivery.attempts == 2


def test_sweeper_reenqueues_deliveries_the_queue_lost(client, runtime, tenant, token, worker, listener) -> None:
    from connector.jobs.sweeper import sweep

    _subscribe(client, token, listener.url)
    post_sandbox(client, tenant, "job.completed", T0)
    runtime.queues.connection.flushall()  # the queue loses everything
    worker.drain()
    assert listener.received == []
    later = runtime.clock() + timedelta(minutes=5)
    runtime.clock = lambda: later
    assert sweep(runtime)["deliveries_requeued"] == 1
    worker.drain()
    assert len(listener.received) == 1
    assert sweep(runtime)["deliveries_requeued"] == 0


def test_backoff_is_full_jitter_under_an_exponential_ceiling(settings) -> None:
    rng = random.Random(1)
    delays = [backoff(settings, n, None, rng) for n in range(1, 12)]
    for n, delay in enumerate(delays, start=1):
        assert 0 <= delay <= min(settings.hook_backoff_cap_seconds, settings.hook_backoff_base_seconds * 2 ** (n - 1))
    assert backoff(settings, 1, 120.0, rng) >= 120.0


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    assert parse_retry_after("30", T0) == 30.0
    assert parse_retry_after("Tue, 24 Nov 2026 14:01:00 GMT", T0) == 60.0
    assert parse_retry_after("soon", T0) is None
