"""accept(): verify on the raw body → parse → store (events, or inbox rows to hydrate) → answer.

Fat notifications (the body carries the item) become canonical events, projections and outbox
rows in the same transaction. Thin ones (ids only: Jobber, QuickBooks) become inbox rows, and
the queue hydrates them through the provider's API (`connector.ingest.hydrate`); either way the
2xx is sent only once what was accepted is committed, and well within Jobber's 1-second limit.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from connector import logging as backbone_logging
from connector.db.models import Install, WebhookInbox
from connector.ingest import projector
from connector.ingest.recorder import claim_event, complete_event
from connector.jobs.queues import DEFAULT, enqueue_after_commit
from connector.providers import PROVIDERS
from connector.providers.base import WebhookRejected
from triggers.canonical import CanonicalEvent

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from connector.jobs.queues import Queues
    from connector.providers.base import Headers, NormalizedEvent, Notification, ProviderAdapter
    from connector.runtime import Runtime

logger = logging.getLogger(__name__)

HYDRATE = "connector.jobs.tasks.hydrate_notification"


@dataclass
class IngestResult:
    status: int
    body: dict[str, Any] = field(default_factory=dict)


def _unauthorized(message: str) -> WebhookRejected:
    return WebhookRejected(401, "invalid_signature", message)


def ingest(session: Session, queues: Queues, tenant_id: str, normalized: NormalizedEvent) -> bool:
    """Stores one canonical event with its projection change and outbox rows; False for a duplicate.

    The one way in for webhooks, hydrations and catch-up syncs alike.
    """
    placeholder = CanonicalEvent(event_id=normalized.event_id, type=normalized.type,
                                 occurred_at=normalized.occurred_at, source=normalized.source)
    row = claim_event(session, tenant_id, placeholder)
    if row is None:
        return False
    applied = projector.apply(session, tenant_id, normalized)
    event = placeholder.model_copy(update={"subject_id": applied.subject_id, "source_id": applied.source_id,
                                           "data": applied.data})
    complete_event(session, queues, row, event, applied=applied.applied)
    return True


def hydrate_job_id(inbox_id: str) -> str:
    return f"hydrate-{inbox_id}"


def enqueue_hydration(queues: Queues, inbox_id: str) -> None:
    from rq import Retry

    queues.enqueue(DEFAULT, HYDRATE, inbox_id, job_id=hydrate_job_id(inbox_id),
                   retry=Retry(max=5, interval=[5, 30, 120, 600, 1800]))


def _queue_hydration(session: Session, queues: Queues, install: Install, n: Notification) -> bool:
    row = WebhookInbox(tenant_id=install.tenant_id, install_id=install.id, provider=install.provider,
                       dedupe_key=n.dedupe_key[:200], topic=n.topic[:80], item_id=n.item_id[:100],
                       occurred_at=n.occurred_at)
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return False
    inbox_id = row.id
    enqueue_after_commit(session, lambda: enqueue_hydration(queues, inbox_id))
    return True


def _secret(rt: Runtime, session: Session, adapter: ProviderAdapter, headers: Headers) -> tuple[str | None, str | None]:
    """The signing secret to check against, and the account the headers name (per-connection secrets)."""
    app_secret = adapter.webhook_secret(rt.settings.provider_app(adapter.name))
    if app_secret is not None:
        return app_secret or None, None
    account_id = adapter.account_id(headers)
    if account_id is None:
        raise _unauthorized("The delivery does not say which account sent it.")
    install = session.scalar(sa.select(Install).where(Install.provider == adapter.name,
                                                      Install.account_id == account_id))
    if install is None or not install.active or not install.webhook_secret_encrypted:
        return None, account_id
    return rt.secrets.decrypt(install.webhook_secret_encrypted), account_id


def accept(rt: Runtime, provider: str, headers: Headers, body: bytes) -> IngestResult:
    """Handles one webhook delivery; 2xx only once everything it carried is committed.

    Raises:
        WebhookRejected: Unknown provider (404), bad or missing signature (401, nothing stored),
            malformed body (422).
    """
    adapter = PROVIDERS.get(provider)
    if adapter is None:
        raise WebhookRejected(404, "unknown_provider", f"No provider called {provider!r}.")
    counts = {"received": 0, "queued": 0, "duplicates": 0, "ignored": 0}
    with rt.db.session() as session:
        secret, header_account = _secret(rt, session, adapter, headers)
        # Unknown account, unset secret and bad signature answer the same: nothing to learn by probing.
        if not secret or not adapter.verify(secret, headers, body, rt.settings.provider_app(provider)):
            raise _unauthorized("Signature missing or invalid.")
        notifications = adapter.parse(body)
        if header_account is not None and any(n.account_id != header_account for n in notifications):
            raise WebhookRejected(422, "invalid_payload", "The body names another account than the headers.",
                                  [{"field": "account_id", "message": "Must be the account the headers name."}])
        counts["ignored"] += 0 if notifications else 1
        installs: dict[str, Install | None] = {}
        for n in notifications:
            if n.account_id not in installs:
                installs[n.account_id] = session.scalar(
                    sa.select(Install).where(Install.provider == provider, Install.account_id == n.account_id))
            install = installs[n.account_id]
            if install is None or not install.active:
                counts["ignored"] += 1  # not connected, or uninstalled: nothing is processed
                continue
            backbone_logging.bind(tenant_id=install.tenant_id)
            install.last_webhook_at = rt.clock()
            if n.uninstall:
                from connector.connections.lifecycle import uninstall

                uninstall(session, install, rt.clock(), reason=f"{adapter.label} disconnected the app ({n.topic}).")
                counts["received"] += 1
            elif n.event is not None:
                counts["received" if ingest(session, rt.queues, install.tenant_id, n.event) else "duplicates"] += 1
            else:
                counts["queued" if _queue_hydration(session, rt.queues, install, n) else "duplicates"] += 1
    logger.info("webhook.accepted provider=%s %s", provider, " ".join(f"{k}={v}" for k, v in counts.items()))
    return IngestResult(200, counts)
