"""Blueprint "notifications": a tenant's own wording of the notification ladder (owners change it)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for

from actions.errors import InputError
from actions.notify_customer import DEFAULT_TEMPLATES, TEMPLATE_FIELDS, VARIABLES, Stage, check_template, template_field
from connector.accounts.users import roles_required, runtime, signed_in
from connector.db.base import utcnow
from connector.db.models import NotificationTemplate
from connector.db.models.tenants import Role

if TYPE_CHECKING:
    from werkzeug.wrappers import Response

bp = Blueprint("notifications", __name__)


@bp.route("/notifications", methods=["GET", "POST"])
@roles_required(Role.OWNER, Role.DISPATCHER, Role.BILLING)
def edit() -> str | tuple[str, int] | Response:
    rt = runtime()
    user = signed_in()
    tenant_id = user.tenant_id or ""
    with rt.db.session() as session:
        rows = {row.stage: row for row in session.scalars(
            sa.select(NotificationTemplate).where(NotificationTemplate.tenant_id == tenant_id))}
        values = {template_field(stage, name): getattr(rows.get(stage), name, None) or ""
                  for stage in Stage for name in TEMPLATE_FIELDS}
    errors: dict[str, str] = {}
    if request.method == "POST":
        if user.role != Role.OWNER:
            return render_template("error.html", status=403, title="Owners only",
                                   message="Only the company's owner can change the notification templates."), 403
        for stage in Stage:
            for name in TEMPLATE_FIELDS:
                key = template_field(stage, name)
                text = (request.form.get(key) or "").replace("\r\n", "\n").strip()
                values[key] = text
                if text:
                    try:
                        check_template(stage, name, text)
                    except InputError as exc:
                        errors[exc.field or key] = exc.message
        if not errors:
            _save(tenant_id, values)
            flash("Templates saved: the next notifications use them.")
            return redirect(url_for("notifications.edit"))
    return render_template("notifications/edit.html", user=user, stages=list(Stage), fields=TEMPLATE_FIELDS,
                           values=values, defaults=DEFAULT_TEMPLATES, variables=VARIABLES,
                           errors=errors), (422 if errors else 200)


def _save(tenant_id: str, values: dict[str, str]) -> None:
    with runtime().db.session() as session:
        for stage in Stage:
            own = {name: values[template_field(stage, name)] or None for name in TEMPLATE_FIELDS}
            row = session.get(NotificationTemplate, (tenant_id, stage.value))
            if not any(own.values()):
                if row is not None:
                    session.delete(row)
                continue
            row = row or NotificationTemplate(tenant_id=tenant_id, stage=stage.value)
            row.sms, row.email_subject, row.email_body = own["sms"], own["email_subject"], own["email_body"]
            row.updated_at = utcnow()
            session.add(row)
