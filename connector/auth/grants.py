"""The two grants Backbone allows: authorization code with PKCE (S256 only), and refresh token.

No implicit, password or client-credentials grant is registered.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from authlib.oauth2.rfc6749 import InvalidRequestError, grants
from authlib.oauth2.rfc7009 import RevocationEndpoint as _RevocationEndpoint
from authlib.oauth2.rfc7636 import CodeChallenge
from flask import current_app

from connector.auth import tokens
from connector.auth.clients import CLIENT_AUTH_METHODS

if TYPE_CHECKING:
    from authlib.oauth2.rfc6749 import OAuth2Request

    from connector.auth.clients import Client
    from connector.runtime import Runtime


def runtime() -> Runtime:
    return cast("Runtime", current_app.extensions["backbone"])


class S256CodeChallenge(CodeChallenge):
    """PKCE is required of every client, and only the S256 method is accepted (RFC 9700 §2.1.1)."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]

    def __init__(self) -> None:
        super().__init__(required=True)

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("Missing 'code_challenge': PKCE with S256 is required.")
        # An absent method means "plain" (RFC 7636 §4.3), which is refused like an explicit one.
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("Unsupported 'code_challenge_method': only S256 is accepted.")
        super().validate_code_challenge(grant, redirect_uri)


class AuthorizationCodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = list(CLIENT_AUTH_METHODS)

    def save_authorization_code(self, code: str, request: OAuth2Request) -> None:
        data = request.payload.data
        tokens.save_code(
            runtime(),
            code,
            client_id=request.client.client_id,
            user=request.user,
            # Empty when the request relied on the client's only registered URI; the token
            # request then need not repeat it (RFC 6749 §4.1.3).
            redirect_uri=request.payload.redirect_uri or "",
            scope=request.scope,
            challenge=data["code_challenge"],
            method=data["code_challenge_method"],
        )

    def query_authorization_code(self, code: str, client: Client) -> tokens.IssuedCode | None:
        return tokens.find_code(runtime(), code, client.client_id)

    def delete_authorization_code(self, authorization_code: tokens.IssuedCode) -> None:
        # The row stays, marked used (by tokens.issue_from_code), so a replay can be detected.
        return None

    def authenticate_user(self, authorization_code: tokens.IssuedCode) -> tokens.GrantUser | None:
        return tokens.code_owner(runtime(), authorization_code)


class RefreshTokenGrant(grants.RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = list(CLIENT_AUTH_METHODS)
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token: str) -> tokens.StoredToken | None:
        return tokens.find_refresh_token(runtime(), refresh_token)

    def create_token_response(self) -> tuple[int, dict[str, Any], list[tuple[str, str]]]:
        # Replaces Authlib's generate/save/revoke sequence with one locked transaction that
        # rotates the pair, honours the grace window and detects reuse (see tokens.rotate).
        token = tokens.rotate(
            runtime(),
            current_app.config["SECRET_KEY"],
            self.request.form["refresh_token"],
            self.request.client.client_id,
            self.request.payload.scope,
        )
        return 200, token, self.TOKEN_RESPONSE_HEADER


class RevocationEndpoint(_RevocationEndpoint):
    CLIENT_AUTH_METHODS = list(CLIENT_AUTH_METHODS)

    def query_token(self, token_string: str, token_type_hint: str | None) -> tokens.StoredToken | None:
        return tokens.find_token(runtime(), token_string, token_type_hint)

    def revoke_token(self, token: tokens.StoredToken, request: OAuth2Request) -> None:
        tokens.revoke(runtime(), token)
