"""Blueprint "hooks": REST-hook subscribe and unsubscribe."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("hooks", __name__, url_prefix="/api/v1/hooks")
