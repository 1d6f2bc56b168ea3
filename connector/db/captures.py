"""The SQL of on-site capture (job forms, captures, completing the job): every query scoped to one tenant."""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa

from actions.capture import CaptureDraft, FieldType, FormField, JobForm, StoredCapture, normalize_job_type
from connector.db.base import utcnow
from connector.db.models import Customer, Job, JobCapture, JobPart
from connector.db.models import JobForm as JobFormRow
from connector.db.store import job_snapshot
from triggers.canonical import JobStatus

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from actions.capture import JobCompletion
    from triggers.canonical import JobSnapshot


def _form(row: JobFormRow) -> JobForm:
    fields = tuple(
        FormField(key=f["key"], label=f["label"], type=FieldType(f["type"]), required=bool(f.get("required")),
                  choices=tuple(f.get("choices") or ()))
        for f in row.fields
    )
    return JobForm(job_type=row.job_type, fields=fields, signature_required=row.signature_required,
                   source="tenant", updated_at=row.updated_at)


def _form_row(session: Session, tenant_id: str, job_type: str, *, lock: bool = False) -> JobFormRow | None:
    query = sa.select(JobFormRow).where(JobFormRow.tenant_id == tenant_id,
                                        JobFormRow.job_type == normalize_job_type(job_type))
    return session.scalar(query.with_for_update() if lock else query)


def get_job_form(session: Session, tenant_id: str, job_type: str) -> JobForm | None:
    row = _form_row(session, tenant_id, job_type)
    return _form(row) if row is not None else None


def save_job_form(session: Session, tenant_id: str, form: JobForm, run_id: str | None) -> JobForm:
    row = _form_row(session, tenant_id, form.job_type, lock=True)
    if row is None:
        row = JobFormRow(tenant_id=tenant_id, job_type=normalize_job_type(form.job_type))
        session.add(row)
    row.fields = [{"key": f.key, "label": f.label, "type": f.type.value, "required": f.required,
                   "choices": list(f.choices)} for f in form.fields]
    row.signature_required = form.signature_required
    row.updated_at = utcnow()
    row.updated_by_run_id = run_id
    session.flush()
    return _form(row)


def delete_job_form(session: Session, tenant_id: str, job_type: str) -> bool:
    row = _form_row(session, tenant_id, job_type, lock=True)
    if row is None:
        return False
    session.delete(row)
    session.flush()
    return True


def job_location(session: Session, tenant_id: str, job_id: str) -> tuple[float, float] | None:
    found = session.execute(
        sa.select(Customer.lat, Customer.lng).join(Job, Job.customer_id == Customer.id)
        .where(Job.tenant_id == tenant_id, Job.id == job_id, Customer.tenant_id == tenant_id)
    ).first()
    if found is None or found.lat is None or found.lng is None:
        return None
    return float(found.lat), float(found.lng)


def _stored(row: JobCapture, replaces: str | None) -> StoredCapture:
    draft = CaptureDraft(
        job_id=row.job_id, job_type=row.job_type, idempotency_key=row.idempotency_key, run_id=row.run_id,
        content_hash=row.content_hash, answers=row.answers, signature=row.signature, notes=row.notes,
        arrived_at=row.arrived_at, departed_at=row.departed_at, minutes_on_site=row.minutes_on_site,
        photos=row.photos, parts=row.parts, visit=row.visit, recorded_at=row.recorded_at,
    )
    return StoredCapture(id=row.id, revision=row.revision, replaces_id=replaces, draft=draft)


def _with_predecessor(session: Session, tenant_id: str, row: JobCapture) -> StoredCapture:
    previous = session.scalar(sa.select(JobCapture.id).where(
        JobCapture.tenant_id == tenant_id, JobCapture.job_id == row.job_id, JobCapture.superseded_by == row.id))
    return _stored(row, previous)


def find_capture(session: Session, tenant_id: str, job_id: str, idempotency_key: str) -> StoredCapture | None:
    row = session.scalar(sa.select(JobCapture).where(
        JobCapture.tenant_id == tenant_id, JobCapture.job_id == job_id, JobCapture.idempotency_key == idempotency_key))
    return _with_predecessor(session, tenant_id, row) if row is not None else None


def _latest(session: Session, tenant_id: str, job_id: str) -> JobCapture | None:
    return session.scalar(
        sa.select(JobCapture).where(JobCapture.tenant_id == tenant_id, JobCapture.job_id == job_id)
        .order_by(JobCapture.revision.desc()).limit(1)
    )


def latest_capture(session: Session, tenant_id: str, job_id: str) -> StoredCapture | None:
    row = _latest(session, tenant_id, job_id)
    return _with_predecessor(session, tenant_id, row) if row is not None else None


def _lock_job(session: Session, tenant_id: str, job_id: str) -> Job:
    job = session.scalar(sa.select(Job).where(Job.tenant_id == tenant_id, Job.id == job_id).with_for_update())
    if job is None:
        raise LookupError(f"no job {job_id} for tenant {tenant_id}")
    return job


def save_capture(session: Session, tenant_id: str, draft: CaptureDraft) -> StoredCapture:
    # The job's row lock orders concurrent captures of one job: each gets the next revision.
    _lock_job(session, tenant_id, draft.job_id)
    previous = _latest(session, tenant_id, draft.job_id)
    row = JobCapture(
        tenant_id=tenant_id, job_id=draft.job_id, revision=previous.revision + 1 if previous else 1,
        idempotency_key=draft.idempotency_key, run_id=draft.run_id, content_hash=draft.content_hash,
        job_type=draft.job_type, answers=draft.answers, signature=draft.signature, notes=draft.notes,
        arrived_at=draft.arrived_at, departed_at=draft.departed_at, minutes_on_site=draft.minutes_on_site,
        photos=draft.photos, parts=draft.parts, visit=draft.visit, recorded_at=draft.recorded_at,
    )
    session.add(row)
    session.flush()
    if previous is not None:
        previous.superseded_at = draft.recorded_at
        previous.superseded_by = row.id
        session.flush()
    return _stored(row, previous.id if previous else None)


def complete_job(session: Session, tenant_id: str, completion: JobCompletion) -> JobSnapshot:
    job = _lock_job(session, tenant_id, completion.job_id)
    if completion.notes is not None:
        job.completion_notes = completion.notes
    if completion.parts is not None:
        session.execute(sa.delete(JobPart).where(JobPart.tenant_id == tenant_id, JobPart.job_id == job.id))
        for part in completion.parts:
            session.add(JobPart(tenant_id=tenant_id, job_id=job.id, sku=part.sku, description=part.description,
                                quantity=part.quantity, unit_cost=part.unit_cost))
    if job.arrived_at is None and completion.arrived_at is not None:
        job.arrived_at = completion.arrived_at
    if job.status != JobStatus.COMPLETED.value:
        job.status = JobStatus.COMPLETED.value
        job.completed_at = job.completed_at or completion.completed_at
        # Like a job.completed event at that time: older FSM events no longer move the status.
        job.status_changed_at = max(job.status_changed_at, completion.completed_at)
    session.flush()
    return job_snapshot(session, job)
