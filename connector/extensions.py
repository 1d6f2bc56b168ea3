"""Unbound Flask extension singletons, wired in create_app."""

from __future__ import annotations

import hashlib
from typing import Any

from flask import current_app, request
from flask_limiter import HeaderNames, Limiter
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect


def connection_key() -> str:
    """Rate-limit key: the caller's bearer token (hashed), else its address."""
    auth = request.headers.get("Authorization", "")
    if auth:
        return "token:" + hashlib.sha256(auth.encode()).hexdigest()
    return "addr:" + (request.remote_addr or "-")


def api_rate_limit() -> str:
    """The configured per-connection limit for the machine API (read per request)."""
    return str(current_app.extensions["backbone.settings"].rate_limit)


#: One budget per connection, shared by every machine-API route (decorate blueprints and views).
def api_limit(obj: Any) -> Any:
    return limiter.shared_limit(api_rate_limit, scope="api")(obj)


csrf = CSRFProtect()
login_manager = LoginManager()
# The limiter's own Retry-After goes on every response and would override a 503's: keep it under
# another name, and set Retry-After on 429s only (connector.errors).
limiter = Limiter(key_func=connection_key, headers_enabled=True, key_prefix="backbone-rl",
                  header_name_mapping={HeaderNames.RETRY_AFTER: "X-RateLimit-Retry-After"})
