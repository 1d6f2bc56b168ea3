"""Action (heavy): reconcile completed jobs, invoices and payments, and list every exception."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from actions.spec import ActionSpec, Weight
from triggers.canonical import CanonicalEvent, EventType

if TYPE_CHECKING:
    from actions.context import CompletedJob, Context, InvoiceFacts

Kind = Literal["missing_invoice", "duplicate_invoice", "amount_mismatch", "payment_mismatch", "overpaid",
               "unpaid_past_terms"]
KINDS: tuple[Kind, ...] = ("missing_invoice", "duplicate_invoice", "amount_mismatch", "payment_mismatch",
                           "overpaid", "unpaid_past_terms")
DEFAULT_DAYS = 90
MAX_LISTED = 1000


class ReconcileInput(BaseModel):
    """The period to reconcile."""

    model_config = ConfigDict(extra="forbid")

    since: date | None = Field(None, description="First day (UTC) of the period; empty: 90 days ago.")
    until: date | None = Field(None, description="Last day (UTC) of the period; empty: today.")
    invoice_grace_hours: int = Field(
        48, ge=0, le=24 * 60, description="A completed job may stay uninvoiced this long before it is flagged."
    )

    @model_validator(mode="after")
    def _ordered(self) -> ReconcileInput:
        if self.since and self.until and self.since > self.until:
            raise ValueError("since must not be after until")
        return self


class ReconciliationException(BaseModel):
    """One thing that does not add up."""

    kind: Kind = Field(description="What is wrong.")
    job_id: str | None = Field(description="The job concerned, if any.")
    job_source_id: str | None = Field(description="The job's id in the field-service system.")
    invoice_id: str | None = Field(description="The invoice concerned, if any.")
    invoice_number: str | None = Field(description="Its number.")
    expected_amount: Decimal | None = Field(description="What the amount should be.")
    actual_amount: Decimal | None = Field(description="What it is.")
    detail: str = Field(description="Plain-language explanation.")


class ReconcileOutput(BaseModel):
    """The reconciliation report."""

    period_start: date = Field(description="First day reconciled (UTC).")
    period_end: date = Field(description="Last day reconciled (UTC).")
    jobs_checked: int = Field(description="Completed jobs in the period.")
    invoices_checked: int = Field(description="Invoices compared.")
    exceptions_count: int = Field(description="How many exceptions were found.")
    counts: dict[str, int] = Field(description="Exceptions by kind.")
    exceptions: list[ReconciliationException] = Field(description="The exceptions (at most 1000 listed).")


def _missing(jobs: list[CompletedJob], by_job: dict[str, list[InvoiceFacts]], cutoff: datetime,
             grace: int) -> list[ReconciliationException]:
    return [
        ReconciliationException(
            kind="missing_invoice", job_id=j.job_id, job_source_id=j.source_id, invoice_id=None,
            invoice_number=None, expected_amount=None, actual_amount=None,
            detail=f"Completed {j.completed_at:%Y-%m-%d %H:%M} UTC and not invoiced after {grace} h"
            + (f" ({j.customer_name})." if j.customer_name else "."),
        )
        for j in jobs
        if j.job_id not in by_job and j.completed_at < cutoff
    ]


def _duplicates(by_job: dict[str, list[InvoiceFacts]], sources: dict[str, str | None]) -> list[ReconciliationException]:
    found = []
    for job_id, invoices in by_job.items():
        if len(invoices) < 2:
            continue
        numbers = ", ".join(sorted(i.number for i in invoices))
        for invoice in invoices:
            found.append(ReconciliationException(
                kind="duplicate_invoice", job_id=job_id, job_source_id=sources.get(job_id), invoice_id=invoice.id,
                invoice_number=invoice.number, expected_amount=None, actual_amount=invoice.total,
                detail=f"The job has {len(invoices)} invoices: {numbers}.",
            ))
    return found


def _invoice_checks(invoice: InvoiceFacts, now: datetime, source_id: str | None) -> list[ReconciliationException]:
    def exc(kind: Kind, expected: Decimal | None, actual: Decimal | None, detail: str) -> ReconciliationException:
        return ReconciliationException(kind=kind, job_id=invoice.job_id, job_source_id=source_id,
                                       invoice_id=invoice.id, invoice_number=invoice.number,
                                       expected_amount=expected, actual_amount=actual, detail=detail)

    found = []
    if invoice.line_sum != invoice.subtotal or invoice.subtotal + invoice.tax != invoice.total:
        found.append(exc("amount_mismatch", invoice.line_sum + invoice.tax, invoice.total,
                         f"Lines {invoice.line_sum} + tax {invoice.tax} ≠ total {invoice.total}."))
    if invoice.payments_sum != invoice.amount_paid:
        found.append(exc("payment_mismatch", invoice.payments_sum, invoice.amount_paid,
                         f"Payments add up to {invoice.payments_sum}; the invoice says {invoice.amount_paid} paid."))
    if invoice.amount_paid > invoice.total:
        found.append(exc("overpaid", invoice.total, invoice.amount_paid,
                         f"Paid {invoice.amount_paid} on a total of {invoice.total}."))
    elif invoice.status != "void" and invoice.amount_paid < invoice.total and invoice.due_at < now:
        found.append(exc("unpaid_past_terms", invoice.total, invoice.amount_paid,
                         f"Due {invoice.due_at:%Y-%m-%d}; {invoice.total - invoice.amount_paid} still open."))
    return found


def exception_event(ctx: Context, exception: ReconciliationException, now: datetime) -> CanonicalEvent:
    """The `reconciliation_exception` event: the same exception found by a later run has the same id."""
    key = ":".join([exception.kind, exception.job_id or "", exception.invoice_id or "",
                    str(exception.actual_amount if exception.actual_amount is not None else "")])
    return CanonicalEvent(event_id=f"reconcile:{key}", type=EventType.RECONCILIATION_EXCEPTION, occurred_at=now,
                          source="backbone", subject_id=exception.invoice_id or exception.job_id,
                          data={**exception.model_dump(mode="json"), "run_id": ctx.run_id})


def run(ctx: Context, data: ReconcileInput) -> ReconcileOutput:
    """Compares completed jobs, invoices and payments over the period.

    Args:
        ctx: The call's context.
        data: The validated input.

    Returns:
        Counts by kind and every exception (the first 1000 listed).
    """
    now = ctx.clock().astimezone(UTC)
    until = data.until or now.date()
    since = data.since or until - timedelta(days=DEFAULT_DAYS)
    start = datetime.combine(since, time.min, UTC)
    end = datetime.combine(until + timedelta(days=1), time.min, UTC)
    jobs = ctx.store.completed_jobs(start, end)
    invoices = ctx.store.invoice_facts([j.job_id for j in jobs], start, end)
    by_job: dict[str, list[InvoiceFacts]] = defaultdict(list)
    for invoice in invoices:
        if invoice.job_id:
            by_job[invoice.job_id].append(invoice)
    sources = {j.job_id: j.source_id for j in jobs}
    found = _missing(jobs, by_job, now - timedelta(hours=data.invoice_grace_hours), data.invoice_grace_hours)
    found += _duplicates(by_job, sources)
    for invoice in invoices:
        found += _invoice_checks(invoice, now, sources.get(invoice.job_id or ""))
    counts = Counter(e.kind for e in found)
    for exception in found[:MAX_LISTED]:
        ctx.events.emit(exception_event(ctx, exception, now))
    return ReconcileOutput(
        period_start=since, period_end=until, jobs_checked=len(jobs), invoices_checked=len(invoices),
        exceptions_count=len(found), counts={kind: counts.get(kind, 0) for kind in KINDS},
        exceptions=found[:MAX_LISTED],
    )


SAMPLE = ReconcileOutput(
    period_start=date(2026, 8, 26),
    period_end=date(2026, 11, 24),
    jobs_checked=4210,
    invoices_checked=4188,
    exceptions_count=2,
    counts={"missing_invoice": 1, "duplicate_invoice": 0, "amount_mismatch": 0, "payment_mismatch": 0,
            "overpaid": 0, "unpaid_past_terms": 1},
    exceptions=[
        ReconciliationException(
            kind="missing_invoice", job_id="0d3c5e7f9a1b4c6d8e0f2a4b6c8d0e1f", job_source_id="J-10482",
            invoice_id=None, invoice_number=None, expected_amount=None, actual_amount=None,
            detail="Completed 2026-11-20 16:42 UTC and not invoiced after 48 h (Dana Whitfield).",
        ),
        ReconciliationException(
            kind="unpaid_past_terms", job_id="7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d", job_source_id="J-10211",
            invoice_id="5b4a39281706f5e4d3c2b1a098f7e6d5", invoice_number="INV-004391",
            expected_amount=Decimal("412.80"), actual_amount=Decimal("0.00"),
            detail="Due 2026-11-02; 412.80 still open.",
        ),
    ],
)

ACTION = ActionSpec(
    key="reconcile",
    noun="Reconciliation",
    label="Reconcile Jobs, Invoices and Payments",
    help_text=(
        "Checks completed jobs against invoices and payments over a period: missing or duplicate invoices, "
        "amounts that do not add up, unpaid past terms."
    ),
    input=ReconcileInput,
    output=ReconcileOutput,
    sample=SAMPLE,
    weight=Weight.HEAVY,
    run=run,
    queue="default",
)
