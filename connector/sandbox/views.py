"""Blueprint "sandbox": the sandbox accounting system's payment page (the link a sent invoice carries)."""

from __future__ import annotations

import re

from flask import Blueprint, abort, render_template

from connector.accounts.users import runtime
from connector.sandbox.accounting import payment_page

bp = Blueprint("sandbox", __name__)

TOKEN = re.compile(r"[0-9a-f]{32}")


@bp.get("/sandbox/pay/<token>")
def pay(token: str) -> str:
    """Shows the invoice a sandbox payment link is for; nothing can be paid here."""
    if not TOKEN.fullmatch(token):
        abort(404)
    page = payment_page(runtime().sandbox_db, token)
    if page is None:
        abort(404)
    return render_template("sandbox/pay.html", page=page)
