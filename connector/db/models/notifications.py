"""Customer notifications: each tenant's templates, and the ledger of what was sent (once per stage)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from connector.db.base import Base, TenantScoped, new_id, utcnow


class NotificationTemplate(Base):
    """A tenant's own wording for one stage; an empty field falls back to the built-in template."""

    __tablename__ = "notification_templates"

    tenant_id: Mapped[str] = mapped_column(sa.String(32), sa.ForeignKey("tenants.id", ondelete="CASCADE"),
                                           primary_key=True)
    stage: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    sms: Mapped[str | None] = mapped_column(sa.Text)
    email_subject: Mapped[str | None] = mapped_column(sa.String(200))
    email_body: Mapped[str | None] = mapped_column(sa.Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Notification(TenantScoped, Base):
    """One stage of a job's notification ladder; the unique key makes a second send of it impossible.

    `sequence` is 1, except for eta_window, where a slipped ETA opens the next window (2, 3, ...).
    """

    __tablename__ = "notifications"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "job_id", "stage", "sequence"),)

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=new_id)
    job_id: Mapped[str] = mapped_column(sa.String(32), sa.ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    stage: Mapped[str] = mapped_column(sa.String(20))
    sequence: Mapped[int] = mapped_column(default=1)
    channel: Mapped[str] = mapped_column(sa.String(10))
    recipient: Mapped[str] = mapped_column(sa.String(320))
    subject: Mapped[str | None] = mapped_column(sa.String(300))
    body: Mapped[str] = mapped_column(sa.Text)
    # sending | sent | unknown | composed | failed | suppressed (see actions.context.NotificationRecord)
    status: Mapped[str] = mapped_column(sa.String(20))
    window_start: Mapped[datetime | None]
    window_end: Mapped[datetime | None]
    eta: Mapped[datetime | None]
    provider: Mapped[str | None] = mapped_column(sa.String(20))
    provider_message_id: Mapped[str | None] = mapped_column(sa.String(300))
    provider_status: Mapped[str | None] = mapped_column(sa.String(40))
    detail: Mapped[str | None] = mapped_column(sa.String(1000))
    run_id: Mapped[str | None] = mapped_column(sa.String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
