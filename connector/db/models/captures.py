"""On-site capture: per-tenant job forms and the captures recorded against them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from connector.db.base import Base, TenantScoped, new_id, utcnow


class JobForm(TenantScoped, Base):
    """A tenant's form for one job type (built-in forms apply to the types without one)."""

    __tablename__ = "job_forms"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "job_type"),)

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=new_id)
    job_type: Mapped[str] = mapped_column(sa.String(60))
    # [{"key", "label", "type", "required", "choices"}], in order.
    fields: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    signature_required: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_run_id: Mapped[str | None] = mapped_column(sa.String(32))


class JobCapture(TenantScoped, Base):
    """What a technician captured on site for a job; the newest is current, earlier ones are history."""

    __tablename__ = "job_captures"
    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "job_id", "idempotency_key"),
        sa.UniqueConstraint("tenant_id", "job_id", "revision"),
    )

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=new_id)
    job_id: Mapped[str] = mapped_column(sa.String(32), sa.ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    revision: Mapped[int]
    # The run's Idempotency-Key: one capture per job and key.
    idempotency_key: Mapped[str] = mapped_column(sa.String(200))
    run_id: Mapped[str | None] = mapped_column(sa.String(32))
    content_hash: Mapped[str] = mapped_column(sa.String(64))
    job_type: Mapped[str] = mapped_column(sa.String(60))
    answers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    signature: Mapped[dict[str, Any] | None]
    notes: Mapped[str | None] = mapped_column(sa.Text)
    arrived_at: Mapped[datetime | None]
    departed_at: Mapped[datetime | None]
    minutes_on_site: Mapped[int | None]
    # Each photo with its `distance_m` and `flags` (far_from_site, outside_visit).
    photos: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    # None: the capture gave no parts (the job kept its own).
    parts: Mapped[list[dict[str, Any]] | None] = mapped_column(sa.JSON)
    # {"start", "end", "basis"} the photos were checked against.
    visit: Mapped[dict[str, Any] | None]
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set when a newer capture of the job replaced this one.
    superseded_at: Mapped[datetime | None]
    superseded_by: Mapped[str | None] = mapped_column(sa.String(32))
