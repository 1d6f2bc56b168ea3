"""README command 1: `backbone run` on the embedded defaults, started as a user would."""

from __future__ import annotations

import os
import re
import time
from typing import TYPE_CHECKING

import pytest
import requests

from tests.integration.conftest import BIN, wait_until
from tests.services import free_port

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.integration


def _up(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


def test_backbone_run_serves_demo_data_with_a_live_worker(tmp_path: Path, start_process) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("BACKBONE_") and k not in ("DATABASE_URL", "REDIS_URL")}
    env.update({"BACKBONE_SANDBOX_TICK_SECONDS": "1"})
    process = start_process([str(BIN / "backbone"), "run", "--port", str(port)], env, "backbone-run")
    base = f"http://127.0.0.1:{port}"
    wait_until(lambda: _up(base + "/login"), timeout=120, what="backbone run to serve", process=process)
    output = process.output()
    assert f"Backbone is running on {base}" in output
    assert "owner@demo.backbone.test / backbone-demo" in output
    session = requests.Session()
    page = session.get(base + "/login", timeout=10)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    signed = session.post(base + "/login", data={"email": "owner@demo.backbone.test", "password": "backbone-demo",
                                                 "csrf_token": token}, timeout=10)
    assert signed.status_code == 200 and "Lone Star Comfort Services" in signed.text
    # The sandbox ticks every second through the in-process worker: events show up on the home page.
    deadline = time.monotonic() + 60
    while "No events yet." in session.get(base + "/", timeout=10).text:
        assert time.monotonic() < deadline, process.output()[-3000:]
        time.sleep(0.5)
