"""SqlContracts: service contracts and their visits for one tenant (implements actions.context.Contracts).

A visit is a job of the projections (source "backbone", source id "contract:<contract id>:<day>")
plus a contract_visits row; the jobs' unique (tenant, source, source_id) key makes a second
booking of the same occurrence impossible, even from two calls at once.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from actions.context import ContractTerms, StoredContract, StoredVisit
from connector.db.base import utcnow
from connector.db.models import ContractVisit, Customer, Job, ServiceContract
from connector.db.store import job_snapshot

if TYPE_CHECKING:
    from datetime import date, datetime

    from sqlalchemy.orm import Session

    from actions.context import VisitBooking
    from triggers.canonical import JobSnapshot

SOURCE = "backbone"


def visit_source_id(contract_id: str, day: date) -> str:
    """The visit job's source id: the contract and the occurrence's local day."""
    return f"contract:{contract_id}:{day.isoformat()}"


def _contract(row: ServiceContract) -> StoredContract:
    return StoredContract(
        id=row.id,
        terms=ContractTerms(
            customer_id=row.customer_id, service=row.service, rrule=row.rrule, window_start=row.window_start,
            window_end=row.window_end, duration_minutes=row.duration_minutes, skills=tuple(row.skills or ()),
            price=Decimal(row.price), starts_on=row.starts_on, notice_days=row.notice_days, active=row.active,
        ),
        last_completed_at=row.last_completed_at, created_at=row.created_at,
    )


def _visit(visit: ContractVisit, job: Job) -> StoredVisit:
    return StoredVisit(
        contract_id=visit.contract_id, job_id=job.id, occurs_on=visit.occurs_on, status=job.status,
        scheduled_start=job.scheduled_start, scheduled_end=job.scheduled_end, completed_at=job.completed_at,
        price=Decimal(visit.price), duration_minutes=job.estimated_minutes, skill=job.skill,
        revision=visit.revision, dropped=visit.dropped_at is not None,
    )


class SqlContracts:
    """Every method reads or writes only rows of `tenant_id`."""

    def __init__(self, session: Session, tenant_id: str) -> None:
        self.session = session
        self.tenant_id = tenant_id

    def customer_exists(self, customer_id: str) -> bool:
        return self.session.scalar(sa.select(Customer.id).where(
            Customer.tenant_id == self.tenant_id, Customer.id == customer_id)) is not None

    def _row(self, *where: sa.ColumnElement[bool]) -> ServiceContract | None:
        # Held until the transaction ends: two calls for one contract book its visits one after the other.
        return self.session.scalar(
            sa.select(ServiceContract).where(ServiceContract.tenant_id == self.tenant_id, *where).with_for_update())

    def get_contract(self, contract_id: str) -> StoredContract | None:
        row = self._row(ServiceContract.id == contract_id)
        return _contract(row) if row else None

    def find_contract(self, customer_id: str, service: str) -> StoredContract | None:
        row = self._row(ServiceContract.customer_id == customer_id, ServiceContract.service == service)
        return _contract(row) if row else None

    def save_contract(self, contract_id: str | None, terms: ContractTerms,
                      last_completed_at: datetime | None) -> StoredContract:
        row = self._row(ServiceContract.id == contract_id) if contract_id else None
        if row is None:
            row = self._create(terms)
        for name in ("service", "rrule", "window_start", "window_end", "duration_minutes", "price", "starts_on",
                     "notice_days", "active"):
            setattr(row, name, getattr(terms, name))
        row.skills = list(terms.skills)
        row.last_completed_at = last_completed_at
        row.updated_at = utcnow()
        self.session.flush()
        return _contract(row)

    def _create(self, terms: ContractTerms) -> ServiceContract:
        row = ServiceContract(tenant_id=self.tenant_id, customer_id=terms.customer_id, service=terms.service,
                              rrule=terms.rrule, window_start=terms.window_start, window_end=terms.window_end,
                              duration_minutes=terms.duration_minutes, price=terms.price, starts_on=terms.starts_on)
        try:
            with self.session.begin_nested():
                self.session.add(row)
                self.session.flush()
        except IntegrityError:
            # A concurrent call created this customer's contract for the service first: update that one.
            found = self._row(ServiceContract.customer_id == terms.customer_id,
                              ServiceContract.service == terms.service)
            if found is None:
                raise
            return found
        return row

    def _visits(self, *where: sa.ColumnElement[bool]) -> list[tuple[ContractVisit, Job]]:
        rows = self.session.execute(
            sa.select(ContractVisit, Job).join(Job, Job.id == ContractVisit.job_id)
            .where(ContractVisit.tenant_id == self.tenant_id, Job.tenant_id == self.tenant_id, *where)
            .order_by(ContractVisit.occurs_on)
        ).all()
        return [(visit, job) for visit, job in rows]

    def visits(self, contract_id: str) -> list[StoredVisit]:
        return [_visit(v, j) for v, j in self._visits(ContractVisit.contract_id == contract_id)]

    def visit_for_job(self, job_id: str) -> StoredVisit | None:
        found = self._visits(ContractVisit.job_id == job_id)
        return _visit(*found[0]) if found else None

    def book_visit(self, contract: StoredContract, booking: VisitBooking,
                   now: datetime) -> tuple[JobSnapshot, StoredVisit] | None:
        terms = contract.terms
        job = Job(
            tenant_id=self.tenant_id, source=SOURCE, source_id=visit_source_id(contract.id, booking.occurs_on),
            customer_id=terms.customer_id, job_type=terms.service, skill=terms.skills[0] if terms.skills else None,
            priority="P3", description=f"Recurring {terms.service} ({terms.rrule})"[:500], status="scheduled",
            status_changed_at=now, created_at=now, scheduled_at=now, scheduled_start=booking.start,
            scheduled_end=booking.end, estimated_minutes=terms.duration_minutes,
        )
        try:
            with self.session.begin_nested():
                self.session.add(job)
                self.session.flush()
                visit = ContractVisit(tenant_id=self.tenant_id, contract_id=contract.id, job_id=job.id,
                                      occurs_on=booking.occurs_on, price=terms.price, revision=1)
                self.session.add(visit)
                self.session.flush()
        except IntegrityError:
            return None  # the occurrence is booked already (a concurrent call)
        return job_snapshot(self.session, job), _visit(visit, job)

    def _pair(self, job_id: str) -> tuple[ContractVisit, Job]:
        [pair] = self._visits(ContractVisit.job_id == job_id)
        return pair

    def rebook_visit(self, contract: StoredContract, visit: StoredVisit, booking: VisitBooking,
                     now: datetime) -> tuple[JobSnapshot, StoredVisit]:
        row, job = self._pair(visit.job_id)
        terms = contract.terms
        if job.status == "cancelled" or (job.scheduled_start, job.scheduled_end) != (booking.start, booking.end):
            job.status = "scheduled"
            job.status_changed_at = max(now, job.status_changed_at)
            job.scheduled_at = now
            job.cancelled_at = None
            row.revision += 1
        job.scheduled_start, job.scheduled_end = booking.start, booking.end
        job.estimated_minutes = terms.duration_minutes
        job.skill = terms.skills[0] if terms.skills else None
        job.job_type = terms.service
        row.price = terms.price
        row.dropped_at = None
        self.session.flush()
        return job_snapshot(self.session, job), _visit(row, job)

    def drop_visit(self, visit: StoredVisit, now: datetime) -> tuple[JobSnapshot, StoredVisit]:
        row, job = self._pair(visit.job_id)
        job.status = "cancelled"
        job.status_changed_at = max(now, job.status_changed_at)
        job.cancelled_at = now
        row.dropped_at = now
        row.revision += 1
        self.session.flush()
        return job_snapshot(self.session, job), _visit(row, job)
