"""Blueprint "webhooks": POST /webhooks/<provider>."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")


@bp.post("/<provider>")
def receive(provider: str) -> tuple[str, int]:
    return "", 501
