"""The admin's view of every tenant's provider connections, and support's "sync now"."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from connector.connections.status import describe
from connector.connections.sync import sync_connection
from connector.db.models import AuditEntry, Install, Tenant, WebhookInbox

if TYPE_CHECKING:
    from connector.runtime import Runtime


def connections(rt: Runtime) -> list[dict[str, Any]]:
    """Every non-sandbox connection with its tenant, status, lag and webhook inbox backlog."""
    with rt.db.session() as session:
        counts = session.execute(
            sa.select(WebhookInbox.install_id, WebhookInbox.status, sa.func.count())
            .where(WebhookInbox.status.in_(("pending", "failed")))
            .group_by(WebhookInbox.install_id, WebhookInbox.status)).all()
        inbox: dict[tuple[str, str], int] = {(install_id, status): n for install_id, status, n in counts}
        rows = session.execute(sa.select(Install, Tenant.name).join(Tenant, Tenant.id == Install.tenant_id)
                               .where(Install.provider != "sandbox").order_by(Tenant.name, Install.provider)).all()
        return [{**describe(install, rt.clock(), rt.settings), "tenant_id": install.tenant_id, "tenant": name,
                 "inbox_pending": inbox.get((install.id, "pending"), 0),
                 "inbox_failed": inbox.get((install.id, "failed"), 0)}
                for install, name in rows]


def sync_now(rt: Runtime, install_id: str, *, actor_id: str, actor_email: str) -> dict[str, int | str]:
    """Runs a catch-up sync now and writes an audit row with its outcome."""
    result = sync_connection(rt, install_id)
    with rt.db.session() as session:
        install = session.get(Install, install_id)
        session.add(AuditEntry(actor_user_id=actor_id, actor_email=actor_email, action="connection.sync",
                               target_type="connection", target_id=install_id,
                               tenant_id=install.tenant_id if install else None, detail=dict(result)))
    return result
