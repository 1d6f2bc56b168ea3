"""Bills the sandbox seed's completed jobs: invoices priced from the rate card, and payments.

A few invoices are never sent, or sent late, and some payments are partial or late, so the
rule triggers and KPI screens have something to show. Everything is drawn from the seed's
random stream, so the same seed and `now` give the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from actions.generate_invoice import price_job
from connector.db.base import new_id
from triggers.canonical import JobSnapshot, JobStatus, PartUsed

if TYPE_CHECKING:
    import random

    from actions.context import RateCard

SOURCE = "sandbox"  # the source of every row the seed inserts
DAY = 24 * 60  # minutes

Row = dict[str, Any]


@dataclass(frozen=True)
class BillingContext:
    """The seed's random stream, tenant, `now` (UTC) and the tenant's rate card."""

    rng: random.Random
    tenant_id: str
    now: datetime
    card: RateCard


def minutes(n: float) -> timedelta:
    """`n` minutes as a timedelta."""
    return timedelta(minutes=n)


def _invoice_times(rng: random.Random, done: datetime) -> tuple[datetime, datetime | None] | None:
    """When the invoice was issued and sent; None for a job never invoiced."""
    roll = rng.random()
    if roll < 0.006:
        return None  # so "invoice not sent 48 h after completion" has work to do
    if roll < 0.012:
        return done + minutes(rng.randint(10, 120)), None  # a draft nobody sent
    if roll < 0.10:
        issued = done + minutes(rng.randint(49 * 60, 240 * 60))  # invoiced late
    elif roll < 0.25:
        issued = done + minutes(rng.randint(12 * 60, 40 * 60))  # the next day
    else:
        issued = done + minutes(rng.randint(5, 180))  # from the truck, the same day
    return issued, issued + minutes(rng.randint(1, 30))


def _payments(
    ctx: BillingContext, total: Decimal, sent: datetime
) -> list[tuple[datetime, Decimal, str]]:
    rng, terms = ctx.rng, ctx.card.payment_terms_days
    roll = rng.random()
    if roll < 0.5:
        plan = [(sent + minutes(rng.randint(1, 240)), total, "card")]
    elif roll < 0.75:
        method = rng.choice(("ach", "check"))
        plan = [(sent + minutes(rng.randint(DAY, max(DAY, terms * DAY))), total, method)]
    elif roll < 0.83:  # paid after the due date
        late = sent + minutes(rng.randint((terms + 1) * DAY, (terms + 40) * DAY))
        plan = [(late, total, "check")]
    elif roll < 0.9:  # a deposit, and maybe the rest later
        first = (total * rng.randint(30, 70) / 100).quantize(Decimal("0.01"), ROUND_HALF_UP)
        plan = [(sent + minutes(rng.randint(1, 3 * DAY)), first, "card")]
        if rng.random() < 0.6:
            later = sent + minutes(rng.randint(10 * DAY, (terms + 30) * DAY))
            plan.append((later, total - first, "check"))
    else:
        plan = []
    return [payment for payment in plan if payment[0] <= ctx.now]


def _snapshot(job: Row, parts: list[Row]) -> JobSnapshot:
    # model_construct: these values are ours and valid; validating 10k snapshots is waste.
    fields = ("sku", "description", "quantity", "unit_cost")
    used = [PartUsed.model_construct(**{k: part[k] for k in fields}) for part in parts]
    return JobSnapshot.model_construct(
        job_id=job["id"], source=SOURCE, source_id=job["source_id"], status=JobStatus.COMPLETED,
        job_type=job["job_type"], priority=job["priority"], description=job["description"],
        arrived_at=job["arrived_at"], completed_at=job["completed_at"], parts=used,
    )


def _invoice_status(sent: datetime | None, paid: Decimal, total: Decimal, overdue: bool) -> str:
    if sent is None:
        return "draft"
    if paid >= total:
        return "paid"
    if paid > 0:
        return "partially_paid"
    return "overdue" if overdue else "sent"


def _invoice(
    ctx: BillingContext,
    number: str,
    job: Row,
    parts: list[Row],
    times: tuple[datetime, datetime | None],
) -> tuple[Row, list[Row], list[Row]]:
    (issued, sent), invoice_id, tenant_id = times, new_id(), ctx.tenant_id
    on_site = Decimal(int((job["completed_at"] - job["arrived_at"]).total_seconds())) / 60
    lines, subtotal, tax = price_job(_snapshot(job, parts), ctx.card, on_site)
    total, due = subtotal + tax, issued + timedelta(days=ctx.card.payment_terms_days)
    payments = _payments(ctx, total, sent) if sent is not None else []
    paid = sum((amount for _, amount, _ in payments), Decimal(0))
    invoice = {
        "id": invoice_id, "tenant_id": tenant_id, "source": SOURCE, "source_id": number,
        "job_id": job["id"], "customer_id": job["customer_id"], "number": number,
        "status": _invoice_status(sent, paid, total, ctx.now > due), "currency": ctx.card.currency,
        "subtotal": subtotal, "tax": tax, "total": total, "amount_paid": paid,
        "issued_at": issued, "due_at": due, "sent_at": sent,
        "paid_at": payments[-1][0] if payments and paid >= total else None,
        "created_at": issued, "created_by_run_id": None, "details": {},
    }  # fmt: skip
    line_rows = [
        {"id": new_id(), "tenant_id": tenant_id, "invoice_id": invoice_id, "position": position,
         "kind": line.kind, "description": line.description, "quantity": line.quantity,
         "unit_price": line.unit_price, "amount": line.amount, "taxable": line.taxable}
        for position, line in enumerate(lines, 1)
    ]  # fmt: skip
    payment_rows = [
        {"id": new_id(), "tenant_id": tenant_id, "source": SOURCE, "source_id": None,
         "invoice_id": invoice_id, "amount": amount, "method": method, "received_at": at}
        for at, amount, method in payments
    ]  # fmt: skip
    return invoice, line_rows, payment_rows


def bill(
    ctx: BillingContext, completed: list[tuple[Row, list[Row]]], first_number: int
) -> tuple[list[Row], list[Row], list[Row]]:
    """Invoice, line and payment rows for completed jobs (each with its parts) as of `ctx.now`.

    Invoices are numbered from `first_number` in issue order, payments from PAY-000001 in
    the order received.
    """
    planned = []
    for index, (job, parts) in enumerate(completed):
        times = _invoice_times(ctx.rng, job["completed_at"])
        if times is not None and times[0] <= ctx.now:
            sent = times[1] if times[1] is not None and times[1] <= ctx.now else None
            planned.append((times[0], index, job, parts, sent))
    planned.sort(key=lambda p: (p[0], p[1]))  # invoice numbers follow issue order
    invoices: list[Row] = []
    lines: list[Row] = []
    payments: list[tuple[datetime, str, Row]] = []
    for n, (issued, _, job, parts, sent) in enumerate(planned, first_number):
        number = f"INV-{n:06d}"
        invoice, more_lines, more_payments = _invoice(ctx, number, job, parts, (issued, sent))
        invoices.append(invoice)
        lines.extend(more_lines)
        payments.extend((p["received_at"], invoice["number"], p) for p in more_payments)
    payments.sort(key=lambda p: (p[0], p[1]))
    for n, (_, _, payment) in enumerate(payments, 1):
        payment["source_id"] = f"PAY-{n:06d}"
    return invoices, lines, [payment for _, _, payment in payments]
