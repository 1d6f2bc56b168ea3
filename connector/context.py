"""Builds the actions.Context for a run: the store, the accounting system, events, clock."""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa

from actions.context import Context, SearchContext
from actions.errors import UpstreamUnavailable
from connector.connections.fsm import ConnectedFsm
from connector.consent import SqlConsentLedger
from connector.db.contracts import SqlContracts
from connector.db.models import Customer, Install, Tenant
from connector.db.store import SqlStore
from connector.ingest.recorder import SessionEventSink
from connector.jobs import progress
from connector.mail.mailroom import SqlMailroom
from connector.notifications.ledger import SqlNotifications
from connector.notifications.messaging import ConfiguredMessenger
from connector.providers.base import PartyUpsert
from connector.sandbox.accounting import SandboxAccounting
from connector.stock.store import SqlTruckStock

if TYPE_CHECKING:
    from collections.abc import Callable

    from sqlalchemy.orm import Session

    from actions.context import Accounting
    from connector.runtime import Runtime


class NoAccounting:
    """The tenant has connected no accounting system."""

    def create_invoice(self, request_id: str, draft: object) -> object:
        raise UpstreamUnavailable("No accounting system is connected to this account: connect one first.")

    def create_purchase_order(self, request_id: str, order: object) -> object:
        raise UpstreamUnavailable("No accounting system is connected to this account: connect one first.")

    def send_invoice(self, remote_id: str, email: str | None, request_id: str) -> object:
        raise UpstreamUnavailable("No accounting system is connected to this account: connect one first.")


def _customer_of(session: Session, tenant_id: str) -> Callable[[str | None], PartyUpsert | None]:
    def lookup(customer_id: str | None) -> PartyUpsert | None:
        if customer_id is None:
            return None
        row = session.scalar(sa.select(Customer).where(Customer.tenant_id == tenant_id, Customer.id == customer_id))
        if row is None:
            return None
        return PartyUpsert(source_id=row.id, name=row.name, email=row.email, phone=row.phone, address=row.address)

    return lookup


def accounting_for(rt: Runtime, session: Session, tenant_id: str) -> Accounting:
    """QuickBooks Online when it is connected, else the sandbox's accounting system."""
    installs = {row.provider: row for row in session.scalars(
        sa.select(Install).where(Install.tenant_id == tenant_id, Install.provider.in_(("quickbooks", "sandbox")),
                                 Install.status == "active"))}
    if "quickbooks" in installs:
        from connector.connections.clients import client_for
        from connector.providers.quickbooks import QuickBooksAccounting

        return QuickBooksAccounting(client_for(rt, installs["quickbooks"], in_transaction=True),
                                    _customer_of(session, tenant_id))
    if "sandbox" in installs:
        return SandboxAccounting(rt.sandbox_db, installs["sandbox"].account_id, base_url=rt.settings.base_url,
                                 clock=rt.clock)
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
        fsm=ConnectedFsm(rt, session, tenant_id),
        consent=SqlConsentLedger(session, tenant_id, rt.clock),
        mail=SqlMailroom(rt, session, tenant_id, run_id),
        stock=SqlTruckStock(session, tenant_id, rt.clock),
        contracts=SqlContracts(session, tenant_id),
        messenger=ConfiguredMessenger(rt.settings),
        notifications=SqlNotifications(rt, session, tenant_id),
    )


def build_search_context(rt: Runtime, session: Session, tenant_id: str) -> SearchContext:
    """What a search reads through: the tenant's store, clock, time zone and consent ledger (no run, no writes)."""
    timezone = session.scalar(sa.select(Tenant.timezone).where(Tenant.id == tenant_id)) or "UTC"
    return SearchContext(tenant_id=tenant_id, store=SqlStore(session, tenant_id), clock=rt.clock, timezone=timezone,
                         consent=SqlConsentLedger(session, tenant_id, rt.clock))
