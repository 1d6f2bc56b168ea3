"""The Make app's OAuth 2.0 connection and its base (what every module and webhook inherits).

The connection follows Make's "OAuth 2.0 code grant example with PKCE"
(developers.make.com/custom-apps-documentation/app-components/connections/oauth2): the verifier
is kept in `temp` between `authorize` and `token`, and the S256 challenge is computed in IML with
`base64url(sha256(verifier, 'base64'))`.

Where Backbone runs, and the OAuth client Make uses there, come from the connection's common
data (`common.baseUrl`, `common.clientId`, `common.clientSecret`, set per Make app, never
committed). Staging or self-hosted servers are reached with the same app through the advanced
`serverUrl` parameter; such a connection must bring the client registered on that server, so
the common client secret is never sent to an address a user typed. The resolved address is
saved in the connection data as `baseUrl`: the base and every module use `{{connection.baseUrl}}`.
"""

from __future__ import annotations

from typing import Any

CONNECTION_ID = "backbone"
CONNECTION_LABEL = "Backbone"

#: The scopes Backbone grants, with the consent page's words (kept equal to connector's by a test).
SCOPES: dict[str, str] = {
    "profile": "See your name, email address and company name.",
    "triggers": "Read your jobs, invoices, stock and other records to start Zaps and scenarios.",
    "hooks": "Subscribe to instant notifications when something happens in your company.",
    "actions": "Run actions for your company, such as generating invoices or optimizing routes.",
}

#: Refresh this long before the access token expires (Make checks before each call).
REFRESH_LEAD_MINUTES = 5

SERVER = "{{ifempty(parameters.serverUrl, common.baseUrl)}}"
CLIENT_ID = "{{if(parameters.serverUrl, parameters.clientId, common.clientId)}}"
CLIENT_SECRET = "{{if(parameters.serverUrl, parameters.clientSecret, common.clientSecret)}}"  # noqa: S105 - an IML expression naming where the secret is, not a secret
REDIRECT_URI = "{{oauth.localRedirectUri}}"
OAUTH_ERROR = {"message": "[{{statusCode}}] {{ifempty(body.error_description, body.error)}}"}
API_ERROR_MESSAGE = "[{{statusCode}}] {{body.error.message}}"

#: HTTP statuses Backbone's API answers with, mapped to Make's error types.
ERROR_TYPES: dict[str, str] = {
    "400": "DataError",
    "401": "InvalidAccessTokenError",
    "403": "InvalidConfigurationError",
    "404": "DataError",
    "422": "DataError",
    "429": "RateLimitError",
    "500": "ConnectionError",
    "502": "ConnectionError",
    "503": "ConnectionError",
    "504": "ConnectionError",
}
UNAVAILABLE_MESSAGE = "[{{statusCode}}] {{ifempty(body.error.message, 'Backbone is unavailable; try again shortly.')}}"


def _token_data() -> dict[str, str]:
    return {
        "accessToken": "{{body.access_token}}",
        "refreshToken": "{{body.refresh_token}}",
        "expires": "{{addSeconds(now, body.expires_in)}}",
        "baseUrl": SERVER,
    }


def _client_auth() -> dict[str, str]:
    # client_secret_post: Backbone accepts it, and Make's examples send the client this way.
    return {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}


def communication() -> dict[str, Any]:
    """The OAuth 2.0 communication: authorize, token, refresh, info and invalidate.

    Returns:
        The `*.oauth-communication.iml.json` content.
    """
    return {
        "authorize": {
            "temp": {"codeVerifier": "{{uuid}}.{{uuid}}"},
            "url": f"{SERVER}/oauth/authorize",
            "qs": {
                "response_type": "code",
                "client_id": CLIENT_ID,
                "redirect_uri": REDIRECT_URI,
                "scope": "{{join(oauth.scope, ' ')}}",
                "code_challenge": "{{base64url(sha256(temp.codeVerifier, 'base64'))}}",
                "code_challenge_method": "S256",
            },
            "response": {"temp": {"code": "{{query.code}}"}},
        },
        "token": {
            "url": f"{SERVER}/oauth/token",
            "method": "POST",
            "type": "urlencoded",
            "body": {
                "grant_type": "authorization_code",
                "code": "{{temp.code}}",
                "redirect_uri": REDIRECT_URI,
                "code_verifier": "{{temp.codeVerifier}}",
                **_client_auth(),
            },
            "response": {"data": _token_data(), "error": OAUTH_ERROR},
            "log": {"sanitize": ["request.body.code", "request.body.code_verifier", "request.body.client_secret",
                                 "response.body.access_token", "response.body.refresh_token"]},
        },
        "refresh": {
            "condition": f"{{{{data.expires < addMinutes(now, {REFRESH_LEAD_MINUTES})}}}}",
            "url": f"{SERVER}/oauth/token",
            "method": "POST",
            "type": "urlencoded",
            "body": {"grant_type": "refresh_token", "refresh_token": "{{data.refreshToken}}", **_client_auth()},
            "response": {"data": _token_data(), "error": OAUTH_ERROR},
            "log": {"sanitize": ["request.body.refresh_token", "request.body.client_secret",
                                 "response.body.access_token", "response.body.refresh_token"]},
        },
        "info": {
            "url": f"{SERVER}/api/v1/me",
            "headers": {"authorization": "Bearer {{connection.accessToken}}"},
            "response": {
                "metadata": {"type": "text", "value": "{{body.label}}"},
                "error": {"message": API_ERROR_MESSAGE},
            },
            "log": {"sanitize": ["request.headers.authorization"]},
        },
        "invalidate": {
            # RFC 7009: revoking the refresh token revokes its whole family, access token included.
            "url": f"{SERVER}/oauth/revoke",
            "method": "POST",
            "type": "urlencoded",
            "body": {"token": "{{connection.refreshToken}}", "token_type_hint": "refresh_token", **_client_auth()},
            "log": {"sanitize": ["request.body.token", "request.body.client_secret"]},
        },
    }


def parameters() -> list[dict[str, Any]]:
    """The connection's parameters: all advanced, for servers other than the app's own.

    Returns:
        The `*.params.iml.json` content.
    """
    own_client = "Required with Backbone server: the OAuth client registered there for Make."
    return [
        {
            "name": "serverUrl",
            "type": "url",
            "label": "Backbone server",
            "help": (
                "Leave empty to connect to Backbone. To connect to a staging or self-hosted Backbone server, "
                "enter its address (https://..., no trailing slash) and the client ID and secret that server "
                "registered for Make (backbone oauth add-client)."
            ),
            "advanced": True,
            "validate": {"pattern": "^https://[^\\s/]+(/[^\\s]*[^\\s/])?$"},
        },
        {"name": "clientId", "type": "text", "label": "Client ID", "help": own_client, "advanced": True},
        {"name": "clientSecret", "type": "password", "label": "Client secret", "help": own_client,
         "advanced": True},
    ]


def default_scope() -> list[str]:
    """Every scope: the app's modules and webhooks need all of them.

    Returns:
        The `*.default-scope.iml.json` content.
    """
    return list(SCOPES)


def base() -> dict[str, Any]:
    """The base every module and webhook inherits: address, bearer token and error mapping.

    Returns:
        The `general/base.iml.json` content.
    """
    errors: dict[str, Any] = {"message": API_ERROR_MESSAGE}
    for status, kind in ERROR_TYPES.items():
        message = UNAVAILABLE_MESSAGE if kind == "ConnectionError" else API_ERROR_MESSAGE
        errors[status] = {"message": message, "type": kind}
    return {
        "baseUrl": "{{connection.baseUrl}}",
        "headers": {"authorization": "Bearer {{connection.accessToken}}"},
        "response": {"error": errors},
        "log": {"sanitize": ["request.headers.authorization"]},
    }
