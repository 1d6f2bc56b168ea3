from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from pydantic import ValidationError

from actions.errors import InputError, NotFound, UpstreamUnavailable
from actions.generate_invoice import GenerateInvoiceInput, billable_minutes, price_job, run
from tests.fakes import DEFAULT_CARD, NOW, FakeAccounting, FakeStore, make_context
from triggers.canonical import JobSnapshot, JobStatus, PartUsed


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
