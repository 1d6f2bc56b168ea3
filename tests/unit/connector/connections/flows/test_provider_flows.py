"""Every provider, end to end against its emulator: install → webhook → canonical event → trigger delivery.

And what must never happen: a forged webhook stored, a duplicate event, a change missed, a refresh
that loses the token, a broken connection left unflagged, an uninstalled one still processed.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from connector.connections.sync import sync_connection
from connector.db.models import Delivery, Event, Install, InstallStatus, WebhookInbox
from tests.conftest import csrf_token
from tests.provider_kits import JobberKit, Kit
from tests.unit.connector.connections.flows.conftest import events_of, post_webhook

if TYPE_CHECKING:
    from connector.runtime import Runtime
    from tests.conftest import TenantInfo
    from tests.helpers import Listener


def _deliveries(runtime: Runtime, event: Event) -> list[Delivery]:
    with runtime.db.session() as session:
        return list(session.scalars(sa.select(Delivery).where(Delivery.event_id == event.event_id)))


def test_install_webhook_event_and_trigger_delivery(owner: Any, kit: Kit, install_id: str, hook: str,
                                                    runtime: Runtime, worker: Any, listener: Listener,
                                                    tenant: TenantInfo) -> None:
    kit.change()
    for webhook in kit.webhooks():
        answer = post_webhook(owner, kit, webhook)
        assert answer.status_code == 200, answer.text
    worker.drain()
    [event] = events_of(runtime, kit)
    assert event.tenant_id == tenant.tenant_id and event.applied
    [delivery] = _deliveries(runtime, event)
    assert delivery.status == "succeeded" and delivery.trigger_key == kit.trigger
    [received] = listener.received
    assert received["headers"]["webhook-id"] == f"msg_{delivery.id}"
    with runtime.db.session() as session:
        row = session.get(Install, install_id)
        assert row is not None and row.last_webhook_at is not None
        assert session.scalar(sa.select(sa.func.count()).select_from(WebhookInbox)
                              .where(WebhookInbox.status == "pending")) == 0


def test_a_tampered_or_unsigned_webhook_stores_nothing(owner: Any, kit: Kit, install_id: str, runtime: Runtime,
                                                       worker: Any) -> None:
    kit.change()
    for headers, body in kit.webhooks():
        tampered = post_webhook(owner, kit, (headers, body.replace(b"}", b" }", 1)))
        assert tampered.status_code == 401 and tampered.json["error"]["code"] == "invalid_signature"
        unsigned = {k: v for k, v in headers.items() if k.lower() != kit.signature_header.lower()}
        assert len(unsigned) < len(headers), "the kit names the signature header"
        assert post_webhook(owner, kit, (unsigned, body)).status_code == 401
        wrong = {**headers, kit.signature_header: "c2lnbmF0dXJl"}
        assert post_webhook(owner, kit, (wrong, body)).status_code == 401
    worker.drain()
    assert events_of(runtime, kit) == []
    with runtime.db.session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(WebhookInbox)) == 0


def test_the_same_webhook_five_times_yields_one_event(owner: Any, kit: Kit, install_id: str, hook: str,
                                                      runtime: Runtime, worker: Any, listener: Listener) -> None:
    kit.change()
    webhooks = kit.webhooks()
    for _ in range(5):
        for webhook in webhooks:
            assert post_webhook(owner, kit, webhook).status_code == 200
        worker.drain()
    [event] = events_of(runtime, kit)
    assert len(_deliveries(runtime, event)) == 1 and len(listener.received) == 1


def test_a_webhook_lost_in_transit_is_found_by_the_catch_up_sync(kit: Kit, install_id: str, hook: str,
                                                                 runtime: Runtime, worker: Any,
                                                                 listener: Listener) -> None:
    kit.change()
    kit.webhooks()  # never arrive
    assert events_of(runtime, kit) == []
    result = sync_connection(runtime, install_id)
    assert result["status"] == "ok" and int(result["stored"]) >= 1, result
    worker.drain()
    [event] = events_of(runtime, kit)
    assert len(_deliveries(runtime, event)) == 1 and len(listener.received) == 1
    # The webhook arriving late after all changes nothing: same change, same event id.
    assert sync_connection(runtime, install_id)["stored"] == 0


def test_a_connection_that_can_no_longer_authenticate_is_flagged(owner: Any, kit: Kit, install_id: str,
                                                                 runtime: Runtime, tenant: TenantInfo) -> None:
    kit.break_credentials()
    with runtime.db.session() as session:
        row = session.get(Install, install_id)
        assert row is not None
        if row.access_expires_at is not None:
            row.access_expires_at = runtime.clock() - timedelta(seconds=1)
    result = sync_connection(runtime, install_id)
    assert result["status"] == "failed", result
    with runtime.db.session() as session:
        row = session.get(Install, install_id)
        assert row is not None and row.status == InstallStatus.RECONNECT_NEEDED, (row.status, row.last_sync_error)
        [flag] = session.scalars(sa.select(Event).where(Event.type == "connection.needs_reconnect")).all()
        assert flag.tenant_id == tenant.tenant_id and flag.data["provider"] == kit.name
    assert sync_connection(runtime, install_id) == {"status": "skipped"}
    home = owner.get("/")
    assert f'data-reconnect="{kit.name}"' in home.text and "needs to be reconnected" in home.text


def test_uninstall_deletes_the_tokens_and_stops_processing(owner: Any, kit: Kit, install_id: str,
                                                           runtime: Runtime, worker: Any) -> None:
    if isinstance(kit, JobberKit):
        answer = post_webhook(owner, kit, kit.disconnect_webhook())  # Jobber's APP_DISCONNECT
        assert answer.status_code == 200 and answer.json["received"] == 1, answer.text
    else:
        page = owner.get("/connections")
        answer = owner.post(f"/connections/{install_id}/disconnect", data={"csrf_token": csrf_token(page.text)})
        assert answer.status_code == 302, answer.text
        assert not kit.still_connected_upstream(), "the provider was told (QuickBooks: refresh token revoked)"
    with runtime.db.session() as session:
        row = session.get(Install, install_id)
        assert row is not None and row.status == InstallStatus.UNINSTALLED
        assert (row.access_token_encrypted, row.refresh_token_encrypted, row.credentials_encrypted) == (None,) * 3
    kit.change()
    for webhook in kit.webhooks():
        answer = post_webhook(owner, kit, webhook)
        assert answer.status_code == 200 and answer.json["ignored"] >= 1 and answer.json["received"] == 0
    assert sync_connection(runtime, install_id) == {"status": "skipped"}
    worker.drain()
    assert events_of(runtime, kit) == []
    listing = owner.get("/connections")
    assert "uninstalled" in listing.text

