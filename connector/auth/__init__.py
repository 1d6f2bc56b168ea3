"""OAuth 2.0 provider for Zapier and Make (placeholder: being built)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    return None
