"""The Make custom app, in Make's on-disk format, generated from the catalogs (being built)."""

from __future__ import annotations

from typing import Any


def files() -> dict[str, str | dict[str, Any]]:
    """Files of the Make app by path relative to `manifests/make/`."""
    return {}
