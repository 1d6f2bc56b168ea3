from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from pydantic import ValidationError

from connector.config import Settings

if TYPE_CHECKING:
    from pathlib import Path


def test_defaults_are_the_embedded_ones(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    assert settings.sqlalchemy_url == f"sqlite:///{tmp_path.resolve() / 'backbone.db'}"
    assert settings.embedded_queue


def test_postgres_urls_use_psycopg3() -> None:
    assert Settings(database_url="postgres://u@h/db").sqlalchemy_url == "postgresql+psycopg://u@h/db"
    assert Settings(database_url="postgresql://u@h/db").sqlalchemy_url == "postgresql+psycopg://u@h/db"


def test_environment_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@h/db")
    monkeypatch.setenv("REDIS_URL", "redis://h:6379/0")
    monkeypatch.setenv("BACKBONE_HOOK_MAX_ATTEMPTS", "5")
    settings = Settings()
    assert settings.redis_url == "redis://h:6379/0" and not settings.embedded_queue
    assert settings.hook_max_attempts == 5


def test_production_refuses_to_start_without_a_secret_key() -> None:
    with pytest.raises(ValidationError, match="BACKBONE_SECRET_KEY"):
        Settings(env="production")
    assert Settings(env="production", secret_key="x" * 40).secret_key == "x" * 40


def test_bad_values_fail_fast() -> None:
    with pytest.raises(ValidationError):
        Settings(hook_max_attempts=0)


def test_dev_secret_key_is_generated_once_and_kept(tmp_path: Path) -> None:
    first = Settings(data_dir=tmp_path).effective_secret_key()
    assert len(first) >= 48 and Settings(data_dir=tmp_path).effective_secret_key() == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_retry_delays_parse() -> None:
    assert Settings(action_retry_delays="5, 30").retry_delays() == [5, 30]
