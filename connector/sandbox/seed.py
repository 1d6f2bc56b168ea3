"""Seeds a tenant with a realistic field-service company: the sandbox's demo data.

An Austin, TX shop: technicians with trades, certifications and home bases; customers with
addresses and mail consent; months of jobs ending at `now` (Mon-Sat appointment windows in the
tenant's local business hours, P1 emergencies, some after hours, a few cancellations), parts,
invoices priced from the tenant's rate card (a few left unsent or sent late, so the rule
triggers and KPI screens have something to show) and payments (some partial, some late).

Everything is drawn from `random.Random(seed)`: the same seed and `now` give the same data,
row ids aside. Rows go in with bulk inserts (about 10k jobs take a few seconds).
"""

from __future__ import annotations

import logging
import math
import random
import time as clock
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from connector.accounts.service import create_tenant, create_user
from connector.db.base import new_id
from connector.db.models import (
    Customer,
    Invoice,
    InvoiceLine,
    Job,
    JobPart,
    Payment,
    Role,
    Technician,
    Tenant,
)
from connector.db.store import SqlStore
from connector.sandbox import demo_data as dd
from connector.sandbox.billing import DAY as DAY  # re-exported: one of the seed's constants
from connector.sandbox.billing import SOURCE, BillingContext, Row, bill, minutes

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from connector.crypto import SecretBox

logger = logging.getLogger(__name__)

STAGES = ("created", "scheduled", "dispatched", "en_route", "arrived", "completed")
WINDOWS = ((8, 10), (10, 12), (12, 14), (14, 16), (16, 18))  # local appointment windows
FUTURE_DAYS = 3  # days after today that may already hold booked jobs

DEMO_COMPANY = "Lone Star Comfort Services"
DEMO_PASSWORD = "backbone-demo"  # noqa: S105 - the published password of the demo logins
DEMO_OWNER_EMAIL = "owner@demo.backbone.test"
DEMO_DISPATCHER_EMAIL = "dispatch@demo.backbone.test"
DEMO_BILLING_EMAIL = "billing@demo.backbone.test"
DEMO_SUPPORT_EMAIL = "support@backbone.test"


@dataclass(frozen=True)
class SeedSummary:
    """What seed_tenant inserted, and the span of the appointments (UTC)."""

    technicians: int
    customers: int
    jobs: int
    jobs_completed: int
    jobs_cancelled: int
    jobs_open: int
    job_parts: int
    invoices: int
    invoice_lines: int
    payments: int
    first_appointment: datetime | None
    last_appointment: datetime | None


@dataclass(frozen=True)
class DemoCredentials:
    """The demo company's logins (all with DEMO_PASSWORD) and where its data lives."""

    tenant_id: str
    sandbox_account_id: str
    owner_email: str
    dispatcher_email: str
    billing_email: str
    support_email: str
    password: str
    summary: SeedSummary


@dataclass(frozen=True)
class _Site:
    id: str
    lat: float
    lng: float


@dataclass(frozen=True)
class _Tech(_Site):
    templates: tuple[dd.JobTemplate, ...]
    nearby: tuple[_Site, ...] = ()


@dataclass
class _Visit:
    tech: _Tech
    origin: _Site  # where the tech sets off from: home, or the previous job
    customer: _Site
    template: dd.JobTemplate
    priority: str
    window: tuple[datetime, datetime]
    stamps: list[datetime] = field(default_factory=list)  # one per STAGES entry
    cancel_at: datetime | None = None


@dataclass(frozen=True)
class _Ctx(BillingContext):
    zone: ZoneInfo  # the tenant's, for local business hours


def _local(ctx: _Ctx, day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=ctx.zone).astimezone(UTC)


def distance_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance (haversine), in kilometres."""
    p1, p2, dlng = math.radians(lat1), math.radians(lat2), math.radians(lng2 - lng1)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dlng / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(a))


def _travel(a: _Site, b: _Site) -> timedelta:
    # Road distance ~1.35x the straight line, ~38 km/h across town, plus parking.
    return minutes(round(6 + distance_km(a.lat, a.lng, b.lat, b.lng) * 1.35 / 38 * 60))


def _technicians(ctx: _Ctx, count: int, days: int) -> tuple[list[Row], list[_Tech]]:
    rng, rows, techs = ctx.rng, [], []
    for i, (first, last) in enumerate(dd.draw_people(rng, count)):
        trade = dd.TRADE_MIX[i % len(dd.TRADE_MIX)]
        certs = [cert for cert, share in dd.CERTIFICATIONS[trade] if rng.random() < share]
        skills = [trade, *certs]
        home = dd.draw_address(rng)
        templates = tuple(t for t in dd.JOB_TEMPLATES if t.skill in skills)
        techs.append(_Tech(new_id(), home.lat, home.lng, templates))
        rows.append({
            "id": techs[-1].id, "tenant_id": ctx.tenant_id, "source": SOURCE,
            "source_id": f"T-{101 + i}", "name": f"{first} {last}",
            "email": f"{dd.slug(first)}.{dd.slug(last)}@crew.example.com",
            "phone": dd.draw_phone(rng), "skills": skills, "home_address": home.one_line,
            "home_lat": home.lat, "home_lng": home.lng, "active": True,
            "created_at": ctx.now - timedelta(days=days + rng.randint(30, 2500)),
        })  # fmt: skip
    return rows, techs


def _customers(ctx: _Ctx, count: int, days: int) -> tuple[list[Row], list[_Site]]:
    rng, rows, sites = ctx.rng, [], []
    for i in range(count):
        name, email = dd.draw_customer(rng, i)
        home = dd.draw_address(rng)
        consent = rng.random()  # ~35% marketing and operational, ~60% operational only, ~5% none
        sites.append(_Site(new_id(), home.lat, home.lng))
        rows.append({
            "id": sites[-1].id, "tenant_id": ctx.tenant_id, "source": SOURCE,
            "source_id": f"C-{10001 + i}", "name": name, "email": email,
            "phone": dd.draw_phone(rng), "address": home.street, "city": home.place.city,
            "region": dd.REGION, "postal_code": home.place.postal_code,
            "lat": home.lat, "lng": home.lng,
            "mail_consent_marketing": consent < 0.35, "mail_consent_operational": consent < 0.95,
            "created_at": ctx.now - timedelta(days=days + rng.randint(15, 1500)),
        })  # fmt: skip
    return rows, sites


def _with_zones(techs: list[_Tech], customers: list[_Site]) -> list[_Tech]:
    # Each tech mostly serves the third of the customers nearest home.
    size = max(1, len(customers) // 3)

    def nearest(t: _Tech) -> tuple[_Site, ...]:
        by_distance = sorted(customers, key=lambda c: distance_km(t.lat, t.lng, c.lat, c.lng))
        return tuple(by_distance[:size])

    return [_Tech(t.id, t.lat, t.lng, t.templates, nearest(t)) for t in techs]


def _ordered(stamps: list[datetime]) -> list[datetime]:
    # The field stages are physical; booking stages that would not precede them move earlier.
    out = list(stamps)
    for i in range(len(out) - 2, -1, -1):
        out[i] = min(out[i], out[i + 1] - minutes(1))
    return out


def _finish(ctx: _Ctx, visit: _Visit, booked: list[datetime], depart: datetime) -> _Visit:
    rng = ctx.rng
    arrive = depart + _travel(visit.origin, visit.customer)
    done = arrive + minutes(rng.randint(*visit.template.minutes))
    visit.stamps = _ordered([*booked, depart, arrive, done])
    if visit.priority != "P1" and rng.random() < 0.03:
        # The customer calls it off after booking, before the tech sets off.
        span = (visit.stamps[3] - visit.stamps[1]).total_seconds() / 60
        visit.cancel_at = visit.stamps[1] + minutes(max(1, int(span * rng.uniform(0.2, 0.95))))
    return visit


def _booking(ctx: _Ctx, start: datetime, priority: str, dispatch_at: datetime) -> list[datetime]:
    rng, local_start = ctx.rng, start.astimezone(ctx.zone)
    if priority == "P2" and local_start.hour >= 10 and rng.random() < 0.5:
        created = start - minutes(rng.randint(60, 120))  # a same-day call
    else:
        lead = rng.randint(1, 3) if priority == "P2" else rng.randint(1, 14)
        day = local_start.date() - timedelta(days=lead)
        created = _local(ctx, day, rng.randint(8, 17), rng.randint(0, 59))
    scheduled = created + minutes(rng.randint(2, 90))
    return [created, scheduled, max(dispatch_at, scheduled + minutes(rng.randint(1, 10)))]


def _emergency_booking(rng: random.Random, created: datetime) -> list[datetime]:
    scheduled = created + minutes(rng.randint(1, 4))
    return [created, scheduled, scheduled + minutes(rng.randint(1, 4))]


def _jobs_on(rng: random.Random, day: date) -> int:
    if day.weekday() == 6:
        return 0
    if day.weekday() == 5:
        return rng.choice((1, 2, 2, 3)) if rng.random() < 0.35 else 0
    return rng.choice((3, 4, 4, 5, 5)) if rng.random() < 0.95 else 0


def _pick_customer(rng: random.Random, tech: _Tech, customers: list[_Site]) -> _Site:
    return rng.choice(tech.nearby) if tech.nearby and rng.random() < 0.8 else rng.choice(customers)


def _pick_template(rng: random.Random, tech: _Tech, priority: str, slot: int) -> dd.JobTemplate:
    # Emergencies are repairs; half-day installs are booked in the morning.
    fits = [
        t for t in tech.templates
        if (t.job_type in ("repair", "diagnostic") if priority == "P1" else slot < 2 or t.minutes[1] <= 150)
    ]  # fmt: skip
    return rng.choice(fits or tech.templates)


def _tech_day(ctx: _Ctx, tech: _Tech, customers: list[_Site], day: date) -> list[_Visit]:
    rng, here, free = ctx.rng, _Site(tech.id, tech.lat, tech.lng), _local(ctx, day, 7, 30)
    dispatch_at = _local(ctx, day, 6, 45) + minutes(rng.randint(0, 50))
    visits: list[_Visit] = []
    for slot in sorted(rng.sample(range(len(WINDOWS)), _jobs_on(rng, day))):
        customer = _pick_customer(rng, tech, customers)
        roll = rng.random()
        priority = "P1" if roll < 0.036 else "P2" if roll < 0.3 else "P3"
        window = (_local(ctx, day, WINDOWS[slot][0]), _local(ctx, day, WINDOWS[slot][1]))
        depart = free + minutes(rng.randint(3, 12))
        if priority == "P1":  # an emergency call taken while on the previous job
            booked = _emergency_booking(rng, depart - minutes(rng.randint(10, 40)))
            window = (booked[0], booked[0] + timedelta(hours=2))
        else:
            travel = _travel(here, customer)
            if depart + travel > window[1] + minutes(90):
                continue  # running far behind: the office moves this visit to another day
            booked = _booking(ctx, window[0], priority, dispatch_at)
            depart = max(depart, window[0] - travel + minutes(rng.randint(-10, 50)))
        template = _pick_template(rng, tech, priority, slot)
        visit = _Visit(tech, here, customer, template, priority, window)
        visits.append(_finish(ctx, visit, booked, depart))
        if visit.cancel_at is None:
            here, free = customer, visit.stamps[-1]
    return visits


def _after_hours(
    ctx: _Ctx, techs: list[_Tech], customers: list[_Site], day: date, busy: dict[str, datetime]
) -> list[_Visit]:
    rng, visits = ctx.rng, []
    for _ in range(rng.choice((0, 0, 0, 1, 1, 1, 1, 2))):
        tech = rng.choice(techs)
        hours = (8, 20) if day.weekday() == 6 else (19, 22)
        booked = _emergency_booking(rng, _local(ctx, day, rng.randint(*hours), rng.randint(0, 59)))
        depart = max(booked[2], busy.get(tech.id, booked[2])) + minutes(rng.randint(5, 15))
        window = (booked[0], booked[0] + timedelta(hours=2))
        customer = _pick_customer(rng, tech, customers)
        visit = _Visit(tech, tech, customer, _pick_template(rng, tech, "P1", 0), "P1", window)
        visits.append(_finish(ctx, visit, booked, depart))
        busy[tech.id] = visit.stamps[-1]
    return visits


def _plan(ctx: _Ctx, techs: list[_Tech], customers: list[_Site], days: int) -> list[_Visit]:
    today = ctx.now.astimezone(ctx.zone).date()
    visits: list[_Visit] = []
    for offset in range(-days, FUTURE_DAYS + 1):
        day, busy = today + timedelta(days=offset), {}
        for tech in techs:
            worked = _tech_day(ctx, tech, customers, day)
            ends = [v.stamps[-1] for v in worked if v.cancel_at is None]
            if ends:
                busy[tech.id] = max(ends)
            visits.extend(worked)
        visits.extend(_after_hours(ctx, techs, customers, day, busy))
    return visits


def _job_row(ctx: _Ctx, visit: _Visit) -> Row | None:
    """The job as it stands at `now`; None when it is not even booked yet."""
    stamps = dict(zip(STAGES, visit.stamps, strict=True))
    cancel = visit.cancel_at if visit.cancel_at is not None and visit.cancel_at <= ctx.now else None
    limit = cancel - minutes(1) if cancel is not None else ctx.now
    reached = {stage: at for stage, at in stamps.items() if at <= limit}
    if not reached:
        return None
    status = "cancelled" if cancel is not None else list(reached)[-1]
    booked = status != "created"  # a job only created has no technician or window yet
    return {
        "id": new_id(), "tenant_id": ctx.tenant_id, "source": SOURCE, "source_id": None,
        "customer_id": visit.customer.id, "technician_id": visit.tech.id if booked else None,
        "job_type": visit.template.job_type, "skill": visit.template.skill,
        "priority": visit.priority, "description": visit.template.description, "status": status,
        "status_changed_at": cancel or reached[status], "created_at": reached["created"],
        "scheduled_start": visit.window[0] if booked else None,
        "scheduled_end": visit.window[1] if booked else None,
        "estimated_minutes": sum(visit.template.minutes) // 2,
        **{f"{stage}_at": reached.get(stage) for stage in STAGES[1:]},
        "cancelled_at": cancel,
        "completion_notes": visit.template.notes if status == "completed" else None,
    }  # fmt: skip


def _jobs(ctx: _Ctx, visits: list[_Visit]) -> list[tuple[Row, _Visit]]:
    kept = [(row, i, v) for i, v in enumerate(visits) if (row := _job_row(ctx, v)) is not None]
    kept.sort(key=lambda k: (k[0]["created_at"], k[1]))  # job numbers follow booking order
    for n, (row, _, _) in enumerate(kept):
        row["source_id"] = f"J-{100001 + n}"
    return [(row, visit) for row, _, visit in kept]


def _parts(ctx: _Ctx, job: Row, template: dd.JobTemplate) -> list[Row]:
    rng = ctx.rng
    if not template.parts or rng.random() >= template.parts_chance:
        return []
    skus = [template.parts[0], *(sku for sku in template.parts[1:] if rng.random() < 0.4)]
    return [
        {"id": new_id(), "tenant_id": ctx.tenant_id, "job_id": job["id"], "sku": sku,
         "description": dd.PARTS[sku].description, "unit_cost": dd.PARTS[sku].unit_cost,
         "quantity": Decimal(rng.randint(1, dd.PARTS[sku].max_quantity))}
        for sku in sorted(skus)  # the order the store lists a job's parts in
    ]  # fmt: skip


def _summarize(batches: dict[type[Any], list[Row]]) -> SeedSummary:
    jobs = batches[Job]
    statuses = [job["status"] for job in jobs]
    starts = [job["scheduled_start"] for job in jobs if job["scheduled_start"] is not None]
    completed, cancelled = statuses.count("completed"), statuses.count("cancelled")
    return SeedSummary(
        technicians=len(batches[Technician]), customers=len(batches[Customer]), jobs=len(jobs),
        jobs_completed=completed, jobs_cancelled=cancelled,
        jobs_open=len(jobs) - completed - cancelled, job_parts=len(batches[JobPart]),
        invoices=len(batches[Invoice]), invoice_lines=len(batches[InvoiceLine]),
        payments=len(batches[Payment]),
        first_appointment=min(starts, default=None), last_appointment=max(starts, default=None),
    )  # fmt: skip


def _seedable_tenant(session: Session, tenant_id: str, now: datetime, counts: list[int]) -> Tenant:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware (UTC)")
    if min(counts) < 1:
        raise ValueError("technicians, customers and days must each be at least 1")
    tenant = session.get(Tenant, tenant_id)
    if tenant is None:
        raise ValueError(f"no tenant with id {tenant_id!r}")
    seeded = sa.select(Technician.id).where(
        Technician.tenant_id == tenant_id, Technician.source == SOURCE
    )
    if session.scalar(seeded.limit(1)) is not None:
        raise ValueError(f"tenant {tenant_id!r} already has sandbox demo data")
    return tenant


def seed_tenant(
    session: Session,
    tenant_id: str,
    *,
    seed: int,
    now: datetime,
    technicians: int = 24,
    customers: int = 240,
    days: int = 120,
) -> SeedSummary:
    """Fills a tenant with a demo company's history up to `now`, in the session's transaction.

    Deterministic for a given seed and `now` (row ids aside). Invoices are priced from the
    tenant's rate card and continue its invoice numbering. Raises ValueError for a naive
    `now`, a count below 1, an unknown tenant, or a tenant already seeded.
    """
    tenant = _seedable_tenant(session, tenant_id, now, [technicians, customers, days])
    started, card = clock.perf_counter(), SqlStore(session, tenant_id).get_rate_card()
    rng = random.Random(seed)  # noqa: S311 - demo data, not secrets; must replay from a seed
    ctx = _Ctx(rng, tenant_id, now.astimezone(UTC), card, zone=ZoneInfo(tenant.timezone))
    tech_rows, techs = _technicians(ctx, technicians, days)
    customer_rows, sites = _customers(ctx, customers, days)
    jobs = _jobs(ctx, _plan(ctx, _with_zones(techs, sites), sites, days))
    completed = [(job, _parts(ctx, job, v.template)) for job, v in jobs if job["completed_at"]]
    invoices, lines, payments = bill(ctx, completed, 1)
    batches: dict[type[Any], list[Row]] = {
        Technician: tech_rows, Customer: customer_rows, Job: [job for job, _ in jobs],
        JobPart: [part for _, parts in completed for part in parts],
        Invoice: invoices, InvoiceLine: lines, Payment: payments,
    }  # fmt: skip
    for model, rows in batches.items():  # in foreign-key order
        if rows:  # render_nulls: one executemany per table, not one per pattern of NULLs
            session.execute(sa.insert(model).execution_options(render_nulls=True), rows)
    summary = _summarize(batches)
    seconds = round(clock.perf_counter() - started, 2)
    logger.info("sandbox.seeded", extra={"tenant_id": tenant_id, "seconds": seconds})
    return summary


def seed_demo_company(
    session: Session, box: SecretBox, *, now: datetime, seed: int = 7
) -> DemoCredentials:
    """Creates the demo tenant with owner, dispatcher and billing logins, a support login, and data.

    Meant for an empty database (see database_is_empty): an email already taken raises
    connector.accounts.service.EmailTaken.
    """
    tenant, _owner, install = create_tenant(
        session, box, company=DEMO_COMPANY, owner_name="Marisol Vega",
        owner_email=DEMO_OWNER_EMAIL, password=DEMO_PASSWORD, timezone="America/Chicago",
    )  # fmt: skip
    for email, name, role, tenant_id in (
        (DEMO_DISPATCHER_EMAIL, "Travis Cole", Role.DISPATCHER, tenant.id),
        (DEMO_BILLING_EMAIL, "Priya Raman", Role.BILLING, tenant.id),
        (DEMO_SUPPORT_EMAIL, "Backbone Support", Role.SUPPORT, None),
    ):
        create_user(
            session, email=email, name=name, password=DEMO_PASSWORD, role=role, tenant_id=tenant_id
        )
    return DemoCredentials(
        tenant_id=tenant.id, sandbox_account_id=install.account_id,
        owner_email=DEMO_OWNER_EMAIL, dispatcher_email=DEMO_DISPATCHER_EMAIL,
        billing_email=DEMO_BILLING_EMAIL, support_email=DEMO_SUPPORT_EMAIL,
        password=DEMO_PASSWORD, summary=seed_tenant(session, tenant.id, seed=seed, now=now),
    )  # fmt: skip


def database_is_empty(session: Session) -> bool:
    """True while no tenant exists (the moment to offer the demo company)."""
    return session.scalar(sa.select(Tenant.id).limit(1)) is None
