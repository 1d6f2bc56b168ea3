"""Reads one tenant's jobs (with their invoices, parts, plans and completion events) as KpiJob facts."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

import sqlalchemy as sa

from actions.kpis import RECALL_WINDOW, KpiJob
from connector.db.models import Customer, Event, Invoice, Job, JobPart, RoutePlan, Technician
from connector.rules.evaluate import thresholds

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

#: Jobs created this long before the period still count (completed, invoiced or paid in it).
LEAD = timedelta(days=120)


def _parts(items: list[dict[str, object]]) -> dict[str, Decimal]:
    parts: dict[str, Decimal] = defaultdict(Decimal)
    for part in items:
        parts[str(part["sku"])] += Decimal(str(part["quantity"]))
    return dict(parts)


def _promises(session: Session, tenant_id: str, start: datetime, end: datetime) -> dict[str, datetime]:
    """Each job's promised arrival (ETA window end) from the newest plan of its day that holds it."""
    promised: dict[str, datetime] = {}
    plans = session.scalars(sa.select(RoutePlan).where(
        RoutePlan.tenant_id == tenant_id, RoutePlan.window_end > start, RoutePlan.window_start < end)
        .order_by(RoutePlan.created_at))
    for plan in plans:  # oldest first: a newer plan's promise replaces an older one
        for stop in plan.routes:
            if stop.get("kind") == "job" and stop.get("job_id"):
                promised[str(stop["job_id"])] = datetime.fromisoformat(str(stop["eta_window_end"]))
    return promised


def kpi_jobs(session: Session, tenant_id: str, start: datetime, end: datetime) -> list[KpiJob]:
    """The facts of every job that can count in [start, end), and those that may be its recalls."""
    grace = timedelta(minutes=thresholds(session, tenant_id).arrival_grace_minutes)
    rows = session.execute(
        sa.select(Job, Technician.name, Customer.region)
        .outerjoin(Technician, Technician.id == Job.technician_id)
        .outerjoin(Customer, Customer.id == Job.customer_id)
        .where(Job.tenant_id == tenant_id, Job.created_at >= start - LEAD, Job.created_at < end + RECALL_WINDOW)
    ).all()
    ids = [job.id for job, _tech, _region in rows]
    invoices: dict[str, list[Invoice]] = defaultdict(list)
    parts_now: dict[str, list[dict[str, object]]] = defaultdict(list)
    completion: dict[str, dict[str, Decimal]] = {}
    for chunk in (ids[i:i + 500] for i in range(0, len(ids), 500)):
        for invoice in session.scalars(sa.select(Invoice).where(Invoice.tenant_id == tenant_id,
                                                                Invoice.job_id.in_(chunk))):
            invoices[invoice.job_id or ""].append(invoice)
        for part in session.scalars(sa.select(JobPart).where(JobPart.tenant_id == tenant_id,
                                                             JobPart.job_id.in_(chunk))):
            parts_now[part.job_id].append({"sku": part.sku, "quantity": part.quantity})
        for event in session.scalars(sa.select(Event).where(
                Event.tenant_id == tenant_id, Event.subject_id.in_(chunk), Event.type == "job.completed",
                Event.applied.is_(True)).order_by(Event.seq)):
            if event.subject_id and event.subject_id not in completion:
                completion[event.subject_id] = _parts(list(event.data.get("job", {}).get("parts") or []))
    promises = _promises(session, tenant_id, start - LEAD, end)
    facts = []
    for job, technician, region in rows:
        own = invoices.get(job.id, [])
        sent = [i.sent_at for i in own if i.sent_at]
        paid = [i.paid_at for i in own if i.paid_at]
        promised = promises.get(job.id) or (job.scheduled_start + grace if job.scheduled_start else None)
        facts.append(KpiJob(
            id=job.id, priority=job.priority, job_type=job.job_type, customer_id=job.customer_id,
            technician=technician, region=region, created_at=job.created_at, dispatched_at=job.dispatched_at,
            en_route_at=job.en_route_at, arrived_at=job.arrived_at, completed_at=job.completed_at,
            cancelled=job.status == "cancelled", promised_at=promised,
            invoice_sent_at=min(sent) if sent else None, invoice_paid_at=min(paid) if paid else None,
            invoiced=bool(own), parts_now=_parts(parts_now.get(job.id, [])),
            parts_at_completion=completion.get(job.id),
        ))
    return facts


def as_of(session: Session, tenant_id: str) -> datetime | None:
    """When Backbone last heard anything for this tenant: the figures are as fresh as that."""
    return session.scalar(sa.select(sa.func.max(Event.received_at)).where(Event.tenant_id == tenant_id))
