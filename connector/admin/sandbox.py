"""The sandbox panel: each sandbox tenant's simulated accounting outage, and switching it.

This is how a tester makes a run fail on purpose (then replays it). The switch lives in the
sandbox's own storage; the audit row lives in Backbone's database and is committed only when
the switch went through.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

import sqlalchemy as sa

from connector.db.models import AuditEntry, Install, Tenant
from connector.sandbox.accounting import set_outage
from connector.sandbox.remote import OUTAGE_MODES, SandboxAccount

if TYPE_CHECKING:
    from collections.abc import Collection

    from connector.accounts.users import SignedInUser
    from connector.runtime import Runtime

logger = logging.getLogger(__name__)

OUTAGE_LABELS = {
    "off": "Off (accounting answers)",
    "unavailable": "Unavailable (nothing is created)",
    "timeout_after_create": "Times out after creating the invoice",
}


class UnknownAccount(LookupError):
    pass


@dataclass(frozen=True)
class SandboxRow:
    tenant_id: str
    tenant_name: str
    account_id: str
    outage: str


def _outages(rt: Runtime, account_ids: list[str]) -> dict[str, str]:
    if not account_ids:
        return {}
    with rt.sandbox_db.session() as session:
        rows = session.execute(
            sa.select(SandboxAccount.account_id, SandboxAccount.accounting_outage).where(
                SandboxAccount.account_id.in_(account_ids)
            )
        )
        return {account_id: mode for account_id, mode in rows}


def sandbox_accounts(
    rt: Runtime, *, tenant_id: str | None = None, account_ids: Collection[str] | None = None
) -> list[SandboxRow]:
    """Every sandbox connection (or one tenant's, or those accounts') with its outage mode."""
    stmt = (
        sa.select(Install.tenant_id, Tenant.name, Install.account_id)
        .join(Tenant, Tenant.id == Install.tenant_id)
        .where(Install.provider == "sandbox")
        .order_by(Tenant.name, Install.account_id)
    )
    if tenant_id:
        stmt = stmt.where(Install.tenant_id == tenant_id)
    if account_ids is not None:
        stmt = stmt.where(Install.account_id.in_(list(account_ids)))
    with rt.db.session() as session:
        installs = session.execute(stmt).all()
    modes = _outages(rt, [row.account_id for row in installs])
    return [SandboxRow(t_id, name, account, modes.get(account, "off")) for t_id, name, account in installs]


def active_outages(rt: Runtime, *, tenant_id: str | None = None) -> list[SandboxRow]:
    """The sandbox connections whose accounting outage is switched on (a handful at most)."""
    with rt.sandbox_db.session() as session:
        accounts = list(
            session.scalars(sa.select(SandboxAccount.account_id).where(SandboxAccount.accounting_outage != "off"))
        )
    return sandbox_accounts(rt, tenant_id=tenant_id, account_ids=accounts) if accounts else []


def switch_outage(rt: Runtime, account_id: str, mode: str, actor: SignedInUser) -> tuple[SandboxRow, bool]:
    """Sets the account's outage mode and audits it as "sandbox.outage"; the row and whether it changed.

    Switching to the mode already set changes nothing and is not audited.

    Raises:
        ValueError: `mode` is not one of OUTAGE_MODES.
        UnknownAccount: No sandbox connection has this account id.
    """
    if mode not in OUTAGE_MODES:
        raise ValueError(f"Outage mode must be one of {', '.join(OUTAGE_MODES)}.")
    rows = sandbox_accounts(rt, account_ids=[account_id])
    if not rows:
        raise UnknownAccount(account_id)
    before = rows[0]
    if before.outage == mode:
        return before, False
    with rt.db.session() as session:
        session.add(
            AuditEntry(
                actor_user_id=actor.id,
                actor_email=actor.email,
                action="sandbox.outage",
                target_type="sandbox_account",
                target_id=account_id,
                tenant_id=before.tenant_id,
                detail={"from": before.outage, "to": mode},
            )
        )
        # Inside the transaction: if the switch fails, no audit row claims it happened.
        set_outage(rt.sandbox_db, account_id, mode)
    logger.info("admin.sandbox.outage account=%s mode=%s by=%s", account_id, mode, actor.email)
    return SandboxRow(before.tenant_id, before.tenant_name, account_id, mode), True
