"""Action (fast): a recurring service contract and its visits over a horizon, without duplicates.

A contract says who (customer), what (service = the visits' job type), how often (an RFC 5545
RRULE, evaluated with python-dateutil), when in the day (a local window in the tenant's time zone),
how long, with which skills and for how much. Each occurrence becomes one visit: a Backbone job
(source "backbone", source id "contract:<contract id>:<local date>") booked in the window, in UTC,
so Optimize Route plans it and Job Scheduled announces it.

The next visit is computed from the **last completed** visit, not the last scheduled one: the rule
restarts at the local day of that completion. A completion that slipped past the period of its own
occurrence (a March visit done in April, for a monthly rule) uses up the period it was done in, so
the next visit falls in the rule's next period after the completion. Open visits that no longer fit
the series are cancelled (and re-booked if the series comes back to their day).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.rrule import rrule, rrulestr
from pydantic import BaseModel, ConfigDict, Field, field_validator

from actions.context import ContractTerms, StoredVisit, VisitBooking
from actions.errors import Conflict, InputError, NotFound
from actions.spec import ActionSpec, Weight
from triggers.canonical import CanonicalEvent, EventType

if TYPE_CHECKING:
    from actions.context import Context, StoredContract
    from triggers.canonical import JobSnapshot

#: Days ahead a visit is announced by the recurring_visit_due trigger, unless the contract says otherwise.
DEFAULT_NOTICE_DAYS = 7
MAX_NOTICE_DAYS = 60
FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
#: Parts a contract's rule may not use, and why.
REFUSED_PARTS = {
    "COUNT": "COUNT would start again after every completed visit: end the contract with UNTIL instead",
    "BYHOUR": "the time of day comes from window_start, not from the rule",
    "BYMINUTE": "the time of day comes from window_start, not from the rule",
    "BYSECOND": "the time of day comes from window_start, not from the rule",
    "DTSTART": "the first day is starts_on",
}
#: Visits in these states may be moved or cancelled when the series changes (nobody is on the way yet).
MOVABLE = ("created", "scheduled")
_UNTIL = re.compile(r"^(\d{8})(T(\d{6})(Z?))?$")
_BYDAY = re.compile(r"([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)")
#: Numeric rule parts and the range of their absolute values (INTERVAL may not be negative).
RANGES = {"INTERVAL": (1, 100), "BYMONTH": (1, 12), "BYMONTHDAY": (1, 31), "BYYEARDAY": (1, 366),
          "BYWEEKNO": (1, 53), "BYSETPOS": (1, 366)}


# --- the RRULE arithmetic (pure) ------------------------------------------------------------------


def normalize_rrule(text: str) -> str:
    """The rule in canonical form ("FREQ=...;..." upper case), or ValueError saying what is wrong.

    Args:
        text: One RRULE, with or without the "RRULE:" prefix.

    Returns:
        The rule's parts joined by ";".

    Raises:
        ValueError: Not one valid RRULE, or a rule a contract cannot use (see REFUSED_PARTS).
    """
    body = text.strip()
    if body.upper().startswith("RRULE:"):
        body = body[6:]
    if not body or any(c in body for c in "\r\n:"):
        raise ValueError("one RFC 5545 RRULE is expected, e.g. FREQ=MONTHLY;INTERVAL=3 or FREQ=WEEKLY;BYDAY=MO")
    parts = rule_parts(body)
    for name, why in REFUSED_PARTS.items():
        if name in parts:
            raise ValueError(f"{name} is not allowed: {why}")
    if parts.get("FREQ") not in FREQUENCIES:
        raise ValueError(f"FREQ must be one of {', '.join(FREQUENCIES)} (visits are at most daily)")
    if "UNTIL" in parts and not _UNTIL.match(parts["UNTIL"]):
        raise ValueError("UNTIL must be a date (20271231) or a UTC time (20271231T235959Z)")
    for name, (low, high) in RANGES.items():
        for value in parts[name].split(",") if name in parts else ():
            if not re.fullmatch(r"[+-]?\d{1,4}", value) or not low <= abs(int(value)) <= high or (
                    name == "INTERVAL" and value.startswith("-")):
                raise ValueError(f"{name} takes whole numbers from {low} to {high} (negative counts back), not {value}")
    for value in parts["BYDAY"].split(",") if "BYDAY" in parts else ():
        match = _BYDAY.fullmatch(value)
        if match is None or (match.group(1) and not 1 <= abs(int(match.group(1))) <= 53):
            raise ValueError(f"BYDAY takes MO..SU, optionally numbered (1MO, -1FR), not {value}")
    canonical = ";".join(f"{k}={v}" for k, v in parts.items())
    try:
        parsed = rrulestr(_until_as_date(canonical, ZoneInfo("UTC")), dtstart=datetime(2026, 1, 1))
        # A rule no day satisfies (30 February) would make dateutil search up to the year 9999: check it
        # where that search is short. Rules repeat within a few years, so ten are enough.
        endless = ";".join(f"{k}={v}" for k, v in parts.items() if k != "UNTIL")
        happens = next(iter(rrulestr(endless, dtstart=datetime(9990, 1, 1))), None) is not None
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError) as exc:
        raise ValueError(f"not a valid RRULE: {exc}") from exc
    if not isinstance(parsed, rrule):
        raise ValueError("one RRULE is expected (no EXDATE or RDATE)")
    if not happens:
        raise ValueError("no day ever matches this rule")
    return canonical


def rule_parts(rule: str) -> dict[str, str]:
    """The rule's NAME=VALUE parts, names upper case, in order."""
    parts: dict[str, str] = {}
    for item in rule.strip().strip(";").split(";"):
        name, sep, value = item.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise ValueError(f"{item!r} is not NAME=VALUE")
        key = name.strip().upper()
        if key in parts:
            raise ValueError(f"{key} is given twice")
        parts[key] = value.strip().upper()
    return parts


def _until_as_date(rule: str, zone: ZoneInfo) -> str:
    """The rule with UNTIL as a local date: visits are whole local days, so UNTIL ends on its local day."""
    parts = rule_parts(rule)
    until = parts.get("UNTIL")
    match = _UNTIL.match(until) if until else None
    if match is None:
        return rule
    day = datetime.strptime(match.group(1), "%Y%m%d").date()
    if match.group(4):  # a UTC instant: the local day it falls on
        instant = datetime.strptime(match.group(1) + match.group(3), "%Y%m%d%H%M%S").replace(tzinfo=UTC)
        day = instant.astimezone(zone).date()
    parts["UNTIL"] = day.strftime("%Y%m%d")
    return ";".join(f"{k}={v}" for k, v in parts.items())


def period_start(day: date, rule: str) -> date:
    """The first day of the rule's period (day, week from WKST, month, year) that holds `day`."""
    parts = rule_parts(rule)
    freq = parts["FREQ"]
    if freq == "WEEKLY":
        wkst = WEEKDAYS.index(parts.get("WKST", "MO"))
        return day - timedelta(days=(day.weekday() - wkst) % 7)
    if freq == "MONTHLY":
        return day.replace(day=1)
    if freq == "YEARLY":
        return day.replace(month=1, day=1)
    return day


@dataclass(frozen=True)
class Anchor:
    """Where the series starts: the last completed visit (its local day and its own occurrence) or the start."""

    day: date
    occurrence: date | None = None

    @property
    def completed(self) -> bool:
        """True when the series restarts at a completed visit."""
        return self.occurrence is not None


def visit_days(rule: str, anchor: Anchor, through: date, zone: ZoneInfo) -> list[date]:
    """The local days of the visits the series holds after the anchor, up to `through` (inclusive).

    From the contract's start, the start day itself counts if the rule holds it. From a completed
    visit, the series restarts on the completion's day (which is the visit just done, so it is not
    repeated); when the completion slipped out of its own occurrence's period, the rest of the
    period it was done in is used up too.

    Args:
        rule: A normalized RRULE.
        anchor: The contract's start, or the last completed visit.
        through: The last local day wanted.
        zone: The tenant's time zone (for a UTC UNTIL).

    Returns:
        The days, in order.
    """
    start = datetime.combine(anchor.day, time())
    recurrence = rrulestr(_until_as_date(rule, zone), dtstart=start)
    days = [d.date() for d in recurrence.between(start, datetime.combine(through, time()), inc=True)]
    if anchor.occurrence is None:
        return days
    days = [d for d in days if d > anchor.day]
    done_in = period_start(anchor.day, rule)
    if anchor.occurrence < done_in:  # done late, in a later period: that period's visit is this one
        days = [d for d in days if period_start(d, rule) != done_in]
    return days


def booking(day: date, terms: ContractTerms, zone: ZoneInfo) -> VisitBooking:
    """The visit of a local day: the contract's local window on that day, in UTC.

    A window edge inside a spring-forward gap moves forward by the gap (zoneinfo's fold=0 reading);
    in the repeated hour of the fall-back it is the first of the two.
    """
    start = datetime.combine(day, terms.window_start, tzinfo=zone).astimezone(UTC)
    end = datetime.combine(day, terms.window_end, tzinfo=zone).astimezone(UTC)
    return VisitBooking(occurs_on=day, start=start, end=end)


@dataclass(frozen=True)
class VisitPlan:
    """What one call does to a contract's visits."""

    anchor: Anchor
    last_completed: StoredVisit | None
    horizon_end: datetime
    book: list[VisitBooking]
    rebook: list[tuple[StoredVisit, VisitBooking]]
    drop: list[StoredVisit]
    keep: list[StoredVisit]


def _same(visit: StoredVisit, wanted: VisitBooking, terms: ContractTerms) -> bool:
    return (visit.scheduled_start, visit.scheduled_end, visit.price, visit.duration_minutes, visit.skill) == (
        wanted.start, wanted.end, terms.price, terms.duration_minutes, terms.skills[0] if terms.skills else None)


def plan_visits(terms: ContractTerms, visits: list[StoredVisit], *, now: datetime, zone: ZoneInfo,
                horizon_days: int) -> VisitPlan:
    """Which visits to book, re-book, cancel and keep so the contract's visits match its series.

    Args:
        terms: The contract.
        visits: Every visit generated from it so far.
        now: The current time (UTC).
        zone: The tenant's time zone.
        horizon_days: How far ahead to book.

    Returns:
        The plan; `book` holds the missing occurrences within the horizon.
    """
    done = [v for v in visits if v.status == "completed" and v.completed_at is not None]
    last = max(done, key=lambda v: (v.completed_at, v.occurs_on), default=None)
    if last is not None and last.completed_at is not None:
        anchor = Anchor(last.completed_at.astimezone(zone).date(), last.occurs_on)
    else:
        anchor = Anchor(terms.starts_on)
    horizon_end = now + timedelta(days=horizon_days)
    upcoming = [v for v in visits if v.status in MOVABLE and not v.dropped and v.scheduled_start is not None
                and v.scheduled_start > now]
    through = max([horizon_end.astimezone(zone).date(), *(v.occurs_on for v in upcoming)])
    days = [d for d in visit_days(terms.rrule, anchor, through, zone) if d >= terms.starts_on] if terms.active else []
    in_series = set(days)
    by_day = {v.occurs_on: v for v in visits}
    upcoming_days = {v.occurs_on for v in upcoming}
    book: list[VisitBooking] = []
    rebook: list[tuple[StoredVisit, VisitBooking]] = []
    keep: list[StoredVisit] = []
    drop = [v for v in upcoming if v.occurs_on not in in_series]
    for day in days:
        wanted = booking(day, terms, zone)
        visit = by_day.get(day)
        if visit is not None and day in upcoming_days:
            if _same(visit, wanted, terms):
                keep.append(visit)
            else:
                rebook.append((visit, wanted))
        elif not now < wanted.start <= horizon_end:
            continue
        elif visit is None:
            book.append(wanted)
        elif visit.dropped and visit.status == "cancelled":
            rebook.append((visit, wanted))  # cancelled by an earlier shift; the series is back on its day
        else:
            keep.append(visit)  # done, under way, or cancelled by someone: never booked twice
    return VisitPlan(anchor, last, horizon_end, book, rebook, drop, keep)


# --- the action -------------------------------------------------------------------------------------


class ScheduleRecurringInput(BaseModel):
    """A contract to create or update (or only its id), and how far ahead to book its visits."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    contract_id: str | None = Field(None, min_length=1, max_length=32, description=(
        "An existing contract (from an earlier run). Leave empty to create the contract of this customer and "
        "service, or to update it if it exists."))
    customer_id: str | None = Field(None, min_length=1, max_length=32, description="Backbone id of the customer.")
    service: str | None = Field(None, min_length=1, max_length=60, description=(
        "The work done at each visit (maintenance, inspection, ...): the visits' job type."))
    rrule: str | None = Field(None, min_length=1, max_length=300, title="Cadence (RRULE)", description=(
        "How often, as an RFC 5545 RRULE: FREQ=MONTHLY;INTERVAL=3 (quarterly), FREQ=WEEKLY;BYDAY=MO, "
        "FREQ=MONTHLY;BYMONTHDAY=15. The series restarts from each completed visit."))
    window_start: time | None = Field(None, description="Start of the preferred arrival window, local time (08:00).")
    window_end: time | None = Field(None, description="End of the preferred arrival window, local time (12:00).")
    duration_minutes: int | None = Field(None, ge=5, le=1440, description="Expected time on site, in minutes.")
    skills: list[str] | None = Field(None, max_length=10, description=(
        "Skills the technician needs (hvac, backflow, ...); route planning matches the first."))
    price: Decimal | None = Field(None, ge=0, max_digits=12, decimal_places=2, description=(
        "Price of one visit, in the account's currency."))
    starts_on: date | None = Field(None, description="First day a visit may fall on (default: today).")
    notice_days: int | None = Field(None, ge=0, le=MAX_NOTICE_DAYS, description=(
        f"Days before a visit the Recurring Visit Due trigger fires (default {DEFAULT_NOTICE_DAYS}; 0: never)."))
    active: bool | None = Field(None, description="False pauses the contract: its upcoming visits are cancelled.")
    horizon_days: int = Field(30, ge=1, le=366, description="Book every visit due within this many days.")

    @field_validator("rrule")
    @classmethod
    def _rrule(cls, value: str | None) -> str | None:
        return None if value is None else normalize_rrule(value)

    @field_validator("window_start", "window_end")
    @classmethod
    def _local(cls, value: time | None) -> time | None:
        if value is not None and value.tzinfo is not None:
            raise ValueError("a local time of day without a time zone, e.g. 08:00")
        return value

    @field_validator("skills")
    @classmethod
    def _skills(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        skills = [s.strip().lower() for s in value if s.strip()]
        if any(len(s) > 60 for s in skills):
            raise ValueError("each skill is at most 60 characters")
        return list(dict.fromkeys(skills))


class VisitOutput(BaseModel):
    """One visit of the contract."""

    job_id: str = Field(description="Backbone id of the visit's job (pass it to other actions).")
    occurs_on: date = Field(description="The visit's local day.")
    scheduled_start: datetime | None = Field(description="Start of the arrival window (UTC).")
    scheduled_end: datetime | None = Field(description="End of the arrival window (UTC).")
    status: str = Field(description="The job's status (scheduled, completed, cancelled, ...).")
    price: Decimal = Field(description="The contract price this visit is billed at.")


class ScheduleRecurringOutput(BaseModel):
    """The contract and what this call did to its visits."""

    contract_id: str = Field(description="Backbone id of the contract.")
    contract_created: bool = Field(description="True when this call created the contract.")
    customer_id: str = Field(description="The customer.")
    service: str = Field(description="The visits' job type.")
    rrule: str = Field(description="The cadence (RFC 5545 RRULE).")
    window_start: time = Field(description="Arrival window start, local time.")
    window_end: time = Field(description="Arrival window end, local time.")
    timezone: str = Field(description="The account's time zone the window is in.")
    duration_minutes: int = Field(description="Expected time on site.")
    skills: list[str] = Field(description="Skills needed.")
    price: Decimal = Field(description="Price of one visit.")
    starts_on: date = Field(description="First day a visit may fall on.")
    notice_days: int = Field(description="Days ahead the Recurring Visit Due trigger fires.")
    active: bool = Field(description="False when the contract is paused.")
    computed_from: str = Field(description="last_completed (the newest completed visit) or contract_start.")
    computed_from_date: date = Field(description="The local day the series was computed from.")
    last_completed_at: datetime | None = Field(description="When the newest completed visit was completed (UTC).")
    last_completed_job_id: str | None = Field(description="That visit's job.")
    horizon_end: datetime = Field(description="Visits starting up to this time were booked (UTC).")
    next_visit_at: datetime | None = Field(description="Start of the next upcoming visit (UTC).")
    created: list[VisitOutput] = Field(description="Visits booked by this call (each announced by Job Scheduled).")
    existing: list[VisitOutput] = Field(description="Visits in the horizon that already existed (left as they are).")
    rescheduled: list[VisitOutput] = Field(description="Upcoming visits moved to the contract's current window.")
    cancelled: list[VisitOutput] = Field(description="Upcoming visits cancelled: no longer in the series.")
    created_count: int = Field(description="How many visits were booked.")
    existing_count: int = Field(description="How many already existed.")
    invoicing: str = Field(description="How the visits get invoiced (the price is kept on each visit until then).")


def invoicing(price: Decimal) -> str:
    """How the visits get billed, said plainly: Backbone keeps the price; nothing is billed before the visit is done."""
    return (f"Pending: each visit keeps the contract price ({price}) for its invoice; nothing is billed until the "
            "visit is completed (e.g. Job Completed → Generate Invoice).")


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise Conflict(f"The account's time zone {name!r} is unknown: fix it in the account settings.") from exc


def _find(ctx: Context, data: ScheduleRecurringInput) -> StoredContract | None:
    if data.contract_id is not None:
        found = ctx.contracts.get_contract(data.contract_id)
        if found is None:
            raise NotFound("contract_id", f"No contract {data.contract_id} in this account.")
        return found
    if data.customer_id is None:
        raise InputError("customer_id", "Give the customer (and the contract's terms), or a contract_id.")
    if data.service is None:
        raise InputError("service", "Give the service (the visits' job type), or a contract_id.")
    return ctx.contracts.find_contract(data.customer_id, data.service)


REQUIRED = ("customer_id", "service", "rrule", "window_start", "window_end", "duration_minutes", "price")
TERMS = (*REQUIRED, "skills", "starts_on", "notice_days", "active")


def _terms(data: ScheduleRecurringInput, found: StoredContract | None, today: date) -> ContractTerms:
    given: dict[str, Any] = {name: getattr(data, name) for name in TERMS if getattr(data, name) is not None}
    if "skills" in given:
        given["skills"] = tuple(given["skills"])
    if found is None:
        missing = next((name for name in REQUIRED if name not in given), None)
        if missing is not None:
            raise InputError(missing, f"{missing} is needed to create a contract.")
        terms = ContractTerms(**{"skills": (), "starts_on": today, "notice_days": DEFAULT_NOTICE_DAYS,
                                 "active": True, **given})
    else:
        if given.get("customer_id", found.terms.customer_id) != found.terms.customer_id:
            raise InputError("customer_id", "A contract's customer cannot change: create a new contract instead.")
        terms = replace(found.terms, **given)
    if "starts_on" in given and not today - timedelta(days=3653) <= terms.starts_on <= today + timedelta(days=1827):
        raise InputError("starts_on", "The first day must be within ten years before and five years after today.")
    if terms.window_end <= terms.window_start:
        raise InputError("window_end", "The window must end after it starts, on the same day (e.g. 08:00 to 12:00).")
    return terms


def _visit(visit: StoredVisit, job: JobSnapshot) -> VisitOutput:
    return VisitOutput(job_id=job.job_id, occurs_on=visit.occurs_on, scheduled_start=job.scheduled_start,
                       scheduled_end=job.scheduled_end, status=job.status.value, price=visit.price)


def _stored(visit: StoredVisit) -> VisitOutput:
    return VisitOutput(job_id=visit.job_id, occurs_on=visit.occurs_on, scheduled_start=visit.scheduled_start,
                       scheduled_end=visit.scheduled_end, status=visit.status, price=visit.price)


def _emit(ctx: Context, kind: EventType, job: JobSnapshot, visit: StoredVisit, contract_id: str, now: datetime,
          previous: str | None) -> None:
    verb = "scheduled" if kind == EventType.JOB_SCHEDULED else "cancelled"
    ctx.events.emit(CanonicalEvent(
        event_id=f"visit:{job.job_id}:{visit.revision}:{verb}", type=kind, occurred_at=now, source="backbone",
        source_id=job.source_id, subject_id=job.job_id,
        data={"job": job.model_dump(mode="json"), "previous_status": previous,
              "visit": {"contract_id": contract_id, "occurs_on": visit.occurs_on.isoformat(),
                        "price": str(visit.price)}},
    ))


def run(ctx: Context, data: ScheduleRecurringInput) -> ScheduleRecurringOutput:
    """Creates or updates the contract, then books its missing visits within the horizon.

    Repeating the call (or replaying it) books nothing twice: a visit's job is keyed by the
    contract and the occurrence's local day.

    Raises:
        InputError: A term is missing (creating) or inconsistent (window, customer change).
        NotFound: No such contract or customer in this account.
        Conflict: Another contract of this customer already has that service.
    """
    zone = _zone(ctx.timezone)
    now = ctx.clock().astimezone(UTC)
    found = _find(ctx, data)
    terms = _terms(data, found, now.astimezone(zone).date())
    if found is None and not ctx.contracts.customer_exists(terms.customer_id):
        raise NotFound("customer_id", f"No customer {terms.customer_id} in this account.")
    if found is not None and terms.service != found.terms.service:
        other = ctx.contracts.find_contract(terms.customer_id, terms.service)
        if other is not None and other.id != found.id:
            raise Conflict(f"This customer already has a {terms.service} contract ({other.id}).")
    visits = ctx.contracts.visits(found.id) if found is not None else []
    plan = plan_visits(terms, visits, now=now, zone=zone, horizon_days=data.horizon_days)
    last_at = plan.last_completed.completed_at if plan.last_completed else None
    contract = ctx.contracts.save_contract(found.id if found else None, terms, last_at)

    cancelled: list[VisitOutput] = []
    for old in plan.drop:
        job, visit = ctx.contracts.drop_visit(old, now)
        _emit(ctx, EventType.JOB_CANCELLED, job, visit, contract.id, now, old.status)
        cancelled.append(_visit(visit, job))
    existing = [_stored(v) for v in plan.keep if v.scheduled_start is None or v.scheduled_start <= plan.horizon_end]
    rescheduled: list[VisitOutput] = []
    for old, wanted in plan.rebook:
        job, visit = ctx.contracts.rebook_visit(contract, old, wanted, now)
        if old.dropped or (old.scheduled_start, old.scheduled_end) != (wanted.start, wanted.end):
            _emit(ctx, EventType.JOB_SCHEDULED, job, visit, contract.id, now, old.status)
            rescheduled.append(_visit(visit, job))
        elif wanted.start <= plan.horizon_end:
            existing.append(_visit(visit, job))
    created: list[VisitOutput] = []
    for wanted in plan.book:
        booked = ctx.contracts.book_visit(contract, wanted, now)
        if booked is None:  # booked meanwhile by a concurrent call
            continue
        job, visit = booked
        _emit(ctx, EventType.JOB_SCHEDULED, job, visit, contract.id, now, None)
        created.append(_visit(visit, job))

    upcoming = sorted(
        (v for v in [*created, *rescheduled, *existing] if v.status in MOVABLE and v.scheduled_start
         and v.scheduled_start > now), key=lambda v: v.occurs_on)
    t = contract.terms
    return ScheduleRecurringOutput(
        contract_id=contract.id, contract_created=found is None, customer_id=t.customer_id, service=t.service,
        rrule=t.rrule, window_start=t.window_start, window_end=t.window_end, timezone=ctx.timezone,
        duration_minutes=t.duration_minutes, skills=list(t.skills), price=t.price, starts_on=t.starts_on,
        notice_days=t.notice_days, active=t.active,
        computed_from="last_completed" if plan.anchor.completed else "contract_start",
        computed_from_date=plan.anchor.day, last_completed_at=last_at,
        last_completed_job_id=plan.last_completed.job_id if plan.last_completed else None,
        horizon_end=plan.horizon_end, next_visit_at=upcoming[0].scheduled_start if upcoming else None,
        created=sorted(created, key=lambda v: v.occurs_on), existing=sorted(existing, key=lambda v: v.occurs_on),
        rescheduled=sorted(rescheduled, key=lambda v: v.occurs_on),
        cancelled=sorted(cancelled, key=lambda v: v.occurs_on), created_count=len(created),
        existing_count=len(existing),
        invoicing=invoicing(t.price),
    )


SAMPLE = ScheduleRecurringOutput(
    contract_id="c0a1b2c3d4e5f60718293a4b5c6d7e8f",
    contract_created=True,
    customer_id="a1b2c3d4e5f60718293a4b5c6d7e8f90",
    service="maintenance",
    rrule="FREQ=MONTHLY;INTERVAL=3",
    window_start=time(8, 0),
    window_end=time(12, 0),
    timezone="America/Chicago",
    duration_minutes=60,
    skills=["hvac"],
    price=Decimal("129.00"),
    starts_on=date(2026, 12, 1),
    notice_days=7,
    active=True,
    computed_from="contract_start",
    computed_from_date=date(2026, 12, 1),
    last_completed_at=None,
    last_completed_job_id=None,
    horizon_end=datetime(2027, 3, 24, 17, 0, tzinfo=UTC),
    next_visit_at=datetime(2026, 12, 1, 14, 0, tzinfo=UTC),
    created=[
        VisitOutput(job_id="5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b", occurs_on=date(2026, 12, 1),
                    scheduled_start=datetime(2026, 12, 1, 14, 0, tzinfo=UTC),
                    scheduled_end=datetime(2026, 12, 1, 18, 0, tzinfo=UTC), status="scheduled",
                    price=Decimal("129.00")),
        VisitOutput(job_id="6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c", occurs_on=date(2027, 3, 1),
                    scheduled_start=datetime(2027, 3, 1, 14, 0, tzinfo=UTC),
                    scheduled_end=datetime(2027, 3, 1, 18, 0, tzinfo=UTC), status="scheduled",
                    price=Decimal("129.00")),
    ],
    existing=[],
    rescheduled=[],
    cancelled=[],
    created_count=2,
    existing_count=0,
    invoicing=invoicing(Decimal("129.00")),
)

ACTION = ActionSpec(
    key="schedule_recurring",
    noun="Recurring Visits",
    label="Schedule Recurring Visits",
    help_text="Creates or updates a service contract (cadence as an RRULE, window, price) and books its visits "
    "ahead, counting from the last completed visit; never books one twice.",
    input=ScheduleRecurringInput,
    output=ScheduleRecurringOutput,
    sample=SAMPLE,
    weight=Weight.FAST,
    run=run,
)
