"""Route plans made by optimize_route, kept so re-planning can stay close to the last plan."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from connector.db.base import Base, TenantScoped, new_id, utcnow


class RoutePlan(TenantScoped, Base):
    __tablename__ = "route_plans"
    __table_args__ = (sa.Index("ix_route_plans_tenant_created", "tenant_id", "created_at"),)

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=new_id)
    run_id: Mapped[str | None] = mapped_column(sa.String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    window_start: Mapped[datetime]
    window_end: Mapped[datetime]
    routes: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON)
    unassigned: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON)
    kpis: Mapped[dict[str, Any]]
