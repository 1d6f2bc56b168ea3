"""Blueprint "admin": runs, deliveries, audit; replay."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")


@bp.get("/runs")
def list_runs() -> str:
    return ""


@bp.get("/deliveries")
def list_deliveries() -> str:
    return ""


@bp.get("/audit")
def list_audit() -> str:
    return ""
