"""SqlStore: the tenant-scoped reads and writes actions use (implements actions.context.Store)."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

import sqlalchemy as sa

from actions.context import (
    CompletedJob,
    InvoiceFacts,
    InvoiceLineDraft,
    PlanningJob,
    PlanningTechnician,
    RateCard,
    StoredInvoice,
    StoredPlan,
)
from connector.db.models import (
    Customer,
    Invoice,
    InvoiceLine,
    Job,
    JobPart,
    Payment,
    RoutePlan,
    Technician,
    TruckStockLevel,
)
from connector.db.models import RateCard as RateCardRow
from connector.db.rate_cards import rate_card, record_send
from triggers.canonical import CustomerRef, JobSnapshot, JobStatus, PartUsed, TechnicianRef

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.orm import Session

    from actions.capture import CaptureDraft, JobCompletion, JobForm, StoredCapture
    from actions.context import (
        AccountingReceipt,
        CustomerFilter,
        CustomerRecord,
        InvoiceDraft,
        JobFilter,
        SentInvoice,
        TechnicianFilter,
        TechnicianRecord,
    )
    from actions.kpis import KpiJob


#: Expected time on site by job type, when the FSM gave none.
DEFAULT_MINUTES = {"install": 180, "repair": 90, "diagnostic": 60, "maintenance": 60, "inspection": 45}


def customer_address(customer: Customer) -> str | None:
    parts = [customer.address, customer.city]
    region = " ".join(p for p in (customer.region, customer.postal_code) if p)
    line = ", ".join(p for p in [*parts, region] if p)
    return line or None


def job_snapshot(session: Session, job: Job) -> JobSnapshot:
    """The canonical snapshot of a job row (what job events and actions see)."""
    customer = session.get(Customer, job.customer_id) if job.customer_id else None
    technician = session.get(Technician, job.technician_id) if job.technician_id else None
    parts = session.scalars(
        sa.select(JobPart).where(JobPart.tenant_id == job.tenant_id, JobPart.job_id == job.id).order_by(JobPart.sku)
    ).all()
    return JobSnapshot(
        job_id=job.id,
        source=job.source,
        source_id=job.source_id,
        status=JobStatus(job.status),
        job_type=job.job_type,
        priority=job.priority,
        description=job.description,
        customer=CustomerRef(
            id=customer.id, name=customer.name, email=customer.email, phone=customer.phone,
            address=customer_address(customer),
        ) if customer else CustomerRef(),
        technician=TechnicianRef(id=technician.id, name=technician.name) if technician else TechnicianRef(),
        created_at=job.created_at,
        scheduled_start=job.scheduled_start,
        scheduled_end=job.scheduled_end,
        dispatched_at=job.dispatched_at,
        en_route_at=job.en_route_at,
        arrived_at=job.arrived_at,
        completed_at=job.completed_at,
        cancelled_at=job.cancelled_at,
        completion_notes=job.completion_notes,
        parts=[
            PartUsed(sku=p.sku, description=p.description, quantity=p.quantity, unit_cost=p.unit_cost)
            for p in parts
        ],
        skill=job.skill,
    )


class SqlStore:
    """Every method reads or writes only rows of `tenant_id`."""

    def __init__(self, session: Session, tenant_id: str) -> None:
        self.session = session
        self.tenant_id = tenant_id

    def _job(self, job_id: str) -> Job | None:
        return self.session.scalar(sa.select(Job).where(Job.tenant_id == self.tenant_id, Job.id == job_id))

    def get_job(self, job_id: str) -> JobSnapshot | None:
        job = self._job(job_id)
        return job_snapshot(self.session, job) if job else None

    def get_rate_card(self) -> RateCard:
        row = self.session.scalar(sa.select(RateCardRow).where(RateCardRow.tenant_id == self.tenant_id))
        if row is None:
            row = RateCardRow(tenant_id=self.tenant_id)
            self.session.add(row)
            self.session.flush()
        return rate_card(row)

    def find_invoice_for_job(self, job_id: str) -> StoredInvoice | None:
        invoice = self.session.scalar(
            sa.select(Invoice)
            .where(Invoice.tenant_id == self.tenant_id, Invoice.job_id == job_id)
            .order_by(Invoice.created_at)
            .limit(1)
        )
        return self._stored(invoice) if invoice else None

    def save_invoice(self, draft: InvoiceDraft, receipt: AccountingReceipt, run_id: str | None) -> StoredInvoice:
        invoice = Invoice(
            tenant_id=self.tenant_id, job_id=draft.job_id, customer_id=draft.customer_id, number=receipt.doc_number,
            status="draft", currency=draft.currency, subtotal=draft.subtotal, tax=draft.tax, total=draft.total,
            issued_at=draft.issued_at, due_at=draft.due_at, source=receipt.system, source_id=receipt.remote_id,
            created_by_run_id=run_id, details={"notes": draft.notes} if draft.notes else {},
        )
        self.session.add(invoice)
        self.session.flush()
        for position, line in enumerate(draft.lines, start=1):
            self.session.add(
                InvoiceLine(
                    tenant_id=self.tenant_id, invoice_id=invoice.id, position=position, kind=line.kind,
                    description=line.description, quantity=line.quantity, unit_price=line.unit_price,
                    amount=line.amount, taxable=line.taxable,
                )
            )
        self.session.flush()
        return self._stored(invoice)

    def mark_invoice_sent(self, invoice_id: str, sent: SentInvoice, email: str | None) -> StoredInvoice:
        invoice = self.session.scalar(
            sa.select(Invoice).where(Invoice.tenant_id == self.tenant_id, Invoice.id == invoice_id).with_for_update()
        )
        if invoice is None:
            raise LookupError(f"no invoice {invoice_id} for tenant {self.tenant_id}")
        record_send(invoice, sent, email)
        self.session.flush()
        return self._stored(invoice)

    def completed_jobs(self, start: datetime, end: datetime) -> list[CompletedJob]:
        rows = self.session.execute(
            sa.select(Job.id, Job.source_id, Job.completed_at, Customer.name)
            .outerjoin(Customer, Customer.id == Job.customer_id)
            .where(Job.tenant_id == self.tenant_id, Job.status == "completed",
                   Job.completed_at >= start, Job.completed_at < end)
            .order_by(Job.completed_at)
        ).all()
        return [CompletedJob(job_id, source_id, completed_at, name) for job_id, source_id, completed_at, name in rows]

    def invoice_facts(self, job_ids: list[str], issued_from: datetime, issued_to: datetime) -> list[InvoiceFacts]:
        in_period = sa.and_(Invoice.issued_at >= issued_from, Invoice.issued_at < issued_to)
        # Chunked IN lists: the period can hold thousands of jobs.
        invoices: dict[str, Invoice] = {
            i.id: i for i in self.session.scalars(
                sa.select(Invoice).where(Invoice.tenant_id == self.tenant_id, in_period))
        }
        for chunk in (job_ids[n:n + 500] for n in range(0, len(job_ids), 500)):
            for invoice in self.session.scalars(
                sa.select(Invoice).where(Invoice.tenant_id == self.tenant_id, Invoice.job_id.in_(chunk))
            ):
                invoices[invoice.id] = invoice
        line_sums = self._sums(InvoiceLine, list(invoices))
        paid_sums = self._sums(Payment, list(invoices))
        return [
            InvoiceFacts(
                id=i.id, number=i.number, job_id=i.job_id, status=i.status, subtotal=Decimal(i.subtotal),
                tax=Decimal(i.tax), total=Decimal(i.total), line_sum=line_sums.get(i.id, Decimal(0)),
                amount_paid=Decimal(i.amount_paid), payments_sum=paid_sums.get(i.id, Decimal(0)), due_at=i.due_at,
            )
            for i in sorted(invoices.values(), key=lambda inv: (inv.issued_at, inv.number))
        ]

    def _sums(self, model: type[InvoiceLine] | type[Payment], ids: list[str]) -> dict[str, Decimal]:
        # Summed here, not in SQL: SQLite keeps money as exact text, which SUM() would turn into floats.
        sums: dict[str, Decimal] = {}
        for chunk in (ids[n:n + 500] for n in range(0, len(ids), 500)):
            for invoice_id, value in self.session.execute(
                sa.select(model.invoice_id, model.amount)
                .where(model.tenant_id == self.tenant_id, model.invoice_id.in_(chunk))
            ):
                sums[invoice_id] = sums.get(invoice_id, Decimal(0)) + Decimal(value)
        return sums

    def planning_technicians(self, ids: list[str] | None) -> list[PlanningTechnician]:
        query = sa.select(Technician).where(Technician.tenant_id == self.tenant_id)
        query = query.where(Technician.id.in_(ids)) if ids is not None else query.where(Technician.active.is_(True))
        technicians = list(self.session.scalars(query.order_by(Technician.name)))
        # What is on each truck (reorder_stock keeps it): the planner sends a technician to the depot for the rest.
        stock: dict[str, list[tuple[str, int]]] = {}
        for level in self.session.scalars(sa.select(TruckStockLevel).where(
                TruckStockLevel.tenant_id == self.tenant_id,
                TruckStockLevel.technician_id.in_([t.id for t in technicians]), TruckStockLevel.on_hand > 0)
                .order_by(TruckStockLevel.sku)):
            stock.setdefault(level.technician_id, []).append((level.sku, int(level.on_hand)))
        return [
            PlanningTechnician(
                id=t.id, name=t.name, skills=tuple(t.skills or ()),
                home=(t.home_lat, t.home_lng) if t.home_lat is not None and t.home_lng is not None else None,
                truck_stock=tuple(stock.get(t.id, ())),
            )
            for t in technicians
        ]

    def planning_jobs(self, ids: list[str] | None, start: datetime, end: datetime) -> list[PlanningJob]:
        query = (
            sa.select(Job, Customer)
            .outerjoin(Customer, Customer.id == Job.customer_id)
            .where(Job.tenant_id == self.tenant_id)
        )
        if ids is not None:
            query = query.where(Job.id.in_(ids))
        else:
            query = query.where(Job.status.notin_(["completed", "cancelled"]), Job.scheduled_start >= start,
                                Job.scheduled_start < end)
        rows = self.session.execute(query.order_by(Job.scheduled_start, Job.id)).all()
        parts = self._parts([job.id for job, _customer in rows])
        return [self._planning_job(job, customer, parts.get(job.id, ())) for job, customer in rows]

    def _parts(self, job_ids: list[str]) -> dict[str, tuple[tuple[str, int], ...]]:
        found: dict[str, list[tuple[str, int]]] = {}
        for chunk in (job_ids[n:n + 500] for n in range(0, len(job_ids), 500)):
            for part in self.session.scalars(
                sa.select(JobPart).where(JobPart.tenant_id == self.tenant_id, JobPart.job_id.in_(chunk))
            ):
                found.setdefault(part.job_id, []).append((part.sku, max(1, int(part.quantity))))
        return {job_id: tuple(items) for job_id, items in found.items()}

    @staticmethod
    def _planning_job(job: Job, customer: Customer | None, parts: tuple[tuple[str, int], ...]) -> PlanningJob:
        location = None
        if customer is not None and customer.lat is not None and customer.lng is not None:
            location = (customer.lat, customer.lng)
        minutes = job.estimated_minutes or DEFAULT_MINUTES.get(job.job_type, 60)
        started = job.arrived_at if job.status in ("arrived", "completed") else None
        return PlanningJob(
            id=job.id, source_id=job.source_id, customer_name=customer.name if customer else None,
            location=location, window_start=job.scheduled_start, window_end=job.scheduled_end,
            duration_minutes=minutes, skills=(job.skill,) if job.skill else (), priority=job.priority,
            status=job.status, technician_id=job.technician_id, started_at=started, parts=parts,
        )

    def save_plan(self, plan: StoredPlan, run_id: str | None) -> None:
        self.session.add(RoutePlan(
            id=plan.id, tenant_id=self.tenant_id, run_id=run_id, created_at=plan.created_at,
            window_start=plan.window_start, window_end=plan.window_end, routes=plan.routes,
            unassigned=plan.unassigned, kpis=plan.kpis,
        ))
        self.session.flush()

    def get_plan(self, plan_id: str) -> StoredPlan | None:
        row = self.session.scalar(
            sa.select(RoutePlan).where(RoutePlan.tenant_id == self.tenant_id, RoutePlan.id == plan_id)
        )
        return self._plan(row) if row is not None else None

    def latest_plan(self, window_start: datetime) -> StoredPlan | None:
        row = self.session.scalar(
            sa.select(RoutePlan)
            .where(RoutePlan.tenant_id == self.tenant_id, RoutePlan.window_start == window_start)
            .order_by(RoutePlan.created_at.desc(), RoutePlan.id.desc()).limit(1)
        )
        return self._plan(row) if row is not None else None

    def assign_job(self, job_id: str, technician_id: str, start: datetime) -> bool:
        job = self.session.scalar(sa.select(Job).where(Job.tenant_id == self.tenant_id, Job.id == job_id))
        tech = self.session.scalar(
            sa.select(Technician).where(Technician.tenant_id == self.tenant_id, Technician.id == technician_id)
        )
        if job is None or tech is None:
            return False
        job.technician_id = technician_id
        if job.scheduled_start is None:  # an unbooked job gets the planned time; a booked one keeps its window
            job.scheduled_start = start
        self.session.flush()
        return True

    # --- searches (the SQL is in connector.db.searches and connector.kpis.facts) ---

    def find_jobs(self, where: JobFilter, limit: int) -> list[JobSnapshot]:
        from connector.db import searches

        return searches.find_jobs(self.session, self.tenant_id, where, limit)

    def find_customers(self, where: CustomerFilter, limit: int) -> list[CustomerRecord]:
        from connector.db import searches

        return searches.find_customers(self.session, self.tenant_id, where, limit)

    def find_technicians(self, where: TechnicianFilter, limit: int) -> list[TechnicianRecord]:
        from connector.db import searches

        return searches.find_technicians(self.session, self.tenant_id, where, limit)

    def kpi_jobs(self, start: datetime, end: datetime) -> list[KpiJob]:
        from connector.kpis import facts  # imported here: facts reads rule thresholds, whose module imports this one

        return facts.kpi_jobs(self.session, self.tenant_id, start, end)

    def kpi_as_of(self) -> datetime | None:
        from connector.kpis import facts

        return facts.as_of(self.session, self.tenant_id)

    # On-site capture: the SQL lives in connector.db.captures (imported here: it imports job_snapshot from us).
    def get_job_form(self, job_type: str) -> JobForm | None:
        from connector.db import captures

        return captures.get_job_form(self.session, self.tenant_id, job_type)

    def save_job_form(self, form: JobForm, run_id: str | None) -> JobForm:
        from connector.db import captures

        return captures.save_job_form(self.session, self.tenant_id, form, run_id)

    def delete_job_form(self, job_type: str) -> bool:
        from connector.db import captures

        return captures.delete_job_form(self.session, self.tenant_id, job_type)

    def job_location(self, job_id: str) -> tuple[float, float] | None:
        from connector.db import captures

        return captures.job_location(self.session, self.tenant_id, job_id)

    def find_capture(self, job_id: str, idempotency_key: str) -> StoredCapture | None:
        from connector.db import captures

        return captures.find_capture(self.session, self.tenant_id, job_id, idempotency_key)

    def latest_capture(self, job_id: str) -> StoredCapture | None:
        from connector.db import captures

        return captures.latest_capture(self.session, self.tenant_id, job_id)

    def save_capture(self, draft: CaptureDraft) -> StoredCapture:
        from connector.db import captures

        return captures.save_capture(self.session, self.tenant_id, draft)

    def complete_job(self, completion: JobCompletion) -> JobSnapshot:
        from connector.db import captures

        return captures.complete_job(self.session, self.tenant_id, completion)

    @staticmethod
    def _plan(row: RoutePlan) -> StoredPlan:
        return StoredPlan(id=row.id, created_at=row.created_at, window_start=row.window_start,
                          window_end=row.window_end, routes=row.routes, unassigned=row.unassigned, kpis=row.kpis)

    def _stored(self, invoice: Invoice) -> StoredInvoice:
        lines = self.session.scalars(
            sa.select(InvoiceLine)
            .where(InvoiceLine.tenant_id == self.tenant_id, InvoiceLine.invoice_id == invoice.id)
            .order_by(InvoiceLine.position)
        ).all()
        return StoredInvoice(
            id=invoice.id, number=invoice.number, job_id=invoice.job_id, customer_id=invoice.customer_id,
            status=invoice.status, currency=invoice.currency,
            lines=tuple(
                InvoiceLineDraft(
                    kind=ln.kind, description=ln.description, quantity=Decimal(ln.quantity),
                    unit_price=Decimal(ln.unit_price), amount=Decimal(ln.amount), taxable=ln.taxable,
                )
                for ln in lines
            ),
            subtotal=Decimal(invoice.subtotal), tax=Decimal(invoice.tax), total=Decimal(invoice.total),
            issued_at=invoice.issued_at, due_at=invoice.due_at, source=invoice.source,
            source_id=invoice.source_id, created_by_run_id=invoice.created_by_run_id, details=invoice.details,
            sent_at=invoice.sent_at, payment_link=(invoice.details or {}).get("payment_link"),
        )
