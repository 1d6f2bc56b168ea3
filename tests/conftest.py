"""Fixtures shared by every tier: settings, runtime, app and client on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import re
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest
import sqlalchemy as sa

from connector.accounts import service
from connector.app import create_app
from connector.config import Settings
from connector.db import migrate
from connector.db.base import Base
from connector.runtime import Runtime, build_runtime, install, uninstall
from connector.sandbox.remote import SandboxBase
from tests import services

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

TEST_SECRET_KEY = "test-secret-key-0123456789abcdef0123456789abcdef"
PASSWORD = "correct horse battery"
BACKENDS = ("sqlite", "postgresql")


def _worker_index() -> int:
    match = re.search(r"(\d+)$", os.environ.get("PYTEST_XDIST_WORKER", "gw0"))
    return int(match.group(1)) if match else 0


@pytest.fixture(scope="session")
def redis_url() -> str:
    """A real redis-server, one database per xdist worker (flushed by each test using it)."""
    return f"{services.redis_base_url()}/{1 + _worker_index()}"


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated database on each backend (the suite runs its database tests on both)."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("sqlite") / "backbone.db"
        url = f"sqlite:///{path}"
    else:
        name = f"backbone_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        url = services.create_database(name).replace("postgresql://", "postgresql+psycopg://", 1)
    migrate.upgrade(url)
    return url


def _empty(engine: sa.Engine, metadata: sa.MetaData) -> None:
    tables = list(reversed(metadata.sorted_tables))
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(sa.text("TRUNCATE " + ", ".join(t.name for t in tables) + " RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(table.delete())


def _empty_tables(runtime: Runtime) -> None:
    _empty(runtime.db.engine, Base.metadata)
    _empty(runtime.sandbox_db.engine, SandboxBase.metadata)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        env="test",
        data_dir=tmp_path,
        database_url=database_url,
        redis_url="",
        secret_key=TEST_SECRET_KEY,
        sandbox_tick_seconds=0,
    )


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    rt = build_runtime(settings)
    _empty_tables(rt)
    install(rt)  # jobs run in this process (the in-process worker) use this runtime
    yield rt
    uninstall(rt)
    rt.close()


@pytest.fixture
def app(runtime: Runtime):  # type: ignore[no-untyped-def]
    return create_app(runtime=runtime)


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    return app.test_client()


@dataclass
class TenantInfo:
    tenant_id: str
    owner_id: str
    owner_email: str
    password: str
    install_id: str
    account_id: str
    webhook_secret: str


def make_tenant(runtime: Runtime, company: str = "Acme Heating", email: str | None = None) -> TenantInfo:
    email = email or f"owner-{uuid.uuid4().hex[:8]}@example.com"
    with runtime.db.session() as session:
        tenant, owner, install = service.create_tenant(
            session, runtime.secrets, company=company, owner_name="Olive Owner",
            owner_email=email, password=PASSWORD,
        )
        secret = runtime.secrets.decrypt(install.webhook_secret_encrypted)
        return TenantInfo(tenant.id, owner.id, owner.email, PASSWORD, install.id, install.account_id, secret)


@pytest.fixture
def tenant(runtime: Runtime) -> TenantInfo:
    return make_tenant(runtime)


@pytest.fixture
def other_tenant(runtime: Runtime) -> TenantInfo:
    return make_tenant(runtime, company="Other Plumbing")


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html)
    if match is None:
        raise AssertionError("no csrf_token in page")
    return match.group(1)


def sign_in(client, email: str, password: str = PASSWORD) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/login")
    response = client.post(
        "/login", data={"email": email, "password": password, "csrf_token": csrf_token(page.text)}
    )
    assert response.status_code == 302, response.text


@pytest.fixture
def worker(runtime: Runtime):  # type: ignore[no-untyped-def]
    """The in-process RQ worker of the embedded default, driven by the test (no thread)."""
    from connector.jobs.embedded import EmbeddedWorker

    return EmbeddedWorker(runtime, with_cron=False)


@pytest.fixture
def listener():  # type: ignore[no-untyped-def]
    from tests.helpers import Listener

    with Listener() as server:
        yield server


@pytest.fixture
def token(runtime: Runtime, tenant: TenantInfo) -> str:
    from tests.factories import issue_token

    return issue_token(runtime, tenant)
