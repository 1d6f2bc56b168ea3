"""Catch-up sync: finds what a webhook never delivered, through the same idempotent ingest.

Each run asks the provider for everything changed since the connection's cursor (minus an
overlap, for clock skew and late writes there) and ingests it; events already stored from a
webhook have the same id and are skipped. The connection keeps its last successful sync and
error, which the home page and `GET /api/v1/connections` show (stale past `sync_stale_seconds`).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa

from connector.connections.clients import client_for, close_client
from connector.connections.lifecycle import refused
from connector.db.models import Install, InstallStatus
from connector.ingest.service import ingest
from connector.jobs.queues import DEFAULT
from connector.providers import PROVIDERS
from connector.providers.base import Grant
from connector.providers.http import ApiError

if TYPE_CHECKING:
    from connector.runtime import Runtime

logger = logging.getLogger(__name__)

SYNC = "connector.jobs.tasks.sync_connection"


def syncable(provider: str) -> bool:
    adapter = PROVIDERS.get(provider)
    return adapter is not None and adapter.grant != Grant.NONE


def sync_connection(rt: Runtime, install_id: str) -> dict[str, int | str]:
    """One catch-up sync of one connection."""
    now = rt.clock()
    with rt.db.session() as session:
        install = session.get(Install, install_id)
        if install is None or install.status != InstallStatus.ACTIVE or not syncable(install.provider):
            return {"status": "skipped"}
        tenant_id = install.tenant_id
        overlap = timedelta(seconds=rt.settings.sync_overlap_seconds)
        since = install.sync_cursor - overlap if install.sync_cursor else None
        client = client_for(rt, install)
        adapter = PROVIDERS[install.provider]
    try:
        page = adapter.changes_since(client, since, now)
    except ApiError as exc:
        close_client(client)
        message = exc.message
        with rt.db.session() as session:
            row = session.get(Install, install_id)
            if row is not None:
                row.last_sync_error = f"{now:%Y-%m-%dT%H:%M:%SZ} {message}"[:500]
                refused(session, rt.queues, row, now, exc)
        logger.warning("sync.failed install=%s %s", install_id, message)
        return {"status": "failed", "error": message}
    close_client(client)
    stored = 0
    with rt.db.session() as session:
        for event in page.events:
            stored += ingest(session, rt.queues, tenant_id, event)
        row = session.get(Install, install_id)
        if row is not None:
            row.sync_cursor = max(page.cursor, row.sync_cursor) if row.sync_cursor else page.cursor
            row.last_sync_at = now
            row.last_sync_error = None
    logger.info("sync.done install=%s seen=%d stored=%d", install_id, len(page.events), stored)
    return {"status": "ok", "seen": len(page.events), "stored": stored}


def sync_job_id(install_id: str) -> str:
    return f"sync-{install_id}"


def enqueue_syncs(rt: Runtime) -> int:
    """The periodic job: one sync job per active provider connection (never two at once)."""
    with rt.db.session() as session:
        rows = session.execute(sa.select(Install.id, Install.provider).where(Install.status == InstallStatus.ACTIVE))
        ids = [install_id for install_id, provider in rows if syncable(provider)]
    for install_id in ids:
        rt.queues.enqueue(DEFAULT, SYNC, install_id, job_id=sync_job_id(install_id))
    return len(ids)
