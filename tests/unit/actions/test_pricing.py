"""The rate card rules, one by one, on hand-computed figures."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from actions.context import FlatRateItem, InvoiceLineDraft
from actions.pricing import Discount, FlatRateLine, TimeBand, price, price_job, time_band
from tests.fakes import DEFAULT_CARD, NOW
from triggers.canonical import JobSnapshot, JobStatus, PartUsed

CHICAGO = "America/Chicago"
SENSOR = PartUsed(sku="FS-100", description="Flame sensor", quantity=Decimal("1"), unit_cost=Decimal("18.40"))
CARD = replace(DEFAULT_CARD, after_hours_multiplier=Decimal("1.5"), emergency_multiplier=Decimal("2"),
               skill_rates={"hvac": Decimal("120.00"), "electrical": Decimal("110.00")},
               flat_rate_items={"TUNEUP": FlatRateItem("Furnace tune-up", Decimal("89.00")),
                                "PERMIT": FlatRateItem("City permit", Decimal("35.00"), taxable=False)})


def job(arrived: datetime = NOW - timedelta(minutes=90), **changes: object) -> JobSnapshot:
    base = JobSnapshot(job_id="j1", source="sandbox", source_id="J-1", status=JobStatus.COMPLETED,
                       job_type="repair", priority="P2", arrived_at=arrived,
                       completed_at=arrived + timedelta(hours=1.5), parts=[SENSOR])
    return base.model_copy(update=changes)


def at(iso: str) -> datetime:
    return datetime.fromisoformat(iso).replace(tzinfo=UTC)


def labour(lines: tuple[InvoiceLineDraft, ...]) -> InvoiceLineDraft:
    return next(line for line in lines if line.kind == "labour")


# --- labour by skill -----------------------------------------------------------------------------------------


def test_the_jobs_skill_sets_the_hourly_rate() -> None:
    lines, _subtotal, _tax = price_job(job(skill="HVAC"), CARD, Decimal(90))
    line = labour(lines)
    assert (line.unit_price, line.amount) == (Decimal("120.0000"), Decimal("180.00"))
    assert line.description == "Labour: repair, HVAC (90 min)"


def test_the_input_skill_wins_and_an_unknown_skill_bills_the_default_rate() -> None:
    lines, _s, _t = price_job(job(skill="hvac"), CARD, Decimal(90), skill="electrical")
    assert labour(lines).amount == Decimal("165.00")
    lines, _s, _t = price_job(job(skill="plumbing"), CARD, Decimal(90))
    assert labour(lines).amount == Decimal("142.50")
    assert labour(lines).description == "Labour: repair (90 min)"


# --- time bands, in the tenant's local time -------------------------------------------------------------------


@pytest.mark.parametrize(("arrived", "band"), [
    ("2026-11-24T22:30", TimeBand.REGULAR),      # Tue 16:30 CST
    ("2026-11-24T23:30", TimeBand.AFTER_HOURS),  # Tue 17:30 CST: business hours end at 17:00
    ("2026-11-24T14:00", TimeBand.REGULAR),      # Tue 08:00 CST: the first minute of business hours
    ("2026-11-24T13:59", TimeBand.AFTER_HOURS),  # Tue 07:59 CST
    ("2026-11-28T16:00", TimeBand.AFTER_HOURS),  # Saturday 10:00
    ("2026-03-06T13:30", TimeBand.AFTER_HOURS),  # Fri 07:30 CST, before the DST switch
    ("2026-03-09T13:30", TimeBand.REGULAR),      # Mon 08:30 CDT, after it: the same UTC clock time is now in hours
    ("2026-03-09T12:30", TimeBand.AFTER_HOURS),  # Mon 07:30 CDT
])
def test_after_hours_is_read_on_the_tenants_local_clock(arrived: str, band: TimeBand) -> None:
    assert time_band(job(at(arrived)), CARD, CHICAGO, Decimal(90)) is band


def test_the_same_instant_is_after_hours_in_one_zone_and_regular_in_another() -> None:
    evening = job(at("2026-11-24T22:30"))  # 22:30 UTC, 16:30 in Chicago
    assert time_band(evening, CARD, "UTC", Decimal(90)) is TimeBand.AFTER_HOURS
    assert time_band(evening, CARD, CHICAGO, Decimal(90)) is TimeBand.REGULAR


def test_after_hours_labour_is_billed_at_the_multiplier() -> None:
    lines, subtotal, tax = price_job(job(at("2026-11-24T23:30")), CARD, Decimal(90), timezone=CHICAGO)
    line = labour(lines)
    # 95.00 x 1.5 = 142.50/h for 1.5 h = 213.75
    assert (line.unit_price, line.amount) == (Decimal("142.5000"), Decimal("213.75"))
    assert line.description == "Labour: repair, after-hours (90 min)"
    assert subtotal == Decimal("287.59") and tax == Decimal("23.73")  # 213.75 + 49 + 24.84; 8.25 % of it


def test_without_an_arrival_the_work_is_placed_before_the_completion() -> None:
    done = job(at("2026-11-24T23:00"), arrived_at=None, completed_at=at("2026-11-24T23:40"))
    # 23:40 less 30 minutes of labour = 23:10 UTC = 17:10 CST: after hours; with 60 minutes, 16:40: regular.
    assert time_band(done, CARD, CHICAGO, Decimal(30)) is TimeBand.AFTER_HOURS
    assert time_band(done, CARD, CHICAGO, Decimal(60)) is TimeBand.REGULAR


def test_a_p1_job_is_billed_at_the_emergency_rate_day_or_night() -> None:
    for arrived in ("2026-11-24T16:00", "2026-11-25T04:00"):  # 10:00 and 22:00 CST
        priced = price(job(at(arrived), priority="P1"), CARD, Decimal(90), timezone=CHICAGO)
        assert priced.band is TimeBand.EMERGENCY
        assert labour(priced.lines).amount == Decimal("285.00")  # 95 x 2 x 1.5


def test_the_skill_rate_and_the_band_multiply() -> None:
    lines, _s, _t = price_job(job(at("2026-11-24T16:00"), priority="P1", skill="hvac"), CARD, Decimal(60),
                              timezone=CHICAGO)
    assert labour(lines).amount == Decimal("240.00")  # 120 x 2 x 1 h


def test_a_band_given_in_the_input_wins() -> None:
    priced = price(job(at("2026-11-24T16:00")), CARD, Decimal(60), timezone=CHICAGO, band=TimeBand.AFTER_HOURS)
    assert priced.band is TimeBand.AFTER_HOURS and labour(priced.lines).amount == Decimal("142.50")


def test_the_default_card_charges_no_surcharge() -> None:
    assert DEFAULT_CARD.after_hours_multiplier == DEFAULT_CARD.emergency_multiplier == Decimal(1)
    lines, _s, _t = price_job(job(at("2026-11-28T03:00"), priority="P1"), DEFAULT_CARD, Decimal(90))
    assert labour(lines).amount == Decimal("142.50")


# --- flat-rate items, discount, tax ---------------------------------------------------------------------------


def test_flat_rate_items_bill_the_price_book_and_tax_only_the_taxable_ones() -> None:
    lines, subtotal, tax = price_job(job(parts=[]), CARD, Decimal(0), bill_labour=False,
                                     flat_rate=[FlatRateLine("tuneup", Decimal(2)), FlatRateLine("PERMIT", Decimal(1))])
    assert [(ln.kind, ln.description, ln.amount, ln.taxable) for ln in lines] == [
        ("flat_rate", "Furnace tune-up (TUNEUP)", Decimal("178.00"), True),
        ("flat_rate", "City permit (PERMIT)", Decimal("35.00"), False),
        ("trip", "Trip charge", Decimal("49.00"), True)]
    assert subtotal == Decimal("262.00")
    assert tax == Decimal("18.73")  # 8.25 % of 178 + 49 = 227 -> 18.7275


def test_an_unknown_flat_rate_code_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        price_job(job(), CARD, Decimal(60), flat_rate=[FlatRateLine("NOPE", Decimal(1))])


def test_tax_falls_only_on_the_kinds_the_card_taxes() -> None:
    card = replace(CARD, labour_taxable=False)
    lines, subtotal, tax = price_job(job(), card, Decimal(90))
    assert [ln.taxable for ln in lines] == [False, True, True]
    assert subtotal == Decimal("216.34") and tax == Decimal("6.09")  # 8.25 % of 49 + 24.84 = 73.84
    card = replace(CARD, labour_taxable=False, trip_taxable=False, parts_taxable=False)
    assert price_job(job(), card, Decimal(90))[2] == Decimal("0.00")


def test_a_percent_discount_comes_off_before_tax() -> None:
    lines, subtotal, tax = price_job(job(), CARD, Decimal(90),
                                     discount=Discount(reason="Service plan", percent=Decimal("10")))
    off = lines[-1]
    assert (off.kind, off.description, off.amount, off.taxable) == (
        "discount", "Discount 10%: Service plan", Decimal("-21.63"), False)  # 10 % of 216.34 = 21.634
    assert subtotal == Decimal("194.71") and tax == Decimal("16.06")  # 8.25 % of 194.71 = 16.0636


def test_a_fixed_discount_comes_off_before_tax() -> None:
    lines, subtotal, tax = price_job(job(), CARD, Decimal(90), discount=Discount(reason="Goodwill", amount=Decimal(50)))
    assert lines[-1].amount == Decimal("-50.00") and lines[-1].description == "Discount: Goodwill"
    assert subtotal == Decimal("166.34") and tax == Decimal("13.72")  # 8.25 % of 166.34 = 13.72305


def test_a_discount_larger_than_the_invoice_clamps_it_to_zero() -> None:
    warranty = Discount(reason="Warranty", amount=Decimal(500))
    lines, subtotal, tax = price_job(job(), CARD, Decimal(90), discount=warranty)
    assert lines[-1].amount == Decimal("-216.34") and "capped" in lines[-1].description
    assert subtotal == Decimal("0.00") and tax == Decimal("0.00")


def test_a_discount_lowers_taxed_and_untaxed_lines_in_proportion() -> None:
    items = [FlatRateLine("TUNEUP", Decimal(2)), FlatRateLine("PERMIT", Decimal(1))]
    _lines, subtotal, tax = price_job(job(parts=[]), CARD, Decimal(0), bill_labour=False, flat_rate=items,
                                      discount=Discount(reason="Spring offer", percent=Decimal("10")))
    # 262.00 less 26.20 = 235.80; the taxable 227.00 becomes 204.30 -> 8.25 % = 16.85475 -> 16.85
    assert subtotal == Decimal("235.80") and tax == Decimal("16.85")


def test_every_line_is_rounded_once_from_its_exact_product() -> None:
    card = replace(CARD, skill_rates={"hvac": Decimal("97.35")}, after_hours_multiplier=Decimal("1.333"))
    lines, _s, _t = price_job(job(at("2026-11-24T23:30"), skill="hvac"), card, Decimal(75), timezone=CHICAGO)
    # 97.35 x 1.333 = 129.76755/h (shown 129.7676) x 1.25 h = 162.2094375 -> 162.21
    line = labour(lines)
    assert (line.unit_price, line.amount) == (Decimal("129.7676"), Decimal("162.21"))


def test_a_contract_visit_replaces_labour_and_trip_but_keeps_the_parts() -> None:
    parts = [PartUsed(sku="FLT-20", description="Filter", quantity=Decimal("2"), unit_cost=Decimal("10.00"))]
    priced = price(job(parts=parts), CARD, Decimal(90), contract_price=Decimal("129.00"))
    markup = 1 + CARD.parts_markup_percent / 100
    assert [(ln.kind, ln.amount) for ln in priced.lines] == [
        ("contract", Decimal("129.00")), ("part", (Decimal("20.00") * markup).quantize(Decimal("0.01")))]
