"""OAuth 2.0 provider for Zapier and Make: authorization code + PKCE (S256), refresh rotation."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Gives the app its authorization server (grants, revocation endpoint, token storage).

    One server per app rather than a module singleton: Authlib's server keeps registries of
    grants and endpoints that must be filled exactly once, and tests build many apps.
    """
    from connector.auth.server import EXTENSION_KEY, BackboneAuthorizationServer

    app.extensions[EXTENSION_KEY] = BackboneAuthorizationServer()
