"""Provider tokens: encrypted, refreshed before expiry, one refresh at a time, refusals flagged."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
import sqlalchemy as sa

from connector.config import JobberApp
from connector.connections.tokens import ConnectionUnavailable, refresh, refresh_due, store_token
from connector.db.models import Event, HookSubscription, Install, InstallStatus
from connector.db.models.hooks import Delivery
from tests.emulators.oauth import OAuthServer
from tests.emulators.server import Emulator

if TYPE_CHECKING:
    from collections.abc import Iterator

    from connector.config import Settings
    from connector.runtime import Runtime
    from tests.conftest import TenantInfo

ACCOUNT = "acct-jobber-1"


@pytest.fixture
def provider() -> Iterator[tuple[Emulator, OAuthServer]]:
    emulator = Emulator("jobber-oauth")
    oauth = OAuthServer(client_id="jobber-app", client_secret="jobber-secret", rotate_refresh=True,
                        old_refresh_grace=0)
    oauth.install(emulator.app, authorize_path=None, token_path="/api/oauth/token")
    with emulator:
        yield emulator, oauth


@pytest.fixture
def settings(settings: Settings, provider: tuple[Emulator, OAuthServer]) -> Settings:
    emulator, _ = provider
    return settings.model_copy(update={"jobber": JobberApp(
        client_id="jobber-app", client_secret="jobber-secret", token_url=f"{emulator.url}/api/oauth/token",
        api_url=f"{emulator.url}/api/graphql")})


@pytest.fixture
def install_id(runtime: Runtime, tenant: TenantInfo, provider: tuple[Emulator, OAuthServer]) -> str:
    _, oauth = provider
    issued = oauth._issue(ACCOUNT)
    token = {"access_token": issued.access_token, "refresh_token": issued.refresh_token, "expires_in": 3600}
    with runtime.db.session() as session:
        install = Install(tenant_id=tenant.tenant_id, provider="jobber", account_id=ACCOUNT, account_name="Acme")
        store_token(runtime.secrets, install, token, runtime.clock(), None)
        session.add(install)
        session.flush()
        return install.id


def _expire(runtime: Runtime, install_id: str, *, by: timedelta = timedelta(seconds=1)) -> None:
    with runtime.db.session() as session:
        session.get(Install, install_id).access_expires_at = runtime.clock() + by  # type: ignore[union-attr]


def _stored(runtime: Runtime, install_id: str) -> tuple[str, str, Install]:
    with runtime.db.session() as session:
        row = session.get(Install, install_id)
        assert row is not None and row.access_token_encrypted and row.refresh_token_encrypted
        return runtime.secrets.decrypt(row.access_token_encrypted), runtime.secrets.decrypt(
            row.refresh_token_encrypted), row


def test_tokens_are_encrypted_at_rest(runtime: Runtime, install_id: str) -> None:
    access, refresh_token, row = _stored(runtime, install_id)
    assert access not in (row.access_token_encrypted or "") and refresh_token not in (row.refresh_token_encrypted or "")
    with runtime.db.engine.connect() as conn:
        dump = " ".join(str(v) for v in conn.execute(sa.text("SELECT * FROM installs WHERE provider = 'jobber'")).one())
    assert access not in dump and refresh_token not in dump


def test_a_valid_token_is_used_without_calling_the_provider(runtime: Runtime, install_id: str,
                                                            provider: tuple[Emulator, OAuthServer]) -> None:
    access, _, _ = _stored(runtime, install_id)
    assert refresh(runtime, install_id) == access
    assert provider[1].token_calls == 0


def test_refresh_races_end_with_one_valid_pair(runtime: Runtime, install_id: str,
                                               provider: tuple[Emulator, OAuthServer]) -> None:
    """Jobber invalidates a refresh token when it is used: two refreshers at once must not both use it."""
    _, oauth = provider
    _expire(runtime, install_id)
    results: list[str] = []
    errors: list[Exception] = []
    barrier = threading.Barrier(4)

    def worker() -> None:
        barrier.wait()
        try:
            results.append(refresh(runtime, install_id))
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert oauth.token_calls == 1, "one refresh at a time: the others found the fresh token"
    access, refresh_token, row = _stored(runtime, install_id)
    assert set(results) == {access}
    assert oauth.valid_access(access) == ACCOUNT
    assert oauth.valid_refresh_tokens(ACCOUNT) == [refresh_token], "the newest refresh token is the one kept"
    assert row.status == InstallStatus.ACTIVE and row.token_version == 2


def test_the_periodic_job_refreshes_before_expiry(runtime: Runtime, install_id: str,
                                                  provider: tuple[Emulator, OAuthServer]) -> None:
    _, oauth = provider
    assert refresh_due(runtime) == {"refreshed": 0, "failed": 0}
    _expire(runtime, install_id, by=timedelta(minutes=10))  # inside the 15-minute margin, still valid
    old_access, _, _ = _stored(runtime, install_id)
    assert oauth.valid_access(old_access) == ACCOUNT
    assert refresh_due(runtime) == {"refreshed": 1, "failed": 0}
    access, refresh_token, _ = _stored(runtime, install_id)
    assert access != old_access and oauth.valid_access(access) == ACCOUNT
    assert oauth.valid_refresh_tokens(ACCOUNT) == [refresh_token]


def test_an_idle_refresh_token_is_renewed(runtime: Runtime, install_id: str,
                                          provider: tuple[Emulator, OAuthServer]) -> None:
    """QuickBooks expires a refresh token unused for 100 days: Backbone uses it well before."""
    with runtime.db.session() as session:
        row = session.get(Install, install_id)
        assert row is not None
        row.token_refreshed_at = runtime.clock() - timedelta(days=runtime.settings.refresh_idle_days + 1)
    assert refresh_due(runtime) == {"refreshed": 1, "failed": 0}
    assert provider[1].token_calls == 1


def test_a_refused_refresh_flags_the_connection_and_fires_the_trigger(
        runtime: Runtime, tenant: TenantInfo, install_id: str, provider: tuple[Emulator, OAuthServer]) -> None:
    _, oauth = provider
    with runtime.db.session() as session:
        session.add(HookSubscription(tenant_id=tenant.tenant_id, trigger_key="connection_needs_reconnect",
                                     target_url="http://127.0.0.1:9/hook", client_id="zapier",
                                     secret_encrypted=runtime.secrets.encrypt("hook-secret")))
    oauth.revoke_all(ACCOUNT)
    _expire(runtime, install_id)
    with pytest.raises(ConnectionUnavailable) as caught:
        refresh(runtime, install_id)
    assert caught.value.retryable is False
    with runtime.db.session() as session:
        row = session.get(Install, install_id)
        assert row is not None and row.status == InstallStatus.RECONNECT_NEEDED
        assert "invalid_grant" in (row.status_reason or "")
        event = session.scalars(sa.select(Event).where(Event.type == "connection.needs_reconnect")).one()
        assert event.tenant_id == tenant.tenant_id and event.data["provider"] == "jobber"
        delivery = session.scalars(sa.select(Delivery)).one()
        assert delivery.trigger_key == "connection_needs_reconnect"
        assert delivery.payload["account_id"] == ACCOUNT
    # Once flagged, nothing calls the provider again until the user reconnects.
    calls = oauth.token_calls
    with pytest.raises(ConnectionUnavailable):
        refresh(runtime, install_id)
    assert oauth.token_calls == calls
    assert refresh_due(runtime) == {"refreshed": 0, "failed": 0}


def test_an_unreachable_token_endpoint_keeps_the_tokens(runtime: Runtime, install_id: str,
                                                        provider: tuple[Emulator, OAuthServer]) -> None:
    emulator, oauth = provider
    _expire(runtime, install_id)
    before = _stored(runtime, install_id)[:2]
    emulator.fail_next("/api/oauth/token", 503)
    with pytest.raises(ConnectionUnavailable) as caught:
        refresh(runtime, install_id)
    assert caught.value.retryable is True
    assert _stored(runtime, install_id)[:2] == before
    assert _stored(runtime, install_id)[2].status == InstallStatus.ACTIVE
    access = refresh(runtime, install_id)  # the provider is back: the same refresh token still works
    assert oauth.valid_access(access) == ACCOUNT


def test_rotating_the_secret_key_keeps_every_token(settings: Settings, runtime: Runtime, install_id: str) -> None:
    from connector.connections.keys import rotate_secrets
    from connector.crypto import SecretBox

    access, refresh_token, _ = _stored(runtime, install_id)
    runtime.secrets = SecretBox("a-brand-new-secret-key-0123456789abcdef", [settings.secret_key])
    assert rotate_secrets(runtime) >= 3
    runtime.secrets = SecretBox("a-brand-new-secret-key-0123456789abcdef")  # the old key is gone
    assert _stored(runtime, install_id)[:2] == (access, refresh_token)


def test_a_token_source_reads_the_row_once_while_the_token_has_life(
        runtime: Runtime, install_id: str, provider: tuple[Emulator, OAuthServer],
        monkeypatch: pytest.MonkeyPatch) -> None:
    from connector.connections import tokens

    reads: list[str | None] = []
    real = tokens.valid_token

    def counting(rt: Runtime, install: str, **kw: object) -> tuple[str, object]:
        reads.append(kw.get("failed_token"))  # type: ignore[arg-type]
        return real(rt, install, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(tokens, "valid_token", counting)
    source = tokens.DbTokenSource(runtime, install_id)
    first = source.access_token()
    assert [source.access_token() for _ in range(3)] == [first] * 3
    assert reads == [None], "one read for four calls"
    source.invalidate()  # the provider refused it: the next call refreshes
    fresh = source.access_token()
    assert fresh != first and reads == [None, first] and provider[1].valid_access(fresh) == ACCOUNT
