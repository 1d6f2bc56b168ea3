"""The provider kits as fixtures: one emulator per module and kit, reset for every test."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
import sqlalchemy as sa

from connector.db.models import Event, HookSubscription, Install
from tests.conftest import sign_in
from tests.provider_kits import KITS

if TYPE_CHECKING:
    from collections.abc import Iterator

    from connector.config import Settings
    from connector.runtime import Runtime
    from tests.conftest import TenantInfo
    from tests.helpers import Listener
    from tests.provider_kits import Kit


def kit_id(kit: type[Kit]) -> str:
    return kit.__name__.removesuffix("Kit").lower()


@pytest.fixture(scope="module", params=KITS, ids=kit_id)
def started_kit(request: pytest.FixtureRequest) -> Iterator[Kit]:
    kit: Kit = request.param()
    with kit.emulator:
        yield kit


@pytest.fixture
def kit(started_kit: Kit) -> Kit:
    started_kit.reset()
    return started_kit


@pytest.fixture
def settings(settings: Settings, kit: Kit) -> Settings:
    return settings.model_copy(update={kit.name: kit.app()})


@pytest.fixture
def owner(client: Any, tenant: TenantInfo) -> Any:
    sign_in(client, tenant.owner_email)
    return client


@pytest.fixture
def install_id(owner: Any, kit: Kit, runtime: Runtime, tenant: TenantInfo, worker: Any) -> str:
    answer = kit.connect(owner)
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/connections"), answer.text
    worker.drain()  # the first catch-up sync, queued by the install
    with runtime.db.session() as session:
        row = session.scalars(sa.select(Install).where(Install.provider == kit.name)).one()
        assert (row.tenant_id, row.account_id, row.status) == (tenant.tenant_id, kit.account_id, "active")
        assert row.last_sync_at is not None and row.last_sync_error is None
        return row.id


@pytest.fixture
def hook(runtime: Runtime, tenant: TenantInfo, kit: Kit, listener: Listener) -> str:
    with runtime.db.session() as session:
        sub = HookSubscription(tenant_id=tenant.tenant_id, trigger_key=kit.trigger, target_url=listener.url,
                               client_id="zapier", secret_encrypted=runtime.secrets.encrypt("whsec_dGVzdA=="))
        session.add(sub)
        session.flush()
        return sub.id


def post_webhook(client: Any, kit: Kit, webhook: tuple[dict[str, str], bytes]) -> Any:
    headers, body = webhook
    return client.post(f"/webhooks/{kit.name}", data=body, headers=headers)


def events_of(runtime: Runtime, kit: Kit) -> list[Event]:
    with runtime.db.session() as session:
        return list(session.scalars(sa.select(Event).where(Event.source == kit.name, Event.type == kit.event_type)))
