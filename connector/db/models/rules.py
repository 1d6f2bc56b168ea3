"""Per-tenant thresholds of the rule triggers (defaults apply until a tenant sets its own)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from connector.db.base import Base, utcnow

DEFAULTS = {
    "invoice_unsent_hours": 48,
    "arrival_grace_minutes": 30,
    "sla_p1_hours": 4,
    "sla_p2_hours": 24,
    "sla_p3_hours": 72,
    "sla_warning_minutes": 60,
}


class RuleSettings(Base):
    """One row per tenant that changed a threshold."""

    __tablename__ = "rule_settings"

    tenant_id: Mapped[str] = mapped_column(sa.String(32), sa.ForeignKey("tenants.id", ondelete="CASCADE"),
                                           primary_key=True)
    invoice_unsent_hours: Mapped[int] = mapped_column(default=DEFAULTS["invoice_unsent_hours"])
    arrival_grace_minutes: Mapped[int] = mapped_column(default=DEFAULTS["arrival_grace_minutes"])
    sla_p1_hours: Mapped[int] = mapped_column(default=DEFAULTS["sla_p1_hours"])
    sla_p2_hours: Mapped[int] = mapped_column(default=DEFAULTS["sla_p2_hours"])
    sla_p3_hours: Mapped[int] = mapped_column(default=DEFAULTS["sla_p3_hours"])
    sla_warning_minutes: Mapped[int] = mapped_column(default=DEFAULTS["sla_warning_minutes"])
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
