from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

import pytest
from pydantic import ValidationError

from actions.context import CompletedJob, InvoiceFacts
from actions.reconcile import ReconcileInput, run
from tests.fakes import NOW, FakeStore, make_context

D = Decimal


def facts(invoice_id: str, job_id: str | None, *, total: str = "100.00", paid: str = "0.00", payments: str = "0.00",
          lines: str = "92.38", tax: str = "7.62", due_days: int = 30, status: str = "sent") -> InvoiceFacts:
    return InvoiceFacts(id=invoice_id, number=f"INV-{invoice_id}", job_id=job_id, status=status,
                        subtotal=D(total) - D(tax), tax=D(tax), total=D(total), line_sum=D(lines),
                        amount_paid=D(paid), payments_sum=D(payments), due_at=NOW + timedelta(days=due_days))


@dataclass
class ReconStore(FakeStore):
    completed: list[CompletedJob] = field(default_factory=list)
    facts: list[InvoiceFacts] = field(default_factory=list)
    asked: list[tuple[object, object]] = field(default_factory=list)

    def completed_jobs(self, start, end):  # type: ignore[no-untyped-def]
        self.asked.append((start, end))
        return self.completed

    def invoice_facts(self, job_ids, issued_from, issued_to):  # type: ignore[no-untyped-def]
        return self.facts


def job(job_id: str, hours_ago: float) -> CompletedJob:
    return CompletedJob(job_id, f"J-{job_id}", NOW - timedelta(hours=hours_ago), "Dana")


def test_every_kind_of_exception_is_found() -> None:
    store = ReconStore(
        completed=[job("a", 72), job("b", 10), job("c", 72), job("d", 72)],
        facts=[
            facts("1", "c"), facts("2", "c"),  # duplicate
            facts("3", "d", lines="90.00"),  # lines do not add up
            facts("4", None, paid="50.00", payments="40.00"),  # payments disagree
            facts("5", None, paid="120.00", payments="120.00"),  # overpaid
            facts("6", None, due_days=-3),  # past terms
            facts("7", None, paid="100.00", payments="100.00", due_days=-3),  # paid: fine
        ],
    )
    ctx, *_ = make_context(store)
    out = run(ctx, ReconcileInput())
    assert out.counts == {"missing_invoice": 1, "duplicate_invoice": 2, "amount_mismatch": 1,
                          "payment_mismatch": 1, "overpaid": 1, "unpaid_past_terms": 1}
    missing = [e for e in out.exceptions if e.kind == "missing_invoice"]
    assert [e.job_id for e in missing] == ["a"]  # "b" is still inside the 48 h grace
    assert out.exceptions_count == len(out.exceptions) == 7
    assert (out.period_end, out.period_start) == (NOW.date(), NOW.date() - timedelta(days=90))


def test_period_bounds_are_whole_utc_days() -> None:
    store = ReconStore()
    ctx, *_ = make_context(store)
    run(ctx, ReconcileInput(since=date(2026, 11, 1), until=date(2026, 11, 2)))
    start, end = store.asked[0]
    assert (start.isoformat(), end.isoformat()) == ("2026-11-01T00:00:00+00:00", "2026-11-03T00:00:00+00:00")


def test_since_after_until_is_invalid() -> None:
    with pytest.raises(ValidationError, match="since must not be after until"):
        ReconcileInput(since=date(2026, 11, 5), until=date(2026, 11, 1))
