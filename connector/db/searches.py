"""The SQL of the searches (find_job, find_customer, find_technician): every query scoped to one tenant.

Matching follows `actions.matching`: names case-insensitively anywhere, emails case-insensitively
as a whole, phones by digits (formatting characters are stripped in SQL, the same way on SQLite
and PostgreSQL, and the stored digits must end with the digits searched for).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from actions.context import CustomerRecord, TechnicianRecord
from connector.db.models import Customer, Job, Technician

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from actions.context import CustomerFilter, JobFilter, TechnicianFilter
    from triggers.canonical import JobSnapshot

#: What people type between the digits of a phone number.
PHONE_PUNCTUATION = (" ", "-", "(", ")", ".", "+", "/")


def _digits(column: Any) -> Any:
    """The column with phone punctuation removed (nested REPLACE: portable across both databases)."""
    expression = column
    for char in PHONE_PUNCTUATION:
        expression = sa.func.replace(expression, char, "")
    return expression


def _contains(column: Any, needle: str) -> Any:
    return sa.func.lower(column).contains(needle.lower(), autoescape=True)


def _email_is(column: Any, email: str) -> Any:
    return sa.func.lower(column) == email.lower()


def _phone_is(column: Any, digits: str) -> Any:
    return _digits(column).endswith(digits, autoescape=True)


def find_jobs(session: Session, tenant_id: str, where: JobFilter, limit: int) -> list[JobSnapshot]:
    """Jobs of the tenant matching every given criterion, newest first."""
    from connector.db.store import job_snapshot

    query = sa.select(Job).where(Job.tenant_id == tenant_id)
    if where.job_id:
        query = query.where(Job.id == where.job_id)
    if where.source_id:
        query = query.where(Job.source_id == where.source_id)
    if where.status:
        query = query.where(Job.status == where.status)
    if where.scheduled_from:
        query = query.where(Job.scheduled_start >= where.scheduled_from)
    if where.scheduled_to:
        query = query.where(Job.scheduled_start < where.scheduled_to)
    if where.customer_name or where.customer_email or where.customer_phone:
        query = query.join(Customer, sa.and_(Customer.id == Job.customer_id, Customer.tenant_id == tenant_id))
        if where.customer_name:
            query = query.where(_contains(Customer.name, where.customer_name))
        if where.customer_email:
            query = query.where(_email_is(Customer.email, where.customer_email))
        if where.customer_phone:
            query = query.where(_phone_is(Customer.phone, where.customer_phone))
    rows = session.scalars(query.order_by(Job.created_at.desc(), Job.id.desc()).limit(limit)).all()
    return [job_snapshot(session, job) for job in rows]


def find_customers(session: Session, tenant_id: str, where: CustomerFilter, limit: int) -> list[CustomerRecord]:
    """Customers of the tenant matching every given criterion, newest first."""
    from connector.db.store import customer_address

    query = sa.select(Customer).where(Customer.tenant_id == tenant_id)
    if where.customer_id:
        query = query.where(Customer.id == where.customer_id)
    if where.email:
        query = query.where(_email_is(Customer.email, where.email))
    if where.phone:
        query = query.where(_phone_is(Customer.phone, where.phone))
    if where.name:
        query = query.where(_contains(Customer.name, where.name))
    rows = session.scalars(query.order_by(Customer.created_at.desc(), Customer.id.desc()).limit(limit)).all()
    return [
        CustomerRecord(
            id=c.id, source=c.source, source_id=c.source_id, name=c.name, email=c.email, phone=c.phone,
            address=customer_address(c), street=c.address, city=c.city, region=c.region, postal_code=c.postal_code,
            lat=c.lat, lng=c.lng, mail_consent_marketing=c.mail_consent_marketing,
            mail_consent_operational=c.mail_consent_operational, created_at=c.created_at,
        )
        for c in rows
    ]


def find_technicians(session: Session, tenant_id: str, where: TechnicianFilter,
                     limit: int) -> list[TechnicianRecord]:
    """Technicians of the tenant matching every given criterion, active first, then by name.

    Skills are a JSON list, matched here rather than in SQL (a tenant has at most a few hundred technicians).
    """
    query = sa.select(Technician).where(Technician.tenant_id == tenant_id)
    if where.technician_id:
        query = query.where(Technician.id == where.technician_id)
    if where.name:
        query = query.where(_contains(Technician.name, where.name))
    if where.email:
        query = query.where(_email_is(Technician.email, where.email))
    rows = session.scalars(query.order_by(Technician.active.desc(), Technician.name, Technician.id)).all()
    skill = (where.skill or "").lower()
    found = [t for t in rows if not skill or skill in {s.lower() for s in t.skills or ()}]
    return [
        TechnicianRecord(
            id=t.id, source=t.source, source_id=t.source_id, name=t.name, email=t.email, phone=t.phone,
            skills=tuple(t.skills or ()), active=t.active, home_address=t.home_address, created_at=t.created_at,
        )
        for t in found[:limit]
    ]
