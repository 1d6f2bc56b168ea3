"""Blueprint "hooks": REST-hook subscriptions (Zapier performSubscribe, Make attach)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify, request
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from connector.auth.guard import current_principal, require_token
from connector.db.models import HookSubscription
from connector.errors import NotFoundError, Unprocessable, validation_error_body
from connector.extensions import api_limit
from connector.hooks import signing
from connector.hooks.delivery import unsubscribe
from connector.hooks.targets import BadTarget, check_target
from triggers.catalog import REGISTRY

if TYPE_CHECKING:
    from flask import Response

    from connector.runtime import Runtime

bp = Blueprint("hooks", __name__, url_prefix="/api/v1/hooks")
api_limit(bp)


class HookCreate(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    trigger: str = Field(min_length=1, max_length=60)
    target_url: str = Field(min_length=1, max_length=2000)

    @field_validator("trigger")
    @classmethod
    def _known_trigger(cls, value: str) -> str:
        if value not in REGISTRY:
            raise ValueError(f"Unknown trigger; use one of: {', '.join(sorted(REGISTRY))}.")
        return value


def _runtime() -> Runtime:
    return cast("Runtime", current_app.extensions["backbone"])


def _json_body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise Unprocessable("The body must be a JSON object.", field="body")
    return body


def _public(sub: HookSubscription, secret: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"id": sub.id, "trigger": sub.trigger_key, "target_url": sub.target_url,
                           "created_at": sub.created_at.isoformat().replace("+00:00", "Z")}
    if secret is not None:
        out["secret"] = secret
    return out


@bp.post("")
@require_token("hooks")
def subscribe() -> tuple[Response, int]:
    try:
        data = HookCreate.model_validate(_json_body())
    except ValidationError as exc:
        return jsonify(validation_error_body(exc)), 422
    rt = _runtime()
    try:
        check_target(data.target_url, allow_private=rt.settings.hooks_allow_private_targets)
    except BadTarget as exc:
        raise Unprocessable(str(exc), field="target_url") from exc
    principal = current_principal()
    secret = signing.new_secret()
    with rt.db.session() as session:
        sub = HookSubscription(tenant_id=principal.tenant_id, trigger_key=data.trigger, target_url=data.target_url,
                               secret_encrypted=rt.secrets.encrypt(secret), client_id=principal.client_id)
        session.add(sub)
        session.flush()
        body = _public(sub, secret)
    return jsonify(body), 201


@bp.get("")
@require_token("hooks")
def list_hooks() -> Response:
    principal = current_principal()
    with _runtime().db.session() as session:
        subs = session.scalars(
            sa.select(HookSubscription)
            .where(HookSubscription.tenant_id == principal.tenant_id, HookSubscription.deleted_at.is_(None))
            .order_by(HookSubscription.created_at.desc())
        ).all()
        return jsonify([_public(s) for s in subs])


@bp.delete("/<id:hook_id>")
@require_token("hooks")
def unsubscribe_hook(hook_id: str) -> Response:
    principal = current_principal()
    rt = _runtime()
    with rt.db.session() as session:
        sub = session.scalar(
            sa.select(HookSubscription).where(
                HookSubscription.id == hook_id,
                HookSubscription.tenant_id == principal.tenant_id,
                HookSubscription.deleted_at.is_(None),
            )
        )
        if sub is None:
            raise NotFoundError(f"No hook subscription {hook_id!r}.", field="id")
        unsubscribe(session, sub.id, reason="unsubscribed by client", now=rt.clock())
    return jsonify({"id": hook_id, "deleted": True})
