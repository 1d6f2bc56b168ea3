"""generate_invoice writes to QuickBooks Online once connected: a create retried after a timeout is not duplicated."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest
import sqlalchemy as sa

from connector.db.models import Invoice, Job
from connector.providers import PROVIDERS
from tests.conftest import sign_in
from tests.factories import bearer
from tests.helpers import post_sandbox
from tests.provider_kits import QuickBooksKit

if TYPE_CHECKING:
    from collections.abc import Iterator

    from connector.config import Settings
    from connector.runtime import Runtime
    from tests.conftest import TenantInfo


@pytest.fixture(scope="module")
def started_kit() -> Iterator[QuickBooksKit]:
    kit = QuickBooksKit()
    with kit.emulator:
        yield kit


@pytest.fixture
def kit(started_kit: QuickBooksKit, monkeypatch: pytest.MonkeyPatch) -> QuickBooksKit:
    started_kit.reset()
    monkeypatch.setattr(PROVIDERS["quickbooks"], "timeout", 0.5)  # the emulator's slow answer times out fast
    return started_kit


@pytest.fixture
def settings(settings: Settings, kit: QuickBooksKit) -> Settings:
    return settings.model_copy(update={"quickbooks": kit.app()})


def test_an_invoice_create_retried_after_a_timeout_exists_once_upstream(
        client: Any, kit: QuickBooksKit, runtime: Runtime, tenant: TenantInfo, token: str, worker: Any) -> None:
    sign_in(client, tenant.owner_email)
    assert kit.connect(client).status_code == 302
    worker.drain()
    post_sandbox(client, tenant, "job.completed", datetime(2026, 11, 24, 17, 0, tzinfo=UTC))
    with runtime.db.session() as session:
        job_id = session.scalars(sa.select(Job.id)).one()
    realm = kit.account_id
    # QuickBooks creates the invoice, then answers too late: the client times out and retries with the
    # same requestid, and QuickBooks answers with the invoice it already made.
    kit.emulator.delay_next(f"/v3/company/{realm}/invoice", 1.5, method="POST")
    headers = {**bearer(token), "Idempotency-Key": "inv-job-1"}
    body = {"job_id": job_id, "labour_hours": "1.5"}
    answer = client.post("/api/v1/actions/generate_invoice", json=body, headers=headers)
    assert answer.status_code == 200, answer.text
    [upstream] = kit.emulator.invoices()
    creates = kit.emulator.requests_to(f"/v3/company/{realm}/invoice", "POST")
    assert len(creates) == 2 and len({c.query for c in creates}) == 1, "one requestid, sent twice"
    assert answer.json["invoice_number"] == upstream["DocNumber"]
    with runtime.db.session() as session:
        [invoice] = session.scalars(sa.select(Invoice)).all()
        assert (invoice.source, invoice.source_id, invoice.number) == ("quickbooks", upstream["Id"],
                                                                      upstream["DocNumber"])
    # The Zap retrying the step changes nothing either.
    again = client.post("/api/v1/actions/generate_invoice", json=body, headers=headers)
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert len(kit.emulator.invoices()) == 1
