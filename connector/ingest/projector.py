"""Applies normalized provider events to the projections, never moving a job backwards."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

import sqlalchemy as sa

from connector.db.models import Customer, Invoice, Job, JobPart, RoutePlan, Technician
from connector.db.store import job_snapshot
from triggers.canonical import STATUS_OF_EVENT, EventType, JobStatus

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.orm import Session

    from connector.providers.base import InvoiceUpdate, JobUpsert, NormalizedEvent, PartyUpsert

#: Lifecycle order, used only to break ties between events with the same timestamp.
RANK = {status: n for n, status in enumerate(JobStatus)}
STAMP = {
    JobStatus.SCHEDULED: "scheduled_at",
    JobStatus.DISPATCHED: "dispatched_at",
    JobStatus.EN_ROUTE: "en_route_at",
    JobStatus.ARRIVED: "arrived_at",
    JobStatus.COMPLETED: "completed_at",
    JobStatus.CANCELLED: "cancelled_at",
}


@dataclass(frozen=True)
class Applied:
    """What applying an event did: its subject, whether it moved state, the event's data."""

    subject_id: str | None
    source_id: str | None
    applied: bool
    data: dict[str, Any]


def _upsert_party(session: Session, model: type[Customer] | type[Technician], tenant_id: str,
                  source: str, party: PartyUpsert) -> str:
    row = cast(
        "Customer | Technician | None",
        session.scalar(sa.select(model).where(model.tenant_id == tenant_id, model.source == source,
                                              model.source_id == party.source_id)),
    )
    if row is None:
        row = model(tenant_id=tenant_id, source=source, source_id=party.source_id, name=party.name or party.source_id)
        session.add(row)
    for attr in ("name", "email", "phone"):
        value = getattr(party, attr)
        if value is not None:
            setattr(row, attr, value)
    if isinstance(row, Customer):
        row.address = party.address or row.address
        row.lat = party.lat if party.lat is not None else row.lat
        row.lng = party.lng if party.lng is not None else row.lng
    session.flush()
    return row.id


def _is_newer(job: Job, occurred_at: datetime, status: JobStatus) -> bool:
    if occurred_at != job.status_changed_at:
        return occurred_at > job.status_changed_at
    return RANK[status] > RANK[JobStatus(job.status)]


def _apply_details(session: Session, job: Job, upsert: JobUpsert, tenant_id: str, source: str) -> None:
    for attr in ("job_type", "priority", "description", "scheduled_start", "scheduled_end", "completion_notes"):
        value = getattr(upsert, attr)
        if value is not None:
            setattr(job, attr, value)
    if upsert.customer is not None:
        job.customer_id = _upsert_party(session, Customer, tenant_id, source, upsert.customer)
    if upsert.technician is not None:
        job.technician_id = _upsert_party(session, Technician, tenant_id, source, upsert.technician)
    if upsert.parts is not None:
        session.execute(sa.delete(JobPart).where(JobPart.tenant_id == tenant_id, JobPart.job_id == job.id))
        for part in upsert.parts:
            session.add(JobPart(tenant_id=tenant_id, job_id=job.id, sku=part.sku, description=part.description,
                                quantity=part.quantity, unit_cost=part.unit_cost))


def apply_job_event(session: Session, tenant_id: str, event: NormalizedEvent, upsert: JobUpsert) -> Applied:
    status = STATUS_OF_EVENT[event.type]
    job = session.scalar(
        sa.select(Job).where(Job.tenant_id == tenant_id, Job.source == event.source,
                             Job.source_id == upsert.source_id).with_for_update()
    )
    created = job is None
    if job is None:
        job = Job(tenant_id=tenant_id, source=event.source, source_id=upsert.source_id,
                  status=status.value, status_changed_at=event.occurred_at, created_at=event.occurred_at)
        session.add(job)
        session.flush()
    previous = None if created else JobStatus(job.status)
    newer = created or _is_newer(job, event.occurred_at, status)
    # A late event still fills its own timestamp if that was missing; it never changes status.
    stamp = STAMP.get(status)
    if stamp and getattr(job, stamp) is None:
        setattr(job, stamp, event.occurred_at)
    if event.occurred_at < job.created_at:
        job.created_at = event.occurred_at
    if newer:
        job.status = status.value
        job.status_changed_at = event.occurred_at
        _apply_details(session, job, upsert, tenant_id, event.source)
    session.flush()
    data: dict[str, Any] = {"job": job_snapshot(session, job).model_dump(mode="json"),
                            "previous_status": previous.value if previous else None}
    if event.type == EventType.JOB_EN_ROUTE:
        data["eta"] = planned_eta(session, tenant_id, job, event.occurred_at)
    return Applied(job.id, job.source_id, newer, data)


def planned_eta(session: Session, tenant_id: str, job: Job, at: datetime) -> dict[str, str | None]:
    """The job's ETA and arrival window: from the newest route plan covering `at`, else its booking."""
    plans = session.scalars(
        sa.select(RoutePlan).where(RoutePlan.tenant_id == tenant_id, RoutePlan.window_start <= at,
                                   RoutePlan.window_end > at).order_by(RoutePlan.created_at.desc()).limit(5)
    )
    for plan in plans:
        for stop in plan.routes:
            if stop.get("kind") == "job" and stop.get("job_id") == job.id:
                return {"eta": stop["eta"], "window_start": stop["eta_window_start"],
                        "window_end": stop["eta_window_end"], "source": "plan"}

    def iso(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {"eta": iso(job.scheduled_start), "window_start": iso(job.scheduled_start),
            "window_end": iso(job.scheduled_end), "source": "booking" if job.scheduled_start else None}


def _import_invoice(session: Session, tenant_id: str, event: NormalizedEvent, update: InvoiceUpdate) -> Invoice | None:
    """An invoice made in the provider (not by Backbone): kept when the event says enough about it."""
    if update.number is None or update.total is None:
        return None
    issued = update.issued_at or event.occurred_at
    job_id = None
    if update.job_source_id:
        job_id = session.scalar(sa.select(Job.id).where(Job.tenant_id == tenant_id, Job.source == event.source,
                                                        Job.source_id == update.job_source_id))
    invoice = Invoice(
        tenant_id=tenant_id, source=event.source, source_id=update.source_id, number=update.number[:40],
        currency=(update.currency or "USD")[:3], subtotal=update.total, tax=Decimal("0"), total=update.total,
        issued_at=issued, due_at=update.due_at or issued, status="open", job_id=job_id,
        customer_id=_upsert_party(session, Customer, tenant_id, event.source, update.customer)
        if update.customer else None,
    )
    session.add(invoice)
    session.flush()
    return invoice


def _update_invoice(invoice: Invoice, event: NormalizedEvent, update: InvoiceUpdate) -> None:
    if update.total is not None and invoice.created_by_run_id is None:
        invoice.total = update.total  # Backbone's own invoices keep Backbone's figures
    if update.due_at is not None and invoice.created_by_run_id is None:
        invoice.due_at = update.due_at
    if event.type == EventType.INVOICE_SENT and invoice.sent_at is None:
        invoice.sent_at = event.occurred_at
        invoice.status = "sent" if invoice.paid_at is None else invoice.status
    if update.amount_paid is not None and event.type != EventType.INVOICE_PAID:
        invoice.amount_paid = update.amount_paid
    if event.type == EventType.INVOICE_PAID:
        invoice.paid_at = invoice.paid_at or event.occurred_at
        invoice.amount_paid = update.amount_paid if update.amount_paid is not None else invoice.total
        invoice.status = "paid"


def apply_invoice_event(session: Session, tenant_id: str, event: NormalizedEvent, update: InvoiceUpdate) -> Applied:
    invoice = session.scalar(
        sa.select(Invoice).where(Invoice.tenant_id == tenant_id, Invoice.source == event.source,
                                 sa.or_(Invoice.source_id == update.source_id,
                                        Invoice.number == update.source_id)).with_for_update()
    )
    data: dict[str, Any] = {"invoice_source_id": update.source_id}
    known = invoice is not None
    if invoice is None:
        invoice = _import_invoice(session, tenant_id, event, update)
        if invoice is None:
            return Applied(None, update.source_id, False, data)
    _update_invoice(invoice, event, update)
    session.flush()
    data.update({"invoice_id": invoice.id, "number": invoice.number, "status": invoice.status,
                 "total": str(invoice.total), "amount_paid": str(invoice.amount_paid), "job_id": invoice.job_id})
    # "Created" is news once: an invoice Backbone made (or already imported) was announced then.
    applied = not (known and event.type == EventType.INVOICE_CREATED)
    return Applied(invoice.id, invoice.source_id, applied, data)


def apply(session: Session, tenant_id: str, event: NormalizedEvent) -> Applied:
    if event.job is not None:
        return apply_job_event(session, tenant_id, event, event.job)
    if event.invoice is not None:
        return apply_invoice_event(session, tenant_id, event, event.invoice)
    raise ValueError(f"event {event.event_id} carries neither a job nor an invoice")
