"""SqlMailroom: direct mail for one tenant, in the action's transaction (implements actions.context.Mailroom)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from actions.context import MailContact
from actions.errors import Conflict
from connector.db.base import new_id
from connector.db.models import Customer, Job, PostcardBatch, PostcardRecipient
from connector.jobs.queues import DEFAULT, enqueue_after_commit
from connector.mail import optout

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.orm import Session

    from actions.context import PostcardBatchDraft
    from connector.runtime import Runtime

SEND_BATCH = "connector.jobs.tasks.send_postcard_batch"


def send_job_id(batch_id: str) -> str:
    return f"postcards-{batch_id}"


def enqueue_send(rt: Runtime, batch_id: str) -> None:
    """Queues the sending of a batch (a no-op while a send of it is already waiting or running)."""
    rt.queues.enqueue(DEFAULT, SEND_BATCH, batch_id, job_id=send_job_id(batch_id), timeout=3600)


def batch_url(rt: Runtime, batch_id: str) -> str:
    return f"{rt.settings.base_url.rstrip('/')}/api/v1/postcards/batches/{batch_id}"


class SqlMailroom:
    """The tenant's customers, opt-out links and postcard batches."""

    def __init__(self, rt: Runtime, session: Session, tenant_id: str, run_id: str | None = None) -> None:
        self.rt = rt
        self.session = session
        self.tenant_id = tenant_id
        self.run_id = run_id

    def contacts(self, customer_ids: list[str] | None) -> list[MailContact]:
        query = sa.select(Customer).where(Customer.tenant_id == self.tenant_id)
        jobs = sa.select(Job.customer_id, Job.job_type, Job.completed_at).where(
            Job.tenant_id == self.tenant_id, Job.customer_id.is_not(None))
        if customer_ids is not None:
            query = query.where(Customer.id.in_(customer_ids))
            jobs = jobs.where(Job.customer_id.in_(customer_ids))
        last: dict[str, datetime] = {}
        types: dict[str, set[str]] = {}
        for customer_id, job_type, completed_at in self.session.execute(jobs):
            types.setdefault(customer_id, set()).add(job_type)
            if completed_at is not None and (customer_id not in last or completed_at > last[customer_id]):
                last[customer_id] = completed_at
        return [
            MailContact(customer_id=c.id, name=c.name, address=c.address, city=c.city, state=c.region,
                        postal_code=c.postal_code, last_service_at=last.get(c.id),
                        job_types=tuple(sorted(types.get(c.id, ()))))
            for c in self.session.scalars(query.order_by(Customer.name, Customer.id))
        ]

    def lob_configured(self) -> bool:
        return self.rt.settings.lob.configured

    def new_batch_id(self) -> str:
        return new_id()

    def mailed_in(self, mail_key: str) -> str | None:
        return self.session.scalar(sa.select(PostcardRecipient.batch_id).where(
            PostcardRecipient.tenant_id == self.tenant_id, PostcardRecipient.mail_key == mail_key))

    def opt_out_url(self, customer_id: str) -> str:
        return optout.url_for(self.rt.settings, self.tenant_id, customer_id)

    def batch_url(self, batch_id: str) -> str:
        return batch_url(self.rt, batch_id)

    def save_batch(self, batch: PostcardBatchDraft) -> None:
        now = self.rt.clock()
        ready = batch.status in ("exported", "sent")
        self.session.add(PostcardBatch(
            id=batch.id, tenant_id=self.tenant_id, run_id=self.run_id, purpose=batch.purpose, delivery=batch.delivery,
            status=batch.status, campaign=batch.campaign, send_window=batch.send_window, send_date=batch.send_date,
            due_at=batch.due_at, size=batch.size, mail_type=batch.mail_type, front=batch.front, back=batch.back,
            from_address=batch.from_address, merge_variables=batch.merge_variables, description=batch.description,
            csv=batch.csv, created_at=now, ready_at=now if ready else None,
        ))
        self.session.flush()
        try:
            with self.session.begin_nested():
                self.session.add_all([
                    PostcardRecipient(tenant_id=self.tenant_id, batch_id=batch.id, position=i,
                                      customer_id=line.customer_id, status=line.status, reason=line.reason,
                                      mail_key=line.mail_key, name=line.name[:200], address=line.address,
                                      opt_out_url=line.opt_out_url, last_service_at=line.last_service_at,
                                      duplicate_of=line.duplicate_of)
                    for i, line in enumerate(batch.lines)
                ])
                self.session.flush()
        except IntegrityError as exc:
            # A concurrent call queued the same card (campaign, customer, send window) first.
            raise Conflict("Another batch of this campaign was queued at the same moment: try again, and the "
                           "cards it holds will come back as duplicate.") from exc
        if batch.status == "sending":
            rt, batch_id = self.rt, batch.id
            enqueue_after_commit(self.session, lambda: enqueue_send(rt, batch_id))
