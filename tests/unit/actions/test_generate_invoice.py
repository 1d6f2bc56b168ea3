from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from pydantic import ValidationError

from actions.context import FlatRateItem, SentInvoice
from actions.errors import Conflict, InputError, NotFound, UpstreamUnavailable
from actions.generate_invoice import GenerateInvoiceInput, billable_minutes, price_job, run
from tests.fakes import DEFAULT_CARD, NOW, FakeAccounting, FakeStore, make_context
from triggers.canonical import CustomerRef, JobSnapshot, JobStatus, PartUsed


def job(**changes: object) -> JobSnapshot:
    base = JobSnapshot(job_id="j1", source="sandbox", source_id="J-1", status=JobStatus.COMPLETED,
                       job_type="repair", priority="P2", arrived_at=NOW - timedelta(minutes=90),
                       completed_at=NOW, parts=[PartUsed(sku="FS-100", description="Flame sensor",
                                                         quantity=Decimal("1"), unit_cost=Decimal("18.40"))])
    return base.model_copy(update=changes)


def test_lines_and_totals_are_exact_and_rounded_once_per_line() -> None:
    lines, subtotal, tax = price_job(job(), DEFAULT_CARD, Decimal(90))
    assert [(ln.kind, ln.amount) for ln in lines] == [
        ("labour", Decimal("142.50")), ("trip", Decimal("49.00")), ("part", Decimal("24.84"))]
    assert subtotal == Decimal("216.34") and tax == Decimal("17.85")


def test_part_amount_is_rounded_from_the_exact_product_not_from_a_rounded_unit_price() -> None:
    parts = [PartUsed(sku="W", description="Wire nut", quantity=Decimal("3"), unit_cost=Decimal("0.11"))]
    lines, _subtotal, _tax = price_job(job(parts=parts), DEFAULT_CARD, Decimal(60))
    [part] = [ln for ln in lines if ln.kind == "part"]
    # 3 x 0.11 x 1.35 = 0.4455 -> 0.45; rounding the unit price first (0.15) would give 0.45 too,
    # but 7 units show the difference: 7 x 0.1485 = 1.0395 -> 1.04 vs 7 x 0.15 = 1.05
    assert part.amount == Decimal("0.45")
    parts = [PartUsed(sku="W", description="Wire nut", quantity=Decimal("7"), unit_cost=Decimal("0.11"))]
    lines, _s, _t = price_job(job(parts=parts), DEFAULT_CARD, Decimal(60))
    assert next(ln.amount for ln in lines if ln.kind == "part") == Decimal("1.04")


@pytest.mark.parametrize(("minutes", "billed"), [(0, 60), (61, 75), (75, 75), (Decimal("75.5"), 90), (200, 210)])
def test_labour_rounds_up_to_the_increment_with_a_minimum(minutes: int, billed: int) -> None:
    assert billable_minutes(Decimal(minutes), DEFAULT_CARD) == billed


def test_no_trip_charge_line_when_the_card_has_none() -> None:
    lines, _s, _t = price_job(job(parts=[]), replace(DEFAULT_CARD, trip_charge=Decimal(0)), Decimal(60))
    assert [ln.kind for ln in lines] == ["labour"]


def test_run_creates_invoice_emits_event_and_uses_a_key_derived_request_id() -> None:
    ctx, _store, accounting, events = make_context(FakeStore(jobs={"j1": job()}))
    out = run(ctx, GenerateInvoiceInput(job_id="j1"))
    assert out.created and out.total == Decimal("234.19") and out.invoice_number == "INV-000001"
    assert out.due_at == NOW + timedelta(days=30)
    assert list(accounting.created) == ["invoice:key-1"]
    assert [e.type.value for e in events.emitted] == ["invoice.created"]


def test_second_run_for_the_job_returns_the_existing_invoice() -> None:
    ctx, store, _accounting, events = make_context(FakeStore(jobs={"j1": job()}))
    first = run(ctx, GenerateInvoiceInput(job_id="j1"))
    second = run(ctx, GenerateInvoiceInput(job_id="j1"))
    assert second.invoice_id == first.invoice_id and not second.created
    assert len(store.invoices) == 1 and len(events.emitted) == 1


def test_labour_hours_override_and_due_days() -> None:
    ctx, *_ = make_context(FakeStore(jobs={"j1": job(arrived_at=None)}))
    out = run(ctx, GenerateInvoiceInput(job_id="j1", labour_hours=Decimal("2"), due_in_days=7))
    assert out.lines[0].amount == Decimal("190.00") and out.due_at == NOW + timedelta(days=7)


def test_errors_name_the_field() -> None:
    ctx, *_ = make_context(FakeStore(jobs={"j1": job(status=JobStatus.ARRIVED), "j2": job(arrived_at=None)}))
    with pytest.raises(NotFound) as missing:
        run(ctx, GenerateInvoiceInput(job_id="nope"))
    assert missing.value.field == "job_id"
    with pytest.raises(InputError, match="not completed yet"):
        run(ctx, GenerateInvoiceInput(job_id="j1"))
    with pytest.raises(InputError) as no_time:
        run(ctx, GenerateInvoiceInput(job_id="j2"))
    assert no_time.value.field == "labour_hours"


def test_accounting_outage_is_retryable_and_stores_nothing() -> None:
    ctx, store, _accounting, events = make_context(FakeStore(jobs={"j1": job()}), FakeAccounting(down=True))
    with pytest.raises(UpstreamUnavailable) as exc:
        run(ctx, GenerateInvoiceInput(job_id="j1"))
    assert exc.value.retryable and exc.value.retry_after == 5
    assert store.invoices == [] and events.emitted == []


def test_input_is_strict() -> None:
    with pytest.raises(ValidationError):
        GenerateInvoiceInput.model_validate({"job_id": "j1", "labour_hours": "25"})
    with pytest.raises(ValidationError):
        GenerateInvoiceInput.model_validate({"job_id": "j1", "extra": 1})


# --- the full rate card through run(), and sending ---------------------------------------------------------------

DANA = CustomerRef(id="c1", name="Dana Whitfield", email="dana@example.com")
CARD = replace(DEFAULT_CARD, after_hours_multiplier=Decimal("1.5"), emergency_multiplier=Decimal("2"),
               skill_rates={"hvac": Decimal("120.00")},
               flat_rate_items={"TUNEUP": FlatRateItem("Furnace tune-up", Decimal("89.00"))})


def test_run_prices_skill_band_flat_rate_and_discount_in_the_tenants_zone() -> None:
    evening = NOW.replace(hour=23, minute=30)  # 17:30 in Chicago: after its business hours
    store = FakeStore(jobs={"j1": job(arrived_at=evening, completed_at=evening + timedelta(minutes=60), parts=[])},
                      card=CARD)
    ctx, *_ = make_context(store)
    ctx.timezone = "America/Chicago"
    out = run(ctx, GenerateInvoiceInput.model_validate({
        "job_id": "j1", "skill": "hvac", "flat_rate_items": [{"code": "tuneup"}],
        "discount": {"amount": "20", "reason": "Returning customer"}}))
    assert [(ln.kind, ln.amount) for ln in out.lines] == [
        ("labour", Decimal("180.00")), ("flat_rate", Decimal("89.00")), ("trip", Decimal("49.00")),
        ("discount", Decimal("-20.00"))]  # 120 x 1.5 for 1 h; the tune-up; the trip; 20 off
    assert out.lines[0].description == "Labour: repair, hvac, after-hours (60 min)"
    assert (out.subtotal, out.tax, out.total) == (Decimal("298.00"), Decimal("24.59"), Decimal("322.59"))
    assert out.sent_at is None and out.payment_link is None and out.status == "draft"


def test_an_unknown_flat_rate_code_is_a_422_naming_it_and_nothing_is_created() -> None:
    ctx, store, accounting, _events = make_context(FakeStore(jobs={"j1": job()}, card=CARD))
    with pytest.raises(InputError) as exc:
        run(ctx, GenerateInvoiceInput.model_validate({"job_id": "j1", "flat_rate_items": [
            {"code": "TUNEUP"}, {"code": "NOPE", "quantity": "2"}]}))
    assert exc.value.field == "flat_rate_items.1.code" and "TUNEUP" in exc.value.message
    assert store.invoices == [] and accounting.created == {}


def test_a_flat_rate_job_can_bill_no_labour() -> None:
    ctx, *_ = make_context(FakeStore(jobs={"j1": job(arrived_at=None)}, card=CARD))
    out = run(ctx, GenerateInvoiceInput.model_validate({"job_id": "j1", "bill_labour": False,
                                                        "flat_rate_items": [{"code": "TUNEUP"}]}))
    assert [ln.kind for ln in out.lines] == ["flat_rate", "trip", "part"]


def test_discount_input_takes_a_percent_or_an_amount_and_a_reason() -> None:
    for bad in ({"percent": "10", "amount": "5", "reason": "x"}, {"reason": "x"}, {"percent": "10"},
                {"percent": "101", "reason": "x"}, {"amount": "-1", "reason": "x"}):
        with pytest.raises(ValidationError):
            GenerateInvoiceInput.model_validate({"job_id": "j1", "discount": bad})
    with pytest.raises(ValidationError):
        GenerateInvoiceInput.model_validate({"job_id": "j1", "time_band": "midnight"})
    with pytest.raises(ValidationError):
        GenerateInvoiceInput.model_validate({"job_id": "j1", "send": True, "email": "not-an-address"})


def test_send_creates_then_sends_once_to_the_customer_and_emits_invoice_sent() -> None:
    ctx, store, accounting, events = make_context(FakeStore(jobs={"j1": job(customer=DANA)}))
    out = run(ctx, GenerateInvoiceInput(job_id="j1", send=True))
    assert out.created and out.status == "sent" and out.sent_at == NOW
    assert out.payment_link == "https://pay.example.test/R-INV-000001"
    assert accounting.sent == {"invoice-send:key-1": ("R-INV-000001", "dana@example.com")}
    assert [e.type.value for e in events.emitted] == ["invoice.created", "invoice.sent"]
    sent = events.emitted[1]
    assert sent.event_id == f"invoice.sent:{out.invoice_id}" and sent.occurred_at == NOW
    assert sent.data["invoice"]["status"] == "sent" and sent.data["invoice"]["payment_link"] == out.payment_link
    assert store.invoices[0].sent_at == NOW


def test_send_to_another_address() -> None:
    ctx, _store, accounting, _events = make_context(FakeStore(jobs={"j1": job(customer=DANA)}))
    run(ctx, GenerateInvoiceInput.model_validate({"job_id": "j1", "send": True, "email": "ap@acme.example"}))
    assert list(accounting.sent.values()) == [("R-INV-000001", "ap@acme.example")]


def test_send_without_any_address_is_a_422_on_email_before_anything_is_created() -> None:
    ctx, store, accounting, _events = make_context(FakeStore(jobs={"j1": job()}))
    with pytest.raises(InputError) as exc:
        run(ctx, GenerateInvoiceInput(job_id="j1", send=True))
    assert exc.value.field == "email" and store.invoices == [] and accounting.created == {}


def test_an_existing_unsent_invoice_is_sent_and_a_sent_one_is_never_sent_again() -> None:
    ctx, _store, accounting, events = make_context(FakeStore(jobs={"j1": job(customer=DANA)}))
    first = run(ctx, GenerateInvoiceInput(job_id="j1"))
    ctx.idempotency_key = "key-2"
    second = run(ctx, GenerateInvoiceInput(job_id="j1", send=True))
    assert second.invoice_id == first.invoice_id and not second.created and second.status == "sent"
    ctx.idempotency_key = "key-3"
    third = run(ctx, GenerateInvoiceInput(job_id="j1", send=True))
    assert third.sent_at == second.sent_at and list(accounting.sent) == ["invoice-send:key-2"]
    assert [e.type.value for e in events.emitted] == ["invoice.created", "invoice.sent"]


def test_a_send_that_fails_is_retryable_and_the_retry_sends_once() -> None:
    ctx, _store, accounting, events = make_context(FakeStore(jobs={"j1": job(customer=DANA)}),
                                                   FakeAccounting(send_down=True))
    with pytest.raises(UpstreamUnavailable):
        run(ctx, GenerateInvoiceInput(job_id="j1", send=True))
    accounting.send_down = False
    # The fake store keeps what the failed run wrote (the real one rolls it back): either way one invoice.
    out = run(ctx, GenerateInvoiceInput(job_id="j1", send=True))
    assert out.status == "sent" and len(accounting.created) == 1 and len(accounting.sent) == 1
    assert [e.type.value for e in events.emitted].count("invoice.sent") == 1


def test_the_accounting_systems_own_event_id_names_the_send() -> None:
    class FeedAccounting(FakeAccounting):
        def send_invoice(self, remote_id: str, email: str | None, request_id: str) -> SentInvoice:
            sent = super().send_invoice(remote_id, email, request_id)
            return replace(sent, event_id=f"qbo:realm:invoice:{remote_id}:invoice.sent:v1")

    ctx, _store, _accounting, events = make_context(FakeStore(jobs={"j1": job(customer=DANA)}), FeedAccounting())
    run(ctx, GenerateInvoiceInput(job_id="j1", send=True))
    assert events.emitted[-1].event_id == "qbo:realm:invoice:R-INV-000001:invoice.sent:v1"


def test_an_invoice_made_outside_backbone_is_not_sent_from_here() -> None:
    ctx, store, accounting, _events = make_context(FakeStore(jobs={"j1": job(customer=DANA)}))
    run(ctx, GenerateInvoiceInput(job_id="j1"))
    store.invoices[0] = replace(store.invoices[0], created_by_run_id=None, source="jobber")
    with pytest.raises(Conflict, match="send it from there"):
        run(ctx, GenerateInvoiceInput(job_id="j1", send=True))
    assert accounting.sent == {}
