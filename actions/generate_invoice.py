"""Action: turn a completed job into an invoice from the tenant's rate card, and optionally send it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Self

from pydantic import BaseModel, ConfigDict, EmailStr, Field, model_validator

from actions.context import Context, InvoiceDraft, RateCard, StoredInvoice
from actions.errors import Conflict, InputError, NotFound
from actions.pricing import Discount, FlatRateLine, TimeBand, billable_minutes, price, price_job
from actions.spec import ActionSpec, Weight
from triggers.canonical import CanonicalEvent, EventType, JobSnapshot, JobStatus

__all__ = ["ACTION", "GenerateInvoiceInput", "GenerateInvoiceOutput", "billable_minutes", "price_job", "run"]


class FlatRateItemInput(BaseModel):
    """One price-book item to bill."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    code: str = Field(min_length=1, max_length=40, description="The item's code in your rate card's price book.")
    quantity: Decimal = Field(
        Decimal(1), gt=0, le=1000, max_digits=8, decimal_places=3, description="How many to bill (default 1)."
    )


class DiscountInput(BaseModel):
    """Money off the invoice, before tax: a percent or a fixed amount, and why."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    percent: Decimal | None = Field(
        None, gt=0, le=100, max_digits=5, decimal_places=2, description="Percent off the invoice (e.g. 10)."
    )
    amount: Decimal | None = Field(
        None, gt=0, max_digits=10, decimal_places=2, description="Fixed amount off (capped at the invoice's sum)."
    )
    reason: str = Field(min_length=1, max_length=200, description="Why (printed on the invoice).")

    @model_validator(mode="after")
    def _one_kind(self) -> Self:
        if (self.percent is None) == (self.amount is None):
            raise ValueError("Give either a percent or an amount off, not both and not neither.")
        return self


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
    skill: str | None = Field(
        None, max_length=60, description="Skill to bill the labour at (your rate card's rates); empty: the job's."
    )
    time_band: TimeBand | None = Field(
        None,
        description="regular, after_hours or emergency; empty: emergency for P1 jobs, after_hours when the work "
        "started outside your business hours (your time zone), else regular.",
    )
    bill_labour: bool = Field(True, description="Turn off for flat-rate jobs whose items include the labour.")
    flat_rate_items: list[FlatRateItemInput] = Field(
        default_factory=list, max_length=50, description="Price-book items to bill, by code."
    )
    discount: DiscountInput | None = Field(None, description="Money off before tax, with a reason.")
    notes: str | None = Field(None, max_length=1000, description="Note printed on the invoice.")
    due_in_days: int | None = Field(
        None, ge=0, le=365, description="Days until due; empty uses the rate card's terms."
    )
    send: bool = Field(False, description="Email the invoice to the customer once it is created.")
    email: EmailStr | None = Field(None, description="Send it to this address instead of the customer's.")


class InvoiceLineOutput(BaseModel):
    """One line of the invoice."""

    kind: str = Field(description="labour, flat_rate, trip, part or discount.")
    description: str = Field(description="What the line bills.")
    quantity: Decimal = Field(description="Hours for labour, units for the rest.")
    unit_price: Decimal = Field(description="Price per unit before tax (negative for a discount).")
    amount: Decimal = Field(description="quantity x unit price, rounded to the cent.")
    taxable: bool = Field(True, description="Whether tax is charged on the line.")


class GenerateInvoiceOutput(BaseModel):
    """The invoice, as stored in the accounting system."""

    invoice_id: str = Field(description="Backbone invoice id.")
    invoice_number: str = Field(description="Invoice number shown to the customer.")
    job_id: str = Field(description="The job invoiced.")
    customer_id: str | None = Field(description="The customer billed.")
    status: str = Field(description="Invoice status (draft until sent, then sent).")
    currency: str = Field(description="ISO 4217 currency code.")
    lines: list[InvoiceLineOutput] = Field(description="The invoice lines.")
    subtotal: Decimal = Field(description="Sum of the lines (after any discount).")
    tax: Decimal = Field(description="Tax on the taxable lines.")
    total: Decimal = Field(description="Subtotal plus tax.")
    issued_at: datetime = Field(description="Issue time (UTC).")
    due_at: datetime = Field(description="Due time (UTC).")
    accounting_system: str = Field(description="Where the invoice was created.")
    accounting_id: str | None = Field(description="The invoice's id in that system.")
    created: bool = Field(description="False when the job already had this invoice.")
    sent_at: datetime | None = Field(None, description="When it was emailed to the customer (UTC); empty if not.")
    payment_link: str | None = Field(None, description="Where the customer pays online, once sent (if offered).")


def _labour_minutes(job: JobSnapshot, data: GenerateInvoiceInput) -> Decimal:
    if not data.bill_labour:
        return Decimal(0)
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
                taxable=line.taxable,
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
        sent_at=invoice.sent_at,
        payment_link=invoice.payment_link,
    )


def _flat_rate(card: RateCard, data: GenerateInvoiceInput) -> list[FlatRateLine]:
    book = card.flat_rate_items
    lines = []
    for n, item in enumerate(data.flat_rate_items):
        if item.code.upper() not in book:
            known = ", ".join(sorted(book)[:20]) or "none yet"
            raise InputError(f"flat_rate_items.{n}.code",
                             f"{item.code!r} is not in your rate card's price book (codes: {known}).")
        lines.append(FlatRateLine(code=item.code.upper(), quantity=item.quantity))
    return lines


def _create(ctx: Context, job: JobSnapshot, data: GenerateInvoiceInput) -> StoredInvoice:
    card = ctx.store.get_rate_card()
    discount = None
    if data.discount is not None:
        discount = Discount(reason=data.discount.reason, percent=data.discount.percent, amount=data.discount.amount)
    # A visit booked from a service contract is billed at the contract's price per visit.
    visit = ctx.contracts.visit_for_job(job.job_id)
    contract_price = visit.price if visit is not None and visit.price > 0 else None
    minutes = Decimal(0) if contract_price is not None else _labour_minutes(job, data)
    priced = price(job, card, minutes, timezone=ctx.timezone, skill=data.skill,
                   band=data.time_band, bill_labour=data.bill_labour, flat_rate=_flat_rate(card, data),
                   discount=discount, contract_price=contract_price)
    if not priced.lines:
        raise InputError("flat_rate_items", "Nothing to bill: bill labour or add flat-rate items.")
    issued_at = ctx.clock().astimezone(UTC)
    terms = card.payment_terms_days if data.due_in_days is None else data.due_in_days
    draft = InvoiceDraft(
        job_id=job.job_id,
        customer_id=job.customer.id,
        currency=card.currency,
        lines=priced.lines,
        subtotal=priced.subtotal,
        tax=priced.tax,
        total=priced.subtotal + priced.tax,
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
    return invoice


def _send(ctx: Context, invoice: StoredInvoice, email: str | None, *, created: bool) -> StoredInvoice:
    if invoice.created_by_run_id is None or invoice.source_id is None:
        raise Conflict(f"Invoice {invoice.number} was made in {invoice.source}, not by Backbone: send it from there.")
    # Derived from the run's key: a replay of this run finds the first send instead of emailing again.
    sent = ctx.accounting.send_invoice(invoice.source_id, email, f"invoice-send:{ctx.idempotency_key}")
    invoice = ctx.store.mark_invoice_sent(invoice.id, sent, email)
    ctx.events.emit(
        CanonicalEvent(
            # The accounting system's own id for this send, when it has a change feed: its webhook
            # about the same send is then recognised, and invoice_sent fires once.
            event_id=sent.event_id or f"invoice.sent:{invoice.id}",
            type=EventType.INVOICE_SENT,
            occurred_at=sent.sent_at,
            source="backbone",
            source_id=invoice.id,
            subject_id=invoice.id,
            data={"invoice": _output(invoice, created=created).model_dump(mode="json")},
        )
    )
    return invoice


def run(ctx: Context, data: GenerateInvoiceInput) -> GenerateInvoiceOutput:
    """Prices a completed job, creates the invoice in accounting, stores it and, if asked, sends it.

    One job has at most one invoice: a second call for the same job answers with the first
    invoice (`created` false), sending it if asked and not sent yet. The accounting create and
    send carry request ids derived from the run's idempotency key, so a replay never creates a
    second invoice or emails the customer twice.

    Args:
        ctx: The call's context.
        data: The validated input.

    Returns:
        The invoice.

    Raises:
        NotFound: The job does not exist for this tenant.
        InputError: The job is not completed, there is no time to bill, a flat-rate code is unknown,
            or there is no address to send to.
        Conflict: The job's invoice was made outside Backbone and cannot be sent from here.
        UpstreamUnavailable: The accounting system is down.
    """
    job = ctx.store.get_job(data.job_id)
    if job is None:
        raise NotFound("job_id", f"No job with id {data.job_id!r} in this account.")
    if job.status != JobStatus.COMPLETED:
        raise InputError(
            "job_id", f"Job {data.job_id} is not completed yet (status: {job.status.value})."
        )
    email = str(data.email) if data.email else job.customer.email
    if data.send and not email:
        raise InputError("email", "The customer has no email address on file: enter one to send the invoice to.")
    existing = ctx.store.find_invoice_for_job(job.job_id)
    created = existing is None
    invoice = existing if existing is not None else _create(ctx, job, data)
    if data.send and invoice.sent_at is None:
        invoice = _send(ctx, invoice, email, created=created)
    return _output(invoice, created=created)


SAMPLE = GenerateInvoiceOutput(
    invoice_id="5b4a39281706f5e4d3c2b1a098f7e6d5",
    invoice_number="INV-004812",
    job_id="0d3c5e7f9a1b4c6d8e0f2a4b6c8d0e1f",
    customer_id="a1b2c3d4e5f60718293a4b5c6d7e8f90",
    status="sent",
    currency="USD",
    lines=[
        InvoiceLineOutput(
            kind="labour",
            description="Labour: repair, hvac, after-hours (90 min)",
            quantity=Decimal("1.500"),
            unit_price=Decimal("165.0000"),
            amount=Decimal("247.50"),
        ),
        InvoiceLineOutput(
            kind="flat_rate",
            description="Furnace tune-up (TUNEUP)",
            quantity=Decimal("1"),
            unit_price=Decimal("89.00"),
            amount=Decimal("89.00"),
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
        InvoiceLineOutput(
            kind="discount",
            description="Discount 10%: Service plan member",
            quantity=Decimal("1"),
            unit_price=Decimal("-41.03"),
            amount=Decimal("-41.03"),
            taxable=False,
        ),
    ],
    subtotal=Decimal("369.31"),
    tax=Decimal("30.47"),
    total=Decimal("399.78"),
    issued_at=datetime(2026, 11, 24, 16, 45, tzinfo=UTC),
    due_at=datetime(2026, 12, 24, 16, 45, tzinfo=UTC),
    accounting_system="quickbooks",
    accounting_id="145",
    created=True,
    sent_at=datetime(2026, 11, 24, 16, 45, 3, tzinfo=UTC),
    payment_link="https://connect.intuit.com/portal/app/CommerceNetwork/view/scs-v1-5f0c2e8b1a9d4c7e",
)

ACTION = ActionSpec(
    key="generate_invoice",
    noun="Invoice",
    label="Generate Invoice",
    help_text=(
        "Invoices a completed job from your rate card (skill, after-hours and emergency rates, flat-rate "
        "items, trip, parts, discount, tax) in your accounting system; can email it with a payment link."
    ),
    input=GenerateInvoiceInput,
    output=GenerateInvoiceOutput,
    sample=SAMPLE,
    weight=Weight.FAST,
    run=run,
)
