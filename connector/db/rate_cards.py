"""The rate card row as actions see it, and the send recorded on a stored invoice."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from actions.context import FlatRateItem, RateCard

if TYPE_CHECKING:
    from actions.context import SentInvoice
    from connector.db.models import Invoice
    from connector.db.models import RateCard as RateCardRow


def _decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def skill_rates(raw: Any) -> dict[str, Decimal]:
    """`{"HVAC": "125.00"}` as `{"hvac": Decimal("125.00")}`; entries that are not a rate are left out."""
    rates: dict[str, Decimal] = {}
    for skill, value in (raw or {}).items() if isinstance(raw, dict) else ():
        rate = _decimal(value)
        if rate is not None and rate >= 0 and str(skill).strip():
            rates[str(skill).strip().lower()] = rate
    return rates


def price_book(raw: Any) -> dict[str, FlatRateItem]:
    """`{"code": {"description", "price", "taxable"}}` as FlatRateItems; malformed entries are left out."""
    items: dict[str, FlatRateItem] = {}
    for code, entry in (raw or {}).items() if isinstance(raw, dict) else ():
        if not isinstance(entry, dict):
            continue
        price = _decimal(entry.get("price"))
        if price is None or price < 0 or not str(code).strip():
            continue
        description = str(entry.get("description") or code).strip()
        items[str(code).strip().upper()] = FlatRateItem(description=description[:200], price=price,
                                                        taxable=bool(entry.get("taxable", True)))
    return items


def rate_card(row: RateCardRow) -> RateCard:
    """The action-side rate card of a stored one."""
    days = tuple(sorted({int(d) for d in (row.business_days or []) if str(d).isdigit() and 1 <= int(d) <= 7}))
    return RateCard(
        currency=row.currency,
        labour_rate_per_hour=Decimal(row.labour_rate_per_hour),
        labour_increment_minutes=row.labour_increment_minutes,
        minimum_labour_minutes=row.minimum_labour_minutes,
        trip_charge=Decimal(row.trip_charge),
        parts_markup_percent=Decimal(row.parts_markup_percent),
        tax_rate_percent=Decimal(row.tax_rate_percent),
        payment_terms_days=row.payment_terms_days,
        skill_rates=skill_rates(row.skill_rates),
        after_hours_multiplier=Decimal(row.after_hours_multiplier),
        emergency_multiplier=Decimal(row.emergency_multiplier),
        business_days=days,
        business_start=row.business_start,
        business_end=row.business_end,
        flat_rate_items=price_book(row.flat_rate_items),
        labour_taxable=row.labour_taxable,
        trip_taxable=row.trip_taxable,
        parts_taxable=row.parts_taxable,
    )


def record_send(invoice: Invoice, sent: SentInvoice, email: str | None) -> None:
    """Marks the invoice sent (the first send's time is kept); a paid invoice stays paid."""
    if invoice.sent_at is None:
        invoice.sent_at = sent.sent_at
    if invoice.status in ("draft", "open"):
        invoice.status = "sent"
    details = dict(invoice.details or {})
    if sent.payment_link:
        details["payment_link"] = sent.payment_link
    if email:
        details["sent_to"] = email
    invoice.details = details
