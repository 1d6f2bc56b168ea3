"""Blueprint "webhooks": POST /webhooks/<provider>, verified on the raw body before parsing."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from flask import Blueprint, current_app, jsonify, request

from connector.errors import error_body
from connector.ingest.service import accept
from connector.providers.base import WebhookRejected

if TYPE_CHECKING:
    from flask import Response

    from connector.runtime import Runtime

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")


@bp.post("/<provider>")
def receive(provider: str) -> tuple[Response, int]:
    rt = cast("Runtime", current_app.extensions["backbone"])
    raw = request.get_data(cache=False, as_text=False, parse_form_data=False)
    try:
        result = accept(rt, provider, request.headers, raw)
    except WebhookRejected as exc:
        return jsonify(error_body(exc.code, exc.message, exc.fields)), exc.status
    return jsonify(result.body), result.status
