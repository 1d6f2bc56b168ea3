"""The periodic rule evaluation: each rule fires once per job, as a canonical event like any other.

- `invoice_not_sent_48h`: a job completed `invoice_unsent_hours` ago (48 by default) has no invoice
  sent within that time.
- `arrival_late`: no arrival by the promised time plus `arrival_grace_minutes`; the promised time
  is the end of the ETA window of the newest route plan holding the job, else the booked start.
- `sla_at_risk`: an open job not yet reached whose response deadline (created + `sla_pN_hours` by
  priority) is less than `sla_warning_minutes` away, or passed; a job booked for after its
  deadline (a day the customer agreed to) runs no SLA clock.
- `recurring_visit_due`: a booked visit of an active service contract starts within the
  contract's `notice_days` (7 by default).

Each looks back a bounded window, so the work per run does not grow with the tenant's history.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from actions.schedule_recurring import MAX_NOTICE_DAYS
from connector.db.models import Invoice, Job, RuleSettings, Tenant
from connector.db.models.contracts import ContractVisit, ServiceContract
from connector.db.models.rules import DEFAULTS
from connector.db.store import job_snapshot
from connector.ingest.projector import planned_eta
from connector.ingest.recorder import record_event
from triggers.canonical import CanonicalEvent, EventType

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from connector.runtime import Runtime

logger = logging.getLogger(__name__)

LOOKBACK = timedelta(days=7)
OPEN_STATUSES = ("created", "scheduled", "dispatched", "en_route")
BOOKED_STATUSES = ("scheduled", "dispatched", "en_route")


@dataclass(frozen=True)
class Thresholds:
    invoice_unsent_hours: int
    arrival_grace_minutes: int
    sla_p1_hours: int
    sla_p2_hours: int
    sla_p3_hours: int
    sla_warning_minutes: int

    def sla_hours(self, priority: str) -> int:
        return {"P1": self.sla_p1_hours, "P2": self.sla_p2_hours}.get(priority, self.sla_p3_hours)


def thresholds(session: Session, tenant_id: str) -> Thresholds:
    """The tenant's thresholds (the defaults where it set none)."""
    row = session.get(RuleSettings, tenant_id)
    return Thresholds(**{name: getattr(row, name) if row else default for name, default in DEFAULTS.items()})


@dataclass(frozen=True)
class Finding:
    rule: str
    type: EventType
    job: Job
    detail: dict[str, Any]


def _iso(value: datetime) -> str:
    return value.isoformat()


def invoice_not_sent(session: Session, tenant_id: str, t: Thresholds, now: datetime) -> list[Finding]:
    limit = timedelta(hours=t.invoice_unsent_hours)
    jobs = session.scalars(sa.select(Job).where(
        Job.tenant_id == tenant_id, Job.status == "completed", Job.completed_at <= now - limit,
        Job.completed_at > now - limit - LOOKBACK)).all()
    if not jobs:
        return []
    sent: dict[str, list[datetime]] = {}
    for job_id, sent_at in session.execute(sa.select(Invoice.job_id, Invoice.sent_at).where(
            Invoice.tenant_id == tenant_id, Invoice.job_id.in_([j.id for j in jobs]), Invoice.sent_at.is_not(None))):
        sent.setdefault(job_id, []).append(sent_at)
    found = []
    for job in jobs:
        completed = job.completed_at
        if completed is None or any(at <= completed + limit for at in sent.get(job.id, [])):
            continue
        found.append(Finding("invoice_not_sent_48h", EventType.RULE_INVOICE_NOT_SENT, job, {
            "threshold_hours": t.invoice_unsent_hours, "deadline": _iso(completed + limit),
            "overdue_minutes": int((now - completed - limit).total_seconds() // 60)}))
    return found


def arrival_late(session: Session, tenant_id: str, t: Thresholds, now: datetime) -> list[Finding]:
    grace = timedelta(minutes=t.arrival_grace_minutes)
    jobs = session.scalars(sa.select(Job).where(
        Job.tenant_id == tenant_id, Job.status.in_(BOOKED_STATUSES), Job.arrived_at.is_(None),
        Job.scheduled_start.is_not(None), Job.scheduled_start <= now, Job.scheduled_start > now - LOOKBACK)).all()
    found = []
    for job in jobs:
        eta = planned_eta(session, tenant_id, job, now)
        promised = datetime.fromisoformat(eta["window_end"]) if eta["source"] == "plan" and eta["window_end"] \
            else job.scheduled_start
        if promised is None or now <= promised + grace:
            continue
        found.append(Finding("arrival_late", EventType.RULE_ARRIVAL_LATE, job, {
            "promised_by": _iso(promised), "promise_source": eta["source"] or "booking",
            "grace_minutes": t.arrival_grace_minutes,
            "late_minutes": int((now - promised).total_seconds() // 60)}))
    return found


def sla_at_risk(session: Session, tenant_id: str, t: Thresholds, now: datetime) -> list[Finding]:
    warning = timedelta(minutes=t.sla_warning_minutes)
    longest = timedelta(hours=max(t.sla_p1_hours, t.sla_p2_hours, t.sla_p3_hours))
    jobs = session.scalars(sa.select(Job).where(
        Job.tenant_id == tenant_id, Job.status.in_(OPEN_STATUSES), Job.arrived_at.is_(None),
        Job.created_at > now - longest - LOOKBACK)).all()
    found = []
    for job in jobs:
        deadline = job.created_at + timedelta(hours=t.sla_hours(job.priority))
        if now < deadline - warning:
            continue
        if job.scheduled_start is not None and job.scheduled_start > deadline:
            continue  # booked for a later day the customer agreed to (a recurring visit, a quote): no SLA clock
        found.append(Finding("sla_at_risk", EventType.RULE_SLA_AT_RISK, job, {
            "sla_hours": t.sla_hours(job.priority), "deadline": _iso(deadline),
            "minutes_left": int((deadline - now).total_seconds() // 60), "breached": now >= deadline}))
    return found


#: The longest notice a contract may ask for (schedule_recurring refuses more).
MAX_NOTICE = timedelta(days=MAX_NOTICE_DAYS)


def recurring_visit_due(session: Session, tenant_id: str, t: Thresholds, now: datetime) -> list[Finding]:
    """A booked visit of an active contract starts within the contract's `notice_days` (fired once per visit,
    which is once per contract occurrence: a visit is the job of one contract and one local day)."""
    rows = session.execute(
        sa.select(Job, ContractVisit, ServiceContract)
        .join(ContractVisit, ContractVisit.job_id == Job.id)
        .join(ServiceContract, ServiceContract.id == ContractVisit.contract_id)
        .where(Job.tenant_id == tenant_id, ContractVisit.tenant_id == tenant_id, ServiceContract.active.is_(True),
               ContractVisit.dropped_at.is_(None), Job.status.in_(OPEN_STATUSES), Job.scheduled_start > now,
               Job.scheduled_start <= now + MAX_NOTICE)).all()
    found = []
    for job, visit, contract in rows:
        start = job.scheduled_start
        if start is None or start > now + timedelta(days=contract.notice_days):
            continue
        found.append(Finding("recurring_visit_due", EventType.RULE_RECURRING_VISIT_DUE, job, {
            "contract_id": contract.id, "occurs_on": visit.occurs_on.isoformat(), "notice_days": contract.notice_days,
            "hours_until": int((start - now).total_seconds() // 3600), "price": str(visit.price)}))
    return found


RULES = (invoice_not_sent, arrival_late, sla_at_risk, recurring_visit_due)


def evaluate_tenant(session: Session, rt: Runtime, tenant_id: str, now: datetime) -> dict[str, int]:
    t = thresholds(session, tenant_id)
    fired: dict[str, int] = {}
    for rule in RULES:
        for f in rule(session, tenant_id, t, now):
            event = CanonicalEvent(
                event_id=f"rule:{f.rule}:{f.job.id}", type=f.type, occurred_at=now, source="backbone",
                source_id=f.job.source_id, subject_id=f.job.id,
                data={"job": job_snapshot(session, f.job).model_dump(mode="json"), "rule": f.detail})
            if record_event(session, rt.queues, tenant_id, event) is not None:
                fired[f.rule] = fired.get(f.rule, 0) + 1
    return fired


def evaluate(rt: Runtime, now: datetime | None = None) -> dict[str, int]:
    """The periodic job: every rule for every tenant; returns how many fired, by rule."""
    now = now or rt.clock()
    with rt.db.session() as session:
        tenant_ids = list(session.scalars(sa.select(Tenant.id)))
    totals: dict[str, int] = {}
    for tenant_id in tenant_ids:
        with rt.db.session() as session:
            for rule, n in evaluate_tenant(session, rt, tenant_id, now).items():
                totals[rule] = totals.get(rule, 0) + n
    if totals:
        logger.info("rules.fired %s", totals)
    return totals
