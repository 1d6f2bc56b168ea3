from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from connector.db.models import Event, Job
from connector.sandbox.emitter import tick
from connector.sandbox.seed import seed_tenant
from tests.factories import bearer

NOW = datetime(2026, 11, 24, 16, 0, tzinfo=UTC)  # a Tuesday, 10:00 in Austin


def _events(runtime, tenant_id) -> list[Event]:  # type: ignore[no-untyped-def]
    with runtime.db.session() as session:
        return list(session.scalars(sa.select(Event).where(Event.tenant_id == tenant_id).order_by(Event.seq)))


def test_tick_moves_one_of_todays_jobs_one_step_through_the_webhook_path(runtime, tenant) -> None:
    with runtime.db.session() as session:
        seed_tenant(session, tenant.tenant_id, seed=3, now=NOW, technicians=4, customers=20, days=7)
    runtime.clock = lambda: NOW
    assert tick(runtime, random.Random(1)) == 1
    [event] = _events(runtime, tenant.tenant_id)
    assert event.applied and event.source == "sandbox"
    with runtime.db.session() as session:
        job = session.get(Job, event.subject_id)
        assert job.status == event.type.removeprefix("job.")


def test_tick_books_a_new_job_when_nothing_is_on_today(runtime, tenant) -> None:
    with runtime.db.session() as session:
        seed_tenant(session, tenant.tenant_id, seed=3, now=NOW, technicians=2, customers=5, days=3)
    later = NOW + timedelta(days=30)  # no appointments around then
    runtime.clock = lambda: later
    assert tick(runtime, random.Random(1)) == 1
    [event] = _events(runtime, tenant.tenant_id)
    assert event.type == "job.created" and event.data["job"]["source_id"].startswith("J-LIVE-")


def test_tick_events_reach_hooks_like_any_other(client, runtime, tenant, token, worker, listener) -> None:
    with runtime.db.session() as session:
        seed_tenant(session, tenant.tenant_id, seed=3, now=NOW, technicians=4, customers=20, days=7)
    client.post("/api/v1/hooks", json={"trigger": "job_status_changed", "target_url": listener.url},
                headers=bearer(token))
    runtime.clock = lambda: NOW
    tick(runtime, random.Random(2))
    worker.drain()
    assert len(listener.received) == 1


def test_tick_without_sandbox_data_does_nothing(runtime, tenant) -> None:
    assert tick(runtime) == 0
