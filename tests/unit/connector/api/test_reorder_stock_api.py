"""reorder_stock through the API on both backends: the sandbox accounting takes the purchase orders."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from actions.reorder_stock import ACTION
from connector.api.runner import replay
from connector.db.models import Delivery, Event, StockOrder, Technician, TruckStockLevel
from connector.sandbox.accounting import SandboxAccounting, set_outage
from tests.factories import bearer, issue_token
from tests.helpers import T0, job_data, post_sandbox

if TYPE_CHECKING:
    from connector.runtime import Runtime
    from tests.conftest import TenantInfo

URL = "/api/v1/actions/reorder_stock"
FS = {"sku": "FS-100", "min": "2", "max": "6", "on_hand": "3"}


def technician(client: Any, runtime: Runtime, tenant: TenantInfo) -> str:
    """The sandbox FSM's technician T-1 (Marcus Reyes), as a job webhook brings him in."""
    assert post_sandbox(client, tenant, "job.scheduled", T0, job_data("J-1")).status_code == 200
    with runtime.db.session() as session:
        return str(session.scalar(sa.select(Technician.id).where(Technician.tenant_id == tenant.tenant_id,
                                                                  Technician.source_id == "T-1")))


def post(client: Any, token: str, body: Any, key: str | None = None) -> Any:
    return client.post(URL, json=body, headers=bearer(token) | ({"Idempotency-Key": key} if key else {}))


def purchase_orders(runtime: Runtime, tenant: TenantInfo) -> list[Any]:
    return SandboxAccounting(runtime.sandbox_db, tenant.account_id).purchase_orders()


def count(runtime: Runtime, model: Any, tenant: TenantInfo, *where: Any) -> int:
    with runtime.db.session() as session:
        return int(session.scalar(sa.select(sa.func.count()).select_from(model)
                                  .where(model.tenant_id == tenant.tenant_id, *where)) or 0)


def poll(client: Any, token: str) -> list[dict[str, Any]]:
    answer = client.get("/api/v1/triggers/stock_below_threshold", headers=bearer(token))
    assert answer.status_code == 200, answer.text
    return list(answer.json)


def test_going_below_min_makes_one_purchase_order_and_a_replay_makes_none(client, runtime, tenant, token) -> None:
    tech = technician(client, runtime, tenant)
    body = {"technician_id": tech, "thresholds": [FS], "parts": [{"sku": "FS-100", "quantity": "2"}],
            "vendor": "Ferguson HVAC"}
    first = post(client, token, body, "use-1")
    assert first.status_code == 200, first.json
    [line] = first.json["lines"]
    assert (line["on_hand_before"], line["on_hand"], line["below_min"], line["reorder_status"]) == (
        "0", "1", True, "ordered")
    order = line["order"]
    assert (order["kind"], order["quantity"], order["status"], order["accounting_system"], order["number"]) == (
        "purchase_order", "5", "open", "sandbox", "SPO-000001")
    [po] = purchase_orders(runtime, tenant)
    assert (po.sku, po.quantity, po.vendor, po.id) == ("FS-100", 5, "Ferguson HVAC", order["accounting_id"])
    again = post(client, token, body, "use-1")
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true" and again.json == first.json
    assert len(purchase_orders(runtime, tenant)) == 1 and count(runtime, StockOrder, tenant) == 1
    with runtime.db.session() as session:
        level = session.scalar(sa.select(TruckStockLevel).where(TruckStockLevel.tenant_id == tenant.tenant_id))
        assert (str(level.on_hand), str(level.min_quantity), str(level.max_quantity)) == ("1.000", "2.000", "6.000")


def test_a_second_call_while_the_order_is_open_is_already_ordered_and_fires_once(
        client, runtime, tenant, token, listener) -> None:
    tech = technician(client, runtime, tenant)
    hook = client.post("/api/v1/hooks", json={"trigger": "stock_below_threshold", "target_url": listener.url},
                       headers=bearer(token))
    assert hook.status_code == 201
    post(client, token, {"technician_id": tech, "thresholds": [FS], "parts": [{"sku": "FS-100", "quantity": "2"}]})
    second = post(client, token, {"technician_id": tech, "parts": [{"sku": "FS-100", "quantity": "1"}]})
    assert second.status_code == 200, second.json
    [line] = second.json["lines"]
    assert line["reorder_status"] == "already_ordered" and line["on_hand"] == "0"
    assert second.json["already_ordered_skus"] == ["FS-100"] and second.json["orders_created"] == 0
    assert len(purchase_orders(runtime, tenant)) == 1
    [item] = poll(client, token)  # the crossing happened once
    assert (item["sku"], item["on_hand"], item["order_quantity"], item["reorder_status"]) == (
        "FS-100", "1", "5", "ordered")
    assert item["technician_name"] == "Marcus Reyes" and item["order_number"] == "SPO-000001"
    assert count(runtime, Event, tenant, Event.type == "stock.changed") == 2
    assert count(runtime, Delivery, tenant) == 1  # one hook delivery, for the one crossing


def test_receiving_the_order_refills_the_truck_and_the_next_crossing_fires_again(
        client, runtime, tenant, token) -> None:
    tech = technician(client, runtime, tenant)
    first = post(client, token, {"technician_id": tech, "thresholds": [FS],
                                 "parts": [{"sku": "FS-100", "quantity": "2"}]}).json
    order_id = first["lines"][0]["order"]["order_id"]
    received = client.post(f"/api/v1/stock/orders/{order_id}/receive", json={}, headers=bearer(token))
    assert received.status_code == 200, received.json
    assert received.json["order"]["status"] == "received" and received.json["level"]["on_hand"] == "6"
    again = client.post(f"/api/v1/stock/orders/{order_id}/receive", json={}, headers=bearer(token))
    assert again.status_code == 409
    stock = client.get(f"/api/v1/stock?technician_id={tech}", headers=bearer(token)).json
    assert stock["open_orders"] == [] and stock["levels"][0]["on_hand"] == "6"
    second = post(client, token, {"technician_id": tech, "parts": [{"sku": "FS-100", "quantity": "5"}]}).json
    assert second["ordered_skus"] == ["FS-100"] and second["lines"][0]["order"]["quantity"] == "5"
    assert len(purchase_orders(runtime, tenant)) == 2
    assert len(poll(client, token)) == 2
    cancelled = client.post(f"/api/v1/stock/orders/{second['lines'][0]['order']['order_id']}/cancel",
                            headers=bearer(token))
    assert cancelled.status_code == 200 and cancelled.json["order"]["status"] == "cancelled"
    assert client.post(f"/api/v1/stock/orders/{'0' * 32}/cancel", headers=bearer(token)).status_code == 404


def test_a_count_that_would_go_negative_is_flagged(client, runtime, tenant, token) -> None:
    tech = technician(client, runtime, tenant)
    response = post(client, token, {"technician_id": tech, "parts": [{"sku": "CAP-45", "quantity": "2"}]})
    assert response.status_code == 200, response.json
    [line] = response.json["lines"]
    assert (line["on_hand"], line["went_negative"], line["shortfall"]) == ("0", True, "2")
    assert response.json["negative_skus"] == ["CAP-45"] and poll(client, token) == []


def test_a_failed_purchase_order_is_replayed_without_ordering_twice(client, runtime, tenant, token) -> None:
    tech = technician(client, runtime, tenant)
    set_outage(runtime.sandbox_db, tenant.account_id, "timeout_after_create")
    body = {"technician_id": tech, "thresholds": [FS], "parts": [{"sku": "FS-100", "quantity": "2"}]}
    response = post(client, token, body, "outage")
    assert response.status_code == 503 and response.json["error"]["retryable"] is True
    assert len(purchase_orders(runtime, tenant)) == 1  # the remote took it before timing out
    assert count(runtime, StockOrder, tenant) == 0 and count(runtime, TruckStockLevel, tenant) == 0
    set_outage(runtime.sandbox_db, tenant.account_id, "off")
    result = replay(runtime, ACTION, response.headers["Backbone-Run-Id"], actor_id=None, actor_label="s@x.example")
    assert result.status == "succeeded" and result.result["lines"][0]["on_hand"] == "1"
    assert len(purchase_orders(runtime, tenant)) == 1 and count(runtime, StockOrder, tenant) == 1
    assert len(poll(client, token)) == 1


def test_a_jobs_recorded_parts_come_off_once(client, runtime, tenant, token) -> None:
    tech = technician(client, runtime, tenant)
    parts = [{"sku": "FS-100", "description": "Flame sensor", "quantity": "1", "unit_cost": "18.40"}]
    post_sandbox(client, tenant, "job.completed", T0 + timedelta(hours=2), job_data("J-1", parts=parts))
    with runtime.db.session() as session:
        from connector.db.models import Job

        job_id = session.scalar(sa.select(Job.id).where(Job.tenant_id == tenant.tenant_id))
    body = {"technician_id": tech, "job_id": job_id, "thresholds": [FS | {"on_hand": "2"}], "mode": "warehouse_pull"}
    first = post(client, token, body).json
    assert first["job_parts_taken"] is True and first["lines"][0]["on_hand"] == "1"
    assert first["lines"][0]["order"]["kind"] == "warehouse_pull" and purchase_orders(runtime, tenant) == []
    second = post(client, token, {"technician_id": tech, "job_id": job_id}).json
    assert second["job_parts_taken"] is False and second["lines"][0]["on_hand"] == "1"


def test_bad_input_is_422_naming_the_field_and_unknown_ids_are_404(client, runtime, tenant, other_tenant,
                                                                   token) -> None:
    tech = technician(client, runtime, tenant)
    response = post(client, token, {"technician_id": tech, "parts": [{"sku": "FS-100", "quantity": "-1"}]})
    assert response.status_code == 422
    assert [f["field"] for f in response.json["error"]["fields"]] == ["parts.0.quantity"]
    response = post(client, token, {"technician_id": tech, "thresholds": [{"sku": "A", "min": "3", "max": "1"}]})
    assert response.status_code == 422 and response.json["error"]["fields"][0]["field"] == "thresholds.0.max"
    response = post(client, token, {"technician_id": "0" * 32})
    assert response.status_code == 404 and response.json["error"]["fields"][0]["field"] == "technician_id"
    other = issue_token(runtime, other_tenant)
    response = post(client, other, {"technician_id": tech})  # another tenant's truck is not found either
    assert response.status_code == 404 and response.json["error"]["fields"][0]["field"] == "technician_id"
    response = post(client, token, {"technician_id": tech, "job_id": "nope"})
    assert response.status_code == 404 and response.json["error"]["fields"][0]["field"] == "job_id"
    response = client.get("/api/v1/stock", headers=bearer(token))
    assert response.status_code == 422 and response.json["error"]["fields"][0]["field"] == "technician_id"
    response = client.post(f"/api/v1/stock/orders/{'0' * 32}/receive", json={"quantity": "-2"},
                           headers=bearer(token))
    assert response.status_code == 422 and response.json["error"]["fields"][0]["field"] == "quantity"
