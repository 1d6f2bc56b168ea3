"""SqlNotifications: templates and the notification ledger (implements actions.context.Notifications).

The claim is what makes a send at-most-once: the row for (tenant, job, stage, sequence) exists before
Twilio or the mail server is called. On PostgreSQL the claim and every outcome are written in their
own short transactions, committed at once, so they survive whatever happens to the run afterwards
(a replay finds them), and two concurrent runs meet at the unique key. The embedded SQLite database
has one writer at a time and the run's transaction already holds it, so there they are written in
the run's transaction: runs cannot race, and the action never fails once a message may have left,
so the row commits with the run.
"""

from __future__ import annotations

from contextlib import contextmanager, nullcontext
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from actions.context import NotificationRecord, PlannedEta
from connector.db.models import Job, Notification, NotificationTemplate, Tenant
from connector.ingest.projector import planned_eta

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from sqlalchemy.engine import CursorResult
    from sqlalchemy.orm import Session

    from actions.context import MessageReceipt
    from connector.runtime import Runtime

#: Rows in these states give their slot up to a new claim (nothing went out).
RECLAIMABLE = ("failed", "suppressed")


def record_of(row: Notification) -> NotificationRecord:
    return NotificationRecord(
        id=row.id, job_id=row.job_id, stage=row.stage, sequence=row.sequence, channel=row.channel,
        recipient=row.recipient, subject=row.subject, body=row.body, status=row.status, created_at=row.created_at,
        window_start=row.window_start, window_end=row.window_end, eta=row.eta, provider=row.provider,
        provider_message_id=row.provider_message_id, provider_status=row.provider_status, detail=row.detail,
        sent_at=row.sent_at,
    )


class SqlNotifications:
    """One tenant's templates and ledger."""

    def __init__(self, rt: Runtime, session: Session, tenant_id: str,
                 clock: Callable[[], datetime] | None = None) -> None:
        self.rt = rt
        self.session = session
        self.tenant_id = tenant_id
        self.clock = clock or rt.clock
        self.own_transactions = session.get_bind().dialect.name != "sqlite"

    @contextmanager
    def _writing(self) -> Iterator[Session]:
        """A session whose writes are durable now (PostgreSQL), else the run's own (SQLite)."""
        if self.own_transactions:
            with self.rt.db.session() as session:
                yield session
        else:
            with nullcontext(self.session) as session:
                yield session
                session.flush()

    def company_name(self) -> str:
        return self.session.scalar(sa.select(Tenant.name).where(Tenant.id == self.tenant_id)) or ""

    def templates(self, stage: str) -> dict[str, str]:
        row = self.session.get(NotificationTemplate, (self.tenant_id, stage))
        if row is None:
            return {}
        own = {"sms": row.sms, "email_subject": row.email_subject, "email_body": row.email_body}
        return {name: text for name, text in own.items() if text}

    def planned_eta(self, job_id: str) -> PlannedEta | None:
        job = self.session.scalar(sa.select(Job).where(Job.tenant_id == self.tenant_id, Job.id == job_id))
        if job is None:
            return None
        eta = planned_eta(self.session, self.tenant_id, job, self.clock())
        if not (eta["eta"] and eta["window_start"] and eta["window_end"]):
            return None
        return PlannedEta(eta=datetime.fromisoformat(eta["eta"]),
                          window_start=datetime.fromisoformat(eta["window_start"]),
                          window_end=datetime.fromisoformat(eta["window_end"]), source=eta["source"] or "booking")

    def _rows(self, session: Session, job_id: str, stage: str) -> list[Notification]:
        return list(session.scalars(
            sa.select(Notification)
            .where(Notification.tenant_id == self.tenant_id, Notification.job_id == job_id,
                   Notification.stage == stage)
            .order_by(Notification.sequence)
            .execution_options(populate_existing=True)
        ))

    def history(self, job_id: str, stage: str) -> list[NotificationRecord]:
        return [record_of(row) for row in self._rows(self.session, job_id, stage)]

    def claim(self, record: NotificationRecord, run_id: str | None) -> NotificationRecord | None:
        now = self.clock()
        fields = {
            "channel": record.channel, "recipient": record.recipient, "subject": record.subject,
            "body": record.body, "status": "sending", "window_start": record.window_start,
            "window_end": record.window_end, "eta": record.eta, "provider": None, "provider_message_id": None,
            "provider_status": None, "detail": None, "run_id": run_id, "created_at": now, "updated_at": now,
            "sent_at": None,
        }
        key = (Notification.tenant_id == self.tenant_id, Notification.job_id == record.job_id,
               Notification.stage == record.stage, Notification.sequence == record.sequence)
        with self._writing() as session:
            # A refused or suppressed row gives its slot up: take it over only while it is still so.
            result = session.execute(
                sa.update(Notification).where(*key, Notification.status.in_(RECLAIMABLE)).values(**fields)
            )
            taken = cast("CursorResult[Any]", result).rowcount
            if not taken:
                try:
                    with session.begin_nested():
                        session.add(Notification(tenant_id=self.tenant_id, job_id=record.job_id,
                                                 stage=record.stage, sequence=record.sequence, **fields))
                except IntegrityError:
                    return None  # the slot is held: another run claimed it first
            row = session.scalar(sa.select(Notification).where(*key).execution_options(populate_existing=True))
            if row is None or row.status != "sending" or row.run_id != run_id:
                return None
            return record_of(row)

    def settle(self, notification_id: str, status: str, *, receipt: MessageReceipt | None = None,
               detail: str | None = None) -> NotificationRecord:
        now = self.clock()
        with self._writing() as session:
            row = session.scalar(sa.select(Notification).where(
                Notification.tenant_id == self.tenant_id, Notification.id == notification_id,
            ).execution_options(populate_existing=True))
            if row is None:
                raise LookupError(f"notification {notification_id} vanished")
            row.status = status
            row.updated_at = now
            row.detail = detail[:1000] if detail else None
            if receipt is not None:
                row.provider, row.provider_message_id, row.provider_status = (
                    receipt.provider, receipt.message_id[:300], receipt.status[:40])
            elif status == "unknown":
                row.provider_status = "unknown"
            if status in ("sent", "unknown", "composed"):
                row.sent_at = now
            session.flush()
            return record_of(row)
