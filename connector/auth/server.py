"""The Authlib authorization server, built once per app, and its RFC 8414 metadata."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.integrations.flask_oauth2.requests import FlaskOAuth2Payload, FlaskOAuth2Request
from authlib.oauth2.rfc6749 import OAuth2Request
from flask import current_app
from flask import request as flask_request

from connector.auth import tokens
from connector.auth.clients import CLIENT_AUTH_METHODS, GRANT_TYPES, Client, find_client
from connector.auth.grants import (
    AuthorizationCodeGrant,
    RefreshTokenGrant,
    RevocationEndpoint,
    S256CodeChallenge,
    runtime,
)
from connector.auth.scopes import SCOPES

if TYPE_CHECKING:
    from connector.config import Settings

EXTENSION_KEY = "backbone.oauth"


class _PublicURLRequest(FlaskOAuth2Request):
    """The request as the client sent it: at the public base URL.

    Authlib refuses non-https request URLs (except loopback). Behind a TLS-terminating proxy the
    WSGI URL is http, so the check is made against the configured public URL instead.
    """

    def __init__(self, request: Any, base_url: str) -> None:
        # FlaskOAuth2Request.__init__ would check request.url; set up the same state without it.
        uri = base_url.rstrip("/") + request.full_path.rstrip("?")
        OAuth2Request.__init__(self, method=request.method, uri=uri, headers=request.headers)
        self._request = request
        self.payload = FlaskOAuth2Payload(request)


class BackboneAuthorizationServer(AuthorizationServer):
    """Authorization code + PKCE (S256) and refresh token; revocation; digests only."""

    def __init__(self) -> None:
        super().__init__(query_client=self._find_client, save_token=self._save_token)
        self.scopes_supported = list(SCOPES)
        self.register_token_generator("default", self._generate_token)
        self.register_grant(AuthorizationCodeGrant, [S256CodeChallenge()])
        self.register_grant(RefreshTokenGrant)
        self.register_endpoint(RevocationEndpoint)

    def create_oauth2_request(self, request: Any) -> OAuth2Request:
        return _PublicURLRequest(flask_request, runtime().settings.base_url)

    @staticmethod
    def _find_client(client_id: str) -> Client | None:
        return find_client(runtime(), client_id)

    @staticmethod
    def _save_token(token: dict[str, Any], request: OAuth2Request) -> None:
        # Only the authorization-code grant saves through here; refreshes rotate in tokens.rotate.
        tokens.issue_from_code(runtime(), token, request.authorization_code)

    @staticmethod
    def _generate_token(
        grant_type: str,
        client: Client,
        user: Any = None,
        scope: str | None = None,
        expires_in: int | None = None,
        include_refresh_token: bool = True,
    ) -> dict[str, Any]:
        return tokens.generate_pair(runtime(), scope or client.scope)


def oauth_server() -> BackboneAuthorizationServer:
    """The current app's authorization server."""
    return cast("BackboneAuthorizationServer", current_app.extensions[EXTENSION_KEY])


def metadata(settings: Settings) -> dict[str, Any]:
    """Authorization server metadata (RFC 8414), with the public base URL as issuer."""
    base = settings.base_url.rstrip("/")
    return {
        "issuer": base,
        "authorization_endpoint": f"{base}/oauth/authorize",
        "token_endpoint": f"{base}/oauth/token",
        "revocation_endpoint": f"{base}/oauth/revoke",
        "scopes_supported": list(SCOPES),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": list(GRANT_TYPES),
        "token_endpoint_auth_methods_supported": list(CLIENT_AUTH_METHODS),
        "revocation_endpoint_auth_methods_supported": list(CLIENT_AUTH_METHODS),
        "code_challenge_methods_supported": ["S256"],
    }
