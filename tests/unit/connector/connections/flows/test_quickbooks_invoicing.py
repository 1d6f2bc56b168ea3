"""generate_invoice writes to QuickBooks Online once connected: a create retried after a timeout is not duplicated."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest
import sqlalchemy as sa

from connector.db.models import Event, Invoice, Job
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


def _sent_items(client: Any, token: str) -> list[dict[str, Any]]:
    answer = client.get("/api/v1/triggers/invoice_sent", headers=bearer(token))
    assert answer.status_code == 200, answer.text
    return list(answer.json)


def test_generate_and_send_emails_once_returns_the_link_and_fires_invoice_sent_once(
        client: Any, kit: QuickBooksKit, runtime: Runtime, tenant: TenantInfo, token: str, worker: Any) -> None:
    sign_in(client, tenant.owner_email)
    assert kit.connect(client).status_code == 302
    worker.drain()
    post_sandbox(client, tenant, "job.completed", datetime(2026, 11, 24, 17, 0, tzinfo=UTC))
    with runtime.db.session() as session:
        job_id = session.scalars(sa.select(Job.id)).one()
    realm = kit.account_id
    kit.emulator.take_changes()  # what the install's sync saw
    # QuickBooks emails the invoice, then answers too late: the retry carries the same requestid and
    # gets the first answer back, so the customer gets one email.
    kit.emulator.delay_next(f"/v3/company/{realm}/invoice/", 1.0, method="POST")  # .../invoice/<id>/send
    headers = {**bearer(token), "Idempotency-Key": "inv-send-1"}
    body = {"job_id": job_id, "labour_hours": "1.5", "send": True}
    answer = client.post("/api/v1/actions/generate_invoice", json=body, headers=headers)
    assert answer.status_code == 200, answer.text
    [upstream] = kit.emulator.invoices()
    assert upstream["EmailStatus"] == "EmailSent" and upstream["BillEmail"] == {"Address": "dana@example.com"}
    sends = kit.emulator.requests_to(f"/v3/company/{realm}/invoice/{upstream['Id']}/send", "POST")
    assert len(sends) == 2 and len({s.query for s in sends}) == 1 and "requestid=" in sends[0].query
    emailed = [c for c in kit.emulator.changes if c.operation == "Emailed"]
    assert len(emailed) == 1, "one email, however often the send was retried"
    result = answer.json
    assert result["status"] == "sent" and result["accounting_id"] == upstream["Id"]
    assert result["payment_link"].startswith("https://connect.intuit.com/portal/app/CommerceNetwork/view/")
    [item] = _sent_items(client, token)
    assert item["invoice_id"] == result["invoice_id"] and item["status"] == "sent"
    with runtime.db.session() as session:
        invoice = session.scalars(sa.select(Invoice)).one()
        assert invoice.status == "sent" and invoice.details["payment_link"] == result["payment_link"]

    # QuickBooks then posts its webhook about the same send: the same event, not a second invoice_sent.
    hook_headers, hook_body = kit.emulator.webhook(kit.emulator.take_changes())
    assert client.post("/webhooks/quickbooks", data=hook_body, headers=hook_headers).status_code == 200
    worker.drain()
    assert len(_sent_items(client, token)) == 1
    with runtime.db.session() as session:
        kinds = session.execute(sa.select(Event.source, Event.type)).all()
        assert ("quickbooks", "invoice.created") in kinds, "the webhook was read"
        assert [k for k in kinds if k[1] == "invoice.sent"] == [("backbone", "invoice.sent")]

    # The Zap retrying the step changes nothing either.
    again = client.post("/api/v1/actions/generate_invoice", json=body, headers=headers)
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert len(kit.emulator.requests_to(f"/v3/company/{realm}/invoice/{upstream['Id']}/send", "POST")) == 2
    assert len(kit.emulator.invoices()) == 1 and len(_sent_items(client, token)) == 1
