"""generate_invoice with send, through the API on the sandbox accounting system: sent once, linked, replayable."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import sqlalchemy as sa

from actions.generate_invoice import ACTION
from connector.api.runner import replay
from connector.db.models import Event, Invoice, Job, RateCard, Tenant
from connector.sandbox.accounting import SandboxAccounting, set_outage
from tests.factories import bearer
from tests.helpers import T0, job_data, post_sandbox

if TYPE_CHECKING:
    from connector.runtime import Runtime
    from tests.conftest import TenantInfo

URL = "/api/v1/actions/generate_invoice"


def completed_job(client: Any, runtime: Runtime, tenant: TenantInfo, **fields: Any) -> str:
    post_sandbox(client, tenant, "job.arrived", T0, job_data(**fields), event_id="a-1")
    post_sandbox(client, tenant, "job.completed", T0 + timedelta(minutes=90), job_data(**fields), event_id="c-1")
    with runtime.db.session() as session:
        return str(session.scalar(sa.select(Job.id).where(Job.tenant_id == tenant.tenant_id)))


def post(client: Any, token: str, body: dict[str, Any], key: str) -> Any:
    return client.post(URL, json=body, headers={**bearer(token), "Idempotency-Key": key})


def sent_items(client: Any, token: str) -> list[dict[str, Any]]:
    answer = client.get("/api/v1/triggers/invoice_sent", headers=bearer(token))
    assert answer.status_code == 200, answer.text
    return list(answer.json)


def sandbox(runtime: Runtime, tenant: TenantInfo) -> SandboxAccounting:
    return SandboxAccounting(runtime.sandbox_db, tenant.account_id)


def test_generate_and_send_fires_invoice_sent_once_with_a_payment_link(
        client: Any, runtime: Runtime, tenant: TenantInfo, token: str) -> None:
    job_id = completed_job(client, runtime, tenant)
    answer = post(client, token, {"job_id": job_id, "send": True}, "send-1")
    assert answer.status_code == 200, answer.text
    body = answer.json
    assert body["status"] == "sent" and body["created"] is True and body["sent_at"]
    link = body["payment_link"]
    assert link.startswith(f"{runtime.settings.base_url.rstrip('/')}/sandbox/pay/")
    [item] = sent_items(client, token)
    assert (item["invoice_id"], item["number"], item["status"]) == (body["invoice_id"], body["invoice_number"], "sent")
    assert item["sent_at"] == body["sent_at"]
    [send] = sandbox(runtime, tenant).sends()
    assert send.email == "dana@example.com" and send.invoice_id == body["accounting_id"]
    with runtime.db.session() as session:
        invoice = session.scalars(sa.select(Invoice)).one()
        assert invoice.status == "sent" and invoice.sent_at is not None
        assert invoice.details["payment_link"] == link and invoice.details["sent_to"] == "dana@example.com"
    # The link opens the sandbox's payment page.
    page = client.get(urlsplit(link).path)
    assert page.status_code == 200 and body["invoice_number"] in page.text and "No money moves" in page.text
    assert client.get("/sandbox/pay/" + "0" * 32).status_code == 404

    # The Zap retrying the step replays the answer: nothing is created or sent again.
    again = post(client, token, {"job_id": job_id, "send": True}, "send-1")
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json == body
    # A new call for the same job answers with the sent invoice, and sends nothing either.
    other = post(client, token, {"job_id": job_id, "send": True}, "send-2")
    assert other.status_code == 200 and other.json["created"] is False and other.json["payment_link"] == link
    assert len(sandbox(runtime, tenant).sends()) == 1 and sandbox(runtime, tenant).count() == 1
    assert len(sent_items(client, token)) == 1


def test_a_send_that_failed_is_replayed_and_sends_once(client: Any, runtime: Runtime, tenant: TenantInfo,
                                                      token: str) -> None:
    job_id = completed_job(client, runtime, tenant)
    assert post(client, token, {"job_id": job_id}, "make").status_code == 200
    set_outage(runtime.sandbox_db, tenant.account_id, "unavailable")
    failed = post(client, token, {"job_id": job_id, "send": True, "email": "ap@acme.example"}, "send")
    assert failed.status_code == 503 and failed.json["error"]["retryable"] is True
    assert sandbox(runtime, tenant).sends() == [] and sent_items(client, token) == []
    set_outage(runtime.sandbox_db, tenant.account_id, "off")
    result = replay(runtime, ACTION, failed.headers["Backbone-Run-Id"], actor_id=None, actor_label="s@x.example")
    assert result.status == "succeeded" and result.result["status"] == "sent"
    assert result.result["created"] is False and result.result["payment_link"]
    [send] = sandbox(runtime, tenant).sends()
    assert send.email == "ap@acme.example"
    assert len(sent_items(client, token)) == 1
    repeat = post(client, token, {"job_id": job_id, "send": True, "email": "ap@acme.example"}, "send")
    assert repeat.headers["Idempotent-Replayed"] == "true" and len(sandbox(runtime, tenant).sends()) == 1


def test_send_without_an_address_is_a_422_on_email_and_creates_nothing(client: Any, runtime: Runtime,
                                                                       tenant: TenantInfo, token: str) -> None:
    job_id = completed_job(client, runtime, tenant, customer={"id": "C-9", "name": "No Mail"})
    answer = post(client, token, {"job_id": job_id, "send": True}, "no-mail")
    assert answer.status_code == 422
    assert [f["field"] for f in answer.json["error"]["fields"]] == ["email"]
    assert sandbox(runtime, tenant).count() == 0


def test_the_stored_rate_card_prices_skill_after_hours_flat_rate_and_discount(
        client: Any, runtime: Runtime, tenant: TenantInfo, token: str) -> None:
    with runtime.db.session() as session:
        card = session.scalars(sa.select(RateCard).where(RateCard.tenant_id == tenant.tenant_id)).one()
        card.skill_rates = {"HVAC": "120.00"}
        card.after_hours_multiplier = Decimal("1.5")
        card.flat_rate_items = {"tuneup": {"description": "Furnace tune-up", "price": "89.00", "taxable": False}}
        card.parts_taxable = False
        # The job starts at T0, 14:00 UTC: within 08:00-17:00 in UTC, but 23:00 in Tokyo.
        session.get(Tenant, tenant.tenant_id).timezone = "Asia/Tokyo"
    job_id = completed_job(client, runtime, tenant, parts=[
        {"sku": "FS-100", "description": "Flame sensor", "quantity": "1", "unit_cost": "18.40"}])
    answer = post(client, token, {"job_id": job_id, "skill": "hvac", "flat_rate_items": [{"code": "TUNEUP"}],
                                  "discount": {"percent": "10", "reason": "Member"}}, "card")
    assert answer.status_code == 200, answer.text
    body = answer.json
    assert [(ln["kind"], ln["amount"], ln["taxable"]) for ln in body["lines"]] == [
        ("labour", "270.00", True), ("flat_rate", "89.00", False), ("trip", "49.00", True),
        ("part", "24.84", False), ("discount", "-43.28", False)]
    # 432.84 less 43.28 = 389.56; taxable 319.00 x 389.56 / 432.84 = 287.10... x 8.25 % = 23.69
    assert (body["subtotal"], body["tax"], body["total"]) == ("389.56", "23.69", "413.25")
    with runtime.db.session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Event).where(Event.type == "invoice.sent")) == 0
