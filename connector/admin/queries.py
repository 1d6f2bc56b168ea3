"""The admin page's reads: runs, deliveries and audit entries across every tenant.

Support staff are platform-wide (their users have no tenant), so these queries are the one
place that reads across tenants on purpose; each row carries its tenant's name instead.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import sqlalchemy as sa

from actions.catalog import REGISTRY
from connector.api.runner import INVALID_INPUT
from connector.db.models import (
    ActionAttempt,
    ActionRun,
    AuditEntry,
    Delivery,
    DeliveryAttempt,
    HookSubscription,
    Tenant,
)
from connector.db.models.hooks import DeliveryStatus
from connector.db.models.runs import RunStatus

if TYPE_CHECKING:
    from collections.abc import Mapping

    from sqlalchemy.orm import Session

T = TypeVar("T")

PAGE_SIZE = 50
RUN_STATUSES = tuple(s.value for s in RunStatus)
DELIVERY_STATUSES = tuple(s.value for s in DeliveryStatus)
MAX_SEARCH = 200


def page_number(args: Mapping[str, str]) -> int:
    """The 1-based `?page=`; anything that is not a positive number is page 1."""
    raw = args.get("page", "1")
    return int(raw) if raw.isdigit() and int(raw) > 0 else 1


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    number: int
    total: int
    size: int = PAGE_SIZE

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.size))

    @property
    def has_prev(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


def _paginate(session: Session, stmt: sa.Select[Any], number: int) -> tuple[list[Any], int]:
    total = session.scalar(sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery())) or 0
    rows = session.execute(stmt.limit(PAGE_SIZE).offset((number - 1) * PAGE_SIZE)).all()
    return list(rows), int(total)


def is_replayable(run: ActionRun) -> bool:
    """Failed for a reason other than its input, and its action still exists."""
    return (
        run.status == RunStatus.FAILED and (run.error or {}).get("code") != INVALID_INPUT and run.action_key in REGISTRY
    )


def tenant_choices(session: Session) -> list[tuple[str, str]]:
    """(id, name) of every tenant, by name: the tenant filter's options."""
    return [(row.id, row.name) for row in session.execute(sa.select(Tenant.id, Tenant.name).order_by(Tenant.name))]


# --- action runs -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunFilters:
    status: str = ""
    action: str = ""
    tenant: str = ""
    q: str = ""

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> RunFilters:
        """Filters from a query string or a form; unknown values are dropped, not errors."""
        status = args.get("status", "")
        action = args.get("action", "")
        return cls(
            status=status if status in RUN_STATUSES else "",
            action=action if action in REGISTRY else "",
            tenant=args.get("tenant", "").strip()[:32],
            q=args.get("q", "").strip()[:MAX_SEARCH],
        )

    def as_args(self) -> dict[str, str]:
        """The filters that are set, for url_for (so links and redirects keep them)."""
        return {name: value for name, value in asdict(self).items() if value}

    def apply(self, stmt: sa.Select[Any]) -> sa.Select[Any]:
        if self.status:
            stmt = stmt.where(ActionRun.status == self.status)
        if self.action:
            stmt = stmt.where(ActionRun.action_key == self.action)
        if self.tenant:
            stmt = stmt.where(ActionRun.tenant_id == self.tenant)
        if self.q:
            needle = self.q.lower()
            stmt = stmt.where(
                sa.or_(
                    ActionRun.id.startswith(needle, autoescape=True),
                    sa.func.lower(ActionRun.idempotency_key).contains(needle, autoescape=True),
                )
            )
        return stmt


@dataclass(frozen=True)
class RunRow:
    run: ActionRun
    tenant_name: str

    @property
    def replayable(self) -> bool:
        return is_replayable(self.run)


def list_runs(session: Session, filters: RunFilters, number: int) -> Page[RunRow]:
    stmt = filters.apply(
        sa.select(ActionRun, Tenant.name)
        .join(Tenant, Tenant.id == ActionRun.tenant_id)
        .order_by(ActionRun.created_at.desc(), ActionRun.id.desc())
    )
    rows, total = _paginate(session, stmt, number)
    return Page([RunRow(run, name) for run, name in rows], number, total)


@dataclass(frozen=True)
class RunDetail:
    run: ActionRun
    tenant_name: str
    attempts: list[ActionAttempt]
    audit: list[AuditEntry]

    @property
    def replayable(self) -> bool:
        return is_replayable(self.run)


def run_detail(session: Session, run_id: str) -> RunDetail | None:
    row = session.execute(
        sa.select(ActionRun, Tenant.name).join(Tenant, Tenant.id == ActionRun.tenant_id).where(ActionRun.id == run_id)
    ).first()
    if row is None:
        return None
    run, tenant_name = row
    attempts = session.scalars(
        sa.select(ActionAttempt).where(ActionAttempt.run_id == run.id).order_by(ActionAttempt.number)
    ).all()
    audit = session.scalars(
        sa.select(AuditEntry)
        .where(AuditEntry.target_type == "action_run", AuditEntry.target_id == run.id)
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id)
    ).all()
    return RunDetail(run, tenant_name, list(attempts), list(audit))


# --- hook deliveries ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DeliveryFilters:
    status: str = ""
    tenant: str = ""

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> DeliveryFilters:
        status = args.get("status", "")
        return cls(status=status if status in DELIVERY_STATUSES else "", tenant=args.get("tenant", "").strip()[:32])

    def as_args(self) -> dict[str, str]:
        return {name: value for name, value in asdict(self).items() if value}


@dataclass(frozen=True)
class DeliveryRow:
    delivery: Delivery
    tenant_name: str
    target_url: str


def _delivery_select() -> sa.Select[Any]:
    return (
        sa.select(Delivery, Tenant.name, HookSubscription.target_url)
        .join(Tenant, Tenant.id == Delivery.tenant_id)
        .join(HookSubscription, HookSubscription.id == Delivery.subscription_id)
    )


def list_deliveries(session: Session, filters: DeliveryFilters, number: int) -> Page[DeliveryRow]:
    stmt = _delivery_select().order_by(Delivery.created_at.desc(), Delivery.id.desc())
    if filters.status:
        stmt = stmt.where(Delivery.status == filters.status)
    if filters.tenant:
        stmt = stmt.where(Delivery.tenant_id == filters.tenant)
    rows, total = _paginate(session, stmt, number)
    return Page([DeliveryRow(d, name, url) for d, name, url in rows], number, total)


@dataclass(frozen=True)
class DeliveryDetail:
    delivery: Delivery
    tenant_name: str
    subscription: HookSubscription
    attempts: list[DeliveryAttempt]


def delivery_detail(session: Session, delivery_id: str) -> DeliveryDetail | None:
    row = session.execute(
        sa.select(Delivery, Tenant.name, HookSubscription)
        .join(Tenant, Tenant.id == Delivery.tenant_id)
        .join(HookSubscription, HookSubscription.id == Delivery.subscription_id)
        .where(Delivery.id == delivery_id)
    ).first()
    if row is None:
        return None
    delivery, tenant_name, subscription = row
    attempts = session.scalars(
        sa.select(DeliveryAttempt).where(DeliveryAttempt.delivery_id == delivery.id).order_by(DeliveryAttempt.number)
    ).all()
    return DeliveryDetail(delivery, tenant_name, subscription, list(attempts))


# --- audit -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditRow:
    entry: AuditEntry
    tenant_name: str | None


def list_audit(session: Session, number: int) -> Page[AuditRow]:
    stmt = (
        sa.select(AuditEntry, Tenant.name)
        .outerjoin(Tenant, Tenant.id == AuditEntry.tenant_id)
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
    )
    rows, total = _paginate(session, stmt, number)
    return Page([AuditRow(entry, name) for entry, name in rows], number, total)
