"""The rate card applied to a job: labour by skill and time band, flat-rate items, trip, parts, discount, tax.

Every amount is a Decimal, and every line is rounded once, to the cent, from its exact product
(never from a rounded unit price). The rules:

* Labour: the hourly rate of the job's skill (`RateCard.skill_rates`, else `labour_rate_per_hour`)
  times the time band's multiplier: emergency (a P1 job) > after-hours (the work started outside
  the card's business hours, in the tenant's local time) > regular. Billed minutes are rounded
  up to the card's increment, with the card's minimum.
* Flat-rate items: the price book's price times the quantity.
* Parts: cost plus the card's markup. Trip charge: once per invoice.
* Discount: a percent of, or a fixed amount off, the sum of the lines, applied before tax and
  never below zero. Tax falls on the taxable share of what is left: the discount reduces the
  taxable and the untaxed lines in proportion to their amounts.
* Tax: the card's rate on that taxable amount, rounded once.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from actions.context import InvoiceLineDraft

if TYPE_CHECKING:
    from collections.abc import Sequence

    from actions.context import RateCard
    from triggers.canonical import JobSnapshot

CENT = Decimal("0.01")
UNIT_PRICE = Decimal("0.0001")
HOURS = Decimal("0.001")
#: Priorities billed at the emergency rate.
EMERGENCY_PRIORITIES = frozenset({"P1"})


class TimeBand(enum.StrEnum):
    """When the labour was done, as the rate card prices it."""

    REGULAR = "regular"
    AFTER_HOURS = "after_hours"
    EMERGENCY = "emergency"


BAND_LABELS = {TimeBand.REGULAR: "regular", TimeBand.AFTER_HOURS: "after-hours", TimeBand.EMERGENCY: "emergency"}


@dataclass(frozen=True)
class FlatRateLine:
    """A price-book code and how many of it to bill."""

    code: str
    quantity: Decimal


@dataclass(frozen=True)
class Discount:
    """Money off before tax: a percent of the lines' sum, or a fixed amount (exactly one is set)."""

    reason: str
    percent: Decimal | None = None
    amount: Decimal | None = None


@dataclass(frozen=True)
class Priced:
    """An invoice's lines and totals."""

    lines: tuple[InvoiceLineDraft, ...]
    subtotal: Decimal
    tax: Decimal
    band: TimeBand


def money(value: Decimal) -> Decimal:
    """Rounded half up to the cent."""
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


def zone(name: str) -> ZoneInfo:
    """The IANA zone, UTC when the name is unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def in_business_hours(moment: datetime, card: RateCard, timezone: str) -> bool:
    """Whether an instant falls in the card's business hours, read on the tenant's local clock.

    Args:
        moment: An aware instant.
        card: The rate card (business days and hours).
        timezone: The tenant's IANA time zone.

    Returns:
        True on a business day, at or after the start and before the end.
    """
    local = moment.astimezone(zone(timezone))
    return local.isoweekday() in card.business_days and card.business_start <= local.time() < card.business_end


def work_started(job: JobSnapshot, labour_minutes: Decimal) -> datetime | None:
    """When the work started: the arrival, else the completion less the labour, else the booking."""
    if job.arrived_at is not None:
        return job.arrived_at
    if job.completed_at is not None:
        return job.completed_at - timedelta(minutes=float(labour_minutes))
    return job.scheduled_start


def time_band(job: JobSnapshot, card: RateCard, timezone: str, labour_minutes: Decimal) -> TimeBand:
    """The band the job's labour is billed in (emergency wins over after-hours).

    Args:
        job: The job.
        card: The rate card.
        timezone: The tenant's IANA time zone.
        labour_minutes: The labour, for a job without an arrival time.

    Returns:
        EMERGENCY for a P1 job; AFTER_HOURS when the work started outside business hours; else REGULAR.
    """
    if job.priority.strip().upper() in EMERGENCY_PRIORITIES:
        return TimeBand.EMERGENCY
    started = work_started(job, labour_minutes)
    if started is not None and not in_business_hours(started, card, timezone):
        return TimeBand.AFTER_HOURS
    return TimeBand.REGULAR


def labour_rate(card: RateCard, skill: str | None, band: TimeBand) -> Decimal:
    """The hourly rate: the skill's rate (else the default) times the band's multiplier."""
    base = card.skill_rates.get((skill or "").strip().lower(), card.labour_rate_per_hour)
    multiplier = {TimeBand.REGULAR: Decimal(1), TimeBand.AFTER_HOURS: card.after_hours_multiplier,
                  TimeBand.EMERGENCY: card.emergency_multiplier}[band]
    return base * multiplier


def _labour_line(job: JobSnapshot, card: RateCard, minutes: int, skill: str | None,
                 band: TimeBand) -> InvoiceLineDraft:
    rate = labour_rate(card, skill, band)
    known_skill = skill if skill and skill.strip().lower() in card.skill_rates else None
    what = ", ".join([job.job_type, *([known_skill.strip()] if known_skill else []),
                      *([BAND_LABELS[band]] if band != TimeBand.REGULAR else [])])
    return InvoiceLineDraft(
        kind="labour",
        description=f"Labour: {what} ({minutes} min)",
        quantity=(Decimal(minutes) / 60).quantize(HOURS, ROUND_HALF_UP),
        unit_price=rate.quantize(UNIT_PRICE, ROUND_HALF_UP),
        amount=money(rate * minutes / 60),
        taxable=card.labour_taxable,
    )


def _discount_line(discount: Discount, gross: Decimal) -> InvoiceLineDraft:
    if discount.percent is not None:
        wanted = money(gross * discount.percent / 100)
        label = f"Discount {discount.percent.normalize():f}%: {discount.reason}"
    else:
        wanted = money(discount.amount or Decimal(0))
        label = f"Discount: {discount.reason}"
    off = min(wanted, gross)
    if off < wanted:
        label += f" (capped at the {gross:f} invoiced)"
    return InvoiceLineDraft(kind="discount", description=label[:300], quantity=Decimal(1), unit_price=-off,
                            amount=-off, taxable=False)


def price_job(
    job: JobSnapshot,
    card: RateCard,
    labour_minutes: Decimal,
    *,
    timezone: str = "UTC",
    skill: str | None = None,
    band: TimeBand | None = None,
    bill_labour: bool = True,
    flat_rate: Sequence[FlatRateLine] = (),
    discount: Discount | None = None,
) -> tuple[tuple[InvoiceLineDraft, ...], Decimal, Decimal]:
    """Invoice lines, subtotal and tax for a job; each line is rounded once, to the cent.

    Args:
        job: The completed job.
        card: The tenant's rate card.
        labour_minutes: Minutes of labour before rounding to the card's increment.
        timezone: The tenant's IANA time zone (business hours are local).
        skill: The skill billed (default: the job's).
        band: The time band (default: from the job's priority and start time).
        bill_labour: False bills no labour line (a flat-rate job).
        flat_rate: Price-book codes and quantities; every code must be on the card.
        discount: Money off before tax.

    Returns:
        The lines, the subtotal (after the discount) and the tax.

    Raises:
        KeyError: A flat-rate code is not on the card's price book.
    """
    priced = price(job, card, labour_minutes, timezone=timezone, skill=skill, band=band, bill_labour=bill_labour,
                   flat_rate=flat_rate, discount=discount)
    return priced.lines, priced.subtotal, priced.tax


def price(
    job: JobSnapshot,
    card: RateCard,
    labour_minutes: Decimal,
    *,
    timezone: str = "UTC",
    skill: str | None = None,
    band: TimeBand | None = None,
    bill_labour: bool = True,
    flat_rate: Sequence[FlatRateLine] = (),
    discount: Discount | None = None,
    contract_price: Decimal | None = None,
) -> Priced:
    """Like `price_job`, also saying which time band the labour was billed in.

    `contract_price`: the job is a visit of a service contract, billed at the contract's price per
    visit instead of labour and the trip charge (parts used are billed as usual).
    """
    band = band or time_band(job, card, timezone, labour_minutes)
    skill = skill if skill is not None else job.skill
    lines: list[InvoiceLineDraft] = []
    if contract_price is not None:
        lines.append(InvoiceLineDraft(kind="contract", description=f"Service contract visit: {job.job_type}"[:300],
                                      quantity=Decimal(1), unit_price=contract_price, amount=money(contract_price),
                                      taxable=card.labour_taxable))
    minutes = billable_minutes(labour_minutes, card) if bill_labour and contract_price is None else 0
    if minutes > 0:
        lines.append(_labour_line(job, card, minutes, skill, band))
    for item in flat_rate:
        entry = card.flat_rate_items[item.code.strip().upper()]
        lines.append(InvoiceLineDraft(
            kind="flat_rate", description=f"{entry.description} ({item.code.strip().upper()})"[:300],
            quantity=item.quantity, unit_price=entry.price, amount=money(item.quantity * entry.price),
            taxable=entry.taxable,
        ))
    if card.trip_charge > 0 and contract_price is None:
        lines.append(InvoiceLineDraft(kind="trip", description="Trip charge", quantity=Decimal(1),
                                      unit_price=card.trip_charge, amount=money(card.trip_charge),
                                      taxable=card.trip_taxable))
    markup = 1 + card.parts_markup_percent / 100
    for part in job.parts:
        unit_price = part.unit_cost * markup
        lines.append(InvoiceLineDraft(
            kind="part", description=f"{part.description} ({part.sku})"[:300], quantity=part.quantity,
            unit_price=unit_price.quantize(UNIT_PRICE, ROUND_HALF_UP), amount=money(part.quantity * unit_price),
            taxable=card.parts_taxable,
        ))
    gross = sum((line.amount for line in lines), Decimal(0))
    taxable = sum((line.amount for line in lines if line.taxable), Decimal(0))
    subtotal = gross
    if discount is not None:
        off = _discount_line(discount, gross)
        lines.append(off)
        subtotal = gross + off.amount
        # The discount lowers the taxed and the untaxed lines in proportion.
        taxable = taxable * subtotal / gross if gross else Decimal(0)
    tax = money(taxable * card.tax_rate_percent / 100)
    return Priced(tuple(lines), subtotal, tax, band)
