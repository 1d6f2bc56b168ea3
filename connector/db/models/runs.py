"""Action runs: every call of an action, with each attempt at it."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from connector.db.base import Base, TenantScoped, new_id, utcnow


class RunStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class ActionRun(TenantScoped, Base):
    __tablename__ = "action_runs"
    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "action_key", "idempotency_key"),
        sa.Index("ix_action_runs_status_created", "status", "created_at"),
    )

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=new_id)
    action_key: Mapped[str] = mapped_column(sa.String(60))
    idempotency_key: Mapped[str] = mapped_column(sa.String(200))
    # True when the caller sent no Idempotency-Key and Backbone made one up.
    idempotency_key_generated: Mapped[bool] = mapped_column(default=False)
    request_hash: Mapped[str] = mapped_column(sa.String(64))
    input: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(sa.String(20), default=RunStatus.QUEUED)
    weight: Mapped[str] = mapped_column(sa.String(10), default="fast")
    attempts: Mapped[int] = mapped_column(default=0)
    # {"code", "message", "retryable", "fields"?}
    error: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    result: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    # The HTTP status the run's answer carries (200, 422, 503 ...), replayed for a repeated key.
    http_status: Mapped[int | None]
    caller_kind: Mapped[str] = mapped_column(sa.String(20))  # oauth | user | support | system
    caller_id: Mapped[str | None] = mapped_column(sa.String(64))
    caller_label: Mapped[str | None] = mapped_column(sa.String(200))
    callback_url: Mapped[str | None] = mapped_column(sa.Text)
    # Heavy runs called with a callback URL: pending until the result is POSTed (sent) or given up (failed).
    callback_status: Mapped[str | None] = mapped_column(sa.String(20))
    callback_attempts: Mapped[int] = mapped_column(default=0)
    callback_error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    duration_ms: Mapped[int | None]
    replay_count: Mapped[int] = mapped_column(default=0)


class ActionAttempt(TenantScoped, Base):
    __tablename__ = "action_attempts"
    __table_args__ = (sa.UniqueConstraint("run_id", "number"),)

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=new_id)
    run_id: Mapped[str] = mapped_column(
        sa.String(32), sa.ForeignKey("action_runs.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int]
    reason: Mapped[str] = mapped_column(sa.String(20))  # call | retry | replay
    actor: Mapped[str | None] = mapped_column(sa.String(200))
    status: Mapped[str] = mapped_column(sa.String(20))
    error: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    duration_ms: Mapped[int | None]
