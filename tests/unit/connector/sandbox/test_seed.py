from __future__ import annotations

import itertools
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from actions.generate_invoice import billable_minutes
from connector.db.models import (
    Customer,
    Install,
    Invoice,
    InvoiceLine,
    Job,
    JobPart,
    Payment,
    RateCard,
    Technician,
    Tenant,
    User,
)
from connector.db.store import SqlStore
from connector.passwords import verify_password
from connector.sandbox import demo_data
from connector.sandbox.seed import (
    DEMO_PASSWORD,
    STAGES,
    SeedSummary,
    database_is_empty,
    distance_km,
    seed_demo_company,
    seed_tenant,
)

if TYPE_CHECKING:
    from actions.context import RateCard as PricingCard
    from connector.runtime import Runtime
    from tests.conftest import TenantInfo

NOW = datetime(2026, 11, 25, 16, 5, tzinfo=UTC)  # a Wednesday, 10:05 in Austin
AUSTIN = ZoneInfo("America/Chicago")
SMALL: dict[str, int] = {"technicians": 6, "customers": 40, "days": 21}
MODELS = (Technician, Customer, Job, JobPart, Invoice, InvoiceLine, Payment)
CENT = Decimal("0.01")


def _seed(runtime: Runtime, tenant_id: str, seed: int = 3, **sizes: int) -> SeedSummary:
    with runtime.db.session() as session:
        return seed_tenant(session, tenant_id, seed=seed, now=NOW, **{**SMALL, **sizes})


def _rows(runtime: Runtime, model: Any, tenant_id: str) -> list[Any]:
    with runtime.db.session() as session:
        return list(session.scalars(sa.select(model).where(model.tenant_id == tenant_id)))


def _stamps(job: Job) -> list[datetime | None]:
    return [job.created_at, *(getattr(job, f"{stage}_at") for stage in STAGES[1:])]


def _within_metro(lat: float | None, lng: float | None) -> bool:
    return lat is not None and lng is not None and distance_km(*demo_data.CENTER, lat, lng) <= 40


def _assert_logins(runtime: Runtime, creds: Any) -> None:
    expected = {
        creds.owner_email: ("owner", creds.tenant_id),
        creds.dispatcher_email: ("dispatcher", creds.tenant_id),
        creds.billing_email: ("billing", creds.tenant_id),
        creds.support_email: ("support", None),
    }
    with runtime.db.session() as session:
        users = {u.email: u for u in session.scalars(sa.select(User))}
        account_id = session.scalar(sa.select(Install.account_id).where(Install.tenant_id == creds.tenant_id))
        assert session.get(Tenant, creds.tenant_id).name == "Lone Star Comfort Services"
    assert account_id == creds.sandbox_account_id
    assert creds.password == DEMO_PASSWORD == "backbone-demo"
    assert creds.owner_email == "owner@demo.backbone.test"
    assert creds.support_email == "support@backbone.test"
    for email, (role, tenant_id) in expected.items():
        assert (users[email].role, users[email].tenant_id) == (role, tenant_id)
        assert verify_password(users[email].password_hash, DEMO_PASSWORD)
        assert not verify_password(users[email].password_hash, "wrong password")


def _assert_people(runtime: Runtime, tenant_id: str) -> None:
    techs = _rows(runtime, Technician, tenant_id)
    assert len(techs) >= 20
    assert {"hvac", "plumbing", "electrical"} == {t.skills[0] for t in techs}
    assert {"refrigerant_epa608", "backflow", "gas_fitting"} <= {s for t in techs for s in t.skills}
    assert all(t.home_address and _within_metro(t.home_lat, t.home_lng) for t in techs)
    customers = _rows(runtime, Customer, tenant_id)
    assert len(customers) >= 200
    assert all(c.address and c.postal_code and _within_metro(c.lat, c.lng) for c in customers)
    consent = Counter((c.mail_consent_marketing, c.mail_consent_operational) for c in customers)
    assert consent[(False, True)] > 0.45 * len(customers)  # operational only
    assert consent[(True, True)] > 0.25 * len(customers)  # marketing too
    assert 0 < consent[(False, False)] < 0.15 * len(customers)  # opted out of mail


def _assert_history(runtime: Runtime, tenant_id: str, summary: SeedSummary) -> None:
    jobs = _rows(runtime, Job, tenant_id)
    completed = [j for j in jobs if j.status == "completed"]
    assert summary.first_appointment is not None
    assert summary.first_appointment <= NOW - timedelta(days=90)
    assert max(j.completed_at for j in completed) <= NOW
    assert any(j.status == "scheduled" and j.scheduled_start > NOW for j in jobs)
    work_days = {(j.technician_id, j.scheduled_start.astimezone(AUSTIN).date()) for j in completed}
    assert 3 <= len(completed) / len(work_days) <= 5
    priorities = Counter(j.priority for j in jobs)
    assert 0.03 <= priorities["P1"] / len(jobs) <= 0.07
    assert 0.015 <= summary.jobs_cancelled / len(jobs) <= 0.05
    with_parts = {p.job_id for p in _rows(runtime, JobPart, tenant_id)}
    assert 0.4 <= len(with_parts) / len(completed) <= 0.6
    invoices = {i.job_id: i for i in _rows(runtime, Invoice, tenant_id)}
    old = [j for j in completed if j.completed_at < NOW - timedelta(hours=48)]
    assert 0 < sum(1 for j in old if j.id not in invoices) < 0.02 * len(old)  # left uninvoiced
    late = [j for j in old if j.id in invoices and invoices[j.id].sent_at
            and invoices[j.id].sent_at - j.completed_at > timedelta(hours=48)]
    assert 0.03 * len(old) < len(late) < 0.15 * len(old)  # sent late


def test_demo_company_has_the_minimum_realistic_data_and_working_logins(runtime: Runtime) -> None:
    with runtime.db.session() as session:
        assert database_is_empty(session)
        started = time.perf_counter()
        creds = seed_demo_company(session, runtime.secrets, now=NOW)
        print(f"seed_demo_company on {runtime.db.engine.dialect.name}: {time.perf_counter() - started:.2f}s")
    with runtime.db.session() as session:
        assert not database_is_empty(session)
    _assert_logins(runtime, creds)
    _assert_people(runtime, creds.tenant_id)
    _assert_history(runtime, creds.tenant_id, creds.summary)
    counts = {m: len(_rows(runtime, m, creds.tenant_id)) for m in MODELS}
    summary = creds.summary
    assert counts == {
        Technician: summary.technicians, Customer: summary.customers, Job: summary.jobs,
        JobPart: summary.job_parts, Invoice: summary.invoices,
        InvoiceLine: summary.invoice_lines, Payment: summary.payments,
    }
    assert summary.jobs == summary.jobs_completed + summary.jobs_cancelled + summary.jobs_open


def test_status_timestamps_are_ordered_and_match_the_status(runtime: Runtime, tenant: TenantInfo) -> None:
    _seed(runtime, tenant.tenant_id)
    jobs = _rows(runtime, Job, tenant.tenant_id)
    assert {j.status for j in jobs} >= {"completed", "cancelled", "scheduled", "dispatched"}
    for job in jobs:
        stamps = _stamps(job)
        reached = [at for at in stamps if at is not None]
        assert reached == stamps[: len(reached)], job.source_id  # no gaps
        assert all(a < b for a, b in itertools.pairwise(reached)), job.source_id
        if job.status == "cancelled":
            assert job.cancelled_at is not None and reached[-1] < job.cancelled_at <= NOW
            assert job.status_changed_at == job.cancelled_at
        else:
            assert job.cancelled_at is None and reached[-1] <= NOW
            assert STAGES[len(reached) - 1] == job.status
            assert job.status_changed_at == reached[-1]
        if job.status == "completed":
            assert len(reached) == len(STAGES) and job.completion_notes
        if job.status != "created":
            assert job.technician_id and job.scheduled_start < job.scheduled_end


def test_every_datetime_is_timezone_aware_utc(runtime: Runtime, tenant: TenantInfo) -> None:
    summary = _seed(runtime, tenant.tenant_id)
    assert summary.first_appointment is not None and summary.first_appointment.tzinfo is not None
    seen = 0
    for model in MODELS:
        for row in _rows(runtime, model, tenant.tenant_id):
            for column in sa.inspect(model).columns:
                value = getattr(row, column.key)
                if isinstance(value, datetime):
                    assert value.utcoffset() == timedelta(0), (model.__name__, column.key)
                    seen += 1
    assert seen > 1000


def test_appointments_are_in_local_business_hours_mon_to_sat(runtime: Runtime, tenant: TenantInfo) -> None:
    _seed(runtime, tenant.tenant_id)
    booked = [j for j in _rows(runtime, Job, tenant.tenant_id) if j.priority != "P1" and j.scheduled_start]
    assert booked
    for job in booked:
        start, end = job.scheduled_start.astimezone(AUSTIN), job.scheduled_end.astimezone(AUSTIN)
        assert start.weekday() != 6 and start.hour >= 8 and (end.hour, end.minute) <= (18, 0)
    emergencies = [j for j in _rows(runtime, Job, tenant.tenant_id) if j.priority == "P1"]
    assert any(not 8 <= j.created_at.astimezone(AUSTIN).hour < 18 for j in emergencies)


def test_past_jobs_are_finished_and_today_is_in_progress(runtime: Runtime, tenant: TenantInfo) -> None:
    _seed(runtime, tenant.tenant_id)
    jobs = _rows(runtime, Job, tenant.tenant_id)
    today = NOW.astimezone(AUSTIN).date()
    for job in jobs:
        if job.scheduled_start and job.scheduled_start.astimezone(AUSTIN).date() < today:
            assert job.status in ("completed", "cancelled"), job.source_id
        if job.scheduled_start and job.scheduled_start > NOW + timedelta(days=1):
            assert job.status in ("scheduled", "cancelled"), job.source_id
    todays = {j.status for j in jobs if j.scheduled_start and j.scheduled_start.astimezone(AUSTIN).date() == today}
    assert len(todays & {"completed", "arrived", "en_route", "dispatched", "scheduled"}) >= 3


def _set_rate_card(runtime: Runtime, tenant_id: str) -> PricingCard:
    with runtime.db.session() as session:
        card = session.scalar(sa.select(RateCard).where(RateCard.tenant_id == tenant_id))
        card.labour_rate_per_hour = Decimal("120.00")
        card.trip_charge = Decimal("65.00")
        card.parts_markup_percent = Decimal("50")
        card.tax_rate_percent = Decimal("6.25")
        card.payment_terms_days = 15
        session.flush()
        return SqlStore(session, tenant_id).get_rate_card()


def _assert_invoice_follows_card(
    card: PricingCard, invoice: Invoice, lines: list[InvoiceLine], job: Job, parts: list[JobPart]
) -> None:
    assert invoice.subtotal == sum(line.amount for line in lines)
    taxable = sum(line.amount for line in lines if line.taxable)
    assert invoice.tax == (taxable * Decimal("6.25") / 100).quantize(CENT, ROUND_HALF_UP)
    assert invoice.total == invoice.subtotal + invoice.tax
    assert all(line.amount == line.amount.quantize(CENT) for line in lines)
    kinds = Counter(line.kind for line in lines)
    assert kinds["labour"] == 1 and kinds["trip"] == 1 and kinds["part"] == len(parts)
    for line in lines:
        if line.kind == "trip":
            assert line.amount == Decimal("65.00")
        if line.kind == "labour":
            minutes = line.quantity * 60
            assert line.unit_price == Decimal("120.00") and minutes % 15 == 0 and minutes >= 60
            on_site = Decimal(int((job.completed_at - job.arrived_at).total_seconds())) / 60
            assert minutes == billable_minutes(on_site, card)  # billed as generate_invoice bills
    expected_parts = sorted((p.quantity, (p.unit_cost * Decimal("1.5")).quantize(Decimal("0.0001"))) for p in parts)
    assert sorted((line.quantity, line.unit_price) for line in lines if line.kind == "part") == expected_parts
    assert invoice.customer_id == job.customer_id and invoice.issued_at > job.completed_at
    assert invoice.due_at == invoice.issued_at + timedelta(days=15)


def test_invoices_add_up_and_follow_the_tenants_rate_card(runtime: Runtime, tenant: TenantInfo) -> None:
    card = _set_rate_card(runtime, tenant.tenant_id)
    _seed(runtime, tenant.tenant_id)
    jobs = {j.id: j for j in _rows(runtime, Job, tenant.tenant_id)}
    lines: dict[str, list[InvoiceLine]] = {}
    for line in _rows(runtime, InvoiceLine, tenant.tenant_id):
        lines.setdefault(line.invoice_id, []).append(line)
    parts: dict[str, list[JobPart]] = {}
    for part in _rows(runtime, JobPart, tenant.tenant_id):
        parts.setdefault(part.job_id, []).append(part)
    invoices = _rows(runtime, Invoice, tenant.tenant_id)
    assert invoices and any(parts.get(i.job_id) for i in invoices)
    for invoice in invoices:
        job = jobs[invoice.job_id]
        assert job.status == "completed"
        _assert_invoice_follows_card(card, invoice, lines[invoice.id], job, parts.get(job.id, []))
    assert {p.job_id for p in _rows(runtime, JobPart, tenant.tenant_id)} <= {
        j.id for j in jobs.values() if j.status == "completed"
    }


def test_payments_never_precede_sending_and_add_up(runtime: Runtime, tenant: TenantInfo) -> None:
    _seed(runtime, tenant.tenant_id, days=60)
    invoices = {i.id: i for i in _rows(runtime, Invoice, tenant.tenant_id)}
    paid: dict[str, list[Payment]] = {}
    for payment in _rows(runtime, Payment, tenant.tenant_id):
        invoice = invoices[payment.invoice_id]
        assert invoice.sent_at is not None and invoice.sent_at < payment.received_at <= NOW
        assert payment.amount > 0 and payment.source_id.startswith("PAY-")
        paid.setdefault(invoice.id, []).append(payment)
    statuses = Counter(i.status for i in invoices.values())
    assert {"paid", "sent", "overdue", "partially_paid"} <= set(statuses)
    for invoice in invoices.values():
        received = paid.get(invoice.id, [])
        assert invoice.amount_paid == sum((p.amount for p in received), Decimal(0))
        assert invoice.sent_at is None or invoice.sent_at > invoice.issued_at
        if invoice.status == "draft":
            assert invoice.sent_at is None and not received
        elif invoice.status == "paid":
            assert invoice.amount_paid == invoice.total
            assert invoice.paid_at == max(p.received_at for p in received)
        elif invoice.status == "partially_paid":
            assert 0 < invoice.amount_paid < invoice.total and invoice.paid_at is None
        else:
            assert not received and invoice.paid_at is None
            assert (invoice.status == "overdue") == (invoice.due_at < NOW)


def _fingerprint(runtime: Runtime, tenant_id: str) -> dict[str, list[tuple[Any, ...]]]:
    jobs = sorted(_rows(runtime, Job, tenant_id), key=lambda j: j.source_id)
    customers = sorted(_rows(runtime, Customer, tenant_id), key=lambda c: c.source_id)
    invoices = sorted(_rows(runtime, Invoice, tenant_id), key=lambda i: i.number)
    return {
        "jobs": [(j.source_id, j.status, j.priority, j.description, j.scheduled_start, *_stamps(j)) for j in jobs],
        "customers": [(c.source_id, c.name, c.lat, c.lng, c.mail_consent_marketing) for c in customers],
        "invoices": [(i.number, i.status, i.total, i.sent_at, i.amount_paid) for i in invoices],
    }


def test_same_seed_and_now_give_the_same_data_in_another_tenant(
    runtime: Runtime, tenant: TenantInfo, other_tenant: TenantInfo
) -> None:
    first = _seed(runtime, tenant.tenant_id, seed=11)
    second = _seed(runtime, other_tenant.tenant_id, seed=11)  # same source ids, no collision
    assert first == second
    assert _fingerprint(runtime, tenant.tenant_id) == _fingerprint(runtime, other_tenant.tenant_id)
    mine = {j.id for j in _rows(runtime, Job, tenant.tenant_id)}
    assert not mine & {j.id for j in _rows(runtime, Job, other_tenant.tenant_id)}


def test_another_seed_gives_other_data_and_rows_stay_in_their_tenant(
    runtime: Runtime, tenant: TenantInfo, other_tenant: TenantInfo
) -> None:
    _seed(runtime, tenant.tenant_id, seed=1)
    _seed(runtime, other_tenant.tenant_id, seed=2)
    assert _fingerprint(runtime, tenant.tenant_id)["jobs"] != _fingerprint(runtime, other_tenant.tenant_id)["jobs"]
    for info in (tenant, other_tenant):
        customers = {c.id: c for c in _rows(runtime, Customer, info.tenant_id)}
        techs = {t.id: t for t in _rows(runtime, Technician, info.tenant_id)}
        for job in _rows(runtime, Job, info.tenant_id):
            assert job.customer_id in customers and (job.technician_id in techs or job.status == "created")
            assert customers[job.customer_id].created_at < job.created_at
            assert job.technician_id is None or techs[job.technician_id].created_at < job.created_at


def test_invoice_numbers_are_unique_and_in_issue_order(runtime: Runtime, tenant: TenantInfo) -> None:
    summary = _seed(runtime, tenant.tenant_id)
    numbers = sorted(i.number for i in _rows(runtime, Invoice, tenant.tenant_id))
    assert numbers == [f"INV-{n:06d}" for n in range(1, 1 + summary.invoices)]


def test_seeding_refuses_bad_input_and_a_second_seed(runtime: Runtime, tenant: TenantInfo) -> None:
    with runtime.db.session() as session, pytest.raises(ValueError, match="timezone-aware"):
        seed_tenant(session, tenant.tenant_id, seed=1, now=NOW.replace(tzinfo=None), **SMALL)
    with runtime.db.session() as session, pytest.raises(ValueError, match="no tenant"):
        seed_tenant(session, "nope", seed=1, now=NOW, **SMALL)
    with runtime.db.session() as session, pytest.raises(ValueError, match="at least 1"):
        seed_tenant(session, tenant.tenant_id, seed=1, now=NOW, technicians=0)
    _seed(runtime, tenant.tenant_id)
    with runtime.db.session() as session, pytest.raises(ValueError, match="already has sandbox"):
        seed_tenant(session, tenant.tenant_id, seed=1, now=NOW, **SMALL)
