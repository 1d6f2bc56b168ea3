"""Support staff see every connection (status, lag, inbox backlog) and can run a sync now, audited."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
import sqlalchemy as sa

from connector.db.models import AuditEntry, Event
from tests.conftest import csrf_token, sign_in
from tests.provider_kits import JobberKit
from tests.unit.connector.admin.scenario import make_support
from tests.unit.connector.connections.flows.conftest import post_webhook

if TYPE_CHECKING:
    from collections.abc import Iterator

    from connector.runtime import Runtime


@pytest.fixture(scope="module")
def started_kit() -> Iterator[JobberKit]:
    kit = JobberKit()
    with kit.emulator:
        yield kit


def test_support_sees_the_backlog_and_syncs_now(owner: Any, app: Any, kit: JobberKit, install_id: str,
                                                runtime: Runtime) -> None:
    kit.change()
    for webhook in kit.webhooks():
        assert post_webhook(owner, kit, webhook).status_code == 200  # stored, not yet fetched (no worker ran)
    support = app.test_client()
    sign_in(support, make_support(runtime))
    page = support.get("/admin/connections")
    assert page.status_code == 200 and f'data-connection="{install_id}"' in page.text
    assert "5 pending · 0 failed" in page.text and "Acme Plumbing" in page.text
    answer = support.post(f"/admin/connections/{install_id}/sync", data={"csrf_token": csrf_token(page.text)})
    assert answer.status_code == 302
    with runtime.db.session() as session:
        audit = session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "connection.sync")).one()
        assert audit.target_id == install_id and audit.detail["status"] == "ok"
        assert session.scalar(sa.select(sa.func.count()).select_from(Event)
                              .where(Event.type == "job.completed")) == 1, "the sync found the change"
    assert owner.get("/admin/connections").status_code == 403
