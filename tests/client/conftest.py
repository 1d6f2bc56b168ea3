"""Client tier: the generated apps run by (or like) their platforms against the live app.

`live_app` serves Backbone on 127.0.0.1 with its in-process worker, a tenant with a user who can
sign in and consent, and a helper to register OAuth clients.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest
from werkzeug.serving import make_server

from connector.app import create_app
from connector.cli_oauth import add_client
from connector.config import Settings
from connector.jobs.embedded import EmbeddedWorker
from connector.runtime import Runtime, build_runtime, uninstall
from tests.conftest import PASSWORD, TEST_SECRET_KEY, TenantInfo, _empty_tables, make_tenant
from tests.services import free_port

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


@dataclass
class LiveApp:
    base_url: str
    runtime: Runtime
    tenant: TenantInfo
    password: str = PASSWORD
    clients: list[tuple[str, str]] = field(default_factory=list)

    def add_oauth_client(self, name: str, redirect_uri: str) -> tuple[str, str]:
        """Registers an OAuth client (all scopes); returns (client_id, client_secret)."""
        pair = add_client(self.runtime, name, [redirect_uri], None)
        self.clients.append(pair)
        return pair


def live_settings(database_url: str, data_dir: Path, port: int, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "env": "test", "data_dir": data_dir, "database_url": database_url, "secret_key": TEST_SECRET_KEY,
        "base_url": f"http://127.0.0.1:{port}", "sandbox_tick_seconds": 0, "hook_backoff_base_seconds": 0.2,
        "action_retry_delays": "1",
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def live_settings_overrides() -> dict[str, Any]:
    """Override in a test module to change the live app's settings (e.g. short token lifetimes)."""
    return {}


@pytest.fixture
def live_app(database_url: str, tmp_path: Path, live_settings_overrides: dict[str, Any]) -> Iterator[LiveApp]:
    port = free_port()
    rt = build_runtime(live_settings(database_url, tmp_path, port, **live_settings_overrides))
    _empty_tables(rt)
    tenant = make_tenant(rt, company="Client Test Heating", email="client-test@example.com")
    server = make_server("127.0.0.1", port, create_app(runtime=rt), threaded=True)
    worker = EmbeddedWorker(rt, poll_seconds=0.1)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    worker.start()
    try:
        yield LiveApp(f"http://127.0.0.1:{port}", rt, tenant)
    finally:
        worker.stop()
        server.shutdown()
        uninstall(rt)
        rt.close()
