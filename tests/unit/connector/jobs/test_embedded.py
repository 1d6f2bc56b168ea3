"""The in-process queue runs the same RQ job functions with RQ's own retries and timeouts."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from actions import catalog
from connector.api.runner import Call, Caller, call_action
from connector.db.models import ActionAttempt, ActionRun
from tests import jobs_fixtures
from tests.jobs_fixtures import HEAVY_TEST_ACTION


@pytest.fixture
def heavy(monkeypatch: pytest.MonkeyPatch, runtime):  # type: ignore[no-untyped-def]
    monkeypatch.setitem(catalog.REGISTRY, HEAVY_TEST_ACTION.key, HEAVY_TEST_ACTION)
    jobs_fixtures.CALLS.clear()
    jobs_fixtures.TICKS.clear()
    object.__setattr__(runtime.settings, "action_max_retries", 2)
    object.__setattr__(runtime.settings, "action_retry_delays", "0")
    return HEAVY_TEST_ACTION


def _call(runtime, tenant, body):  # type: ignore[no-untyped-def]
    return call_action(runtime, Call(HEAVY_TEST_ACTION, tenant.tenant_id, body, None, Caller("system", None, "test")))


def _run(runtime, run_id) -> ActionRun:  # type: ignore[no-untyped-def]
    with runtime.db.session() as session:
        return session.get(ActionRun, run_id)


def _wait_for(runtime, worker, run_id, statuses, timeout=30.0) -> ActionRun:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        worker.run_once()
        run = _run(runtime, run_id)
        if run.status in statuses:
            return run
        time.sleep(0.1)
    raise AssertionError(f"run stayed {run.status}")


def test_heavy_action_answers_202_and_runs_on_the_queue(runtime, tenant, worker, heavy) -> None:
    answer = _call(runtime, tenant, {"name": "ok"})
    assert answer.status == 202 and answer.body["status"] == "queued"
    run = _wait_for(runtime, worker, answer.body["run_id"], {"succeeded"})
    assert run.result == {"name": "ok", "calls": 1} and run.attempts == 1


def test_retryable_failures_are_retried_by_rq(runtime, tenant, worker, heavy) -> None:
    answer = _call(runtime, tenant, {"name": "flaky", "fail_times": 2})
    run = _wait_for(runtime, worker, answer.body["run_id"], {"succeeded", "failed"}, timeout=90)
    assert run.status == "succeeded" and run.attempts == 3
    with runtime.db.session() as session:
        statuses = session.scalars(sa.select(ActionAttempt.status).where(ActionAttempt.run_id == run.id)
                                   .order_by(ActionAttempt.number)).all()
    assert statuses == ["queued", "queued", "succeeded"]  # two retryable failures, then success


def test_retries_run_out_and_the_run_fails(runtime, tenant, worker, heavy) -> None:
    answer = _call(runtime, tenant, {"name": "down", "fail_times": 10})
    run = _wait_for(runtime, worker, answer.body["run_id"], {"failed"}, timeout=90)
    assert run.attempts == 3  # first try + 2 RQ retries
    assert run.error["code"] == "upstream_unavailable"


def test_job_timeout_is_enforced_in_process(runtime, tenant, worker, heavy) -> None:
    object.__setattr__(runtime.settings, "action_timeout_seconds", 1)
    object.__setattr__(runtime.settings, "action_max_retries", 0)
    answer = _call(runtime, tenant, {"name": "slow", "sleep_seconds": 10})
    run = _wait_for(runtime, worker, answer.body["run_id"], {"failed"})
    assert run.error["code"] == "timeout"
    assert jobs_fixtures.TICKS.get("slow", 0) < 200  # interrupted part-way (or before the loop), not run to the end


def test_replaying_a_failed_heavy_run_requeues_it_as_a_replay(runtime, tenant, worker, heavy) -> None:
    from connector.api.runner import replay

    object.__setattr__(runtime.settings, "action_max_retries", 0)
    answer = _call(runtime, tenant, {"name": "once", "fail_times": 1})
    run = _wait_for(runtime, worker, answer.body["run_id"], {"failed"})
    assert replay(runtime, heavy, run.id, actor_id=None, actor_label="s@x.example").status == "queued"
    run = _wait_for(runtime, worker, run.id, {"succeeded"})
    with runtime.db.session() as session:
        reasons = session.scalars(sa.select(ActionAttempt.reason).where(ActionAttempt.run_id == run.id)
                                  .order_by(ActionAttempt.number)).all()
    assert reasons == ["call", "replay"]
