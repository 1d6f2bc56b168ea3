"""The Zapier Platform CLI app, generated from the catalogs (being built)."""

from __future__ import annotations

from typing import Any


def files() -> dict[str, str | dict[str, Any]]:
    """Files of the Zapier app by path relative to `manifests/zapier/`."""
    return {}
