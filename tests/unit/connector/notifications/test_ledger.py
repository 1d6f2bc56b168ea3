"""SqlNotifications: the claim before the send, the unique slot, tenant scoping (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from actions.context import MessageReceipt, NotificationRecord
from connector.db.models import Job, Notification
from connector.notifications.ledger import SqlNotifications
from tests.helpers import T0, job_data, post_sandbox


def _job(client, runtime, tenant) -> str:  # type: ignore[no-untyped-def]
    post_sandbox(client, tenant, "job.scheduled", T0, job_data("J-1"), event_id="s-1")
    with runtime.db.session() as session:
        return str(session.scalar(sa.select(Job.id).where(Job.tenant_id == tenant.tenant_id)))


def _draft(job_id: str, sequence: int = 1) -> NotificationRecord:
    return NotificationRecord(id="", job_id=job_id, stage="confirmation", sequence=sequence, channel="sms",
                              recipient="+15125550142", subject=None, body="Hi", status="sending", created_at=T0)


def _statuses(runtime, tenant) -> list[str]:  # type: ignore[no-untyped-def]
    with runtime.db.session() as session:
        return list(session.scalars(sa.select(Notification.status).where(Notification.tenant_id == tenant.tenant_id)))


def test_a_claim_is_durable_before_the_send_where_the_database_allows(client, runtime, tenant) -> None:
    job_id = _job(client, runtime, tenant)

    def run_that_dies() -> None:
        with runtime.db.session() as session:
            ledger = SqlNotifications(runtime, session, tenant.tenant_id)
            assert ledger.claim(_draft(job_id), "run-1") is not None
            raise RuntimeError("the run dies after the message left")

    with pytest.raises(RuntimeError):
        run_that_dies()
    if runtime.db.engine.dialect.name == "postgresql":
        # Committed on its own: a replay finds the slot held and never sends again.
        assert _statuses(runtime, tenant) == ["sending"]
    else:
        # SQLite: one writer, the run's transaction; the action never fails once a message may have left.
        assert _statuses(runtime, tenant) == []


def test_one_claim_per_slot_and_refused_rows_give_the_slot_up(client, runtime, tenant, other_tenant) -> None:
    job_id = _job(client, runtime, tenant)
    with runtime.db.session() as session:
        ledger = SqlNotifications(runtime, session, tenant.tenant_id)
        first = ledger.claim(_draft(job_id), "run-1")
        assert first is not None and ledger.claim(_draft(job_id), "run-2") is None
        ledger.settle(first.id, "failed", detail="Twilio error 21211")
        again = ledger.claim(_draft(job_id), "run-3")
        assert again is not None and again.id == first.id and again.detail is None
        sent = ledger.settle(again.id, "sent", receipt=MessageReceipt("twilio", "SM1", "queued"))
        assert (sent.provider, sent.provider_message_id, sent.provider_status) == ("twilio", "SM1", "queued")
        assert sent.sent_at is not None
        assert ledger.claim(_draft(job_id), "run-4") is None
        assert ledger.claim(_draft(job_id, 2), "run-4") is not None
        assert [(r.sequence, r.status) for r in ledger.history(job_id, "confirmation")] == [(1, "sent"),
                                                                                            (2, "sending")]
        assert SqlNotifications(runtime, session, other_tenant.tenant_id).history(job_id, "confirmation") == []
        assert ledger.company_name() == "Acme Heating" and ledger.templates("confirmation") == {}
        eta = ledger.planned_eta(job_id)  # no plan: the booking
        assert eta is not None and eta.source == "booking" and eta.window_start == T0.replace(hour=15)
