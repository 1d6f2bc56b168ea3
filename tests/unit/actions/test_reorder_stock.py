from __future__ import annotations

import copy
from dataclasses import replace
from decimal import Decimal

import pytest
from pydantic import ValidationError

from actions.context import StockLevel
from actions.errors import InputError, NotFound, UpstreamUnavailable
from actions.reorder_stock import (
    ReorderStockInput,
    is_below_min,
    order_request_id,
    quantity,
    refill_quantity,
    run,
    take,
)
from tests.fakes import NOW, FakeAccounting, FakeStock, FakeStore, make_context
from triggers.canonical import EventType, JobSnapshot, JobStatus, PartUsed
from triggers.stock_below_threshold import render

TECH = "t1"


def level(on_hand: str, low: str = "2", high: str = "6", sku: str = "FS-100") -> StockLevel:
    return StockLevel(technician_id=TECH, sku=sku, on_hand=Decimal(on_hand), min_quantity=Decimal(low),
                      max_quantity=Decimal(high), description="Flame sensor", version=3)


def stocked(*levels: StockLevel, connected: bool = True) -> FakeStock:
    return FakeStock(technicians={TECH: "Marcus Reyes"}, stock={(lv.technician_id, lv.sku): lv for lv in levels},
                     accounting_connected=connected)


def context(stock: FakeStock, key: str = "key-1", store: FakeStore | None = None,
            accounting: FakeAccounting | None = None):  # type: ignore[no-untyped-def]
    ctx, _store, accounting, events = make_context(store, accounting, key)
    ctx.stock = stock
    return ctx, accounting, events


def use(*parts: tuple[str, str], **extra: object) -> ReorderStockInput:
    return ReorderStockInput.model_validate({"technician_id": TECH, **extra,
                                             "parts": [{"sku": s, "quantity": q} for s, q in parts]})


# --- the arithmetic --------------------------------------------------------------------------------

def test_take_never_goes_below_zero_and_reports_the_shortfall() -> None:
    assert take(level("3"), Decimal(2)) == (replace(level("3"), on_hand=Decimal(1)), Decimal(0))
    after, shortfall = take(level("1"), Decimal("3.5"))
    assert after.on_hand == 0 and shortfall == Decimal("2.5")


def test_below_min_and_the_refill_back_to_max() -> None:
    assert is_below_min(level("1")) and not is_below_min(level("2"))
    assert refill_quantity(level("1")) == 5 and refill_quantity(level("0", "0", "0")) == 0
    assert refill_quantity(level("9")) == 0


@pytest.mark.parametrize(("value", "shown"), [("2.000", "2"), ("2.500", "2.5"), ("10", "10"), ("0.0004", "0")])
def test_quantities_are_shown_without_trailing_zeros_or_exponents(value: str, shown: str) -> None:
    assert str(quantity(Decimal(value))) == shown


def test_request_ids_are_per_run_truck_and_sku() -> None:
    first = order_request_id("key-1", TECH, "FS-100")
    assert first == order_request_id("key-1", TECH, "FS-100") and len(first) <= 50
    assert len({first, order_request_id("key-2", TECH, "FS-100"), order_request_id("key-1", TECH, "CAP-45"),
                order_request_id("key-1", "t2", "FS-100")}) == 4


# --- the run ---------------------------------------------------------------------------------------

def test_going_below_min_orders_back_to_max_once() -> None:
    stock = stocked(level("3"))
    ctx, accounting, events = context(stock)
    out = run(ctx, use(("FS-100", "2")))
    [line] = out.lines
    assert (line.on_hand_before, line.on_hand, line.below_min, line.reorder_status) == (3, 1, True, "ordered")
    assert line.order is not None and line.order.quantity == 5 and line.order.kind == "purchase_order"
    assert line.order.number == "PO-000001" and out.ordered_skus == ["FS-100"] and out.orders_created == 1
    [(request_id, po)] = accounting.purchase_orders.items()
    assert request_id == order_request_id("key-1", TECH, "FS-100")
    assert (po.sku, po.quantity, po.technician_name) == ("FS-100", 5, "Marcus Reyes")
    assert stock.stock[(TECH, "FS-100")].on_hand == 1 and stock.stock[(TECH, "FS-100")].version == 4
    assert [e.type for e in events.emitted] == [EventType.STOCK_CHANGED, EventType.STOCK_BELOW_THRESHOLD]
    crossing = events.emitted[1]
    assert crossing.event_id == f"stock.below_threshold:{TECH}:FS-100:4"
    item = render(crossing)
    assert (item.id, item.order_id, item.order_quantity, item.on_hand) == (crossing.event_id, line.order.order_id,
                                                                           5, 1)


def test_an_open_order_means_already_ordered_and_no_second_crossing() -> None:
    stock = stocked(level("3"))
    ctx, accounting, _events = context(stock)
    first = run(ctx, use(("FS-100", "2")))
    ctx, _acc, events = context(stock, key="key-2", accounting=accounting)
    second = run(ctx, use(("FS-100", "1")))
    [line] = second.lines
    assert line.reorder_status == "already_ordered" and second.already_ordered_skus == ["FS-100"]
    assert line.order is not None and first.lines[0].order is not None
    assert line.order.order_id == first.lines[0].order.order_id
    assert len(accounting.purchase_orders) == 1 and len(stock.orders) == 1
    assert [e.type for e in events.emitted] == [EventType.STOCK_CHANGED]  # still below: not a new crossing


def test_the_store_refuses_a_second_open_order_for_the_same_truck_and_sku() -> None:
    stock = stocked(level("3"))
    ctx, _accounting, _events = context(stock)
    order = run(ctx, use(("FS-100", "2"))).lines[0].order
    assert order is not None
    [stored] = stock.orders
    assert stock.add_order(replace(stored, id="other", request_id="other"), "run2") is None


def test_a_count_that_would_go_negative_is_zero_and_flagged() -> None:
    stock = stocked(level("2", "0", "0"))
    ctx, accounting, events = context(stock)
    out = run(ctx, use(("FS-100", "5"), ("NEW-1", "1")))
    lines = {ln.sku: ln for ln in out.lines}
    assert (lines["FS-100"].on_hand, lines["FS-100"].went_negative, lines["FS-100"].shortfall) == (0, True, 3)
    assert (lines["NEW-1"].on_hand_before, lines["NEW-1"].shortfall, lines["NEW-1"].reorder_status) == (0, 1, "ok")
    assert out.negative_skus == ["FS-100", "NEW-1"] and not accounting.purchase_orders
    assert all(e.data["went_negative"] for e in events.emitted)


def test_replaying_a_failed_run_finds_the_same_purchase_order() -> None:
    stock = stocked(level("3"), level("1", "2", "4", sku="CAP-45"))
    before = copy.deepcopy(stock)  # what the database holds again after the failed run rolled back
    accounting = FakeAccounting()
    ctx, _acc, _events = context(stock, accounting=accounting)
    run(ctx, use(("FS-100", "2")))
    ctx, _acc, _events = context(before, accounting=accounting)
    out = run(ctx, use(("FS-100", "2")))
    assert sorted(out.ordered_skus) == ["CAP-45", "FS-100"]
    assert len(accounting.purchase_orders) == 2  # one per truck+SKU, not one per attempt


def test_accounting_down_fails_the_run_as_retryable() -> None:
    ctx, _accounting, _events = context(stocked(level("3")), accounting=FakeAccounting(down=True))
    with pytest.raises(UpstreamUnavailable):
        run(ctx, use(("FS-100", "2")))


def test_without_accounting_the_default_is_a_warehouse_pull() -> None:
    stock = stocked(level("3"), connected=False)
    ctx, accounting, _events = context(stock)
    out = run(ctx, use(("FS-100", "2")))
    assert out.mode == "warehouse_pull" and not accounting.purchase_orders
    order = out.lines[0].order
    assert order is not None and (order.kind, order.accounting_system, order.quantity) == ("warehouse_pull", None, 5)
    with pytest.raises(InputError) as caught:
        run(context(stocked(level("3"), connected=False))[0], use(("FS-100", "2"), mode="purchase_order"))
    assert caught.value.field == "mode"


def test_an_explicit_warehouse_pull_skips_accounting() -> None:
    ctx, accounting, _events = context(stocked(level("3")))
    out = run(ctx, use(("FS-100", "2"), mode="warehouse_pull"))
    assert out.ordered_skus == ["FS-100"] and not accounting.purchase_orders


def test_thresholds_and_counts_are_set_before_the_parts_come_off() -> None:
    stock = stocked()
    ctx, accounting, events = context(stock)
    data = use(("FS-100", "1"), thresholds=[{"sku": "FS-100", "min": "2", "max": "8", "on_hand": "4"}],
               vendor="Ferguson HVAC")
    out = run(ctx, data)
    [line] = out.lines
    assert (line.on_hand_before, line.on_hand, line.min, line.max, line.reorder_status) == (0, 3, 2, 8, "ok")
    assert not accounting.purchase_orders and [e.type for e in events.emitted] == [EventType.STOCK_CHANGED]
    ctx, _acc, events = context(stock, key="key-2", accounting=accounting)
    out = run(ctx, use(("FS-100", "2"), vendor="Ferguson HVAC"))
    assert out.lines[0].order is not None and out.lines[0].order.quantity == 7
    assert next(iter(accounting.purchase_orders.values())).vendor == "Ferguson HVAC"


def test_a_call_with_only_the_truck_reorders_what_is_below_min_without_an_open_order() -> None:
    stock = stocked(level("1"), level("5", sku="CAP-45"))
    ctx, accounting, events = context(stock)
    out = run(ctx, ReorderStockInput(technician_id=TECH))
    assert [ln.sku for ln in out.lines] == ["FS-100"] and out.ordered_skus == ["FS-100"]
    assert len(accounting.purchase_orders) == 1 and events.emitted == []  # no change, no crossing


def test_a_jobs_parts_come_off_once() -> None:
    job = JobSnapshot(job_id="j1", source="sandbox", status=JobStatus.COMPLETED, job_type="repair", priority="P2",
                      parts=[PartUsed(sku="FS-100", description="Flame sensor", quantity=Decimal(2),
                                      unit_cost=Decimal("18.40"))])
    stock, store = stocked(level("6")), FakeStore(jobs={"j1": job})
    ctx, _accounting, _events = context(stock, store=store)
    first = run(ctx, ReorderStockInput(technician_id=TECH, job_id="j1"))
    assert first.job_parts_taken is True and first.lines[0].on_hand == 4
    assert stock.stock[(TECH, "FS-100")].unit_cost == Decimal("18.40")
    ctx, _accounting, _events = context(stock, key="key-2", store=store)
    again = run(ctx, ReorderStockInput(technician_id=TECH, job_id="j1"))
    assert again.job_parts_taken is False and again.lines == [] and stock.stock[(TECH, "FS-100")].on_hand == 4


def test_unknown_technician_or_job_is_not_found_naming_the_field() -> None:
    ctx, _accounting, _events = context(stocked())
    with pytest.raises(NotFound) as caught:
        run(ctx, ReorderStockInput(technician_id="nobody"))
    assert caught.value.field == "technician_id"
    with pytest.raises(NotFound) as caught:
        run(ctx, ReorderStockInput(technician_id=TECH, job_id="nope"))
    assert caught.value.field == "job_id"


@pytest.mark.parametrize(("body", "field"), [
    ({"parts": [{"sku": "A", "quantity": "-1"}]}, "parts.0.quantity"),
    ({"parts": [{"sku": "A", "quantity": "0"}]}, "parts.0.quantity"),
    ({"parts": [{"sku": "", "quantity": "1"}]}, "parts.0.sku"),
    ({"thresholds": [{"sku": "A", "min": "5", "max": "2"}]}, "thresholds.0.max"),
    ({"thresholds": [{"sku": "A", "min": "-1", "max": "2"}]}, "thresholds.0.min"),
    ({"thresholds": [{"sku": "A", "min": "1", "max": "2"}, {"sku": "A", "min": "1", "max": "3"}]}, "thresholds"),
    ({"mode": "carrier_pigeon"}, "mode"),
])
def test_bad_input_names_the_field(body: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        ReorderStockInput.model_validate({"technician_id": TECH, **body})
    assert [".".join(str(p) for p in e["loc"]) for e in caught.value.errors()] == [field]


def test_the_clock_stamps_the_order_and_the_result() -> None:
    ctx, _accounting, _events = context(stocked(level("3")))
    out = run(ctx, use(("FS-100", "2")))
    assert out.checked_at == NOW and out.lines[0].order is not None and out.lines[0].order.created_at == NOW
