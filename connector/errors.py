"""One error vocabulary for clients, rendered in one place.

API clients always get JSON: `{"error": {"code", "message", "fields": [{"field", "message"}],
"request_id", ...}}`. Browser pages get HTML. Nothing a client sends can produce a stack trace.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from flask import g, has_app_context, jsonify, render_template, request
from flask_limiter import RateLimitExceeded
from pydantic import ValidationError
from werkzeug.exceptions import HTTPException

from actions.errors import ActionError, Conflict, InputError, NotFound, UpstreamUnavailable

if TYPE_CHECKING:
    from flask import Flask, Response

logger = logging.getLogger(__name__)

#: HTTP status for each domain error.
ACTION_ERROR_STATUS: dict[type[ActionError], int] = {
    InputError: 422,
    NotFound: 404,
    Conflict: 409,
    UpstreamUnavailable: 503,
}

JSON_PREFIXES = ("/api/", "/webhooks/", "/oauth/token", "/oauth/revoke", "/.well-known/")


class ApiError(Exception):
    """An error answered to an API client as JSON."""

    status = 400
    code = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        fields: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or ([{"field": field, "message": message}] if field else [])
        self.headers = headers or {}
        self.extra = extra


class BadRequest(ApiError):
    status, code = 400, "bad_request"


class Unauthorized(ApiError):
    status, code = 401, "unauthorized"


class Forbidden(ApiError):
    status, code = 403, "forbidden"


class NotFoundError(ApiError):
    status, code = 404, "not_found"


class ConflictError(ApiError):
    status, code = 409, "conflict"


class Unprocessable(ApiError):
    status, code = 422, "invalid_input"


def request_id() -> str:
    return getattr(g, "request_id", "-") if has_app_context() else "-"


def error_body(code: str, message: str, fields: list[dict[str, str]] | None = None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message, "fields": fields or []}
    body.update({k: v for k, v in extra.items() if v is not None})
    body["request_id"] = request_id()
    return {"error": body}


def validation_fields(exc: ValidationError) -> list[dict[str, str]]:
    """One `{"field", "message"}` per pydantic error, the field as a dotted path."""
    fields = []
    for err in exc.errors(include_url=False, include_input=False):
        path = ".".join(str(p) for p in err["loc"]) or "body"
        message = err["msg"]
        if err["type"] == "extra_forbidden":
            message = "Unknown field: remove it."
        elif err["type"] == "missing":
            message = "This field is required."
        fields.append({"field": path, "message": message})
    return fields


def fields_message(fields: list[dict[str, str]]) -> str:
    """One line naming every bad field and its problem (Zapier and Make show a single message)."""
    return "Invalid input: " + "; ".join(f"{f['field']}: {f['message'].rstrip('.')}" for f in fields) + "."


def validation_error_body(exc: ValidationError) -> dict[str, Any]:
    fields = validation_fields(exc)
    return error_body("invalid_input", fields_message(fields), fields)


def action_error_status(exc: ActionError) -> int:
    for cls in type(exc).__mro__:
        if cls in ACTION_ERROR_STATUS:
            return ACTION_ERROR_STATUS[cls]
    return 422


def action_error_body(exc: ActionError, **extra: Any) -> dict[str, Any]:
    fields = [{"field": exc.field, "message": exc.message}] if exc.field else []
    return error_body(exc.code, exc.message, fields, retryable=exc.retryable, **extra)


def _wants_json() -> bool:
    return request.path.startswith(JSON_PREFIXES) or request.accept_mimetypes.best == "application/json"


def _json(body: dict[str, Any], status: int, headers: dict[str, str] | None = None) -> Response:
    response = jsonify(body)
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError) -> Response:
        return _json(error_body(exc.code, exc.message, exc.fields, **exc.extra), exc.status, exc.headers)

    @app.errorhandler(ValidationError)
    def _validation_error(exc: ValidationError) -> Response:
        return _json(validation_error_body(exc), 422)

    @app.errorhandler(ActionError)
    def _action_error(exc: ActionError) -> Response:
        return _json(action_error_body(exc), action_error_status(exc))

    @app.errorhandler(RateLimitExceeded)
    def _rate_limited(exc: RateLimitExceeded) -> Response:
        from connector.extensions import limiter

        current = limiter.current_limit
        retry_after = max(1, int(current.reset_at - time.time())) if current else 60
        message = f"Too many requests for this connection (limit: {exc.description}); retry in {retry_after} s."
        return _json(error_body("rate_limited", message, retryable=True), 429, {"Retry-After": str(retry_after)})

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response | tuple[str, int]:
        status = exc.code or 500
        if _wants_json():
            code = (exc.name or "error").lower().replace(" ", "_")
            headers = dict(exc.get_headers()) if status == 405 else {}
            headers.pop("Content-Type", None)
            return _json(error_body(code, exc.description or exc.name), status, headers)
        return render_template("error.html", status=status, title=exc.name, message=exc.description), status

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response | tuple[str, int]:
        logger.exception("request.failed", extra={"path": request.path})
        message = "Something went wrong on our side. Quote the request id to support."
        if _wants_json():
            return _json(error_body("internal_error", message), 500)
        return render_template("error.html", status=500, title="Server error", message=message), 500
