"""Tenants (companies) and their users."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from connector.db.base import Base, new_id, utcnow


class Role(enum.StrEnum):
    OWNER = "owner"
    DISPATCHER = "dispatcher"
    BILLING = "billing"
    SUPPORT = "support"  # platform-wide Backbone staff; belongs to no tenant


class Tenant(Base):
    __tablename__ = "tenants"

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(sa.String(200))
    timezone: Mapped[str] = mapped_column(sa.String(64), default="UTC")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        sa.CheckConstraint(
            "(role = 'support') = (tenant_id IS NULL)", name="support_has_no_tenant"
        ),
    )

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=new_id)
    tenant_id: Mapped[str | None] = mapped_column(
        sa.String(32), sa.ForeignKey("tenants.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(sa.String(320), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[str] = mapped_column(sa.String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]

    @property
    def is_support(self) -> bool:
        return self.role == Role.SUPPORT
