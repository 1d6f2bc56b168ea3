"""The README documents what the code does: every setting, the two commands CI relies on."""

from __future__ import annotations

from pathlib import Path

from connector.config import Settings

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def _env_name(field: str) -> str:
    return field.upper() if field in ("database_url", "redis_url") else f"BACKBONE_{field.upper()}"


def test_every_setting_is_documented() -> None:
    missing = [_env_name(name) for name in Settings.model_fields if f"`{_env_name(name)}`" not in README]
    assert missing == []


def test_ci_runs_the_readme_test_command() -> None:
    command = "python3 -m venv .venv && .venv/bin/pip install -q -e '.[test]' && .venv/bin/python -m pytest"
    assert command in README
    assert command in (ROOT / ".ci" / "run").read_text()
    assert "python3 -m venv .venv && .venv/bin/pip install -q -e . && .venv/bin/backbone run" in README


def test_every_trigger_action_and_search_is_described() -> None:
    from actions.catalog import ACTIONS, SEARCHES
    from triggers.catalog import TRIGGERS

    missing = [spec.key for spec in (*TRIGGERS, *ACTIONS, *SEARCHES) if f"| `{spec.key}` |" not in README]
    assert missing == []
