"""Integration tier: real redis-server, real worker processes, real HTTP on 127.0.0.1."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import redis

from connector.config import Settings
from tests.conftest import TEST_SECRET_KEY

if TYPE_CHECKING:
    from collections.abc import Iterator

BIN = Path(sys.executable).parent


@pytest.fixture
def real_redis(redis_url: str) -> str:
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    yield redis_url
    client.flushdb()


@pytest.fixture
def settings(database_url: str, tmp_path: Path, real_redis: str) -> Settings:
    """Like the unit tier's settings, but the queues are on a real Redis."""
    return Settings(env="test", data_dir=tmp_path, database_url=database_url, redis_url=real_redis,
                    secret_key=TEST_SECRET_KEY, sandbox_tick_seconds=0)


def worker_env(settings: Settings, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": settings.redis_url,
        "BACKBONE_SECRET_KEY": settings.secret_key,
        "BACKBONE_DATA_DIR": str(settings.data_dir),
        "BACKBONE_ENV": "test",
        "BACKBONE_SANDBOX_TICK_SECONDS": "0",
        **extra,
    }


class Process:
    def __init__(self, args: list[str], env: dict[str, str], log: Path, cwd: Path) -> None:
        self.log = log
        self.handle = log.open("wb")
        self.proc = subprocess.Popen(args, env=env, cwd=cwd, stdout=self.handle, stderr=subprocess.STDOUT)

    def output(self) -> str:
        self.handle.flush()
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.handle.close()


@pytest.fixture
def start_process(tmp_path: Path) -> Iterator[object]:
    started: list[Process] = []

    def start(args: list[str], env: dict[str, str], name: str = "proc") -> Process:
        # In a scratch directory: `backbone run` keeps its embedded data in ./var.
        process = Process(args, env, tmp_path / f"{name}-{len(started)}.log", tmp_path)
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()


def wait_until(predicate, timeout: float = 30.0, what: str = "condition", process: Process | None = None) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        if process is not None and process.proc.poll() is not None:
            raise AssertionError(f"{what}: process exited ({process.proc.returncode}):\n{process.output()[-3000:]}")
        time.sleep(0.1)
    detail = f"\n{process.output()[-3000:]}" if process is not None else ""
    raise AssertionError(f"timed out waiting for {what}{detail}")
