"""Action: turn a completed job into an invoice from the tenant's rate card."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

from pydantic import BaseModel, ConfigDict, Field

from actions.context import Context, InvoiceDraft, InvoiceLineDraft, RateCard, StoredInvoice
from actions.errors import InputError, NotFound
from actions.spec import ActionSpec, Weight
from triggers.canonical import CanonicalEvent, EventType, JobSnapshot, JobStatus

CENT = Decimal("0.01")


class GenerateInvoiceInput(BaseModel):
    """What the Zap step sends."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    job_id: str = Field(
        min_length=1, max_length=64, description="Backbone id of a completed job (from a trigger)."
    )
    labour_hours: Decimal | None = Field(
        None,
        ge=0,
        le=24,
        max_digits=6,
        decimal_places=2,
        description="Hours to bill; leave empty to bill the time on site.",
    )
    notes: str | None = Field(None, max_length=1000, description="Note printed on the invoice.")
    due_in_days: int | None = Field(
        None, ge=0, le=365, description="Days until due; empty uses the rate card's terms."
    )


class InvoiceLineOutput(BaseModel):
    """One line of the invoice."""

    kind: str = Field(description="labour, trip or part.")
    description: str = Field(description="What the line bills.")
    quantity: Decimal = Field(description="Hours for labour, units for parts.")
    unit_price: Decimal = Field(description="Price per unit before tax.")
    amount: Decimal = Field(description="quantity x unit price, rounded to the cent.")


class GenerateInvoiceOutput(BaseModel):
    """The invoice, as stored in the accounting system."""

    invoice_id: str = Field(description="Backbone invoice id.")
    invoice_number: str = Field(description="Invoice number shown to the customer.")
    job_id: str = Field(description="The job invoiced.")
    customer_id: str | None = Field(description="The customer billed.")
    status: str = Field(description="Invoice status (draft until sent).")
    currency: str = Field(description="ISO 4217 currency code.")
    lines: list[InvoiceLineOutput] = Field(description="The invoice lines.")
    subtotal: Decimal = Field(description="Sum of the lines.")
    tax: Decimal = Field(description="Tax on the taxable lines.")
    total: Decimal = Field(description="Subtotal plus tax.")
    issued_at: datetime = Field(description="Issue time (UTC).")
    due_at: datetime = Field(description="Due time (UTC).")
    accounting_system: str = Field(description="Where the invoice was created.")
    accounting_id: str | None = Field(description="The invoice's id in that system.")
    created: bool = Field(description="False when the job already had this invoice.")


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def billable_minutes(minutes: Decimal, card: RateCard) -> int:
    """Minutes to bill: rounded up to the card's increment, at least its minimum.

    Args:
        minutes: Minutes worked (may be fractional).
        card: The rate card.

    Returns:
        Whole minutes to bill.
    """
    step = max(1, card.labour_increment_minutes)
    # Decimal's // truncates toward zero, so round the quotient up explicitly.
    steps = int((Decimal(minutes) / step).to_integral_value(rounding=ROUND_CEILING))
    return max(card.minimum_labour_minutes, steps * step)


def price_job(
    job: JobSnapshot, card: RateCard, labour_minutes: Decimal
) -> tuple[tuple[InvoiceLineDraft, ...], Decimal, Decimal]:
    """Invoice lines, subtotal and tax for a job; each line is rounded once, to the cent.

    Args:
        job: The completed job.
        card: The tenant's rate card.
        labour_minutes: Minutes of labour before rounding to the card's increment.

    Returns:
        The lines, the subtotal and the tax.
    """
    lines: list[InvoiceLineDraft] = []
    minutes = billable_minutes(labour_minutes, card)
    if minutes > 0:
        lines.append(
            InvoiceLineDraft(
                kind="labour",
                description=f"Labour: {job.job_type} ({minutes} min)",
                quantity=(Decimal(minutes) / 60).quantize(Decimal("0.001"), ROUND_HALF_UP),
                unit_price=card.labour_rate_per_hour,
                amount=_money(card.labour_rate_per_hour * minutes / 60),
            )
        )
    if card.trip_charge > 0:
        lines.append(
            InvoiceLineDraft(
                kind="trip",
                description="Trip charge",
                quantity=Decimal(1),
                unit_price=card.trip_charge,
                amount=_money(card.trip_charge),
            )
        )
    markup = 1 + card.parts_markup_percent / 100
    for part in job.parts:
        unit_price = part.unit_cost * markup
        lines.append(
            InvoiceLineDraft(
                kind="part",
                description=f"{part.description} ({part.sku})",
                quantity=part.quantity,
                unit_price=unit_price.quantize(Decimal("0.0001"), ROUND_HALF_UP),
                amount=_money(part.quantity * unit_price),
            )
        )
    subtotal = sum((line.amount for line in lines), Decimal(0))
    taxable = sum((line.amount for line in lines if line.taxable), Decimal(0))
    tax = _money(taxable * card.tax_rate_percent / 100)
    return tuple(lines), subtotal, tax


def _labour_minutes(job: JobSnapshot, data: GenerateInvoiceInput) -> Decimal:
    if data.labour_hours is not None:
        return data.labour_hours * 60
    if job.arrived_at is None or job.completed_at is None:
        raise InputError(
            "labour_hours",
            "The job has no arrival time to bill from: enter the labour hours to bill.",
        )
    return Decimal(int((job.completed_at - job.arrived_at).total_seconds())) / 60


def _output(invoice: StoredInvoice, *, created: bool) -> GenerateInvoiceOutput:
    return GenerateInvoiceOutput(
        invoice_id=invoice.id,
        invoice_number=invoice.number,
        job_id=invoice.job_id or "",
        customer_id=invoice.customer_id,
        status=invoice.status,
        currency=invoice.currency,
        lines=[
            InvoiceLineOutput(
                kind=line.kind,
                description=line.description,
                quantity=line.quantity,
                unit_price=line.unit_price,
                amount=line.amount,
            )
            for line in invoice.lines
        ],
        subtotal=invoice.subtotal,
        tax=invoice.tax,
        total=invoice.total,
        issued_at=invoice.issued_at,
        due_at=invoice.due_at,
        accounting_system=invoice.source,
        accounting_id=invoice.source_id,
        created=created,
    )


def run(ctx: Context, data: GenerateInvoiceInput) -> GenerateInvoiceOutput:
    """Prices a completed job, creates the invoice in accounting and stores it.

    One job has at most one invoice: a second call for the same job answers with the first
    invoice (`created` false). The accounting create carries a request id derived from the
    run's idempotency key, so a replay never creates a second invoice there either.

    Args:
        ctx: The call's context.
        data: The validated input.

    Returns:
        The invoice.

    Raises:
        NotFound: The job does not exist for this tenant.
        InputError: The job is not completed, or there is no time to bill.
        UpstreamUnavailable: The accounting system is down.
    """
    job = ctx.store.get_job(data.job_id)
    if job is None:
        raise NotFound("job_id", f"No job with id {data.job_id!r} in this account.")
    if job.status != JobStatus.COMPLETED:
        raise InputError(
            "job_id", f"Job {data.job_id} is not completed yet (status: {job.status.value})."
        )
    existing = ctx.store.find_invoice_for_job(job.job_id)
    if existing is not None:
        return _output(existing, created=False)

    card = ctx.store.get_rate_card()
    lines, subtotal, tax = price_job(job, card, _labour_minutes(job, data))
    issued_at = ctx.clock().astimezone(UTC)
    terms = card.payment_terms_days if data.due_in_days is None else data.due_in_days
    draft = InvoiceDraft(
        job_id=job.job_id,
        customer_id=job.customer.id,
        currency=card.currency,
        lines=lines,
        subtotal=subtotal,
        tax=tax,
        total=subtotal + tax,
        issued_at=issued_at,
        due_at=issued_at + timedelta(days=terms),
        notes=data.notes,
    )
    # The accounting system numbers the invoice: a number is never handed out twice, even when a
    # create succeeded remotely but the run failed and is replayed (the request id finds it again).
    receipt = ctx.accounting.create_invoice(f"invoice:{ctx.idempotency_key}", draft)
    invoice = ctx.store.save_invoice(draft, receipt, ctx.run_id)
    ctx.events.emit(
        CanonicalEvent(
            event_id=f"invoice.created:{invoice.id}",
            type=EventType.INVOICE_CREATED,
            occurred_at=issued_at,
            source="backbone",
            source_id=invoice.id,
            subject_id=invoice.id,
            data={"invoice": _output(invoice, created=True).model_dump(mode="json")},
        )
    )
    return _output(invoice, created=True)


SAMPLE = GenerateInvoiceOutput(
    invoice_id="5b4a39281706f5e4d3c2b1a098f7e6d5",
    invoice_number="INV-004812",
    job_id="0d3c5e7f9a1b4c6d8e0f2a4b6c8d0e1f",
    customer_id="a1b2c3d4e5f60718293a4b5c6d7e8f90",
    status="draft",
    currency="USD",
    lines=[
        InvoiceLineOutput(
            kind="labour",
            description="Labour: repair (90 min)",
            quantity=Decimal("1.500"),
            unit_price=Decimal("95.00"),
            amount=Decimal("142.50"),
        ),
        InvoiceLineOutput(
            kind="trip",
            description="Trip charge",
            quantity=Decimal("1"),
            unit_price=Decimal("49.00"),
            amount=Decimal("49.00"),
        ),
        InvoiceLineOutput(
            kind="part",
            description="Flame sensor (FS-100)",
            quantity=Decimal("1"),
            unit_price=Decimal("24.8400"),
            amount=Decimal("24.84"),
        ),
    ],
    subtotal=Decimal("216.34"),
    tax=Decimal("17.85"),
    total=Decimal("234.19"),
    issued_at=datetime(2026, 11, 24, 16, 45, tzinfo=UTC),
    due_at=datetime(2026, 12, 24, 16, 45, tzinfo=UTC),
    accounting_system="sandbox",
    accounting_id="6c1d0e2f3a4b5c6d7e8f9a0b1c2d3e4f",
    created=True,
)

ACTION = ActionSpec(
    key="generate_invoice",
    noun="Invoice",
    label="Generate Invoice",
    help_text=(
        "Creates the invoice for a completed job from your rate card (labour, trip charge, "
        "parts with markup, tax) in your accounting system."
    ),
    input=GenerateInvoiceInput,
    output=GenerateInvoiceOutput,
    sample=SAMPLE,
    weight=Weight.FAST,
    run=run,
)
