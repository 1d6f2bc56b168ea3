"""The Flask app factory."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from flask import Flask, g, request
from werkzeug.routing import BaseConverter

from connector import logging as backbone_logging
from connector.config import Settings
from connector.errors import BadRequest, register_error_handlers
from connector.extensions import csrf, limiter, login_manager
from connector.runtime import Runtime, build_runtime, install

if TYPE_CHECKING:
    from datetime import datetime

    from flask import Response

MAX_BODY_BYTES = 1024 * 1024
#: NUL can be neither stored by PostgreSQL nor meant by any client: refused at the edge.
NUL_MARKERS = (b"\x00", b"\\u0000", b"%00")


class IdConverter(BaseConverter):
    """Backbone's public ids (32 hex digits); anything else is simply not found."""

    regex = "[0-9a-f]{32}"


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> Flask:
    """Builds the app. Tests pass their own Settings; production reads the environment."""
    settings = settings or (runtime.settings if runtime else Settings())
    runtime = runtime or build_runtime(settings)
    install(runtime)

    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=settings.effective_secret_key(),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.env == "production",
        MAX_CONTENT_LENGTH=MAX_BODY_BYTES,
        WTF_CSRF_TIME_LIMIT=None,
        WTF_CSRF_SSL_STRICT=settings.env == "production",
        TESTING=settings.env == "test",
        JSON_SORT_KEYS=False,
    )
    app.extensions["backbone"] = runtime
    app.extensions["backbone.settings"] = settings
    app.url_map.converters["id"] = IdConverter

    backbone_logging.configure_logging(settings)
    register_input_guard(app)  # before the extensions: CSRF protection reads the form first
    register_extensions(app)
    register_blueprints(app)
    register_error_handlers(app)
    register_request_hooks(app)
    return app


def register_input_guard(app: Flask) -> None:
    @app.before_request
    def _refuse_nul() -> None:
        # Webhooks are verified first and checked by their provider adapter instead.
        if request.path.startswith("/webhooks/"):
            return
        # Cached, so form parsing and views still see the body.
        body = request.get_data(cache=True) if request.content_length else b""
        if any(m in request.query_string or m in body.lower() for m in NUL_MARKERS):
            raise BadRequest("NUL characters are not allowed in requests.", field="body")


def register_extensions(app: Flask) -> None:
    settings: Settings = app.extensions["backbone.settings"]
    app.config["RATELIMIT_STORAGE_URI"] = settings.redis_url or "memory://"
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = "Sign in to continue."
    from connector.accounts import users  # noqa: F401 - registers the user loader
    from connector.auth import init_app as init_oauth

    init_oauth(app)


def register_blueprints(app: Flask) -> None:
    from connector.accounts.views import bp as accounts_bp
    from connector.admin.views import bp as admin_bp
    from connector.api.views import bp as api_bp
    from connector.auth.views import bp as oauth_bp
    from connector.connections.views import bp as connections_bp
    from connector.hooks.views import bp as hooks_bp
    from connector.ingest.views import bp as webhooks_bp
    from connector.rules.views import bp as rules_bp
    from connector.sandbox.views import bp as sandbox_bp

    for bp in (accounts_bp, oauth_bp, api_bp, hooks_bp, webhooks_bp, admin_bp, connections_bp, rules_bp):
        app.register_blueprint(bp)
    app.register_blueprint(sandbox_bp)  # the sandbox accounting's payment page (sent invoices link to it)
    from connector.notifications.views import bp as notifications_bp

    app.register_blueprint(notifications_bp)  # a tenant's notification templates
    from connector.mail.views import api as mail_api_bp
    from connector.mail.views import bp as mail_bp

    app.register_blueprint(mail_bp)  # the public opt-out page printed on postcards (CSRF-protected POST)
    app.register_blueprint(mail_api_bp)
    csrf.exempt(mail_api_bp)
    # Machine-to-machine endpoints authenticate by token or signature, not by cookie.
    for bp in (api_bp, hooks_bp, webhooks_bp):
        csrf.exempt(bp)


def localtime(value: datetime | None, user: object = None, fmt: str = "%Y-%m-%d %H:%M %Z") -> str:
    """Renders a stored UTC time in the viewer's time zone (display only)."""
    if value is None:
        return ""
    tz_name = getattr(user, "timezone", None) or "UTC"
    try:
        zone = ZoneInfo(tz_name)
    except (KeyError, ValueError):
        zone = ZoneInfo("UTC")
    return value.astimezone(zone).strftime(fmt)


def register_request_hooks(app: Flask) -> None:
    app.add_template_filter(localtime, "localtime")

    @app.before_request
    def _bind_request_id() -> None:
        incoming = request.headers.get("X-Request-Id", "")
        g.request_id = incoming if 8 <= len(incoming) <= 64 and incoming.isalnum() else secrets.token_hex(8)
        backbone_logging.bind(request_id=g.request_id, tenant_id=None, run_id=None, job_id=None)

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers["X-Request-Id"] = getattr(g, "request_id", "-")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if response.mimetype == "text/html":
            response.headers.setdefault("X-Frame-Options", "DENY")
        return response
