"""The production shape: gunicorn serving connector.wsgi:app on PostgreSQL/SQLite and Redis."""

from __future__ import annotations

import pytest
import requests

from tests.integration.conftest import BIN, wait_until, worker_env
from tests.services import free_port

pytestmark = pytest.mark.integration


def _get(url: str) -> int:
    try:
        return requests.get(url, timeout=2).status_code
    except requests.RequestException:
        return 0


def test_gunicorn_serves_the_app_in_production_mode(settings, start_process) -> None:
    port = free_port()
    env = worker_env(settings, BACKBONE_ENV="production", BACKBONE_BASE_URL="https://backbone.example.com",
                     BACKBONE_LOG_FORMAT="json")
    server = start_process([str(BIN / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}", "connector.wsgi:app"],
                           env, "gunicorn")
    base = f"http://127.0.0.1:{port}"
    wait_until(lambda: _get(base + "/login") == 200, timeout=60, what="gunicorn", process=server)
    metadata = requests.get(base + "/.well-known/oauth-authorization-server", timeout=5).json()
    assert metadata["issuer"] == "https://backbone.example.com"
    assert requests.get(base + "/api/v1/me", timeout=5).status_code == 401


def test_production_refuses_to_start_without_a_secret_key(settings, start_process) -> None:
    import subprocess

    env = worker_env(settings, BACKBONE_ENV="production")
    env.pop("BACKBONE_SECRET_KEY")
    result = subprocess.run([str(BIN / "python"), "-c", "import connector.wsgi"], env=env, capture_output=True,
                            text=True, timeout=60, check=False)
    assert result.returncode != 0 and "BACKBONE_SECRET_KEY must be set" in result.stderr
