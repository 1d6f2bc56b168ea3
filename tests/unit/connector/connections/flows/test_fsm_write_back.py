"""Writing back to the field-service systems: a note added through Backbone lands on the job upstream."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from actions.catalog import REGISTRY as ACTIONS
from tests.factories import bearer
from tests.provider_kits import HousecallProKit, JobberKit, ServiceTitanKit
from tests.unit.connector.connections.flows.conftest import events_of, kit_id, post_webhook

if TYPE_CHECKING:
    from collections.abc import Iterator

    from connector.runtime import Runtime
    from tests.provider_kits import Kit


@pytest.fixture(scope="module", params=[JobberKit, ServiceTitanKit, HousecallProKit], ids=kit_id)
def started_kit(request: pytest.FixtureRequest) -> Iterator[Kit]:
    kit: Kit = request.param()
    with kit.emulator:
        yield kit


def test_a_note_written_back_lands_on_the_job_upstream(owner: Any, kit: Kit, install_id: str, runtime: Runtime,
                                                      worker: Any, token: str) -> None:
    kit.change()
    for webhook in kit.webhooks():
        post_webhook(owner, kit, webhook)
    worker.drain()
    [event] = events_of(runtime, kit)
    body = {"job_id": event.subject_id, "note": "Customer asked for a call before arrival."}
    answer = owner.post("/api/v1/actions/add_job_note", json=body,
                        headers={**bearer(token), "Idempotency-Key": "note-1"})
    assert answer.status_code == 200, answer.text
    assert answer.json["source"] == kit.name and answer.json["source_job_id"] == event.source_id
    assert kit.notes(str(event.source_id)) == ["Customer asked for a call before arrival."]
    headers = {**bearer(token), "Idempotency-Key": "note-1"}
    again = owner.post("/api/v1/actions/add_job_note", json=body, headers=headers)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert len(kit.notes(str(event.source_id))) == 1


def test_a_note_the_fsm_refused_while_down_is_replayed_once(owner: Any, kit: Kit, install_id: str,
                                                            runtime: Runtime, worker: Any, token: str) -> None:
    from connector.api.runner import replay as run_again
    from connector.db.models import ActionRun

    kit.change()
    for webhook in kit.webhooks():
        post_webhook(owner, kit, webhook)
    worker.drain()
    [event] = events_of(runtime, kit)
    # The FSM answers 503 to everything for a while: the run fails as retryable, nothing is written.
    kit.emulator.fail_next("/", 503, times=20)
    body = {"job_id": event.subject_id, "note": "Bring the 40-ft ladder."}
    failed = owner.post("/api/v1/actions/add_job_note", json=body,
                        headers={**bearer(token), "Idempotency-Key": "note-down"})
    assert failed.status_code == 503, failed.text
    assert failed.json["error"]["retryable"] is True and kit.notes(str(event.source_id)) == []
    with kit.emulator.lock:
        kit.emulator.faults.clear()
    replayed = run_again(runtime, ACTIONS["add_job_note"], failed.json["error"]["run_id"], actor_id=None,
                         actor_label="support@backbone.test")
    assert replayed.status == "succeeded"
    assert kit.notes(str(event.source_id)) == ["Bring the 40-ft ladder."]
    with runtime.db.session() as session:
        run = session.get(ActionRun, failed.json["error"]["run_id"])
        assert run is not None and run.attempts == 2
