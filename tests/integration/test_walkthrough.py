"""The README's walkthrough, run from outside against a live app with its in-process worker."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from connector.accounts.service import create_user
from connector.app import create_app
from connector.cli_oauth import add_client
from connector.config import Settings
from connector.db.models.tenants import Role
from connector.jobs.embedded import EmbeddedWorker
from connector.runtime import build_runtime, uninstall
from tests.conftest import TEST_SECRET_KEY, _empty_tables
from tests.services import free_port

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


def test_walkthrough_drives_the_whole_flow_over_http(database_url: str, tmp_path: Path) -> None:
    port = free_port()
    settings = Settings(env="test", data_dir=tmp_path, database_url=database_url, secret_key=TEST_SECRET_KEY,
                        base_url=f"http://127.0.0.1:{port}", sandbox_tick_seconds=0)
    rt = build_runtime(settings)
    _empty_tables(rt)
    with rt.db.session() as session:
        create_user(session, email="support@walk.example", name="Sue Port", password="support-password-1",
                    role=Role.SUPPORT, tenant_id=None)
    client_id, secret = add_client(rt, "Zapier", ["http://127.0.0.1:9999/callback"], None)
    server = make_server("127.0.0.1", port, create_app(runtime=rt), threaded=True)
    worker = EmbeddedWorker(rt, poll_seconds=0.1)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    worker.start()
    try:
        result = subprocess.run(
            [sys.executable, str(ROOT / "docs" / "walkthrough.py"), "--base-url", f"http://127.0.0.1:{port}",
             f"--client-id={client_id}", f"--client-secret={secret}",  # a secret may start with "-"
             "--support-email", "support@walk.example", "--support-password", "support-password-1"],
            capture_output=True, text=True, timeout=180, check=False,
        )
    finally:
        worker.stop()
        server.shutdown()
        uninstall(rt)
        rt.close()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "All steps passed." in result.stdout
    assert "support replayed run" in result.stdout
