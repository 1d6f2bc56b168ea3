"""The linters run as part of the suite: ruff, mypy, import-linter, and migrations vs models."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, check=False, timeout=600)


def test_ruff_is_clean() -> None:
    result = _run(str(BIN / "ruff"), "check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_is_clean() -> None:
    result = _run(str(BIN / "mypy"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_import_contracts_hold() -> None:
    """Tests that arrows point inward: connector -> actions/triggers -> solver."""
    result = _run(str(BIN / "lint-imports"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 2 kept, 0 broken." in result.stdout


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_migrations_match_the_models(backend: str, tmp_path: Path) -> None:
    from connector.db import migrate
    from tests import services

    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'check.db'}"
    else:
        url = services.create_database(f"backbone_migcheck_{tmp_path.name[-12:].lower()}").replace(
            "postgresql://", "postgresql+psycopg://", 1)
    migrate.upgrade(url)
    migrate.check(url)  # raises when autogenerate would find a difference
    migrate.downgrade(url, "base")
    migrate.upgrade(url)


def test_committed_manifests_are_what_the_catalogs_generate() -> None:
    """Tests that `backbone manifests build --check` passes: nobody hand-edited a generated file."""
    result = _run(str(BIN / "backbone"), "manifests", "build", "--check")
    assert result.returncode == 0, result.stdout + result.stderr
