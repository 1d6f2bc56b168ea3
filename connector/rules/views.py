"""Blueprint "rules": a tenant's thresholds for the rule triggers (owners change them)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Blueprint, flash, redirect, render_template, request, url_for

from connector.accounts.users import roles_required, runtime, signed_in
from connector.db.base import utcnow
from connector.db.models import RuleSettings
from connector.db.models.rules import DEFAULTS
from connector.db.models.tenants import Role
from connector.rules.evaluate import thresholds

if TYPE_CHECKING:
    from werkzeug.wrappers import Response

bp = Blueprint("rules", __name__)

#: Each threshold: its label and the range it may take.
FIELDS: dict[str, tuple[str, int, int]] = {
    "invoice_unsent_hours": ("Invoice not sent: hours after completion", 1, 24 * 30),
    "arrival_grace_minutes": ("Arrival late: minutes of grace after the promised time", 0, 24 * 60),
    "sla_p1_hours": ("SLA: response hours for P1 (emergency)", 1, 24 * 14),
    "sla_p2_hours": ("SLA: response hours for P2", 1, 24 * 30),
    "sla_p3_hours": ("SLA: response hours for P3 (routine)", 1, 24 * 90),
    "sla_warning_minutes": ("SLA at risk: warn this many minutes before the deadline", 0, 24 * 60),
}


@bp.route("/rules", methods=["GET", "POST"])
@roles_required(Role.OWNER, Role.DISPATCHER, Role.BILLING)
def edit() -> str | tuple[str, int] | Response:
    rt = runtime()
    user = signed_in()
    errors: dict[str, str] = {}
    with rt.db.session() as session:
        values = thresholds(session, user.tenant_id or "").__dict__.copy()
    if request.method == "POST":
        if user.role != Role.OWNER:
            return render_template("error.html", status=403, title="Owners only",
                                   message="Only the company's owner can change the rules."), 403
        for name, (_label, low, high) in FIELDS.items():
            raw = (request.form.get(name) or "").strip()
            try:
                value = int(raw)
            except ValueError:
                errors[name] = "Enter a whole number."
                continue
            if not low <= value <= high:
                errors[name] = f"From {low} to {high}."
            values[name] = value
        if not errors:
            with rt.db.session() as session:
                row = session.get(RuleSettings, user.tenant_id) or RuleSettings(tenant_id=user.tenant_id)
                for name in FIELDS:
                    setattr(row, name, values[name])
                row.updated_at = utcnow()
                session.add(row)
            flash("Rules saved: they apply from the next evaluation (every few minutes).")
            return redirect(url_for("rules.edit"))
    return render_template("rules/edit.html", user=user, fields=FIELDS, values=values, defaults=DEFAULTS,
                           errors=errors), (422 if errors else 200)
