"""reorder_stock writes QuickBooks Online PurchaseOrders once connected: one per truck+SKU, never twice."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest
import sqlalchemy as sa

from connector.db.models import StockOrder, Technician
from connector.providers import PROVIDERS
from tests.conftest import sign_in
from tests.factories import bearer
from tests.helpers import job_data, post_sandbox
from tests.provider_kits import QuickBooksKit

if TYPE_CHECKING:
    from collections.abc import Iterator

    from connector.config import Settings
    from connector.runtime import Runtime
    from tests.conftest import TenantInfo

URL = "/api/v1/actions/reorder_stock"


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


@pytest.fixture
def truck(client: Any, kit: QuickBooksKit, runtime: Runtime, tenant: TenantInfo, worker: Any) -> str:
    """QuickBooks connected, and the technician whose truck it is."""
    sign_in(client, tenant.owner_email)
    assert kit.connect(client).status_code == 302
    worker.drain()
    post_sandbox(client, tenant, "job.scheduled", datetime(2026, 11, 24, 14, 0, tzinfo=UTC), job_data("J-1"))
    with runtime.db.session() as session:
        return str(session.scalar(sa.select(Technician.id).where(Technician.source_id == "T-1")))


def body(truck: str, **extra: Any) -> dict[str, Any]:
    return {"technician_id": truck, "thresholds": [{"sku": "FS-100", "min": "2", "max": "6", "on_hand": "3"}],
            "parts": [{"sku": "FS-100", "quantity": "2", "unit_cost": "18.40"}], **extra}


def purchase_orders(kit: QuickBooksKit) -> list[dict[str, Any]]:
    with kit.emulator.lock:
        return list(kit.emulator.company().lists["PurchaseOrder"].values())


def test_a_purchase_order_retried_after_a_timeout_exists_once_upstream(
        client: Any, kit: QuickBooksKit, runtime: Runtime, truck: str, token: str) -> None:
    vendor = kit.emulator.add_vendor("Ferguson HVAC")
    item = kit.emulator.add_item("Flame sensor")
    item["Sku"] = "FS-100"
    realm = kit.account_id
    kit.emulator.delay_next(f"/v3/company/{realm}/purchaseorder", 0.8, method="POST")
    headers = {**bearer(token), "Idempotency-Key": "po-1"}
    answer = client.post(URL, json=body(truck, vendor="Ferguson HVAC"), headers=headers)
    assert answer.status_code == 200, answer.text
    [upstream] = purchase_orders(kit)
    creates = kit.emulator.requests_to(f"/v3/company/{realm}/purchaseorder", "POST")
    assert len(creates) == 2 and len({c.query for c in creates}) == 1, "one requestid, sent twice"
    [line] = upstream["Line"]
    detail = line["ItemBasedExpenseLineDetail"]
    assert upstream["VendorRef"]["value"] == vendor["Id"] and detail["ItemRef"]["value"] == item["Id"]
    assert (detail["Qty"], detail["UnitPrice"], line["Amount"]) == (5, 18.4, 92.0)
    order = answer.json["lines"][0]["order"]
    assert (order["accounting_system"], order["accounting_id"], order["quantity"]) == ("quickbooks", upstream["Id"],
                                                                                       "5")
    again = client.post(URL, json=body(truck, vendor="Ferguson HVAC"), headers=headers)
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert len(purchase_orders(kit)) == 1
    with runtime.db.session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(StockOrder)) == 1


def test_the_items_preferred_vendor_and_cost_are_used_when_none_is_given(
        client: Any, kit: QuickBooksKit, truck: str, token: str) -> None:
    vendor = kit.emulator.add_vendor("Johnstone Supply")
    item = kit.emulator.add_item("FS-100")  # matched by name when no item has the SKU
    item.update(PrefVendorRef={"value": vendor["Id"]}, PurchaseCost=17.5)
    data = body(truck)
    data["parts"][0].pop("unit_cost")
    answer = client.post(URL, json=data, headers=bearer(token))
    assert answer.status_code == 200, answer.text
    [upstream] = purchase_orders(kit)
    assert upstream["VendorRef"]["value"] == vendor["Id"] and upstream["TotalAmt"] == 87.5


def test_what_quickbooks_cannot_order_is_422_naming_the_field(
        client: Any, kit: QuickBooksKit, truck: str, token: str) -> None:
    def field_of(**extra: str) -> str:
        answer = client.post(URL, json=body(truck, **extra), headers=bearer(token))
        assert answer.status_code == 422, answer.text
        return str(answer.json["error"]["fields"][0]["field"])

    kit.emulator.add_vendor("Ferguson HVAC")
    assert field_of(vendor="Ferguson HVAC") == "parts"  # no item with that SKU or name
    kit.emulator.add_item("FS-100")
    assert field_of(vendor="Nobody Supply") == "vendor"
    assert field_of() == "vendor"  # none given, and the item has no preferred vendor
    assert purchase_orders(kit) == []
