"""schedule_recurring: the RRULE arithmetic (from the last completed visit), DST windows, the action on fakes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from actions.context import Context, ContractTerms
from actions.errors import Conflict, InputError, NotFound
from actions.schedule_recurring import (
    Anchor,
    ScheduleRecurringInput,
    booking,
    normalize_rrule,
    run,
    visit_days,
)
from tests.fakes import FakeAccounting, FakeContracts, FakeEvents, FakeStore
from triggers.canonical import EventType

CHICAGO = ZoneInfo("America/Chicago")
NOW = datetime(2026, 11, 24, 17, 0, tzinfo=UTC)  # Tuesday, 11:00 in Chicago


def days(rule: str, anchor: Anchor, through: date) -> list[str]:
    return [d.isoformat() for d in visit_days(normalize_rrule(rule), anchor, through, CHICAGO)]


# --- the arithmetic ---------------------------------------------------------------------------------------------


def test_weekly_from_the_contract_start() -> None:
    assert days("FREQ=WEEKLY;BYDAY=MO", Anchor(date(2026, 11, 30)), date(2026, 12, 21)) == [
        "2026-11-30", "2026-12-07", "2026-12-14", "2026-12-21"]


def test_weekly_restarts_from_a_late_completion_not_from_the_schedule() -> None:
    # Monday 30 Nov's visit was done on Thursday 3 Dec: the weekly series now runs on Thursdays.
    late = Anchor(day=date(2026, 12, 3), occurrence=date(2026, 11, 30))
    assert days("FREQ=WEEKLY", late, date(2026, 12, 31)) == ["2026-12-10", "2026-12-17", "2026-12-24", "2026-12-31"]
    # Every two weeks: two weeks after the completion, not after the missed Monday.
    assert days("FREQ=WEEKLY;INTERVAL=2", late, date(2026, 12, 31)) == ["2026-12-17", "2026-12-31"]
    # Pinned to Mondays: the next Monday after the completion.
    assert days("FREQ=WEEKLY;BYDAY=MO", late, date(2026, 12, 14)) == ["2026-12-07", "2026-12-14"]


def test_monthly_by_day_counts_from_the_completed_visit() -> None:
    # The 15th of every month; December's visit done on the 20th: January's is still the 15th.
    assert days("FREQ=MONTHLY;BYMONTHDAY=15", Anchor(date(2026, 12, 20), date(2026, 12, 15)),
                date(2027, 3, 1)) == ["2027-01-15", "2027-02-15"]
    # Every two months on the 15th; December's visit slipped to 4 January: the next is two months
    # after January (March), where counting from the schedule would have said February.
    slipped = Anchor(date(2027, 1, 4), date(2026, 12, 15))
    assert days("FREQ=MONTHLY;INTERVAL=2;BYMONTHDAY=15", slipped, date(2027, 6, 1)) == ["2027-03-15", "2027-05-15"]
    assert days("FREQ=MONTHLY;INTERVAL=2;BYMONTHDAY=15", Anchor(date(2026, 12, 15)), date(2027, 6, 1)) == [
        "2026-12-15", "2027-02-15", "2027-04-15"]
    # First Monday of the month, November's done late on 9 November: December's first Monday.
    assert days("FREQ=MONTHLY;BYDAY=1MO", Anchor(date(2026, 11, 9), date(2026, 11, 2)), date(2027, 1, 31)) == [
        "2026-12-07", "2027-01-04"]
    # Plain monthly (no day given) follows the completion's day of the month.
    assert days("FREQ=MONTHLY", Anchor(date(2026, 11, 20), date(2026, 11, 15)), date(2027, 1, 31)) == [
        "2026-12-20", "2027-01-20"]


def test_a_late_completion_in_the_same_period_keeps_the_rest_of_the_period() -> None:
    # Twice a week; Monday's visit done on Tuesday: Thursday's visit stays.
    assert days("FREQ=WEEKLY;BYDAY=MO,TH", Anchor(date(2026, 12, 1), date(2026, 11, 30)), date(2026, 12, 8)) == [
        "2026-12-03", "2026-12-07"]
    # Monday's visit done the next Wednesday (another week): that week's Thursday is used up by it.
    assert days("FREQ=WEEKLY;BYDAY=MO,TH", Anchor(date(2026, 12, 9), date(2026, 11, 30)), date(2026, 12, 17)) == [
        "2026-12-14", "2026-12-17"]


def test_until_ends_the_series_on_its_local_day() -> None:
    start = Anchor(date(2026, 12, 1))
    assert days("FREQ=DAILY;UNTIL=20261203", start, date(2026, 12, 31)) == ["2026-12-01", "2026-12-02",
                                                                            "2026-12-03"]
    # 04:59 UTC on the 4th is still the 3rd in Chicago.
    assert days("FREQ=DAILY;UNTIL=20261204T045900Z", start, date(2026, 12, 31))[-1] == "2026-12-03"


def _terms(**changes: object) -> ContractTerms:
    base: dict[str, object] = {
        "customer_id": "cust-1", "service": "maintenance", "rrule": "FREQ=WEEKLY", "window_start": time(8),
        "window_end": time(10), "duration_minutes": 60, "skills": ("hvac",), "price": Decimal("129.00"),
        "starts_on": date(2026, 11, 30), "notice_days": 7, "active": True}
    return ContractTerms(**{**base, **changes})  # type: ignore[arg-type]


def test_local_windows_across_dst_map_to_the_right_utc_times() -> None:
    terms = _terms()
    # Spring forward on Sunday 8 March 2026: 08:00 CST is 14:00 UTC, 08:00 CDT is 13:00 UTC.
    assert (booking(date(2026, 3, 2), terms, CHICAGO).start, booking(date(2026, 3, 9), terms, CHICAGO).start) == (
        datetime(2026, 3, 2, 14, tzinfo=UTC), datetime(2026, 3, 9, 13, tzinfo=UTC))
    # Fall back on Sunday 1 November 2026.
    assert booking(date(2026, 10, 26), terms, CHICAGO).end == datetime(2026, 10, 26, 15, tzinfo=UTC)
    assert booking(date(2026, 11, 2), terms, CHICAGO).end == datetime(2026, 11, 2, 16, tzinfo=UTC)
    # A window edge inside the skipped hour moves forward by the gap (02:30 CST = 03:30 CDT).
    gap = booking(date(2026, 3, 8), _terms(window_start=time(2, 30), window_end=time(4)), CHICAGO)
    assert (gap.start, gap.end) == (datetime(2026, 3, 8, 8, 30, tzinfo=UTC), datetime(2026, 3, 8, 9, tzinfo=UTC))


def test_a_weekly_series_across_the_dst_change_keeps_its_local_time() -> None:
    terms = _terms(rrule="FREQ=WEEKLY;BYDAY=MO", starts_on=date(2026, 2, 23))
    starts = [booking(d, terms, CHICAGO).start.hour
              for d in visit_days(terms.rrule, Anchor(terms.starts_on), date(2026, 3, 16), CHICAGO)]
    assert starts == [14, 14, 13, 13]


@pytest.mark.parametrize(("rule", "problem"), [
    ("FREQ=SOMETIMES", "FREQ must be one of"),
    ("FREQ=HOURLY", "at most daily"),
    ("FREQ=WEEKLY;COUNT=4", "COUNT is not allowed"),
    ("FREQ=DAILY;BYHOUR=9", "window_start"),
    ("FREQ=WEEKLY;BYDAY=XX", "BYDAY takes MO..SU"),
    ("FREQ=WEEKLY;WKST=XX", "not a valid RRULE"),
    ("FREQ=WEEKLY;INTERVAL=0", "INTERVAL takes whole numbers from 1"),
    ("FREQ=WEEKLY;INTERVAL=-2", "INTERVAL takes"),
    ("FREQ=MONTHLY;BYMONTHDAY=0", "BYMONTHDAY takes"),
    ("FREQ=YEARLY;BYMONTH=13", "BYMONTH takes"),
    ("FREQ=MONTHLY;BYDAY=0MO", "BYDAY takes"),
    ("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30", "no day ever matches"),
    ("DTSTART:20260101T000000\nRRULE:FREQ=DAILY", "one RFC 5545 RRULE"),
    ("FREQ=WEEKLY;UNTIL=next-year", "UNTIL must be"),
    ("every week", "NAME=VALUE"),
    ("FREQ=WEEKLY;FREQ=DAILY", "given twice"),
])
def test_bad_rules_say_what_is_wrong(rule: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        normalize_rrule(rule)


def test_rules_are_normalized() -> None:
    assert normalize_rrule(" rrule:freq=weekly;byday=mo ") == "FREQ=WEEKLY;BYDAY=MO"
    assert normalize_rrule("FREQ=MONTHLY;BYDAY=-1FR;UNTIL=20301231T235959Z") == (
        "FREQ=MONTHLY;BYDAY=-1FR;UNTIL=20301231T235959Z")
    assert normalize_rrule("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29")  # leap days do happen


# --- the action on fakes ----------------------------------------------------------------------------------------


def _ctx(contracts: FakeContracts, now: datetime = NOW) -> tuple[Context, FakeEvents]:
    events = FakeEvents()
    ctx = Context(tenant_id="t1", run_id="run1", idempotency_key="k", store=FakeStore(),
                  accounting=FakeAccounting(), events=events, clock=lambda: now, timezone="America/Chicago",
                  contracts=contracts)
    return ctx, events


CREATE = {"customer_id": "cust-1", "service": "maintenance", "rrule": "FREQ=WEEKLY;BYDAY=MO",
          "window_start": "08:00", "window_end": "10:00", "duration_minutes": 60, "skills": ["HVAC"],
          "price": "129.00", "starts_on": "2026-11-30"}


def test_create_books_the_horizon_once_and_announces_each_visit() -> None:
    contracts = FakeContracts()
    ctx, events = _ctx(contracts)
    out = run(ctx, ScheduleRecurringInput.model_validate(CREATE))
    assert out.contract_created and out.computed_from == "contract_start" and out.skills == ["hvac"]
    assert [v.occurs_on.isoformat() for v in out.created] == ["2026-11-30", "2026-12-07", "2026-12-14",
                                                              "2026-12-21"]
    assert out.created[0].scheduled_start == datetime(2026, 11, 30, 14, tzinfo=UTC)
    assert out.next_visit_at == datetime(2026, 11, 30, 14, tzinfo=UTC)
    assert [e.type for e in events.emitted] == [EventType.JOB_SCHEDULED] * 4
    assert events.emitted[0].data["job"]["scheduled_start"] == "2026-11-30T14:00:00Z"
    assert "129.00" in out.invoicing

    again, events2 = _ctx(contracts)
    repeat = run(again, ScheduleRecurringInput.model_validate({"contract_id": out.contract_id}))
    assert (repeat.created_count, repeat.existing_count, repeat.contract_created) == (0, 4, False)
    assert events2.emitted == []


def test_a_late_completion_moves_the_following_visits() -> None:
    contracts = FakeContracts()
    ctx, _ = _ctx(contracts)
    first = run(ctx, ScheduleRecurringInput.model_validate({**CREATE, "rrule": "FREQ=WEEKLY"}))
    monday = first.created[0]
    contracts.complete(monday.job_id, datetime(2026, 12, 3, 20, tzinfo=UTC))  # Thursday afternoon
    later, events = _ctx(contracts, datetime(2026, 12, 4, 12, tzinfo=UTC))
    out = run(later, ScheduleRecurringInput.model_validate({"contract_id": first.contract_id}))
    assert (out.computed_from, out.computed_from_date) == ("last_completed", date(2026, 12, 3))
    assert out.last_completed_job_id == monday.job_id
    assert [v.occurs_on.isoformat() for v in out.cancelled] == ["2026-12-07", "2026-12-14", "2026-12-21"]
    assert [v.occurs_on.isoformat() for v in out.created] == ["2026-12-10", "2026-12-17", "2026-12-24",
                                                              "2026-12-31"]
    assert {e.type for e in events.emitted} == {EventType.JOB_CANCELLED, EventType.JOB_SCHEDULED}
    assert contracts.contracts[first.contract_id].last_completed_at == datetime(2026, 12, 3, 20, tzinfo=UTC)


def test_changing_the_window_reschedules_the_upcoming_visits_and_pausing_cancels_them() -> None:
    contracts = FakeContracts()
    ctx, _ = _ctx(contracts)
    first = run(ctx, ScheduleRecurringInput.model_validate(CREATE))
    moved, events = _ctx(contracts)
    out = run(moved, ScheduleRecurringInput.model_validate({"contract_id": first.contract_id,
                                                            "window_start": "13:00", "window_end": "15:00"}))
    assert len(out.rescheduled) == 4 and out.created_count == 0
    assert out.rescheduled[0].scheduled_start == datetime(2026, 11, 30, 19, tzinfo=UTC)
    assert events.emitted[0].event_id.rsplit(":", 2)[-2:] == ["2", "scheduled"]
    paused, _ = _ctx(contracts)
    out = run(paused, ScheduleRecurringInput.model_validate({"contract_id": first.contract_id, "active": False}))
    assert len(out.cancelled) == 4 and out.next_visit_at is None and not out.active
    resumed, _ = _ctx(contracts)
    out = run(resumed, ScheduleRecurringInput.model_validate({"contract_id": first.contract_id, "active": True}))
    assert len(out.rescheduled) == 4 and out.created_count == 0  # the same jobs, booked again


def test_the_same_customer_and_service_updates_the_contract() -> None:
    contracts = FakeContracts()
    ctx, _ = _ctx(contracts)
    first = run(ctx, ScheduleRecurringInput.model_validate(CREATE))
    again, _ = _ctx(contracts)
    out = run(again, ScheduleRecurringInput.model_validate({"customer_id": "cust-1", "service": "maintenance",
                                                            "price": "150"}))
    assert out.contract_id == first.contract_id and out.price == Decimal("150")
    assert out.created_count == 0 and {v.price for v in out.existing} == {Decimal("150")}


@pytest.mark.parametrize(("data", "field"), [
    ({k: v for k, v in CREATE.items() if k != "rrule"}, "rrule"),
    ({k: v for k, v in CREATE.items() if k != "price"}, "price"),
    ({**CREATE, "window_end": "07:00"}, "window_end"),
    ({"rrule": "FREQ=DAILY"}, "customer_id"),
    ({**CREATE, "starts_on": "2000-01-01"}, "starts_on"),
])
def test_input_errors_name_the_field(data: dict[str, object], field: str) -> None:
    ctx, _ = _ctx(FakeContracts())
    with pytest.raises(InputError) as caught:
        run(ctx, ScheduleRecurringInput.model_validate(data))
    assert caught.value.field == field


def test_unknown_ids_are_not_found() -> None:
    ctx, _ = _ctx(FakeContracts())
    with pytest.raises(NotFound) as caught:
        run(ctx, ScheduleRecurringInput.model_validate({**CREATE, "customer_id": "nobody"}))
    assert caught.value.field == "customer_id"
    with pytest.raises(NotFound) as caught:
        run(ctx, ScheduleRecurringInput.model_validate({"contract_id": "nope"}))
    assert caught.value.field == "contract_id"


@pytest.mark.parametrize(("data", "field"), [
    ({"rrule": "FREQ=FORTNIGHTLY"}, "rrule"),
    ({"horizon_days": 400}, "horizon_days"),
    ({"window_start": "08:00+02:00"}, "window_start"),
    ({"notice_days": 90}, "notice_days"),
])
def test_invalid_input_is_refused_by_the_model(data: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        ScheduleRecurringInput.model_validate(data)
    assert caught.value.errors()[0]["loc"] == (field,)


def test_the_horizon_bounds_the_visits() -> None:
    ctx, _ = _ctx(FakeContracts())
    out = run(ctx, ScheduleRecurringInput.model_validate({**CREATE, "horizon_days": 8}))
    assert [v.occurs_on for v in out.created] == [date(2026, 11, 30)]
    assert out.horizon_end == NOW + timedelta(days=8)


def test_a_customer_has_one_contract_per_service() -> None:
    contracts = FakeContracts()
    ctx, _ = _ctx(contracts)
    run(ctx, ScheduleRecurringInput.model_validate(CREATE))
    second = run(ctx, ScheduleRecurringInput.model_validate({**CREATE, "service": "inspection"}))
    with pytest.raises(Conflict):
        run(ctx, ScheduleRecurringInput.model_validate({"contract_id": second.contract_id, "service": "maintenance"}))
    with pytest.raises(InputError) as caught:
        run(ctx, ScheduleRecurringInput.model_validate({"contract_id": second.contract_id, "customer_id": "cust-2"}))
    assert caught.value.field == "customer_id"
