"""Builds the actions.Context for a run: the store, the accounting system, events, clock."""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa

from actions.context import Context
from actions.errors import UpstreamUnavailable
from connector.db.models import Install, Tenant
from connector.db.store import SqlStore
from connector.ingest.recorder import SessionEventSink
from connector.jobs import progress
from connector.sandbox.accounting import SandboxAccounting

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from actions.context import Accounting
    from connector.runtime import Runtime


class NoAccounting:
    """The tenant has connected no accounting system."""

    def create_invoice(self, request_id: str, draft: object) -> object:
        raise UpstreamUnavailable("No accounting system is connected to this account: connect one first.")


def accounting_for(rt: Runtime, session: Session, tenant_id: str) -> Accounting:
    install = session.scalar(
        sa.select(Install).where(Install.tenant_id == tenant_id, Install.provider == "sandbox",
                                 Install.status == "active")
    )
    if install is not None:
        return SandboxAccounting(rt.sandbox_db, install.account_id)
    return NoAccounting()  # type: ignore[return-value]


def build_context(rt: Runtime, session: Session, *, tenant_id: str, run_id: str, idempotency_key: str) -> Context:
    timezone = session.scalar(sa.select(Tenant.timezone).where(Tenant.id == tenant_id)) or "UTC"
    return Context(
        tenant_id=tenant_id,
        run_id=run_id,
        idempotency_key=idempotency_key,
        store=SqlStore(session, tenant_id),
        accounting=accounting_for(rt, session, tenant_id),
        events=SessionEventSink(session, rt.queues, tenant_id),
        clock=rt.clock,
        timezone=timezone,
        progress=progress.reporter(rt, run_id),
    )
