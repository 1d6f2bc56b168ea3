"""accept(): verify → normalize → projections + events + outbox in one transaction → answer."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from connector import logging as backbone_logging
from connector.db.models import Install
from connector.ingest import projector
from connector.ingest.recorder import claim_event, complete_event
from connector.providers import PROVIDERS
from connector.providers.base import WebhookRejected
from triggers.canonical import CanonicalEvent

if TYPE_CHECKING:
    from connector.providers.base import Headers
    from connector.runtime import Runtime

logger = logging.getLogger(__name__)


@dataclass
class IngestResult:
    status: int
    body: dict[str, Any] = field(default_factory=dict)


def _unauthorized(message: str) -> WebhookRejected:
    return WebhookRejected(401, "invalid_signature", message)


def accept(rt: Runtime, provider: str, headers: Headers, body: bytes) -> IngestResult:
    """Handles one webhook delivery; 2xx only once everything it carried is committed.

    Raises:
        WebhookRejected: Unknown provider (404), bad or missing signature (401, nothing stored),
            malformed body (422).
    """
    adapter = PROVIDERS.get(provider)
    if adapter is None:
        raise WebhookRejected(404, "unknown_provider", f"No provider called {provider!r}.")
    account_id = adapter.account_id(headers)
    if account_id is None:
        raise _unauthorized("The delivery does not say which account sent it.")
    stored = duplicates = ignored = 0
    with rt.db.session() as session:
        install = session.scalar(
            sa.select(Install).where(Install.provider == provider, Install.account_id == account_id,
                                     Install.status == "active")
        )
        # Unknown account and bad signature answer the same: nothing to learn by probing.
        if install is None or not adapter.verify(rt.secrets.decrypt(install.webhook_secret_encrypted), headers, body):
            raise _unauthorized("Signature missing or invalid.")
        backbone_logging.bind(tenant_id=install.tenant_id)
        events = adapter.normalize(account_id, body)
        ignored = 1 if not events else 0
        for normalized in events:
            placeholder = CanonicalEvent(event_id=normalized.event_id, type=normalized.type,
                                         occurred_at=normalized.occurred_at, source=normalized.source)
            row = claim_event(session, install.tenant_id, placeholder)
            if row is None:
                duplicates += 1
                continue
            applied = projector.apply(session, install.tenant_id, normalized)
            event = placeholder.model_copy(update={"subject_id": applied.subject_id, "source_id": applied.source_id,
                                                   "data": applied.data})
            complete_event(session, rt.queues, row, event, applied=applied.applied)
            stored += 1
    logger.info("webhook.accepted provider=%s stored=%d duplicates=%d", provider, stored, duplicates)
    return IngestResult(200, {"received": stored, "duplicates": duplicates, "ignored": ignored})
